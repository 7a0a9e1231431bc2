/**
 * An engine never reached is "unreachable"; one that answered and then went (a daemon stopped
 * mid-run) is a lost connection — both the engine's failure (exit 4), with different words and
 * hints. A local HTTP server on a unix socket plays the engine: this is the client's classification,
 * not the engine's behaviour.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Engine, endpointFromEnv } from "./engine.ts";
import { EngineConnectionLostError, EngineUnreachableError } from "./engine-error.ts";

test("a request to an engine that answered before and is now gone is the connection lost; a first connect to it is unreachable", async () => {
  const socket = path.join(tmpdir(), `slipway-going-engine-${randomBytes(4).toString("hex")}.sock`);
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    if (req.url === "/_ping") return void res.writeHead(200, { "api-version": "1.41", ostype: "linux" }).end("OK");
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ Version: "20.10.24", ApiVersion: "1.41" }));
  });
  server.on("connection", (s) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  const endpoint = endpointFromEnv({ DOCKER_HOST: `unix://${socket}` });
  const engine = await Engine.connect({ endpoint });
  try {
    await engine.system.version();
    // The daemon goes: its socket closes and every connection with it.
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
    const lost = await engine.system.version().then(() => assert.fail("answered"), (e: unknown) => e);
    assert.ok(lost instanceof EngineConnectionLostError, String(lost));
    assert.equal(lost.exitCode, 4);
    assert.match(lost.hint ?? "", /next Slipway command sweeps/);
  } finally {
    await engine.close();
  }
  const never = await Engine.connect({ endpoint }).then(() => assert.fail("connected"), (e: unknown) => e);
  assert.ok(never instanceof EngineUnreachableError, String(never));
});

test("closing the client does not wait forever for a request the engine never answers: it is cut after the grace period, and close returns", async () => {
  const socket = path.join(tmpdir(), `slipway-silent-engine-${randomBytes(4).toString("hex")}.sock`);
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    if (req.url === "/_ping") return void res.writeHead(200, { "api-version": "1.41", ostype: "linux" }).end("OK");
    // Every other request: headers, then nothing ever again (a wait the engine never ends).
    res.writeHead(200, { "content-type": "application/json" });
    res.flushHeaders();
  });
  server.on("connection", (s) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  try {
    const engine = await Engine.connect({ endpoint: endpointFromEnv({ DOCKER_HOST: `unix://${socket}` }) });
    const registered = await engine.containers.wait("forever", { condition: "removed" });
    let answered = false;
    registered.result.then(() => (answered = true), () => undefined);
    // Before: close waited for the wait's answer, forever.
    await engine.close();
    assert.equal(answered, false, "closed without an answer: the request was cut");
  } finally {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  }
});
