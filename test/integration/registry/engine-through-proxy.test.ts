/**
 * The engine pushes through test/support/fault-proxy.ts, as publish tests will have it do: uploads
 * come back through the proxy (their Location names it), and a connection the proxy drops mid
 * blob upload is one the engine recovers from (its own retry, after 5 s: this file's duration).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Engine } from "../../../src/engine/index.ts";
import { RegistryClient } from "../../../src/registry/client.ts";
import { startFaultProxy } from "../../support/fault-proxy.ts";
import { loadWorldSync } from "../../support/world.ts";
import { basicAuth, deleteManifest, passwordCredential, pushImage, testImage, useEngine } from "./harness.ts";

const world = loadWorldSync();
const skip = world.skipReason("auth-registry");

let engine: Engine;
useEngine((e) => (engine = e));

test("the engine pushes through the proxy (uploads included), and the client reads through it", { skip }, async () => {
  const { address, username, password } = world.require("auth-registry");
  await using image = await testImage(engine);
  await using proxy = await startFaultProxy({ target: address });
  const pushed = await pushImage(engine, image, proxy.address, { username, password, serveraddress: proxy.address });
  try {
    const uploads = proxy.requests.filter((r) => /\/blobs\/uploads\//.test(r.path));
    assert.ok(uploads.some((r) => r.method === "POST") && uploads.some((r) => r.method === "PUT" && r.status === 201), JSON.stringify(proxy.requests));
    assert.ok(proxy.requests.some((r) => r.method === "PUT" && r.path === `/v2/${pushed.repository}/manifests/1` && r.status === 201));
    await using client = await RegistryClient.connect({ registry: proxy.address, credential: passwordCredential(username, password), insecure: true });
    assert.equal(await client.manifestDigest(pushed.repository, pushed.tag), pushed.digest);
    assert.equal((await client.imageConfig(pushed.repository, pushed.tag))?.configDigest, image.id);
  } finally {
    await deleteManifest(address, pushed.repository, pushed.digest, basicAuth(username, password));
  }
});

test("a connection dropped mid blob upload: the engine uploads the layer again and the push succeeds", { skip }, async () => {
  const { address, username, password } = world.require("auth-registry");
  await using image = await testImage(engine);
  // The image's own layer is 2 KiB of random bytes (compressed, about as much): dropped after 512.
  await using proxy = await startFaultProxy({ target: address, rules: [{ method: "PATCH", path: /\/blobs\/uploads\//, fault: { dropAfterRequestBytes: 512 } }] });
  const pushed = await pushImage(engine, image, proxy.address, { username, password, serveraddress: proxy.address });
  try {
    const patches = proxy.requests.filter((r) => r.method === "PATCH").map((r) => r.status);
    assert.equal(patches[0], "dropped", JSON.stringify(proxy.requests));
    assert.ok(patches.slice(1).length > 0 && patches.slice(1).every((s) => s === 202), JSON.stringify(patches));
    await using client = await RegistryClient.connect({ registry: address, credential: passwordCredential(username, password), insecure: true });
    assert.equal((await client.imageConfig(pushed.repository, pushed.tag))?.configDigest, image.id);
  } finally {
    await deleteManifest(address, pushed.repository, pushed.digest, basicAuth(username, password));
  }
});
