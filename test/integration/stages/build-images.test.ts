/**
 * The pipeline's build step against the real engine: the first build builds, an identical
 * context is reused (status "unchanged"), and the untagged stage images a build leaves behind
 * are removed at the end of the run (seed 000) while the result stays.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadProject } from "../../../src/compose/load/index.ts";
import { ImageResolver } from "../../../src/images/image-resolver.ts";
import { buildServiceImages, removeDanglingBuildImages } from "../../../src/stages/build-images-step.ts";
import { testContext } from "../../support/run-context.ts";

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/build/multistage");

test("build, reuse when unchanged, and remove the run's dangling stage images", async () => {
  await using ctx = await testContext();
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-build-"));
  const tag = `slipway-it-build-${path.basename(dir).slice(-6).toLowerCase()}:slipway`;
  try {
    await cp(fixture, dir, { recursive: true });
    // A unique context, so no image of an earlier run matches its hash.
    await writeFile(path.join(dir, "unique.txt"), dir);
    const project = await loadProject({ workingDir: dir, projectName: "buildit", env: {} });
    const resolver = new ImageResolver(ctx.engine, ctx.events);

    const first = (await buildServiceImages(ctx, project, ["app"], resolver, () => tag)).get("app")!;
    assert.equal(first.status, "built");
    assert.ok(first.freshImages.length > 0, "the build made images");
    const dangling = [];
    for (const id of first.freshImages) {
      const info = await ctx.engine.images.find(id);
      if (info && !(info.RepoTags ?? []).length) dangling.push(info.Id);
    }

    const again = (await buildServiceImages(ctx, project, ["app"], new ImageResolver(ctx.engine, ctx.events), () => tag)).get("app")!;
    assert.equal(again.status, "unchanged");
    assert.equal(again.imageId, first.imageId);

    const removed = await removeDanglingBuildImages(ctx, [first], AbortSignal.timeout(60_000));
    assert.ok(removed >= 1, `the untagged 'tools' stage image is removed (removed ${removed})`);
    const left = await ctx.engine.images.list({ filters: { dangling: ["true"] } });
    for (const id of dangling) assert.ok(!left.some((i) => i.Id === id), `${id} is gone`);
    assert.ok(await ctx.engine.images.find(tag), "the built image stays");
  } finally {
    await ctx.engine.images.remove(tag, { force: true }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});
