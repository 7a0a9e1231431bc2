/**
 * The release image against the real engine: a temporary git repository's `release` target is
 * built with the commit in its OCI labels and baked into the image (seed 002); the same commit
 * and context again is "unchanged" with the same image id, also after Slipway wrote its reports
 * beside slipway.yml; a changed tracked file gives a dirty image, labelled and tagged so.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import tar from "tar-stream";
import { loadPipelineConfig } from "../../../src/config/load-pipeline-config.ts";
import { ImageResolver } from "../../../src/images/image-resolver.ts";
import { buildReleaseImage } from "../../../src/stages/release-image-step.ts";
import { testContext, type TestContext } from "../../support/run-context.ts";

const DOCKERFILE = `FROM busybox:latest AS base
RUN echo base > /base.txt

FROM base AS release
ARG GIT_SHA=unknown
COPY unique.txt /unique.txt
RUN echo $GIT_SHA > /VERSION
CMD ["cat", "/VERSION"]
`;

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();
}

/** A file of the image, read from a container created (never started) from it. */
async function fileIn(ctx: TestContext, image: string, file: string): Promise<string> {
  const created = await ctx.engine.containers.create({ Image: image, Labels: ctx.labels("ephemeral") });
  try {
    const extract = tar.extract();
    const content = new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      extract.on("entry", (_header, stream, next) => {
        stream.on("data", (c: unknown) => chunks.push(c as Buffer));
        stream.on("end", next);
      });
      extract.on("finish", () => resolve(Buffer.concat(chunks).toString("utf8")));
      extract.on("error", reject);
    });
    (await ctx.engine.containers.getArchive(created.Id, file)).pipe(extract);
    return await content;
  } finally {
    await ctx.engine.containers.remove(created.Id, { force: true });
  }
}

test("release image: the commit in its labels and inside it, unchanged when built again, dirty when the tree differs", async () => {
  await using ctx = await testContext();
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-release-"));
  const name = `slipway-it-release-${path.basename(dir).slice(-6).toLowerCase()}`;
  const tags = new Set<string>();
  try {
    await writeFile(path.join(dir, "Dockerfile"), DOCKERFILE);
    // What Slipway writes beside slipway.yml, and .git, stay out of the context (as examples/todobackend does).
    await writeFile(path.join(dir, ".dockerignore"), ".git\n.slipway\nreports\n");
    // A unique context, so no image of an earlier run matches its hash.
    await writeFile(path.join(dir, "unique.txt"), `${dir}\n`);
    await writeFile(path.join(dir, "compose.yaml"), "services:\n  app: { image: busybox:latest }\n");
    await writeFile(path.join(dir, "slipway.yml"), `name: ${name}\nenvironments:\n  test: { compose: compose.yaml }\nimages:\n  app:\n    build: { target: release }\n`);
    git(dir, "init", "-q", "-b", "main");
    git(dir, "config", "user.name", "Slipway Test");
    git(dir, "config", "user.email", "test@slipway.invalid");
    git(dir, "remote", "add", "origin", "https://ci-bot:s3cret@git.example.com/team/app.git");
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "release");
    const head = git(dir, "rev-parse", "HEAD");
    const committedAt = git(dir, "show", "-s", "--format=%cI", "HEAD");
    const pipeline = await loadPipelineConfig({ cwd: dir });

    const first = await buildReleaseImage(ctx, { pipeline, images: new ImageResolver(ctx.engine, ctx.events, ctx.signal) }, "app");
    for (const t of first.tags) tags.add(t);
    assert.equal(first.status, "built");
    assert.equal(first.revision.commit, head);
    assert.deepEqual(first.tags, [`${name}-app:slipway`, `${name}-app:${head.slice(0, 7)}`]);
    const inspect = await ctx.engine.images.inspect(first.tags[1]!);
    assert.equal(inspect.Id, first.imageId);
    const labels = inspect.Config?.Labels ?? {};
    assert.equal(labels["org.opencontainers.image.revision"], head);
    assert.equal(labels["org.opencontainers.image.created"], committedAt, "created is the commit's time");
    assert.equal(labels["org.opencontainers.image.source"], "https://git.example.com/team/app.git", "no credentials in the source");
    assert.equal(labels["org.opencontainers.image.title"], "app");
    assert.equal(labels["dev.slipway.dirty"], undefined);
    assert.match(labels["dev.slipway.context-hash"] ?? "", /^[0-9a-f]{64}$/);
    assert.equal((await fileIn(ctx, first.imageId, "/VERSION")).trim(), head, "GIT_SHA is baked into the image");

    // A test run's reports beside slipway.yml: neither dirty nor a change of the context.
    await mkdir(path.join(dir, "reports", "test"), { recursive: true });
    await writeFile(path.join(dir, "reports", "test", "junit.xml"), "<testsuites/>");
    const again = await buildReleaseImage(ctx, { pipeline, images: new ImageResolver(ctx.engine, ctx.events, ctx.signal) }, "app");
    assert.equal(again.status, "unchanged");
    assert.equal(again.imageId, first.imageId);
    assert.equal(again.revision.dirty, false);
    assert.ok(
      ctx.seen.some((e) => e.type === "step.end" && e.step === "build release image app" && e.note?.startsWith("unchanged")),
      "the step reports unchanged",
    );

    await writeFile(path.join(dir, "unique.txt"), `${dir} edited\n`);
    const dirty = await buildReleaseImage(ctx, { pipeline, images: new ImageResolver(ctx.engine, ctx.events, ctx.signal) }, "app");
    for (const t of dirty.tags) tags.add(t);
    assert.equal(dirty.status, "built");
    assert.notEqual(dirty.imageId, first.imageId);
    assert.deepEqual([dirty.revision.dirty, dirty.revision.changes], [true, ["unique.txt"]]);
    assert.deepEqual(dirty.tags, [`${name}-app:slipway`, `${name}-app:${head.slice(0, 7)}-dirty`], "the commit's own tag stays on the clean image");
    const dirtyLabels = (await ctx.engine.images.inspect(dirty.imageId)).Config?.Labels ?? {};
    assert.equal(dirtyLabels["dev.slipway.dirty"], "true");
    assert.equal(dirtyLabels["org.opencontainers.image.revision"], head);
    assert.equal((await ctx.engine.images.inspect(first.tags[1]!)).Id, first.imageId);
    assert.ok(ctx.seen.some((e) => e.type === "warning" && /differs from commit/.test(e.message)), "the dirty tree is a warning");
  } finally {
    for (const t of tags) await ctx.engine.images.remove(t, { force: true }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

test("release image outside a git repository: revision unknown, with a warning, still built", async () => {
  await using ctx = await testContext();
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-release-nogit-"));
  const name = `slipway-it-release-${path.basename(dir).slice(-6).toLowerCase()}`;
  let built: string[] = [];
  try {
    await writeFile(path.join(dir, "Dockerfile"), DOCKERFILE);
    await writeFile(path.join(dir, "unique.txt"), `${dir}\n`);
    await writeFile(path.join(dir, "compose.yaml"), "services:\n  app: { image: busybox:latest }\n");
    await writeFile(path.join(dir, "slipway.yml"), `name: ${name}\nenvironments:\n  test: { compose: compose.yaml }\nimages:\n  app:\n    build: { target: release }\n`);
    const pipeline = await loadPipelineConfig({ cwd: dir });
    const image = await buildReleaseImage(ctx, { pipeline, images: new ImageResolver(ctx.engine, ctx.events, ctx.signal) }, "app");
    built = image.tags;
    assert.equal(image.revision.commit, "unknown");
    assert.deepEqual(image.tags, [`${name}-app:slipway`], "no commit tag without a commit");
    const labels = (await ctx.engine.images.inspect(image.imageId)).Config?.Labels ?? {};
    assert.equal(labels["org.opencontainers.image.revision"], "unknown");
    assert.equal(labels["org.opencontainers.image.created"], "");
    assert.equal((await fileIn(ctx, image.imageId, "/VERSION")).trim(), "unknown");
    assert.ok(ctx.seen.some((e) => e.type === "warning" && /not in a git repository/.test(e.message)));
  } finally {
    for (const t of built) await ctx.engine.images.remove(t, { force: true }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});
