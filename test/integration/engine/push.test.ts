/**
 * Push to the test world's basic-auth registry. A push that fails inside the progress stream
 * (HTTP 200, then an `errorDetail`) must reject: docker-modem's followProgress swallows exactly
 * this, and a CD tool that reports a failed publish as done is worse than one that crashes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SlipwayError } from "../../../src/errors/index.ts";
import { Engine, endpointFromEnv, type ProgressMessage } from "../../../src/engine/index.ts";
import { pushedDigest } from "../../../src/engine/streams/index.ts";
import { loadWorldSync } from "../../support/world.ts";
import { basicAuth, deleteManifest, uniqueName, BUSYBOX, useEngine } from "./harness.ts";

const world = loadWorldSync();

let engine: Engine;
useEngine((e) => (engine = e));

interface TempTag extends AsyncDisposable {
  ref: string;
  repo: string;
}

/** Tags busybox under a unique name in `registry`; untags on dispose (busybox itself stays). */
async function tempTag(registry: string): Promise<TempTag> {
  const repo = `slipway-test/${uniqueName("push")}`;
  const ref = `${registry}/${repo}:1`;
  await engine.images.tag(BUSYBOX, ref);
  return {
    ref,
    repo,
    async [Symbol.asyncDispose]() {
      await engine.images.remove(ref);
    },
  };
}

test("push with the right credentials succeeds; the digest is reported and the registry has the tag", { skip: world.skipReason("auth-registry") }, async () => {
  const auth = world.require("auth-registry");
  await using tag = await tempTag(auth.address);
  const seen: ProgressMessage[] = [];
  const messages = await engine.images.push(tag.ref, {
    auth: { username: auth.username, password: auth.password, serveraddress: auth.address },
    onProgress: (m) => seen.push(m),
  });
  const digest = pushedDigest(messages, "1");
  assert.match(digest ?? "", /^sha256:[0-9a-f]{64}$/, JSON.stringify(messages));
  assert.deepEqual(seen, messages);
  try {
    const tags = await fetch(`http://${auth.address}/v2/${tag.repo}/tags/list`, { headers: { authorization: basicAuth(auth.username, auth.password) } });
    assert.equal(tags.status, 200);
    assert.deepEqual(await tags.json(), { name: tag.repo, tags: ["1"] });
    // The registry serves the manifest under the digest the push reported.
    const manifest = await fetch(`http://${auth.address}/v2/${tag.repo}/manifests/1`, {
      method: "HEAD",
      headers: {
        authorization: basicAuth(auth.username, auth.password),
        accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
      },
    });
    assert.equal(manifest.headers.get("docker-content-digest"), digest);
    // Without credentials the registry refuses: the tag really is behind auth.
    const anonymous = await fetch(`http://${auth.address}/v2/${tag.repo}/tags/list`);
    await anonymous.arrayBuffer();
    assert.equal(anonymous.status, 401);
  } finally {
    if (digest) await deleteManifest(auth.address, tag.repo, digest, auth);
  }
});

test("push with a wrong password rejects with kind registry (the in-stream error is not swallowed)", { skip: world.skipReason("auth-registry") }, async () => {
  const auth = world.require("auth-registry");
  await using tag = await tempTag(auth.address);
  const seen: ProgressMessage[] = [];
  const err = await engine.images
    .push(tag.ref, {
      auth: { username: auth.username, password: `${auth.password}-wrong`, serveraddress: auth.address },
      onProgress: (m) => seen.push(m),
    })
    .then(
      () => assert.fail("a push with a wrong password succeeded"),
      (e: unknown) => e,
    );
  assert.ok(err instanceof SlipwayError, String(err));
  assert.equal(err.kind, "registry");
  assert.equal(err.code, "PUSH_FAILED");
  assert.match(err.message, /unauthorized|authentication required/i);
  // The failure came inside the stream: progress had started before it.
  assert.ok(seen.some((m) => m.status?.startsWith("The push refers to repository")), JSON.stringify(seen));
  const tags = await fetch(`http://${auth.address}/v2/${tag.repo}/tags/list`, { headers: { authorization: basicAuth(auth.username, auth.password) } });
  await tags.arrayBuffer();
  assert.equal(tags.status, 404, "nothing was pushed");
});

test("push without credentials to the auth registry rejects with kind registry", { skip: world.skipReason("auth-registry") }, async () => {
  const auth = world.require("auth-registry");
  await using tag = await tempTag(auth.address);
  await assert.rejects(engine.images.push(tag.ref), (e: unknown) => {
    assert.ok(e instanceof SlipwayError, String(e));
    assert.equal(e.kind, "registry");
    return true;
  });
});

test("the client's trace never carries credentials (X-Registry-Auth), at any level", { skip: world.skipReason("auth-registry") }, async () => {
  const auth = world.require("auth-registry");
  const traces: unknown[] = [];
  const traced = await Engine.connect({ endpoint: endpointFromEnv(process.env), trace: (record) => traces.push(record) });
  try {
    await using tag = await tempTag(auth.address);
    const messages = await traced.images.push(tag.ref, { auth: { username: auth.username, password: auth.password, serveraddress: auth.address } });
    const digest = pushedDigest(messages);
    if (digest) await deleteManifest(auth.address, tag.repo, digest, auth);
  } finally {
    await traced.close();
  }
  const text = JSON.stringify(traces);
  assert.ok(traces.length > 0, "the push was traced");
  assert.ok(!text.includes(auth.password), "no password");
  const header = Buffer.from(JSON.stringify({ username: auth.username, password: auth.password, serveraddress: auth.address })).toString("base64");
  assert.ok(!text.includes(header.slice(0, 16)), "no encoded auth header");
});
