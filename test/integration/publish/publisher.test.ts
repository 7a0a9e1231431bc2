/**
 * Publishing against the test world's basic-auth registry, through a fault-injecting proxy where a
 * test needs the registry to fail: every tag verified by digest, the staging tag first and
 * `latest` last, nothing tagged when a push breaks, tags that existed put back when a tag put
 * fails midway, an exact version never moved, a refused password named by its source.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { builtImageId, tarFromEntries } from "../../../src/engine/streams/index.ts";
import { SlipwayError } from "../../../src/errors/index.ts";
import { EventBus } from "../../../src/events/index.ts";
import { publishImage, stagingTag } from "../../../src/publish/publisher.ts";
import { RegistryClient } from "../../../src/registry/client.ts";
import type { RegistryCredential } from "../../../src/registry/types.ts";
import type { PlannedTag } from "../../../src/tags/tag-plan.ts";
import { startFaultProxy } from "../../support/fault-proxy.ts";
import { loadWorldSync } from "../../support/world.ts";

const world = loadWorldSync();
const skip = world.skipReason("auth-registry", "image:busybox:latest");
const LABEL = "dev.slipway.test";

interface TestImage extends AsyncDisposable {
  id: string;
  version: string;
}

async function image(engine: Engine, version: string): Promise<TestImage> {
  const nonce = randomBytes(6).toString("hex");
  const messages = await engine.images.build({
    context: await tarFromEntries([{ name: "Dockerfile", content: `FROM busybox:latest\nLABEL org.opencontainers.image.version=${version}\nRUN echo ${nonce} > /nonce\n` }]),
    labels: { [LABEL]: "publish" },
    builder: "classic",
  });
  const id = builtImageId(messages)!;
  return { id, version, [Symbol.asyncDispose]: async () => void (await engine.images.remove(id, { force: true }).catch(() => undefined)) };
}

function tags(version: string, commit: string): PlannedTag[] {
  const [major, minor] = version.split(".");
  return [
    { tag: commit, rule: "short-commit", why: "commit", moving: false },
    { tag: version, rule: "semver", why: `v${version}`, moving: false, version },
    { tag: `${major}.${minor}`, rule: "semver-minor", why: `v${version}`, moving: true, version },
    { tag: major!, rule: "semver-major", why: `v${version}`, moving: true, version },
    { tag: "latest", rule: "latest", why: "release", moving: true, version },
  ];
}

async function setup() {
  const registry = world.require("auth-registry");
  const engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const credential: RegistryCredential = { username: registry.username, password: registry.password, source: "the test world's user" };
  const repository = `it-publish-${randomBytes(4).toString("hex")}`;
  const client = await RegistryClient.connect({ registry: registry.address, credential, insecure: true });
  const publish = (img: TestImage, planned: PlannedTag[], extra: { registry?: string; force?: boolean; dryRun?: boolean; credential?: RegistryCredential } = {}) =>
    publishImage({
      engine,
      events: new EventBus(),
      signal: new AbortController().signal,
      image: { name: "app", imageId: img.id, version: img.version },
      registry: extra.registry ?? registry.address,
      repository,
      tags: planned,
      runId: `it-${randomBytes(4).toString("hex")}`,
      credential: extra.credential ?? credential,
      ...(extra.force ? { force: true } : {}),
      ...(extra.dryRun ? { dryRun: true } : {}),
      client: { attempts: 2, stallTimeoutMs: 5_000 },
    });
  const at = async (tag: string) => client.manifestDigest(repository, tag);
  return {
    registry,
    engine,
    repository,
    client,
    publish,
    at,
    async [Symbol.asyncDispose]() {
      await client.close();
      await engine.close();
    },
  };
}

test("publish: a dry run changes nothing; then every tag is on the image, verified by digest, the staging tag pushed first and latest put last", { skip }, async () => {
  await using t = await setup();
  await using a = await image(t.engine, "1.0.0");
  const planned = tags("1.0.0", "aaaaaaa");
  await using proxy = await startFaultProxy({ target: t.registry.address });

  const dry = await t.publish(a, planned, { dryRun: true, registry: proxy.address });
  assert.deepEqual(dry.decisions.map((d) => d.action), ["create", "create", "create", "create", "create"]);
  assert.equal(dry.digest, undefined);
  assert.ok(!proxy.requests.some((r) => r.method !== "GET" && r.method !== "HEAD"), `a dry run only reads: ${JSON.stringify(proxy.requests)}`);
  for (const p of planned) assert.equal(await t.at(p.tag), undefined);

  const result = await t.publish(a, planned, { registry: proxy.address });
  assert.match(result.digest!, /^sha256:[0-9a-f]{64}$/);
  for (const p of planned) assert.equal(await t.at(p.tag), result.digest, p.tag);
  const config = await t.client.imageConfig(t.repository, "latest");
  assert.equal(config?.configDigest, a.id, "the registry holds exactly the local image");
  // The order the registry saw: the engine's push (blobs, then the staging manifest), then the tags, latest last.
  const manifestPuts = proxy.requests.filter((r) => r.method === "PUT" && r.path.includes("/manifests/")).map((r) => r.path.split("/manifests/")[1]);
  assert.deepEqual(manifestPuts, [stagingTag(result.staging.split(":").at(-1)!.slice("slipway-staging-".length)), "aaaaaaa", "1.0.0", "1.0", "1", "latest"]);
  const firstTagPut = proxy.requests.findIndex((r) => r.method === "PUT" && r.path.endsWith("/manifests/aaaaaaa"));
  assert.ok(proxy.requests.slice(firstTagPut).every((r) => !r.path.includes("/blobs/uploads")), "every blob was up before the first consumer tag");

  // Again: every tag already on the image, nothing put.
  const again = await t.publish(a, planned);
  assert.deepEqual(again.decisions.map((d) => d.action), ["unchanged", "unchanged", "unchanged", "unchanged", "unchanged"]);
});

test("publish: a registry answering 500 to latest's PUT leaves latest and every tag that existed on the previous image, names the new ones left, exit 6", { skip }, async () => {
  await using t = await setup();
  await using a = await image(t.engine, "1.0.0");
  await using b = await image(t.engine, "1.1.0");
  const before = await t.publish(a, tags("1.0.0", "aaaaaaa"));
  await using proxy = await startFaultProxy({ target: t.registry.address, rules: [{ method: "PUT", path: /\/manifests\/latest$/, times: 100, fault: { status: 500 } }] });

  const failure = await t.publish(b, tags("1.1.0", "bbbbbbb"), { registry: proxy.address }).then(
    () => assert.fail("published through a registry refusing latest"),
    (e: unknown) => e,
  );
  assert.ok(failure instanceof SlipwayError, String(failure));
  assert.equal(failure.code, "PUBLISH_INCOMPLETE");
  assert.equal(failure.exitCode, 6);
  assert.match(failure.message, /failed at tag latest/);
  assert.match(failure.message, /restored to their previous images: 1 \(/);
  assert.match(failure.message, /new, left on [0-9a-f]{12} \(the registry API cannot remove a tag\): 1\.1, 1\.1\.0, bbbbbbb/);
  assert.match(failure.message, /not put, left as they were: latest/);
  // What consumers follow still names the previous release.
  assert.equal(await t.at("latest"), before.digest);
  assert.equal(await t.at("1"), before.digest);
  assert.equal(await t.at("1.0.0"), before.digest);
});

test("publish: a connection dropped in the middle of the push leaves no consumer tag on the new image", { skip }, async () => {
  await using t = await setup();
  await using a = await image(t.engine, "2.0.0");
  await using proxy = await startFaultProxy({ target: t.registry.address, rules: [{ path: /\/blobs\/uploads\//, method: "PATCH", times: 1000, fault: { dropAfterRequestBytes: 512 } }] });
  const failure = await t.publish(a, tags("2.0.0", "ccccccc"), { registry: proxy.address }).then(
    () => assert.fail("published through a registry dropping every upload"),
    (e: unknown) => e,
  );
  assert.ok(failure instanceof SlipwayError, String(failure));
  assert.equal(failure.exitCode, 6);
  for (const tag of ["ccccccc", "2.0.0", "2.0", "2", "latest"]) assert.equal(await t.at(tag), undefined, tag);
  assert.ok(proxy.requests.some((r) => r.fault && r.status === "dropped"));
});

test("publish: an exact version that names another image is refused before anything is pushed; --force moves it", { skip }, async () => {
  await using t = await setup();
  await using a = await image(t.engine, "3.0.0");
  await using b = await image(t.engine, "3.0.0");
  const first = await t.publish(a, tags("3.0.0", "ddddddd"));
  await using proxy = await startFaultProxy({ target: t.registry.address });
  const refused = await t.publish(b, tags("3.0.0", "eeeeeee"), { registry: proxy.address }).then(
    () => assert.fail("moved an exact version"),
    (e: unknown) => e,
  );
  assert.ok(refused instanceof SlipwayError, String(refused));
  assert.equal(refused.code, "TAG_WOULD_MOVE");
  assert.match(refused.message, /3\.0\.0 already names image [0-9a-f]{12} \(version 3\.0\.0\)/);
  assert.ok(!proxy.requests.some((r) => r.method === "POST" || r.method === "PUT" || r.method === "PATCH"), "nothing was pushed");
  assert.equal(await t.at("3.0.0"), first.digest);
  const forced = await t.publish(b, tags("3.0.0", "eeeeeee"), { force: true });
  assert.equal(await t.at("3.0.0"), forced.digest);
  assert.notEqual(forced.digest, first.digest);
});

test("publish: a wrong password is refused with the credential's source named, never its value", { skip }, async () => {
  await using t = await setup();
  await using a = await image(t.engine, "4.0.0");
  const secret = `wrong-${randomBytes(6).toString("hex")}`;
  const failure = await t.publish(a, tags("4.0.0", "fffffff"), { credential: { username: t.registry.username, password: secret, source: "environment E2E_USER / E2E_PASSWORD" } }).then(
    () => assert.fail("published with a wrong password"),
    (e: unknown) => e,
  );
  assert.ok(failure instanceof SlipwayError, String(failure));
  assert.equal(failure.exitCode, 6);
  assert.match(failure.message, /environment E2E_USER \/ E2E_PASSWORD/);
  assert.ok(!`${failure.message} ${failure.hint ?? ""}`.includes(secret));
});

test("publish: to a registry without auth, without credentials", { skip: world.skipReason("plain-registry", "image:busybox:latest") }, async () => {
  const { address } = world.require("plain-registry");
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  await using img = await image(engine, "5.0.0");
  const repository = `it-publish-plain-${randomBytes(4).toString("hex")}`;
  const planned = tags("5.0.0", "0000000");
  const result = await publishImage({
    engine,
    events: new EventBus(),
    signal: new AbortController().signal,
    image: { name: "app", imageId: img.id, version: img.version },
    registry: address,
    repository,
    tags: planned,
    runId: `it-${randomBytes(4).toString("hex")}`,
    credential: { source: "none" },
  });
  await using client = await RegistryClient.connect({ registry: address, credential: { source: "none" }, insecure: true });
  for (const p of planned) assert.equal(await client.manifestDigest(repository, p.tag), result.digest, p.tag);
});
