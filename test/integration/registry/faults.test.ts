/**
 * The registry client when the registry misbehaves, through test/support/fault-proxy.ts in front
 * of the basic-auth registry: 5xx and dropped connections are tried again and pass; a registry
 * that keeps failing, or stalls, ends in one clear error. (The engine through the same proxy:
 * engine-through-proxy.test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SlipwayError } from "../../../src/errors/index.ts";
import type { Engine } from "../../../src/engine/index.ts";
import { RegistryClient, type RegistryClientOptions } from "../../../src/registry/client.ts";
import { startFaultProxy, type FaultRule } from "../../support/fault-proxy.ts";
import { loadWorldSync } from "../../support/world.ts";
import { basicAuth, deleteManifest, passwordCredential, pushImage, testImage, useEngine, type Pushed } from "./harness.ts";

const world = loadWorldSync();
const skip = world.skipReason("auth-registry");

let engine: Engine;
useEngine((e) => (engine = e));

/** Pushes a fresh image straight to the registry, then runs `fn` with a client behind a proxy with `rules`. */
async function throughProxy(
  rules: FaultRule[],
  options: Partial<RegistryClientOptions>,
  fn: (client: RegistryClient, pushed: Pushed, proxy: Awaited<ReturnType<typeof startFaultProxy>>) => Promise<void>,
): Promise<void> {
  const { address, username, password } = world.require("auth-registry");
  await using image = await testImage(engine);
  const pushed = await pushImage(engine, image, address, { username, password, serveraddress: address });
  try {
    await using proxy = await startFaultProxy({ target: address, rules });
    await using client = await RegistryClient.connect({
      registry: proxy.address,
      credential: passwordCredential(username, password),
      insecure: true,
      retryBaseDelayMs: 5,
      ...options,
    });
    await fn(client, pushed, proxy);
  } finally {
    await deleteManifest(address, pushed.repository, pushed.digest, basicAuth(username, password));
  }
}

test("HTTP 500 twice on a manifest PUT, then the registry's answer: the put succeeds, on the third request", { skip }, () =>
  throughProxy([{ method: "PUT", path: /\/manifests\/2$/, times: 2, fault: { status: 500 } }], {}, async (client, pushed, proxy) => {
    const manifest = (await client.getManifest(pushed.repository, pushed.tag))!;
    assert.equal(await client.putManifest(pushed.repository, "2", manifest), pushed.digest);
    assert.deepEqual(
      proxy.requests.filter((r) => r.method === "PUT").map((r) => r.status),
      [500, 500, 201],
    );
  }));

test("a connection dropped before the answer, then the registry's answer: the read succeeds", { skip }, () =>
  throughProxy([{ method: "GET", path: /\/manifests\/1$/, fault: { dropAfterRequestBytes: 0 } }], {}, async (client, pushed, proxy) => {
    const manifest = await client.getManifest(pushed.repository, pushed.tag);
    assert.equal(manifest?.digest, pushed.digest);
    assert.deepEqual(
      proxy.requests.filter((r) => r.method === "GET" && r.path.endsWith("/manifests/1")).map((r) => r.status),
      ["dropped", 200],
    );
  }));

test("HTTP 429 with Retry-After is tried again", { skip }, () =>
  throughProxy([{ method: "HEAD", path: /\/manifests\/1$/, fault: { status: 429, retryAfterSeconds: 0 } }], {}, async (client, pushed, proxy) => {
    assert.equal(await client.manifestDigest(pushed.repository, pushed.tag), pushed.digest);
    assert.deepEqual(
      proxy.requests.filter((r) => r.method === "HEAD").map((r) => r.status),
      [429, 200],
    );
  }));

test("a registry that keeps answering 503: REGISTRY_SERVER_ERROR after the configured attempts, and no more requests", { skip }, () =>
  throughProxy([{ method: "HEAD", path: /\/manifests\/1$/, times: 100, fault: { status: 503 } }], { attempts: 3 }, async (client, pushed, proxy) => {
    const err = await client.manifestDigest(pushed.repository, pushed.tag).then(
      () => assert.fail("a 503 passed"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SlipwayError, String(err));
    assert.equal(err.code, "REGISTRY_SERVER_ERROR");
    assert.equal(err.exitCode, 6);
    assert.match(err.message, /HTTP 503 to HEAD .*manifests\/1, 3 times in a row/);
    assert.equal(proxy.requests.filter((r) => r.method === "HEAD").length, 3);
  }));

test("a 404 is an answer, not a failure: never tried again", { skip }, () =>
  throughProxy([], {}, async (client, pushed, proxy) => {
    assert.equal(await client.manifestDigest(pushed.repository, "absent"), undefined);
    assert.deepEqual(
      proxy.requests.filter((r) => r.method === "HEAD").map((r) => r.status),
      [404],
    );
  }));

test("a stalled registry: REGISTRY_STALLED saying how long it waited, and not tried again", { skip }, () =>
  throughProxy([{ method: "GET", path: /\/manifests\/1$/, fault: { stall: true } }], { stallTimeoutMs: 300 }, async (client, pushed, proxy) => {
    const err = await client.getManifest(pushed.repository, pushed.tag).then(
      () => assert.fail("a stalled request succeeded"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SlipwayError, String(err));
    assert.equal(err.code, "REGISTRY_STALLED");
    assert.equal(err.kind, "registry");
    assert.equal(err.exitCode, 6);
    assert.match(err.message, /sent nothing for 0\.3 s in answer to GET \/v2\/.*\/manifests\/1/);
    assert.deepEqual(
      proxy.requests.filter((r) => r.method === "GET" && r.path.endsWith("/manifests/1")).map((r) => r.status),
      ["stalled"],
    );
  }));
