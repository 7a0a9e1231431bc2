import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { CancelledError } from "../errors/index.ts";
import { RegistryConnectionError, RegistryTransport, errorCodes, readCertsDir, registryHost, seconds, type TlsMaterial } from "./transport.ts";

test("Docker Hub's API is served from registry-1.docker.io; other registries from themselves", () => {
  assert.equal(registryHost("docker.io"), "registry-1.docker.io");
  assert.equal(registryHost("index.docker.io"), "registry-1.docker.io");
  assert.equal(registryHost("127.0.0.1:5000"), "127.0.0.1:5000");
  assert.equal(registryHost("ghcr.io"), "ghcr.io");
});

async function withCertsDir(files: Record<string, string>, fn: (certsDir: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), "slipway-certs.d-"));
  try {
    await mkdir(path.join(root, "registry.example.com:5000"));
    for (const [name, content] of Object.entries(files)) await writeFile(path.join(root, "registry.example.com:5000", name), content);
    await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test("certs.d: *.crt are CAs, NAME.cert goes with NAME.key; no folder is no extra TLS", () =>
  withCertsDir({ "ca.crt": "CA1", "other.crt": "CA2", "client.cert": "CERT", "client.key": "KEY" }, async (certsDir) => {
    const material = await readCertsDir(certsDir, "registry.example.com:5000");
    assert.deepEqual(material.ca.map(String), ["CA1", "CA2"]);
    assert.equal(String(material.cert), "CERT");
    assert.equal(String(material.key), "KEY");
    assert.equal(material.dir, path.join(certsDir, "registry.example.com:5000"));
    const none = await readCertsDir(certsDir, "elsewhere.example.com");
    assert.deepEqual(none, { ca: [], dir: path.join(certsDir, "elsewhere.example.com") });
  }));

test("certs.d: a certificate without its key, or a key without its certificate, is refused as the engine refuses it", async () => {
  await withCertsDir({ "client.cert": "CERT" }, async (certsDir) => {
    await assert.rejects(readCertsDir(certsDir, "registry.example.com:5000"), { code: "REGISTRY_TLS_CONFIG", message: /client\.cert has no key client\.key/ });
  });
  await withCertsDir({ "client.key": "KEY" }, async (certsDir) => {
    await assert.rejects(readCertsDir(certsDir, "registry.example.com:5000"), { code: "REGISTRY_TLS_CONFIG", message: /client\.key has no client certificate client\.cert/ });
  });
});

test("error codes are read through causes; durations read as seconds", () => {
  const err = Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET", cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }) });
  assert.deepEqual(errorCodes(err), ["UND_ERR_SOCKET", "ECONNRESET"]);
  assert.deepEqual(errorCodes("nope"), []);
  assert.equal(seconds(300), "0.3 s");
  assert.equal(seconds(30_000), "30 s");
  assert.equal(seconds(1250), "1.25 s");
});

const NO_TLS: TlsMaterial = { ca: [], dir: "/etc/docker/certs.d/x" };

/** A local HTTP server whose handler decides; closed with everything on it afterwards. */
async function withServer(handler: (req: IncomingMessage, res: ServerResponse) => void, fn: (origin: string) => Promise<void>): Promise<void> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function withTransport(opts: { stallTimeoutMs?: number; signal?: AbortSignal }, fn: (t: RegistryTransport) => Promise<void>): Promise<void> {
  const transport = new RegistryTransport({ tls: NO_TLS, insecure: false, stallTimeoutMs: opts.stallTimeoutMs ?? 5000, signal: opts.signal });
  try {
    await fn(transport);
  } finally {
    await transport.close();
  }
}

test("redirects are followed when asked; credentials never go on to another origin", async () => {
  const seen: { where: string; authorization?: string }[] = [];
  await withServer(
    (req, res) => {
      seen.push({ where: `storage ${req.url}`, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      res.end("the blob");
    },
    (storage) =>
      withServer(
        (req, res) => {
          seen.push({ where: `registry ${req.url}`, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
          if (req.url === "/v2/a/blobs/x") return res.writeHead(307, { location: "/v2/a/blobs/y" }).end();
          res.writeHead(307, { location: `${storage}/bucket/y?sig=1` }).end();
        },
        (registry) =>
          withTransport({}, async (transport) => {
            const response = await transport.exchange({ method: "GET", url: new URL("/v2/a/blobs/x", registry), headers: { authorization: "Bearer t" }, redirects: 5 });
            assert.equal(response.status, 200);
            assert.equal(response.body.toString(), "the blob");
            assert.equal(response.url.toString(), `${storage}/bucket/y?sig=1`);
            assert.deepEqual(seen, [
              { where: "registry /v2/a/blobs/x", authorization: "Bearer t" },
              { where: "registry /v2/a/blobs/y", authorization: "Bearer t" },
              { where: "storage /bucket/y?sig=1" },
            ]);
            const unfollowed = await transport.exchange({ method: "GET", url: new URL("/v2/a/blobs/x", registry) });
            assert.equal(unfollowed.status, 307, "no redirects unless asked");
          }),
      ),
  );
});

test("an answer larger than the cap is refused, not buffered", () =>
  withServer(
    (_req, res) => res.end(Buffer.alloc(64 * 1024)),
    (origin) =>
      withTransport({}, async (transport) => {
        await assert.rejects(transport.exchange({ method: "GET", url: new URL("/big", origin), maxBytes: 1024 }), { code: "REGISTRY_RESPONSE_TOO_LARGE" });
      }),
  ));

test("no answer for the stall timeout: REGISTRY_STALLED, saying how long", () =>
  withServer(
    () => undefined,
    (origin) =>
      withTransport({ stallTimeoutMs: 100 }, async (transport) => {
        const err = await transport.exchange({ method: "GET", url: new URL("/v2/", origin) }).catch((e: unknown) => e);
        assert.ok(err instanceof RegistryConnectionError, String(err));
        assert.equal(err.reason, "stalled");
        assert.equal(err.code, "REGISTRY_STALLED");
        assert.match(err.message, /sent nothing for 0\.1 s in answer to GET \/v2\//);
      }),
  ));

test("a body that stops midway is a stall too", () =>
  withServer(
    (_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("only the start");
    },
    (origin) =>
      withTransport({ stallTimeoutMs: 100 }, async (transport) => {
        await assert.rejects(transport.exchange({ method: "GET", url: new URL("/v2/", origin) }), { code: "REGISTRY_STALLED" });
      }),
  ));

test("a connection closed without an answer is 'dropped'; nobody listening is 'unreachable'", async () => {
  let port = 0;
  await withServer(
    (req) => req.socket.destroy(),
    (origin) =>
      withTransport({}, async (transport) => {
        port = Number(new URL(origin).port);
        const err = await transport.exchange({ method: "GET", url: new URL("/v2/", origin) }).catch((e: unknown) => e);
        assert.ok(err instanceof RegistryConnectionError, String(err));
        assert.equal(err.reason, "dropped");
        assert.equal(err.code, "REGISTRY_CONNECTION_LOST");
      }),
  );
  await withTransport({}, async (transport) => {
    const err = await transport.exchange({ method: "GET", url: new URL(`http://127.0.0.1:${port}/v2/`) }).catch((e: unknown) => e);
    assert.ok(err instanceof RegistryConnectionError, String(err));
    assert.equal(err.reason, "unreachable");
    assert.match(err.message, /ECONNREFUSED/);
  });
});

test("an aborted signal cancels a request in flight", () =>
  withServer(
    () => undefined,
    async (origin) => {
      const controller = new AbortController();
      await withTransport({ signal: controller.signal }, async (transport) => {
        const pending = transport.exchange({ method: "GET", url: new URL("/v2/", origin) });
        setImmediate(() => controller.abort());
        await assert.rejects(pending, CancelledError);
      });
    },
  ));
