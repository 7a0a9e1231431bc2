/**
 * `slipway base build`'s stage against the real engine (src/stages/base-image-step.ts): date
 * versions (a second build the same day is `.2`, the newest is the current base); a version
 * file's version is built once (`exists`), and rebuilt with `force` — reused ("unchanged") when
 * its context is unchanged, also at a later commit (the commit is not part of the base's hash).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { baseSetup } from "../../../src/base/base-ref.ts";
import { currentBase } from "../../../src/base/current-base.ts";
import { loadPipelineConfig } from "../../../src/config/load-pipeline-config.ts";
import { FileRecordStore } from "../../../src/history/record-store.ts";
import { ImageResolver } from "../../../src/images/image-resolver.ts";
import { OciLabel } from "../../../src/images/release-labels.ts";
import { buildBase } from "../../../src/stages/base-image-step.ts";
import { loadWorldSync } from "../../support/world.ts";
import { testContext } from "../../support/run-context.ts";

const world = loadWorldSync();
const skip = world.skipReason("engine", "image:busybox:latest");

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.email=it@slipway.invalid", "-c", "user.name=it", "-c", "commit.gpgsign=false", ...args], { cwd: dir, encoding: "utf8" }).trim();
}

async function checkout(versionFile: boolean) {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-it-base-"));
  const id = path.basename(dir).slice(-6).toLowerCase();
  const repository = `slipway-it-base-${id}`;
  await writeFile(path.join(dir, "Dockerfile.base"), `FROM busybox:latest\nRUN echo ${id} > /base.txt\n`);
  await writeFile(path.join(dir, "Dockerfile"), "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n");
  await writeFile(path.join(dir, "slipway.yml"), `name: it-base-${id}\nimages:\n  app:\n    repository: ${repository}\n    build: { context: . }\nbase:\n  build: { dockerfile: Dockerfile.base }\n${versionFile ? "  version_file: BASE_VERSION\n" : ""}`);
  if (versionFile) await writeFile(path.join(dir, "BASE_VERSION"), "7\n");
  // As in any repository whose context is its root: git's own folder changes with every commit.
  await writeFile(path.join(dir, ".dockerignore"), ".git\n");
  git(dir, "init", "-q");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "it");
  return { dir, repository, pipeline: await loadPipelineConfig({ cwd: dir }) };
}

test("date versions: a second build the same UTC day is .2; the newest recorded is the current base", { skip }, async () => {
  await using ctx = await testContext();
  const { dir, repository, pipeline } = await checkout(false);
  let now = Date.parse("2026-12-07T10:00:00Z");
  const at = { ...ctx, clock: { now: () => (now += 1000) } };
  const store = new FileRecordStore(dir);
  const images = new ImageResolver(ctx.engine, ctx.events, ctx.signal);
  try {
    const first = await buildBase(at, { pipeline, images, store });
    const second = await buildBase(at, { pipeline, images, store });
    assert.deepEqual([first.version, first.ref, first.status], ["20261207", `${repository}:base-20261207`, "built"]);
    assert.deepEqual([second.version, second.ref, second.status], ["20261207.2", `${repository}:base-20261207.2`, "built"]);
    assert.notEqual(second.imageId, first.imageId, "a new version is a new image (its version label)");
    assert.equal((await ctx.engine.images.inspect(second.ref)).Config?.Labels?.["dev.slipway.base.version"], "20261207.2");
    assert.deepEqual((await store.list("bases")).map((b) => [b.id, b.imageId]), [["base-20261207.2", second.imageId], ["base-20261207", first.imageId]]);
    assert.deepEqual(await currentBase(pipeline, baseSetup(pipeline.config), store), { version: "20261207.2", ref: second.ref, from: `the newest base built (${second.record.at})` });
  } finally {
    for (const ref of [`${repository}:base-20261207`, `${repository}:base-20261207.2`]) await ctx.engine.images.remove(ref).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

test("a version file's version is built once; force rebuilds it, reusing an unchanged context even at a later commit", { skip }, async () => {
  await using ctx = await testContext();
  const { dir, repository, pipeline } = await checkout(true);
  const store = new FileRecordStore(dir);
  const images = () => new ImageResolver(ctx.engine, ctx.events, ctx.signal);
  const ref = `${repository}:base-7`;
  try {
    const first = await buildBase(ctx, { pipeline, images: images(), store });
    assert.deepEqual([first.ref, first.status], [ref, "built"]);
    const commit = git(dir, "rev-parse", "HEAD");
    assert.equal((await ctx.engine.images.inspect(ref)).Config?.Labels?.[OciLabel.revision], commit);

    const again = await buildBase(ctx, { pipeline, images: images(), store });
    assert.deepEqual([again.status, again.imageId], ["exists", first.imageId]);
    assert.ok(ctx.seen.some((e) => e.type === "log" && e.message.includes(`${ref} exists`) && e.message.includes("change BASE_VERSION for a new base")));

    await writeFile(path.join(dir, "README"), "a later commit\n");
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "later");
    // The README is in the base's context: the context changed, so force makes a new image…
    const rebuilt = await buildBase(ctx, { pipeline, images: images(), store }, { force: true });
    assert.equal(rebuilt.status, "built");
    assert.notEqual(rebuilt.imageId, first.imageId);
    assert.equal((await ctx.engine.images.inspect(ref)).Id, rebuilt.imageId, "the version's tag moved to it");
    // …and at yet another commit with the same files, force reuses it: the commit is not in the hash.
    git(dir, "commit", "-q", "--allow-empty", "-m", "empty");
    const reused = await buildBase(ctx, { pipeline, images: images(), store }, { force: true });
    assert.deepEqual([reused.status, reused.imageId], ["unchanged", rebuilt.imageId]);
    assert.deepEqual((await store.list("bases")).map((b) => [b.id, b.imageId]), [["base-7", rebuilt.imageId]]);
  } finally {
    await ctx.engine.images.remove(ref).catch(() => undefined);
    await ctx.engine.images.list({ filters: { label: [`dev.slipway.pipeline=${pipeline.name}`] } }).then((l) => Promise.all(l.map((i) => ctx.engine.images.remove(i.Id, { force: true }).catch(() => undefined))));
    await rm(dir, { recursive: true, force: true });
  }
});
