/**
 * `slipway base build|publish|status` (seed 003, docs/base-images.md): the app image's versioned
 * base — built from its own Dockerfile as `<repository>:base-<version>`, published beside the app
 * in slipway.yml's registry, and how far the app image has drifted from it. `slipway ci` builds
 * the app on the current base (src/stages/release-image-step.ts).
 */
import { Command } from "commander";
import { baseSetup, baseTag } from "../../base/base-ref.ts";
import { formatBaseStatus, readBaseStatus } from "../../base/base-status.ts";
import { requireCurrentBase } from "../../base/current-base.ts";
import { publishBase } from "../../base/publish-base.ts";
import { loadPipelineConfig, type LoadedPipelineConfig } from "../../config/load-pipeline-config.ts";
import { Engine, endpointFromEnv } from "../../engine/index.ts";
import { SlipwayError } from "../../errors/index.ts";
import { FileRecordStore, type BaseEntry } from "../../history/record-store.ts";
import { ImageResolver } from "../../images/image-resolver.ts";
import { OciLabel } from "../../images/release-labels.ts";
import { definedEnv } from "../../pipeline/pipeline.ts";
import type { RunContext } from "../../run/context.ts";
import { buildBase } from "../../stages/base-image-step.ts";
import { removeDanglingBuildImages } from "../../stages/build-images-step.ts";
import { releaseImageTags } from "../../stages/release-image-step.ts";
import { openRunContext } from "../context.ts";
import type { CliIo } from "../io.ts";

interface Flags {
  config?: string;
  json?: boolean;
  force?: boolean;
  publish?: boolean;
}

const configOption = ["-c, --config <file>", "pipeline file (default: slipway.yml here or in a parent folder)"] as const;

/** slipway.yml with a `base:` section: refused before any engine is asked when it has none, or names no image. */
async function loadBasePipeline(io: CliIo, o: Flags): Promise<LoadedPipelineConfig> {
  const pipeline = await loadPipelineConfig({ cwd: io.cwd, ...(o.config ? { file: o.config } : {}) });
  baseSetup(pipeline.config);
  return pipeline;
}

export function baseCommand(io: CliIo, signal: AbortSignal): Command {
  const base = new Command("base").description("the app image's versioned base image: build, publish, and how far the app has drifted from it (docs/base-images.md)");
  base
    .command("build")
    .description("build the base image from base.build as REPOSITORY:base-VERSION (the version from base.version_file, else the date) and record it")
    .option(...configOption)
    .option("--publish", "also publish it to slipway.yml's registry")
    .option("--force", "rebuild a version that exists (its tag moves; a published tag moves only with --force too)")
    .option("--json", "print the result as JSON on stdout (progress stays on stderr)")
    .action(async (o: Flags) => {
      const pipeline = await loadBasePipeline(io, o);
      await using ctx = await openRunContext(io, signal);
      const store = new FileRecordStore(pipeline.dir);
      const built = await buildBase(ctx, { pipeline, images: new ImageResolver(ctx.engine, ctx.events, signal), store }, { ...(o.force ? { force: true } : {}) });
      await removeDanglingBuildImages(ctx, [{ service: "base", imageId: built.imageId, tag: built.ref, status: built.status === "built" ? "built" : "unchanged", freshImages: built.freshImages }], signal);
      const published = o.publish ? await publishBase(ctx, { pipeline, store, env: definedEnv(io.env) }, built.record, { ...(o.force ? { force: true } : {}) }) : undefined;
      if (o.json) {
        io.stdout.write(`${JSON.stringify({ version: built.version, ref: built.ref, imageId: built.imageId, status: built.status, record: published?.record ?? built.record, ...(published ? { published: published.name } : {}) }, null, 2)}\n`);
        return;
      }
      const said = { built: "built", unchanged: "unchanged (an image of this exact base context was reused)", exists: "exists already (a version is built once)" }[built.status];
      io.stdout.write(`base ${built.ref} ${said}: image ${built.imageId}\n`);
      if (published) io.stdout.write(`published ${published.name}@${published.record.digest}\n`);
      io.stdout.write("`slipway ci` builds the app on it; `slipway base status` shows the drift.\n");
    });
  base
    .command("publish")
    .description("publish the current base to slipway.yml's registry as REPOSITORY:base-VERSION, and record it")
    .option(...configOption)
    .option("--force", "move the version's tag when it names another image in the registry")
    .option("--json", "print the base's record as JSON")
    .action(async (o: Flags) => {
      const pipeline = await loadBasePipeline(io, o);
      await using ctx = await openRunContext(io, signal);
      const store = new FileRecordStore(pipeline.dir);
      const record = await currentRecord(ctx, pipeline, store);
      const published = await publishBase(ctx, { pipeline, store, env: definedEnv(io.env) }, record, { ...(o.force ? { force: true } : {}) });
      if (o.json) return void io.stdout.write(`${JSON.stringify(published.record, null, 2)}\n`);
      io.stdout.write(`published ${published.name}@${published.record.digest}\n`);
    });
  base
    .command("status")
    .description("the current base, the app image, and how far the app has drifted from the base (layers and bytes on top); suggests a new base past base.rebuild_after_layers/_size")
    .option(...configOption)
    .option("--json", "print the status as JSON")
    .action(async (o: Flags) => {
      const pipeline = await loadBasePipeline(io, o);
      await using engine = await Engine.connect({ endpoint: endpointFromEnv(io.env), signal });
      const appTag = (key: string) => releaseImageTags(pipeline.name, key, { commit: "unknown", dirty: false, changes: [] })[0]!;
      const status = await readBaseStatus(engine, pipeline, new FileRecordStore(pipeline.dir), appTag, signal);
      if (o.json) return void io.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      io.stdout.write(formatBaseStatus(status).map((l) => `${l}\n`).join(""));
    });
  return base;
}

/** The current base's record; made from the engine's image when the record is gone (a fresh checkout). */
async function currentRecord(ctx: RunContext, pipeline: LoadedPipelineConfig, store: FileRecordStore): Promise<BaseEntry> {
  const setup = baseSetup(pipeline.config);
  const current = await requireCurrentBase(pipeline, setup, store);
  const image = await ctx.engine.images.find(current.ref, { signal: ctx.signal });
  if (!image) {
    throw new SlipwayError(`The current base ${current.ref} (version from ${current.from}) is not in the engine: there is nothing to publish`, { code: "BASE_MISSING", kind: "config", hint: "Run `slipway base build --publish`." });
  }
  const recorded = await store.get("bases", baseTag(current.version));
  if (recorded && recorded.imageId === image.Id) return recorded;
  return { id: baseTag(current.version), at: new Date(ctx.clock.now()).toISOString(), runId: ctx.owner.runId, version: current.version, ref: current.ref, imageId: image.Id, repository: setup.repository, commit: image.Config?.Labels?.[OciLabel.revision] || "unknown" };
}
