import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { SlipwayError } from "../errors/index.ts";
import { parseChallenges, registryBaseUrls, verifyLogin } from "./verify-login.ts";
import { fakeRegistry } from "./fixtures/fake-registry.ts";

const PASSWORD = "pa55-w0rd-never-shown";

test("base URLs: HTTPS, plain HTTP only after it for loopback, Docker Hub at registry-1", () => {
  assert.deepEqual(registryBaseUrls("127.0.0.1:5002"), ["https://127.0.0.1:5002/v2/", "http://127.0.0.1:5002/v2/"]);
  assert.deepEqual(registryBaseUrls("localhost:5000/team"), ["https://localhost:5000/v2/", "http://localhost:5000/v2/"]);
  assert.deepEqual(registryBaseUrls("[::1]:5000"), ["https://[::1]:5000/v2/", "http://[::1]:5000/v2/"]);
  assert.deepEqual(registryBaseUrls("registry.example.com"), ["https://registry.example.com/v2/"]);
  assert.deepEqual(registryBaseUrls("10.0.0.5:5000"), ["https://10.0.0.5:5000/v2/"]);
  assert.deepEqual(registryBaseUrls("docker.io"), ["https://registry-1.docker.io/v2/"]);
});

test("WWW-Authenticate challenges parse, Bearer first, quoted values unescaped", () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull"'), [
    { scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:a/b:pull" } },
  ]);
  assert.deepEqual(parseChallenges(['Basic realm="x"', "Bearer realm=https://t/x,service=s"]), [
    { scheme: "bearer", params: { realm: "https://t/x", service: "s" } },
    { scheme: "basic", params: { realm: "x" } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="a \\"b\\""'), [{ scheme: "basic", params: { realm: 'a "b"' } }]);
  assert.deepEqual(parseChallenges(undefined), []);
});

test("basic auth at /v2/: the right password is accepted, a wrong one refused (exit 6) without repeating it", async () => {
  await using registry = await fakeRegistry({ auth: "basic", username: "alice", password: PASSWORD });
  assert.deepEqual(await verifyLogin(registry.address, { username: "alice", password: PASSWORD }), { url: `http://${registry.address}/v2/`, via: "basic" });
  await assert.rejects(verifyLogin(registry.address, { username: "alice", password: "wrong-password" }), (err: SlipwayError) => {
    assert.equal(err.code, "LOGIN_REFUSED");
    assert.equal(err.exitCode, 6);
    assert.equal(err.message, `The registry ${registry.address} refused the credentials of alice (HTTP 401 from http://${registry.address}/v2/)`);
    assert.match(err.hint ?? "", /nothing was stored/);
    return true;
  });
});

test("a Bearer challenge: the realm is asked with basic auth, the service and the user, never the password in a URL", async () => {
  await using registry = await fakeRegistry({ auth: "bearer", username: "alice", password: PASSWORD });
  assert.deepEqual(await verifyLogin(registry.address, { username: "alice", password: PASSWORD }), { url: `http://${registry.address}/v2/`, via: "token" });
  const token = registry.requests.find((r) => r.url.startsWith("/token"))!;
  const query = new URL(token.url, "http://x").searchParams;
  assert.equal(query.get("service"), "fake-registry");
  assert.equal(query.get("account"), "alice");
  assert.equal(token.user, "alice");
  await assert.rejects(verifyLogin(registry.address, { username: "alice", password: "nope-nope" }), (err: SlipwayError) => {
    assert.equal(err.code, "LOGIN_REFUSED");
    assert.match(err.message, new RegExp(`refused the credentials of alice \\(HTTP 401 from http://${registry.address}/token\\)`));
    return true;
  });
  for (const r of registry.requests) assert.ok(!r.url.includes(PASSWORD) && !r.url.includes("nope-nope"), r.url);
});

test("a registry without auth accepts anything; an unexpected status is a registry error", async () => {
  await using open = await fakeRegistry({ auth: "none", username: "", password: "" });
  assert.equal((await verifyLogin(open.address, { username: "u", password: "p" })).via, "basic");
  await using broken = await fakeRegistry({ auth: { status: 404 }, username: "", password: "" });
  await assert.rejects(verifyLogin(broken.address, { username: "u", password: "p" }), (err: SlipwayError) => err.code === "LOGIN_FAILED" && err.exitCode === 6 && /answered HTTP 404/.test(err.message));
});

test("nobody listening: unreachable, exit 6, both URLs tried", async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await assert.rejects(verifyLogin(`127.0.0.1:${port}`, { username: "u", password: PASSWORD }), (err: SlipwayError) => {
    assert.equal(err.code, "REGISTRY_UNREACHABLE");
    assert.equal(err.exitCode, 6);
    assert.match(err.message, new RegExp(`https://127\\.0\\.0\\.1:${port}/v2/: .*ECONNREFUSED.*; http://127\\.0\\.0\\.1:${port}/v2/: .*ECONNREFUSED`));
    assert.ok(!err.message.includes(PASSWORD));
    return true;
  });
});

test("a registry that never answers times out as a registry error", async () => {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    await assert.rejects(verifyLogin(`127.0.0.1:${port}`, { username: "u", password: "p" }, { timeoutMs: 300 }), (err: SlipwayError) => err.code === "REGISTRY_TIMEOUT" && err.exitCode === 6);
  } finally {
    server.close();
  }
});

test("an aborted signal cancels", async () => {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    await assert.rejects(verifyLogin(`127.0.0.1:${port}`, { username: "u", password: "p" }, { signal: AbortSignal.timeout(100) }), (err: SlipwayError) => err.kind === "cancelled");
  } finally {
    server.close();
  }
});
