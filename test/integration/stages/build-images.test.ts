/**
 * The pipeline's build step against the real engine, on both builders: the first build builds,
 * an identical context is reused (status "unchanged"). The classic builder leaves the untagged
 * stage images of a multi-stage build behind, removed at the end of the run (seed 000) while
 * the result stays; BuildKit builds only the stages the target needs and leaves none. The folders
 * Slipway writes (reports, .slipway, artifacts) are neither in a context nor in its hash.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadProject } from "../../../src/compose/load/index.ts";
import type { Builder } from "../../../src/engine/index.ts";
import { ImageResolver } from "../../../src/images/image-resolver.ts";
import { buildServiceImages, outputExclusions, removeDanglingBuildImages } from "../../../src/stages/build-images-step.ts";
import tar from "tar-stream";
import { testContext } from "../../support/run-context.ts";
import { tempContainer } from "../engine/harness.ts";

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/build/multistage");

async function buildTwice(
  builder: Builder,
  check: (first: Awaited<ReturnType<typeof buildServiceImages>> extends Map<string, infer B> ? B : never, tag: string, nonce: string) => Promise<void>,
): Promise<void> {
  await using ctx = await testContext({ builder });
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-build-"));
  const tag = `slipway-it-build-${builder}-${path.basename(dir).slice(-6).toLowerCase()}:slipway`;
  try {
    await cp(fixture, dir, { recursive: true });
    // A unique context, so no image of an earlier run matches its hash.
    await writeFile(path.join(dir, "unique.txt"), dir);
    const project = await loadProject({ workingDir: dir, projectName: "buildit", env: { NONCE: path.basename(dir) } });
    const resolver = new ImageResolver(ctx.engine, ctx.events);

    const first = (await buildServiceImages(ctx, project, ["app"], resolver, () => tag)).get("app")!;
    assert.equal(first.status, "built");
    const again = (await buildServiceImages(ctx, project, ["app"], new ImageResolver(ctx.engine, ctx.events), () => tag)).get("app")!;
    assert.equal(again.status, "unchanged");
    assert.equal(again.imageId, first.imageId);
    const inspect = await ctx.engine.images.inspect(tag);
    assert.match(inspect.Config?.Labels?.["dev.slipway.context-hash"] ?? "", /^[0-9a-f]{64}$/, "the context hash is on the image");
    await check(first, tag, path.basename(dir));
    const bars = ctx.seen.filter((e) => e.type === "progress" && e.id === "steps");
    assert.ok(bars.length > 0 && bars.every((e) => e.type === "progress" && e.total! > 0 && e.current! <= e.total!), `a build progress bar: ${JSON.stringify(bars.slice(0, 3))}`);
    const logs = ctx.seen.filter((e) => e.type === "log").map((e) => (e as { message: string }).message);
    if (builder === "buildkit") assert.ok(logs.some((l) => /^#\d+ \[final \d+\/\d+\] RUN echo final/.test(l)), `BuildKit steps are logged as plain lines: ${logs.join(" | ")}`);
    else assert.ok(logs.some((l) => /^Step \d+\/\d+ : RUN echo final/.test(l)), "classic steps are logged");
  } finally {
    await ctx.engine.images.remove(tag, { force: true }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

test("classic builder: build, reuse when unchanged, and remove the run's dangling stage images", async () => {
  await buildTwice("classic", async (first, tag, nonce) => {
    await using ctx = await testContext({ builder: "classic" });
    assert.ok(first.freshImages.length > 0, "the build made images");
    const stages = await ctx.engine.images.list({ all: true, filters: { label: [`dev.slipway.test.nonce=${nonce}`] } });
    assert.ok(stages.length >= 3, `base, tools and final are images (${stages.length})`);
    const dangling = [];
    for (const id of first.freshImages) {
      const info = await ctx.engine.images.find(id);
      if (info && !(info.RepoTags ?? []).length) dangling.push(info.Id);
    }
    const removed = await removeDanglingBuildImages(ctx, [first], AbortSignal.timeout(60_000));
    assert.ok(removed >= 1, `the untagged 'tools' stage image is removed (removed ${removed})`);
    const left = await ctx.engine.images.list({ filters: { dangling: ["true"] } });
    for (const id of dangling) assert.ok(!left.some((i) => i.Id === id), `${id} is gone`);
    assert.ok(await ctx.engine.images.find(tag), "the built image stays");
  });
});

test("BuildKit: build, reuse when unchanged, no stage images left behind", async () => {
  await using ctx = await testContext({ builder: "buildkit" });
  await buildTwice("buildkit", async (first, _tag, nonce) => {
    assert.deepEqual(first.freshImages, []);
    // Every stage carries the build's nonce: the images it made, and only those.
    const made = await ctx.engine.images.list({ all: true, filters: { label: [`dev.slipway.test.nonce=${nonce}`] } });
    assert.deepEqual(made.map((i) => i.Id), [first.imageId], "the target's image is the only one");
  });
});

test("Slipway's folders, relative to each context: only those inside it, the artifacts kept when included", () => {
  const root = path.resolve("/repo");
  assert.deepEqual(outputExclusions(root, { dir: root }), [".slipway", "reports", "target"]);
  assert.deepEqual(outputExclusions(path.join(root, "app"), { dir: root }), [], "outside the context");
  assert.deepEqual(outputExclusions(path.dirname(root), { dir: root, artifacts: "build/out" }), ["repo/.slipway", "repo/reports", "repo/build/out"]);
  assert.deepEqual(outputExclusions(root, { dir: root, include: ["target"] }), [".slipway", "reports"], "the release image's artifacts");
  assert.deepEqual(outputExclusions(path.join(root, "target"), { dir: root }), [], "a context inside the artifacts folder is not emptied");
});

/** The entry names under `folder` in an image (through a created, never started, container). */
async function imageFiles(ctx: Awaited<ReturnType<typeof testContext>>, image: string, folder: string): Promise<string[]> {
  await using ctr = await tempContainer(ctx.engine, { Image: image, Cmd: ["true"] }, "ctx-files");
  const archive = await ctx.engine.containers.readArchive(ctr.id, folder);
  assert.ok(archive, `${folder} is in the image`);
  const names: string[] = [];
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      names.push(header.name);
      stream.on("end", next);
      stream.resume();
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  archive.tar.pipe(extract);
  await done;
  return names.sort();
}

test("a Dockerfile that COPYs everything, no .dockerignore: the last run's reports, evidence and artifacts are not baked in, and a run that changed them leaves the build unchanged", async () => {
  await using ctx = await testContext();
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-build-outputs-"));
  const nonce = path.basename(dir);
  const tag = `slipway-it-outputs-${nonce.slice(-6).toLowerCase()}:slipway`;
  const made = new Set<string>();
  const write = async (name: string, content: string) => {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  };
  try {
    await write("Dockerfile", "FROM busybox:latest\nARG NONCE=none\nLABEL dev.slipway.test.nonce=$NONCE\nCOPY . /ctx/\n");
    await write("compose.yaml", "services:\n  test:\n    build:\n      context: .\n      args: { NONCE: \"${NONCE:-none}\" }\n");
    await write("src/app.js", "console.log(1)\n");
    // What an earlier run left: 41 tests' report, its evidence and record, a build stage's artifact.
    await write("reports/test/junit.xml", "<testsuite tests='41'/>");
    await write(".slipway/runs/20250101-aaaa/verdict.json", "{}");
    await write(".slipway/records/runs/20250101-aaaa.json", "{}");
    await write("target/app.jar", "jar");
    const project = await loadProject({ workingDir: dir, projectName: "buildoutputs", env: { NONCE: nonce } });
    const build = async () => (await buildServiceImages(ctx, project, ["test"], new ImageResolver(ctx.engine, ctx.events), () => tag)).get("test")!;

    const first = await build();
    made.add(first.imageId);
    assert.equal(first.status, "built");
    const files = await imageFiles(ctx, tag, "/ctx");
    assert.ok(files.includes("ctx/src/app.js"), `the sources are in the image: ${files.join(" ")}`);
    assert.deepEqual(files.filter((f) => /^ctx\/(reports|\.slipway|target)(\/|$)/.test(f)), [], "none of Slipway's folders is");

    // This run writes its reports, evidence and record: the checkout itself is unchanged.
    await write("reports/test/junit.xml", "<testsuite tests='41' time='2'/>");
    await write("reports/test/other.xml", "<testsuite/>");
    await write(".slipway/runs/20250101-bbbb/verdict.json", "{}");
    await write(".slipway/records/runs/20250101-bbbb.json", "{}");
    await write("target/app.jar", "jar 2");
    const again = await build();
    assert.equal(again.status, "unchanged");
    assert.equal(again.imageId, first.imageId);

    await write("src/app.js", "console.log(2)\n");
    const changed = await build();
    made.add(changed.imageId);
    assert.equal(changed.status, "built", "a source file still changes the build");
  } finally {
    for (const id of [tag, ...made]) await ctx.engine.images.remove(id, { force: true }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});
