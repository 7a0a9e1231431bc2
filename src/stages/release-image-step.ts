/**
 * The release image: one image of slipway.yml's `images:`, built from the artifacts or a
 * multi-stage target with the commit in its OCI labels and build arguments (seed 002), as the
 * test images are built (build-images-step.ts): bases pulled fresh once per run, the build
 * identified by its context hash, and an image labelled with that hash reused ("unchanged").
 * The labels are part of that hash and carry the commit's time, not the clock's, so an unchanged
 * commit and context give "unchanged" and the same image id.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { appBase, baseChange } from "../base/app-base.ts";
import { SlipwayError } from "../errors/index.ts";
import { baseImages } from "../images/base-images.ts";
import { contextHash } from "../images/context-hash.ts";
import type { BuildRequest } from "../images/image-resolver.ts";
import { commitTag, releaseImageLabels } from "../images/release-labels.ts";
import { readRevision, type Revision } from "../images/revision.ts";
import type { LoadedPipelineConfig } from "../config/load-pipeline-config.ts";
import type { RunContext } from "../run/context.ts";
import { Label } from "../run/labels.ts";
import { ImageBuildStep, outputExclusions, pipelineLabels, type BuildOutcome } from "./build-images-step.ts";
import type { RunServices } from "./stage.ts";
import { runStep } from "./step.ts";

export interface ReleaseImage {
  /** The image's key in slipway.yml's `images:`. */
  key: string;
  imageId: string;
  /** `<pipeline>-<key>:slipway`, and `<pipeline>-<key>:<short commit>[-dirty]` when the commit is known. */
  tags: string[];
  revision: Revision;
  /** The version it carries (`org.opencontainers.image.version`): from a version tag on the commit. */
  version?: string;
  status: "built" | "unchanged";
  /** The versioned base it is built on (slipway.yml `base:`), and the one its previous build was on when that was another (null: none). */
  base?: { ref: string; previous?: string | null };
  /** Untagged stage images the classic builder left, to remove at the end of the run (removeDanglingBuildImages). */
  freshImages: string[];
}

export interface ReleaseImageOptions {
  /** The build argument that carries the commit. Default `GIT_SHA`. */
  commitArg?: string;
  /**
   * Paths relative to slipway.yml whose changes do not make the work tree dirty. Default: what
   * Slipway writes beside slipway.yml — `.slipway`, `reports` and the build stage's artifacts folder.
   */
  ignore?: string[];
  /** The checkout's revision, read once by a caller that builds several images (readReleaseRevision). */
  revision?: Revision;
  /** The version the image carries (`org.opencontainers.image.version`): the run's tag plan's, from a version tag on the commit. */
  version?: string;
}

/** The checkout's revision for release images, with a warning when it is unknown or the tree is dirty. */
export async function readReleaseRevision(ctx: RunContext, pipeline: LoadedPipelineConfig, scope: string, ignore?: string[]): Promise<Revision> {
  const revision = await readRevision(pipeline.dir, { ignore: ignore ?? [".slipway", "reports", pipeline.config.stages?.build?.to ?? "target"], signal: ctx.signal });
  if (revision.warning) ctx.events.emit({ type: "warning", message: revision.warning, scope });
  if (revision.dirty) {
    ctx.events.emit({
      type: "warning",
      message: `The work tree differs from commit ${revision.commit.slice(0, 7)} (${revision.changes.length} changed: ${revision.changes.slice(0, 5).join(", ")}${revision.changes.length > 5 ? ", …" : ""}): the image is labelled dirty`,
      scope,
    });
  }
  return revision;
}

/** The stable tags of a pipeline's image: no per-run names, so repeated runs don't pile up tags. */
export function releaseImageTags(pipelineName: string, key: string, revision: Revision): string[] {
  const repository = `${pipelineName}-${key}`.toLowerCase();
  const commit = commitTag(revision);
  return [`${repository}:slipway`, ...(commit ? [`${repository}:${commit}`] : [])];
}

export async function buildReleaseImage(ctx: RunContext, services: Pick<RunServices, "pipeline" | "images"> & Partial<Pick<RunServices, "store" | "env" | "redactor">>, key: string, opts: ReleaseImageOptions = {}): Promise<ReleaseImage> {
  const { pipeline, images: resolver } = services;
  const image = pipeline.config.images[key];
  if (!image) {
    const known = Object.keys(pipeline.config.images);
    throw new SlipwayError(`slipway.yml has no image ${key}`, {
      code: "IMAGE_UNKNOWN",
      kind: "config",
      hint: known.length ? `Use one of images: ${known.join(", ")}.` : "Add it under images: in slipway.yml, with its build.",
    });
  }
  const scope = `release image ${key}`;
  const revision = opts.revision ?? (await readReleaseRevision(ctx, pipeline, scope, opts.ignore));

  const { labels, args } = releaseImageLabels(revision, { title: image.repository ?? key, ...(opts.commitArg ? { commitArg: opts.commitArg } : {}), ...(opts.version ? { version: opts.version } : {}) });
  const tags = releaseImageTags(pipeline.name, key, revision);
  // Built on a versioned base (seed 003): the current one, resolved as an immutable tag, never pulled afresh.
  const base = await appBase(ctx, { pipeline, images: resolver, env: services.env ?? {}, ...(services.redactor ? { addSecret: (s: string) => services.redactor!.add(s) } : {}), ...(services.store ? { store: services.store } : {}) }, key, tags[0]!);
  const change = base && baseChange(base);
  const context = path.resolve(pipeline.dir, image.build.context);
  const dockerfile = image.build.dockerfile;
  // The commit is a fact of the checkout, not a setting: it wins over a configured argument of the same name.
  // The base too: Slipway chooses it, whatever a configured argument of that name says.
  const buildArgs = { ...image.build.args, ...args, ...(base ? { [base.arg]: base.ref } : {}) };
  // Slipway's own folders never enter the context; the build stage's artifacts do (the image COPYs them).
  const artifacts = pipeline.config.stages?.build?.to ?? "target";
  const exclude = outputExclusions(context, { dir: pipeline.dir, artifacts, include: [artifacts] });
  const { result, skipped } = await buildHashedImage(ctx, resolver, {
    // A new base shows in the step's name, so the run's summary says it too.
    subject: change ? `${scope} ${change}` : scope,
    context,
    dockerfile,
    exclude,
    tags,
    args: buildArgs,
    labels: { ...labels, ...pipelineLabels(pipeline.name), ...base?.labels },
    ...(base ? { pinned: new Map([[base.ref, Promise.resolve(base.imageId)]]) } : {}),
    ...(image.build.target ? { target: image.build.target } : {}),
  });
  if (change) ctx.events.emit({ type: "log", level: "info", message: `${skipped ? "reused an image built" : "rebuilt"} ${change}`, scope });
  // Also when the build was skipped: the tags may have moved to another image since.
  await Promise.all(tags.map((t) => ctx.engine.images.tag(result.id, t, { signal: ctx.signal })));
  return { key, imageId: result.id, tags, revision, ...(opts.version ? { version: opts.version } : {}), status: skipped ? "unchanged" : "built", ...(base ? { base: { ref: base.ref, ...(base.previous !== undefined ? { previous: base.previous } : {}) } } : {}), freshImages: result.freshImages };
}

/**
 * An image of slipway.yml's (a release image, a builder target, a base image) built as the test
 * images are: bases pulled fresh once per run while the context's files are hashed, and the build
 * skipped ("unchanged") when an image already carries that hash.
 *
 * `pinned`: bases resolved by the caller instead (a versioned base, `app:base-3`, is an immutable
 * tag that may exist only here: pulling it "always" would ask Docker Hub for it); their image IDs
 * enter the hash as the others' do, so a new base is a new build. `unhashedLabels`: labels that do
 * not make a build new (a base's commit: an unchanged base context at a new commit is the same base).
 */
export async function buildHashedImage(
  ctx: RunContext,
  resolver: RunServices["images"],
  request: Omit<BuildRequest, "labels" | "args"> & { args: Record<string, string>; labels: Record<string, string>; unhashedLabels?: Record<string, string>; pinned?: ReadonlyMap<string, Promise<string>> },
): Promise<{ result: BuildOutcome; skipped: boolean }> {
  const { context, dockerfile, args, labels, unhashedLabels, pinned, ...rest } = request;
  const text = await readFile(path.resolve(context, dockerfile), "utf8").catch(() => "");
  // The bases are pulled (fresh, once per run) while the context's files are hashed.
  const baseIds = Promise.all(baseImages(text, args).map((ref) => pinned?.get(ref) ?? resolver.ensure(ref, "always", ctx.signal)));
  baseIds.catch(() => undefined); // awaited in contextHash; a failure is thrown there
  const hash = await contextHash({
    context,
    dockerfile,
    args,
    ...(request.target ? { target: request.target } : {}),
    settings: { labels },
    baseImageIds: baseIds,
    exclude: request.exclude ?? [],
  });
  return runStep(ctx, new ImageBuildStep(`build ${request.subject}`, resolver), { hash, request: { ...rest, context, dockerfile, args, labels: { ...labels, ...unhashedLabels, [Label.contextHash]: hash } } });
}
