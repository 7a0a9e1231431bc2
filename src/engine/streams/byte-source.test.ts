/**
 * The engine client fills a build context's two buffers in turn: a buffer must be on the socket
 * (in the kernel) before it is filled again, or the engine receives bytes of a later chunk in
 * place of an earlier one. A local server on a unix socket plays the engine and reads slower
 * than the client writes, so every chunk waits on the socket: a client that refilled too soon
 * would change what arrives. Every byte is checked.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Engine, endpointFromEnv } from "../engine.ts";
import { ownedChunks, type ByteSource } from "./byte-source.ts";

/** Bytes that depend on their position, written into whatever buffer it is given. */
class CountingSource implements ByteSource {
  readonly total: number;
  #sent = 0;
  closed = false;
  reads = 0;
  constructor(total: number) {
    this.total = total;
  }
  async read(into: Buffer): Promise<number> {
    this.reads++;
    await sleep(0);
    const n = Math.min(into.length, this.total - this.#sent);
    for (let i = 0; i < n; i += 4) into.writeUInt32LE((this.#sent + i) >>> 0, i);
    this.#sent += n;
    return n;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function expectedDigest(total: number): string {
  const bytes = Buffer.alloc(total);
  for (let i = 0; i < total; i += 4) bytes.writeUInt32LE(i >>> 0, i);
  return createHash("sha256").update(bytes).digest("hex");
}

test("a build context sent from a ByteSource arrives byte for byte through a reader slower than the sender", async () => {
  const socket = path.join(tmpdir(), `slipway-slow-engine-${randomBytes(4).toString("hex")}.sock`);
  let received: { digest: string; bytes: number } | undefined;
  const server = createServer((req, res) => {
    if (req.url === "/_ping") return void res.writeHead(200, { "api-version": "1.41", ostype: "linux" }).end("OK");
    if (!req.url?.includes("/build")) return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ Version: "20.10.24", ApiVersion: "1.41" }));
    const hash = createHash("sha256");
    let bytes = 0;
    let chunks = 0;
    req.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
      // Slower than the sender: pause now and then, so the client's writes wait on the socket.
      if (++chunks % 8 === 0) {
        req.pause();
        setTimeout(() => req.resume(), 2);
      }
    });
    req.on("end", () => {
      received = { digest: hash.digest("hex"), bytes };
      res.writeHead(200, { "content-type": "application/json" }).end(`${JSON.stringify({ aux: { ID: "sha256:feed" } })}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  const engine = await Engine.connect({ endpoint: endpointFromEnv({ DOCKER_HOST: `unix://${socket}` }), builder: "classic" });
  try {
    // Not a whole number of chunks: the last one is partial.
    const total = 24 * 1024 * 1024 + 4096;
    const source = new CountingSource(total);
    const messages = await engine.images.build({ context: source, builder: "classic" });
    assert.deepEqual(messages, [{ aux: { ID: "sha256:feed" } }]);
    assert.equal(received?.bytes, total);
    assert.equal(received?.digest, expectedDigest(total));
    assert.equal(source.reads, 25, "24 chunks of 1 MiB and a last one of 4 KiB");
  } finally {
    await engine.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("ownedChunks hands out fresh buffers, which the reader may keep", async () => {
  const chunks: Buffer[] = [];
  for await (const chunk of ownedChunks(new CountingSource(10_000), 4096)) chunks.push(chunk);
  assert.deepEqual(
    chunks.map((c) => c.length),
    [4096, 4096, 1808],
  );
  const all = Buffer.concat(chunks);
  for (let i = 0; i < all.length; i += 4) assert.equal(all.readUInt32LE(i), i);
});
