/**
 * TLS as the engine does it for a registry: the CA and client certificate of its certs.d folder
 * (`<certsDir>/<host:port>/ca.crt`, `client.cert` + `client.key`), and no verification for an
 * insecure registry. Against a local HTTPS stand-in for a registry (node's https server), with a
 * CA and certificates openssl makes for the test.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { SlipwayError } from "../../../src/errors/index.ts";
import { RegistryClient } from "../../../src/registry/client.ts";
import { NO_CREDENTIAL } from "./harness.ts";

const run = promisify(execFile);
const DIGEST = `sha256:${"a".repeat(64)}`;

let dir: string;
let pki: { ca: Buffer; serverCert: Buffer; serverKey: Buffer; clientCert: Buffer; clientKey: Buffer };

/** A CA, a server certificate for 127.0.0.1 and a client certificate, both signed by the CA. */
async function makePki(at: string): Promise<typeof pki> {
  const f = (name: string) => path.join(at, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await run("openssl", ["req", "-x509", ...ec, "-days", "2", "-subj", "/CN=slipway-test-ca", "-keyout", f("ca.key"), "-out", f("ca.crt")]);
  for (const [name, ext] of [
    ["server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"],
    ["client", "extendedKeyUsage=clientAuth\n"],
  ] as const) {
    await run("openssl", ["req", "-new", ...ec, "-subj", `/CN=slipway-test-${name}`, "-keyout", f(`${name}.key`), "-out", f(`${name}.csr`)]);
    await writeFile(f(`${name}.ext`), ext);
    await run("openssl", ["x509", "-req", "-in", f(`${name}.csr`), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", f(`${name}.ext`), "-out", f(`${name}.crt`)]);
  }
  const read = (name: string) => readFile(f(name));
  return { ca: await read("ca.crt"), serverCert: await read("server.crt"), serverKey: await read("server.key"), clientCert: await read("client.crt"), clientKey: await read("client.key") };
}

/** An HTTPS stand-in for a registry: /v2/ and one manifest's HEAD; `clientCert` demands one signed by the CA. */
async function fakeRegistry(opts: { clientCert: boolean }): Promise<Server & AsyncDisposable & { address: string }> {
  const server = createServer({ cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requestCert: opts.clientCert, rejectUnauthorized: opts.clientCert }, (req, res) => {
    if (req.url === "/v2/") return res.writeHead(200, { "content-type": "application/json" }).end("{}");
    if (req.method === "HEAD" && req.url === "/v2/team/app/manifests/1") return res.writeHead(200, { "docker-content-digest": DIGEST }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(server, {
    address,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

/** `<certsDir>/<address>/` with the given files. */
async function certsDir(address: string, files: Record<string, Buffer>): Promise<string> {
  const root = await mkdtemp(path.join(dir, "certs.d-"));
  await mkdir(path.join(root, address));
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(root, address, name), content);
  return root;
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "slipway-registry-tls-"));
  pki = await makePki(dir);
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("certs.d's CA and client certificate: the registry is reached over HTTPS", async () => {
  await using registry = await fakeRegistry({ clientCert: true });
  const dirWithCerts = await certsDir(registry.address, { "ca.crt": pki.ca, "client.cert": pki.clientCert, "client.key": pki.clientKey });
  await using client = await RegistryClient.connect({ registry: registry.address, credential: NO_CREDENTIAL, certsDir: dirWithCerts });
  assert.equal(client.origin, `https://${registry.address}`);
  assert.equal(await client.manifestDigest("team/app", "1"), DIGEST);
});

test("a CA that is not in certs.d: REGISTRY_UNREACHABLE, and the hint names the file to put it in", async () => {
  await using registry = await fakeRegistry({ clientCert: false });
  const empty = await certsDir("elsewhere:443", {});
  const err = await RegistryClient.connect({ registry: registry.address, credential: NO_CREDENTIAL, certsDir: empty }).then(
    () => assert.fail("an unknown CA was trusted"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SlipwayError, String(err));
  assert.equal(err.code, "REGISTRY_UNREACHABLE");
  assert.ok((err.hint ?? "").includes(path.join(empty, registry.address, "ca.crt")), err.hint);
});

test("a registry that wants a client certificate, without one in certs.d: refused in the handshake", async () => {
  await using registry = await fakeRegistry({ clientCert: true });
  const caOnly = await certsDir(registry.address, { "ca.crt": pki.ca });
  await assert.rejects(RegistryClient.connect({ registry: registry.address, credential: NO_CREDENTIAL, certsDir: caOnly, retryBaseDelayMs: 1 }), (e: unknown) => {
    assert.ok(e instanceof SlipwayError, String(e));
    // TLS 1.3: the server closes the connection after the handshake, which is all the client sees.
    assert.match(e.code, /^REGISTRY_(UNREACHABLE|CONNECTION_LOST)$/);
    assert.ok((e.hint ?? "").includes(path.join(caOnly, registry.address, "client.cert")), e.hint);
    return true;
  });
});

test("an insecure registry: HTTPS without verification, as the engine does it", async () => {
  await using registry = await fakeRegistry({ clientCert: false });
  const empty = await certsDir("elsewhere:443", {});
  await using client = await RegistryClient.connect({ registry: registry.address, credential: NO_CREDENTIAL, certsDir: empty, insecure: true });
  assert.equal(client.origin, `https://${registry.address}`);
  assert.equal(await client.manifestDigest("team/app", "1"), DIGEST);
});

test("a client certificate without its key in certs.d: REGISTRY_TLS_CONFIG, as the engine refuses it", async () => {
  const broken = await certsDir("127.0.0.1:1", { "ca.crt": pki.ca, "client.cert": pki.clientCert });
  await assert.rejects(RegistryClient.connect({ registry: "127.0.0.1:1", credential: NO_CREDENTIAL, certsDir: broken }), (e: unknown) => {
    assert.ok(e instanceof SlipwayError, String(e));
    assert.equal(e.code, "REGISTRY_TLS_CONFIG");
    assert.match(e.message, /client\.cert has no key client\.key/);
    return true;
  });
});
