/**
 * `slipway base build`: the base image from its own Dockerfile (`base.build`), tagged
 * `<repository>:base-<version>` and recorded (`bases`). A version names one image for good: when
 * the version file's version is built already, nothing is rebuilt (a new base is a new version;
 * `force` rebuilds it anyway). Without a version file every build is a new version of the day.
 * Built as the pipeline's other images are (buildHashedImage): its context hash and pipeline
 * labels, so an unchanged base context is reused, and `slipway prune` knows it.
 */
import path from "node:path";
import type { LoadedPipelineConfig } from "../config/load-pipeline-config.ts";
import type { BaseEntry, RecordStore } from "../history/record-store.ts";
import type { ImageResolver } from "../images/image-resolver.ts";
import { OciLabel, releaseImageLabels } from "../images/release-labels.ts";
import { Label } from "../run/labels.ts";
import type { RunContext } from "../run/context.ts";
import { baseRef, baseSetup, baseTag, baseVersionsIn, type BaseSetup } from "../base/base-ref.ts";
import { dateVersion, readVersionFile } from "../base/version.ts";
import { outputExclusions, pipelineLabels } from "./build-images-step.ts";
import { buildHashedImage, readReleaseRevision } from "./release-image-step.ts";

export interface BaseBuildOptions {
  /** Rebuild a version that exists (its tag moves to the new image). */
  force?: boolean;
}

export interface BaseBuild {
  setup: BaseSetup;
  version: string;
  ref: string;
  imageId: string;
  /** built; unchanged: an image of this exact base context was reused; exists: this version was built before and is kept. */
  status: "built" | "unchanged" | "exists";
  record: BaseEntry;
  /** Untagged stage images the classic builder left, for the caller to remove. */
  freshImages: string[];
}

export interface BaseBuildServices {
  pipeline: LoadedPipelineConfig;
  images: ImageResolver;
  store: RecordStore;
}

export async function buildBase(ctx: RunContext, services: BaseBuildServices, opts: BaseBuildOptions = {}): Promise<BaseBuild> {
  const { pipeline, store } = services;
  const setup = baseSetup(pipeline.config);
  const { base, repository } = setup;
  const scope = `base ${repository}`;
  const records = (await store.list("bases")).filter((b) => b.repository === repository);
  const version = base.version_file !== undefined ? await readVersionFile(pipeline.dir, base.version_file) : dateVersion(new Date(ctx.clock.now()), [...records.map((r) => r.version), ...(await localVersions(ctx, repository))]);
  const ref = baseRef(repository, version);
  const revision = await readReleaseRevision(ctx, pipeline, scope);
  const recordOf = (imageId: string, commit: string): BaseEntry => {
    const before = records.find((r) => r.version === version);
    // A rebuilt version is another image: what an earlier publish recorded no longer describes it.
    const published = before && before.imageId === imageId ? { ...(before.registry ? { registry: before.registry } : {}), ...(before.digest ? { digest: before.digest } : {}), ...(before.tags ? { tags: before.tags } : {}) } : {};
    return { id: baseTag(version), at: new Date(ctx.clock.now()).toISOString(), runId: ctx.owner.runId, version, ref, imageId, repository, commit, ...published };
  };

  const existing = opts.force ? undefined : await ctx.engine.images.find(ref, { signal: ctx.signal });
  if (existing) {
    const commit = existing.Config?.Labels?.[OciLabel.revision] || records.find((r) => r.version === version)?.commit || "unknown";
    ctx.events.emit({ type: "log", level: "info", message: `${ref} exists (image ${existing.Id.slice(7, 19)}): a version is built once; change ${base.version_file ?? "the version"} for a new base, or pass --force to rebuild this one`, scope });
    const record = recordOf(existing.Id, commit);
    await store.put("bases", record);
    return { setup, version, ref, imageId: existing.Id, status: "exists", record, freshImages: [] };
  }

  const context = path.resolve(pipeline.dir, base.build.context);
  const oci = releaseImageLabels(revision, { title: `${repository} base`, version });
  // Its commit is a fact of where it was first built, not part of what it is: an unchanged base
  // context at a later commit is the same base (only the title, version and pipeline are hashed).
  const { [OciLabel.title]: title, [OciLabel.version]: ociVersion, ...unhashed } = oci.labels;
  const { result, skipped } = await buildHashedImage(ctx, services.images, {
    subject: `base image ${ref}`,
    context,
    dockerfile: base.build.dockerfile,
    // The base needs none of the build stage's artifacts: every Slipway folder stays out.
    exclude: outputExclusions(context, { dir: pipeline.dir, artifacts: pipeline.config.stages?.build?.to ?? "target" }),
    tags: [ref],
    args: { ...base.build.args },
    labels: { [OciLabel.title]: title!, [OciLabel.version]: ociVersion!, [Label.baseVersion]: version, ...pipelineLabels(pipeline.name) },
    unhashedLabels: unhashed,
    ...(base.build.target ? { target: base.build.target } : {}),
  });
  // Also when the build was skipped: the version's tag names the image found.
  await ctx.engine.images.tag(result.id, ref, { signal: ctx.signal });
  const imageId = /^sha256:[0-9a-f]{64}$/.test(result.id) ? result.id : (await ctx.engine.images.inspect(result.id, { signal: ctx.signal })).Id;
  const record = recordOf(imageId, revision.commit);
  await store.put("bases", record);
  return { setup, version, ref, imageId, status: skipped ? "unchanged" : "built", record, freshImages: result.freshImages };
}

/** The versions of `repository`'s bases the engine has (tags `repository:base-*`). */
async function localVersions(ctx: RunContext, repository: string): Promise<string[]> {
  const images = await ctx.engine.images.list({ filters: { reference: [`${repository}:base-*`] }, signal: ctx.signal });
  return baseVersionsIn(repository, images.flatMap((i) => i.RepoTags ?? []));
}
