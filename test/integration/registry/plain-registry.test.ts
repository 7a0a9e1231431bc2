/**
 * The registry client against the test world's plain registry (no auth, plain HTTP on loopback,
 * insecure for the engine): an image the engine pushed, read back and tagged again through the
 * registry API; a multi-platform index followed to its linux/amd64 image.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SlipwayError } from "../../../src/errors/index.ts";
import type { Engine } from "../../../src/engine/index.ts";
import { MEDIA_TYPES, RegistryClient } from "../../../src/registry/client.ts";
import { loadWorldSync } from "../../support/world.ts";
import { NO_CREDENTIAL, deleteManifest, pushImage, readAndRetag, testImage, useEngine } from "./harness.ts";

const world = loadWorldSync();

let engine: Engine;
useEngine((e) => (engine = e));

test("an image the engine pushed: digest, manifest, config, a second tag and the config blob", { skip: world.skipReason("plain-registry") }, async () => {
  const { address } = world.require("plain-registry");
  await using image = await testImage(engine);
  const pushed = await pushImage(engine, image, address);
  try {
    await using client = await RegistryClient.connect({ registry: address, credential: NO_CREDENTIAL, insecure: true });
    assert.equal(client.origin, `http://${address}`, "HTTPS got no answer: plain HTTP, as the registry is insecure");
    await readAndRetag(client, pushed, image);
  } finally {
    await deleteManifest(address, pushed.repository, pushed.digest);
  }
});

test("an index is followed to its linux/amd64 manifest, or to its only one; attestations do not count", { skip: world.skipReason("plain-registry") }, async () => {
  const { address } = world.require("plain-registry");
  await using image = await testImage(engine);
  const pushed = await pushImage(engine, image, address);
  const put: string[] = [];
  try {
    await using client = await RegistryClient.connect({ registry: address, credential: NO_CREDENTIAL, insecure: true });
    const docker = (await client.getManifest(pushed.repository, pushed.tag))!;
    // An OCI manifest of the same image, told apart by an annotation: the "arm64" one.
    const parsed = JSON.parse(docker.bytes.toString("utf8")) as { config: { size: number; digest: string }; layers: { size: number; digest: string }[] };
    const oci = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", size: parsed.config.size, digest: parsed.config.digest },
        layers: parsed.layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", size: l.size, digest: l.digest })),
        annotations: { "org.slipway.test": "arm64" },
      }),
    );
    const ociDigest = await client.putManifest(pushed.repository, "arm64", { mediaType: MEDIA_TYPES.ociManifest, bytes: oci });
    put.push(ociDigest);
    const descriptor = (mediaType: string, bytes: Buffer, digest: string, os: string, architecture: string) => ({ mediaType, size: bytes.length, digest, platform: { os, architecture } });
    const index = (manifests: unknown[]) => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }));

    const multi = index([
      descriptor(MEDIA_TYPES.ociManifest, oci, ociDigest, "linux", "arm64"),
      descriptor(MEDIA_TYPES.dockerManifest, docker.bytes, docker.digest, "linux", "amd64"),
      descriptor(MEDIA_TYPES.ociManifest, oci, ociDigest, "unknown", "unknown"),
    ]);
    const multiDigest = await client.putManifest(pushed.repository, "multi", { mediaType: MEDIA_TYPES.ociIndex, bytes: multi });
    put.push(multiDigest);
    assert.deepEqual(await client.imageConfig(pushed.repository, "multi"), {
      manifestDigest: multiDigest,
      platformManifestDigest: docker.digest,
      configDigest: image.id,
      labels: image.labels,
      created: (await client.imageConfig(pushed.repository, pushed.tag))!.created,
    });
    assert.equal((await client.getManifest(pushed.repository, "multi"))?.mediaType, MEDIA_TYPES.ociIndex);

    const single = index([descriptor(MEDIA_TYPES.ociManifest, oci, ociDigest, "linux", "arm64"), descriptor(MEDIA_TYPES.ociManifest, oci, ociDigest, "unknown", "unknown")]);
    const singleDigest = await client.putManifest(pushed.repository, "single", { mediaType: MEDIA_TYPES.ociIndex, bytes: single });
    put.push(singleDigest);
    const followed = await client.imageConfig(pushed.repository, "single");
    assert.equal(followed?.platformManifestDigest, ociDigest);
    assert.equal(followed?.configDigest, image.id);
  } finally {
    for (const digest of [...put.reverse(), pushed.digest]) await deleteManifest(address, pushed.repository, digest);
  }
});

test("without insecure, a plain-HTTP registry is unreachable over HTTPS, and the hint says why", { skip: world.skipReason("plain-registry") }, async () => {
  const { address } = world.require("plain-registry");
  const err = await RegistryClient.connect({ registry: address, credential: NO_CREDENTIAL }).then(
    async (client) => {
      await client.close();
      assert.fail("connected over HTTPS to a plain-HTTP registry");
    },
    (e: unknown) => e,
  );
  assert.ok(err instanceof SlipwayError, String(err));
  assert.equal(err.code, "REGISTRY_UNREACHABLE");
  assert.equal(err.exitCode, 6);
  assert.match(err.message, new RegExp(`https://${address.replace(/\./g, "\\.")}`));
  assert.match(err.hint ?? "", /insecure-registries/);
});
