/**
 * publishImage against a scripted engine (its push writes the staging manifest into the registry
 * stand-in) and an in-memory registry on a loopback port: what it asks the registry, in which
 * order, and what waits on what. The real engine and registry: test/integration/publish.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Engine } from "../engine/index.ts";
import { EventBus } from "../events/index.ts";
import { MEDIA_TYPES } from "../registry/client.ts";
import type { PlannedTag } from "../tags/tag-plan.ts";
import { publishImage, stagingTag } from "./publisher.ts";

const sha256 = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const USER = "ci";
const PASSWORD = "s3cret-pw";
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;

interface Seen {
  method: string;
  path: string;
  /** ms since the registry started, when the request's body had arrived. */
  at: number;
}

/** A registry with basic auth that keeps manifests in memory, by tag and by digest. */
async function memoryRegistry() {
  const manifests = new Map<string, Buffer>();
  const seen: Seen[] = [];
  const t0 = performance.now();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method!, path: req.url!, at: performance.now() - t0 });
      if (req.headers.authorization !== BASIC) return void res.writeHead(401, { "www-authenticate": 'Basic realm="memory"', "content-type": "application/json" }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      if (req.url === "/v2/") return void res.writeHead(200, { "content-type": "application/json" }).end("{}");
      const m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(req.url!);
      if (!m) return void res.writeHead(404).end();
      const key = `${m[1]}@${m[2]}`;
      if (req.method === "PUT") {
        const body = Buffer.concat(chunks);
        manifests.set(key, body);
        manifests.set(`${m[1]}@${sha256(body)}`, body);
        return void res.writeHead(201, { "docker-content-digest": sha256(body) }).end();
      }
      const body = manifests.get(key);
      if (!body) return void res.writeHead(404, { "content-type": "application/json" }).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
      res.writeHead(200, { "content-type": MEDIA_TYPES.dockerManifest, "docker-content-digest": sha256(body), "content-length": String(body.length) }).end(req.method === "HEAD" ? undefined : body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    manifests,
    seen,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An engine whose push puts `manifest` under the staging tag; the staging tag's removal waits for `untag`. */
function scriptedEngine(registry: { manifests: Map<string, Buffer> }, repository: string, manifest: Buffer, untag: Promise<void>) {
  const calls: string[] = [];
  const engine = {
    system: { info: async () => ({ RegistryConfig: { InsecureRegistryCIDRs: ["127.0.0.0/8"], IndexConfigs: {} } }) },
    images: {
      tag: async (_source: string, target: string) => void calls.push(`tag ${target}`),
      push: async (ref: string) => {
        calls.push(`push ${ref}`);
        const tag = ref.slice(ref.lastIndexOf(":") + 1);
        registry.manifests.set(`${repository}@${tag}`, manifest);
        registry.manifests.set(`${repository}@${sha256(manifest)}`, manifest);
        return [{ status: "Pushed" }, { aux: { Tag: tag, Digest: sha256(manifest), Size: manifest.length } }];
      },
      remove: async (ref: string) => {
        calls.push(`remove ${ref}`);
        await untag;
        calls.push(`removed ${ref}`);
      },
    },
  };
  return { engine: engine as unknown as Engine, calls };
}

const TAGS: PlannedTag[] = [
  { tag: "abc1234", rule: "short-commit", why: "commit", moving: false },
  { tag: "1.2.3", rule: "semver", why: "v1.2.3", moving: false, version: "1.2.3" },
  { tag: "1.2", rule: "semver-minor", why: "v1.2.3", moving: true, version: "1.2.3" },
  { tag: "1", rule: "semver-major", why: "v1.2.3", moving: true, version: "1.2.3" },
  { tag: "latest", rule: "latest", why: "release", moving: true, version: "1.2.3" },
];

test("a cold publish: the registry requests, in order; the staging name's local removal holds up none of them, and is done before publishImage returns", async () => {
  await using registry = await memoryRegistry();
  const imageId = sha256('{"config":{}}');
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.dockerManifest, config: { mediaType: "application/vnd.docker.container.image.v1+json", digest: imageId, size: 13 }, layers: [] }));
  let releaseUntag!: () => void;
  const untag = new Promise<void>((resolve) => (releaseUntag = resolve));
  const { engine, calls } = scriptedEngine(registry, "team/app", manifest, untag);
  const runId = "20261206-000000-abcdef";

  let returned = false;
  const publishing = publishImage({
    engine,
    events: new EventBus(),
    signal: new AbortController().signal,
    image: { name: "app", imageId, version: "1.2.3" },
    registry: registry.address,
    repository: "team/app",
    tags: TAGS,
    runId,
    credential: { username: USER, password: PASSWORD, source: "test" },
  }).finally(() => (returned = true));

  // Every tag is put and read back while the engine is still removing the staging name.
  const tagPaths = TAGS.map((t) => `/v2/team/app/manifests/${t.tag}`);
  const deadline = Date.now() + 10_000;
  while (registry.seen.filter((s) => s.method === "HEAD" && tagPaths.includes(s.path)).length < 10) {
    assert.ok(Date.now() < deadline, `the tags were not put while the staging name was being removed: ${JSON.stringify(registry.seen.map((s) => `${s.method} ${s.path}`))}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(!returned, "publishImage returned before the tags were read back");
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(returned, false, "publishImage waits for the staging name's removal");
  assert.deepEqual(calls.slice(-1), [`remove ${registry.address}/team/app:${stagingTag(runId)}`]);
  releaseUntag();
  const result = await publishing;
  assert.equal(result.digest, sha256(manifest));
  assert.equal(calls.at(-1), `removed ${registry.address}/team/app:${stagingTag(runId)}`);

  const requests = registry.seen.map((s) => `${s.method} ${s.path.replace(`sha256:${sha256(manifest).slice(7)}`, "<digest>")}`);
  const heads = TAGS.map((t) => `HEAD /v2/team/app/manifests/${t.tag}`);
  assert.deepEqual(requests.slice(0, 2), ["GET /v2/", "GET /v2/"], "connect: the challenge, then the credentials checked");
  assert.deepEqual(requests.slice(2, 7).sort(), [...heads].sort(), "every tag read before the push");
  assert.deepEqual(requests.slice(7, 13), ["GET /v2/team/app/manifests/<digest>", ...TAGS.map((t) => `PUT /v2/team/app/manifests/${t.tag}`)], "the pushed manifest checked, then the tags put one by one, latest last");
  assert.deepEqual(requests.slice(13).sort(), [...heads].sort(), "each tag read back");
  assert.equal(requests.length, 18, "2 × GET /v2/, 5 reads, the manifest by digest, 5 puts, 5 read-backs");
});
