/**
 * The registry client against the test world's basic-auth registry: the right credentials read
 * and tag; wrong ones, or none, end in REGISTRY_UNAUTHORIZED (exit code 6) naming the registry and
 * where the credentials came from, never their value.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SlipwayError } from "../../../src/errors/index.ts";
import type { Engine } from "../../../src/engine/index.ts";
import { RegistryClient } from "../../../src/registry/client.ts";
import { loadWorldSync } from "../../support/world.ts";
import { NO_CREDENTIAL, basicAuth, deleteManifest, passwordCredential, pushImage, readAndRetag, testImage, useEngine } from "./harness.ts";

const world = loadWorldSync();

let engine: Engine;
useEngine((e) => (engine = e));

test("with the right credentials: digest, manifest, config, a second tag and the config blob", { skip: world.skipReason("auth-registry") }, async () => {
  const { address, username, password } = world.require("auth-registry");
  await using image = await testImage(engine);
  const pushed = await pushImage(engine, image, address, { username, password, serveraddress: address });
  try {
    await using client = await RegistryClient.connect({ registry: address, credential: passwordCredential(username, password), insecure: true });
    await readAndRetag(client, pushed, image);
  } finally {
    await deleteManifest(address, pushed.repository, pushed.digest, basicAuth(username, password));
  }
});

test("a wrong password: REGISTRY_UNAUTHORIZED at connect, naming the registry and the credentials' source, exit code 6", { skip: world.skipReason("auth-registry") }, async () => {
  const { address, username, password } = world.require("auth-registry");
  const wrong = `${password}-wrong`;
  const source = "DOCKER_CONFIG /root/.docker/config.json (auths)";
  const err = await RegistryClient.connect({ registry: address, credential: passwordCredential(username, wrong, source), insecure: true }).then(
    () => assert.fail("connected with a wrong password"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SlipwayError, String(err));
  assert.equal(err.code, "REGISTRY_UNAUTHORIZED");
  assert.equal(err.kind, "registry");
  assert.equal(err.exitCode, 6);
  assert.ok(err.message.includes(address), err.message);
  assert.ok(err.message.includes(`with the credentials from ${source}`), err.message);
  assert.match(err.hint ?? "", new RegExp(`slipway login ${address.replace(/\./g, "\\.")}`));
  const everything = JSON.stringify(err.toJSON()) + String(err.stack);
  assert.ok(!everything.includes(wrong) && !everything.includes(password), "no password in the error");
  assert.ok(!everything.includes(Buffer.from(`${username}:${wrong}`).toString("base64")), "no Authorization header in the error");
});

test("no credentials: connect succeeds (nothing to check), the first read says 'without credentials'", { skip: world.skipReason("auth-registry") }, async () => {
  const { address } = world.require("auth-registry");
  await using client = await RegistryClient.connect({ registry: address, credential: NO_CREDENTIAL, insecure: true });
  const err = await client.manifestDigest("slipway-test/anything", "1").then(
    () => assert.fail("read without credentials"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SlipwayError, String(err));
  assert.equal(err.code, "REGISTRY_UNAUTHORIZED");
  assert.match(err.message, /without credentials/);
  assert.match(err.hint ?? "", /slipway login/);
});
