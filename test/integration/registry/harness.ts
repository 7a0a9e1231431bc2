/**
 * What the registry client's integration tests share: a small image of their own (one unique
 * layer, so that a push really uploads a blob and never collides with a parallel test's), pushed
 * by the engine under a unique repository, and removed from the engine and the registry afterwards.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import type { Engine, RegistryAuth } from "../../../src/engine/index.ts";
import { builtImageId, pushedDigest, tarFromEntries } from "../../../src/engine/streams/index.ts";
import { MEDIA_TYPES, type RegistryClient } from "../../../src/registry/client.ts";
import type { RegistryCredential } from "../../../src/registry/types.ts";
import { testLabels, uniqueName } from "../engine/harness.ts";

export { useEngine, uniqueName, basicAuth } from "../engine/harness.ts";

export const VERSION_LABEL = "org.opencontainers.image.version";

export interface TestImage extends AsyncDisposable {
  /** The image ID: the config digest a registry holds for it. */
  id: string;
  labels: Record<string, string>;
  created: string;
}

/** `FROM scratch`, one file of random bytes and a version label: built in a moment, unique. */
export async function testImage(engine: Engine): Promise<TestImage> {
  const version = `1.${randomBytes(2).readUInt16BE()}.0`;
  const messages = await engine.images.build({
    context: await tarFromEntries([
      { name: "Dockerfile", content: `FROM scratch\nCOPY payload /payload\nLABEL ${VERSION_LABEL}=${version}\n` },
      { name: "payload", content: randomBytes(2048) },
    ]),
    labels: testLabels(),
  });
  const id = builtImageId(messages);
  assert.ok(id, `no image id in ${JSON.stringify(messages)}`);
  const inspected = await engine.images.inspect(id);
  return {
    id: inspected.Id,
    labels: inspected.Config?.Labels ?? {},
    created: inspected.Created,
    async [Symbol.asyncDispose]() {
      await engine.images.remove(inspected.Id, { force: true });
    },
  };
}

export interface Pushed {
  repository: string;
  tag: string;
  /** The manifest digest the engine reported. */
  digest: string;
}

/** Tags `image` as `<registry>/slipway-test/<unique>:1` and pushes it through the engine. */
export async function pushImage(engine: Engine, image: TestImage, registry: string, auth?: RegistryAuth): Promise<Pushed> {
  const repository = `slipway-test/${uniqueName("registry")}`;
  const tag = "1";
  const ref = `${registry}/${repository}:${tag}`;
  await engine.images.tag(image.id, ref);
  const messages = await engine.images.push(ref, auth ? { auth } : {});
  const digest = pushedDigest(messages, tag);
  assert.match(digest ?? "", /^sha256:[0-9a-f]{64}$/, JSON.stringify(messages));
  return { repository, tag, digest: digest! };
}

/**
 * Deletes a manifest (and so every tag on it) through the registry API. Only on repositories
 * unique to the test: the same content in another repository keeps its own manifest.
 */
export async function deleteManifest(registry: string, repository: string, digest: string, authorization?: string): Promise<void> {
  const response = await fetch(`http://${registry}/v2/${repository}/manifests/${digest}`, {
    method: "DELETE",
    headers: authorization ? { authorization } : {},
  });
  await response.arrayBuffer();
  if (response.status !== 202 && response.status !== 404) throw new Error(`DELETE ${registry}/${repository}@${digest}: HTTP ${response.status}`);
}

export const NO_CREDENTIAL: RegistryCredential = { source: "none" };

/** A credential as the credential module would hand it over, with a source for messages. */
export function passwordCredential(username: string, password: string, source = "environment REG_USER / REG_PASSWORD"): RegistryCredential {
  return { username, password, source };
}

/**
 * What every registry must give the client, whatever its auth: the pushed manifest by tag and by
 * digest (its bytes hashing to the digest the engine reported), the image's config (its digest is
 * the local image ID, its labels the image's), the manifest put under a second tag, the config
 * blob, and undefined for what is not there.
 */
export async function readAndRetag(client: RegistryClient, pushed: Pushed, image: TestImage): Promise<void> {
  const { repository, tag, digest } = pushed;
  assert.equal(await client.manifestDigest(repository, tag), digest);
  const manifest = await client.getManifest(repository, tag);
  assert.ok(manifest, "the pushed manifest is there");
  assert.equal(manifest.digest, digest);
  assert.equal(`sha256:${createHash("sha256").update(manifest.bytes).digest("hex")}`, digest);
  assert.equal(manifest.mediaType, MEDIA_TYPES.dockerManifest);
  assert.deepEqual((await client.getManifest(repository, digest))?.bytes, manifest.bytes, "by digest: the same bytes");

  const config = await client.imageConfig(repository, tag);
  assert.ok(config);
  assert.equal(config.manifestDigest, digest);
  assert.equal(config.configDigest, image.id);
  assert.deepEqual(config.labels, image.labels);
  assert.equal(Date.parse(config.created ?? ""), Date.parse(image.created));
  assert.equal(config.platformManifestDigest, undefined);

  assert.equal(await client.putManifest(repository, "2", manifest), digest);
  assert.equal(await client.manifestDigest(repository, "2"), digest);

  const blob = await client.getBlob(repository, image.id);
  assert.deepEqual((JSON.parse(blob.toString("utf8")) as { config: { Labels: unknown } }).config.Labels, image.labels);

  assert.equal(await client.manifestDigest(repository, "absent"), undefined, "an unknown tag");
  assert.equal(await client.getManifest(repository, "absent"), undefined, "an unknown tag");
  assert.equal(await client.imageConfig(repository, "absent"), undefined, "an unknown tag");
  assert.equal(await client.manifestDigest(`slipway-test/${uniqueName("absent")}`, "1"), undefined, "an unknown repository");
}
