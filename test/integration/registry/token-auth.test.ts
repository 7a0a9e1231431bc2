/**
 * The registry client against the test world's token registry (the real registry program, Bearer
 * tokens from test/support/token-issuer.ts, which this file runs): the engine pushes through the
 * issuer with its own token dance, the client reads and tags with tokens per repository and
 * actions, reused while they last; an identity token is exchanged as an OAuth2 refresh token;
 * refusals name the credentials' source.
 *
 * The registry names one realm (127.0.0.1:5005), so the issuer's tests all live in this file.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { SlipwayError } from "../../../src/errors/index.ts";
import { EventBus } from "../../../src/events/index.ts";
import { publishImage } from "../../../src/publish/publisher.ts";
import type { PlannedTag } from "../../../src/tags/tag-plan.ts";
import type { Engine } from "../../../src/engine/index.ts";
import { RegistryClient } from "../../../src/registry/client.ts";
import { startTokenIssuer, type StartedTokenIssuer } from "../../support/token-issuer.ts";
import { loadWorldSync } from "../../support/world.ts";
import { NO_CREDENTIAL, deleteManifest, passwordCredential, pushImage, readAndRetag, testImage, useEngine, type Pushed } from "./harness.ts";

const world = loadWorldSync();
const skip = world.skipReason("token-registry");

let engine: Engine;
useEngine((e) => (engine = e));

let issuer: StartedTokenIssuer;
before(async () => {
  if (skip) return;
  const token = world.require("token-registry");
  issuer = await startTokenIssuer({
    port: Number(new URL(token.realm).port),
    users: { [token.username]: token.password },
    keyFile: token.issuerKey,
    certFile: token.issuerCert,
    issuer: token.issuer,
    service: token.service,
  });
});
after(async () => {
  await issuer?.close();
});

async function removePushed(address: string, pushed: Pushed): Promise<void> {
  const bearer = `Bearer ${issuer.mint("cleanup", [{ type: "repository", name: pushed.repository, actions: ["pull", "delete"] }])}`;
  await deleteManifest(address, pushed.repository, pushed.digest, bearer);
}

test("the engine pushes through the token issuer; the client reads and tags with a token per scope, asked for once", { skip }, async () => {
  const { address, username, password } = world.require("token-registry");
  await using image = await testImage(engine);
  const pushed = await pushImage(engine, image, address, { username, password, serveraddress: address });
  try {
    const scope = (actions: string) => `repository:${pushed.repository}:${actions}`;
    // The engine (20.10) asks with basic auth for "push,pull", without a client_id.
    const engineAsked = issuer.requests.filter((r) => r.clientId !== "slipway" && r.scopes.some((s) => s.startsWith(`repository:${pushed.repository}:`) && s.includes("push")));
    assert.ok(engineAsked.length > 0, `the engine got its push token here: ${JSON.stringify(issuer.requests)}`);
    assert.ok(engineAsked.every((r) => r.subject === username && r.status === 200));

    const before = issuer.requests.length;
    await using client = await RegistryClient.connect({ registry: address, credential: passwordCredential(username, password), insecure: true });
    await readAndRetag(client, pushed, image);
    const ours = issuer.requests.slice(before).filter((r) => r.clientId === "slipway");
    assert.deepEqual(
      ours.map((r) => ({ grant: r.grant, subject: r.subject, scopes: r.scopes, status: r.status })).slice(0, 3),
      [
        { grant: "basic", subject: username, scopes: [], status: 200 },
        { grant: "basic", subject: username, scopes: [scope("pull")], status: 200 },
        { grant: "basic", subject: username, scopes: [scope("pull,push")], status: 200 },
      ],
      "connect checks the credentials; then one token for the reads, one for the put (which serves the reads after it)",
    );
    // readAndRetag's last read is of another repository: its own token.
    assert.equal(ours.length, 4, JSON.stringify(ours));
    assert.match(ours[3]!.scopes[0] ?? "", /^repository:slipway-test\/.*absent.*:pull$/);
  } finally {
    await removePushed(address, pushed);
  }
});

test("an identity token is exchanged at the token service as an OAuth2 refresh token", { skip }, async () => {
  const { address, username, password } = world.require("token-registry");
  await using image = await testImage(engine);
  const pushed = await pushImage(engine, image, address, { username, password, serveraddress: address });
  try {
    // What `docker login` stores as identitytoken: a refresh token from the password grant.
    const login = await fetch(issuer.realm, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "password", username, password, service: world.require("token-registry").service, access_type: "offline", client_id: "test" }).toString(),
    });
    const { refresh_token: identityToken } = (await login.json()) as { refresh_token: string };
    assert.ok(identityToken);
    const before = issuer.requests.length;
    await using client = await RegistryClient.connect({ registry: address, credential: { identityToken, source: "DOCKER_CONFIG /root/.docker/config.json (auths)" }, insecure: true });
    assert.equal(await client.manifestDigest(pushed.repository, pushed.tag), pushed.digest);
    const ours = issuer.requests.slice(before);
    assert.ok(ours.length > 0 && ours.every((r) => r.method === "POST" && r.grant === "refresh_token" && r.subject === username && r.clientId === "slipway" && r.status === 200), JSON.stringify(ours));
  } finally {
    await removePushed(address, pushed);
  }
});

test("a wrong password: the token service refuses at connect; REGISTRY_UNAUTHORIZED names the source, never the password", { skip }, async () => {
  const { address, username, password } = world.require("token-registry");
  const source = "environment SLIPWAY_REGISTRY_USER / SLIPWAY_REGISTRY_PASSWORD";
  const err = await RegistryClient.connect({ registry: address, credential: passwordCredential(username, `${password}-wrong`, source), insecure: true }).then(
    () => assert.fail("connected with a wrong password"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SlipwayError, String(err));
  assert.equal(err.code, "REGISTRY_UNAUTHORIZED");
  assert.equal(err.exitCode, 6);
  assert.ok(err.message.includes(`${address}'s token service (${issuer.realm})`), err.message);
  assert.ok(err.message.includes(`with the credentials from ${source}`), err.message);
  assert.ok(!JSON.stringify(err.toJSON()).includes(password), "no password in the error");
  assert.equal(issuer.requests.at(-1)?.status, 401);
});

test("no credentials: an anonymous token, which the registry refuses; the error says 'without credentials'", { skip }, async () => {
  const { address } = world.require("token-registry");
  await using client = await RegistryClient.connect({ registry: address, credential: NO_CREDENTIAL, insecure: true });
  const err = await client.manifestDigest("slipway-test/anything", "1").then(
    () => assert.fail("read without credentials"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SlipwayError, String(err));
  assert.equal(err.code, "REGISTRY_UNAUTHORIZED");
  assert.match(err.message, /refused HEAD \/v2\/slipway-test\/anything\/manifests\/1 without credentials: HTTP 401/);
  assert.match(err.message, /insufficient_scope/);
  assert.equal(issuer.requests.at(-1)?.grant, "anonymous");
});

test("publishImage through the token registry: the engine's staging push and the client's tag puts both get their tokens; every tag on the image", { skip }, async () => {
  const { address, username, password } = world.require("token-registry");
  await using image = await testImage(engine);
  const repository = `it-publish-token-${randomBytes(4).toString("hex")}`;
  const planned: PlannedTag[] = [
    { tag: "abcdef0", rule: "short-commit", why: "commit", moving: false },
    { tag: "latest", rule: "latest", why: "default branch", moving: true },
  ];
  const result = await publishImage({
    engine,
    events: new EventBus(),
    signal: new AbortController().signal,
    image: { name: "app", imageId: image.id },
    registry: address,
    repository,
    tags: planned,
    runId: `it-${randomBytes(4).toString("hex")}`,
    credential: passwordCredential(username, password),
  });
  await using client = await RegistryClient.connect({ registry: address, credential: passwordCredential(username, password), insecure: true });
  for (const { tag } of planned) assert.equal(await client.manifestDigest(repository, tag), result.digest, tag);
  assert.equal((await client.imageConfig(repository, "latest"))?.configDigest, image.id);
});
