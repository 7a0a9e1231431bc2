/**
 * A stage's image builds, with the stage contract's status check: base images are pulled fresh
 * once per run (seed 000, "consistency"), then each build is identified by its context hash; an
 * image already labelled with that hash is reused (status "unchanged", build skipped).
 * The folders Slipway writes are never part of a context the pipeline packs, nor of its hash
 * (issue "slipway ci": a test image baked the previous run's reports in, and they were counted
 * again; and as they change on every run, no checkout was ever "unchanged").
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Project } from "../compose/model/index.ts";
import type { LoadedPipelineConfig } from "../config/load-pipeline-config.ts";
import { baseImages } from "../images/base-images.ts";
import { contextFilesDigest, contextHash } from "../images/context-hash.ts";
import type { BuildRequest, ImageResolver } from "../images/image-resolver.ts";
import { runStep, type Step, type StepStatus } from "./step.ts";
import { serviceBuildRequest } from "../compose/runner/build-request.ts";
import { Label } from "../run/labels.ts";
import { holdDisplaced, holdImage } from "../cleanup/holds.ts";
import { isNotFound } from "../engine/engine-error.ts";
import type { RunContext } from "../run/context.ts";

export interface BuiltImage {
  service: string;
  imageId: string;
  tag: string;
  status: "built" | "unchanged";
  /** Untagged stage images this build made, to remove at the end of the run. */
  freshImages: string[];
}

export interface BuildOutcome {
  id: string;
  freshImages: string[];
}

/**
 * One image build as a stage: its status is "unchanged" when an image labelled with the same
 * context hash exists (the build is skipped and that image reused).
 */
export interface BuildInput {
  hash: string;
  request: BuildRequest;
}

export class ImageBuildStep implements Step<BuildInput, BuildOutcome> {
  readonly name: string;
  readonly #resolver: ImageResolver;

  constructor(name: string, resolver: ImageResolver) {
    this.name = name;
    this.#resolver = resolver;
  }

  async status(ctx: RunContext, input: BuildInput): Promise<StepStatus<BuildOutcome>> {
    const existing = await ctx.engine.images.list({ filters: { label: [`${Label.contextHash}=${input.hash}`] }, signal: ctx.signal });
    // The first made: images built FROM it (by a user's own `docker build`) carry its hash too.
    for (const image of existing.sort((a, b) => a.Created - b.Created)) {
      // Held at once: a prune (or another job's cleanup) could otherwise take it before it is used.
      // One that went between the listing and the hold (a prune got there first) is no image to reuse.
      const held = await holdImage(ctx, image.Id).then(() => true, (err: unknown) => {
        if (isNotFound(err)) return false;
        throw err;
      });
      if (held) {
        // The caller tags it: what those tags name now is displaced.
        await this.#holdDisplaced(ctx, await this.#named(ctx, input.request.tags), image.Id);
        return { state: "unchanged", reason: "an image of this exact context exists", result: { id: image.Id, freshImages: [] } };
      }
    }
    return { state: "needed", reason: "no image of this context yet" };
  }

  /** The images `tags` name now (before this build takes them). */
  async #named(ctx: RunContext, tags: readonly string[]): Promise<string[]> {
    const ids = await Promise.all(tags.map((t) => ctx.engine.images.find(t, { signal: ctx.signal }).then((i) => i?.Id, () => undefined)));
    return [...new Set(ids.filter((id): id is string => id !== undefined))];
  }

  /** Images the build displaces: the run removes them when it ends, if nothing else needs them. A gone one is no matter. */
  async #holdDisplaced(ctx: RunContext, before: string[], now: string): Promise<void> {
    await Promise.all(before.filter((id) => id !== now).map((id) => holdDisplaced(ctx, id).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    })));
  }

  async run(ctx: RunContext, input: BuildInput): Promise<BuildOutcome> {
    const before = await this.#named(ctx, input.request.tags);
    const result = await this.#resolver.buildWithDetails(input.request, ctx.signal);
    await holdImage(ctx, result.id);
    await this.#holdDisplaced(ctx, before, result.id);
    return { id: result.id, freshImages: result.freshImages.filter((id) => !result.id.includes(id)) };
  }
}

/** Where the folders Slipway writes are, for leaving them out of build contexts. */
export interface PipelineOutputs {
  /** slipway.yml's folder, which holds `.slipway/` (evidence, records) and `reports/`. */
  dir: string;
  /** The pipeline's name: the images it builds carry it (Label.pipeline), for `slipway prune`. */
  pipeline?: string;
  /** The build stage's artifacts folder, relative to `dir` (or absolute). Default `target`. */
  artifacts?: string;
  /**
   * Those of the folders a build needs in its context, relative to `dir` (or absolute): the
   * release image's build passes the artifacts folder.
   */
  include?: string[];
}

/**
 * Slipway's own folders as a build's `exclude`: relative to `context` (posix), and only those
 * inside it (a folder outside the context, or holding it, leaves nothing out).
 */
/** Where a pipeline's own outputs are: slipway.yml's folder, and the build stage's artifacts folder. */
export function pipelineOutputs(pipeline: LoadedPipelineConfig): PipelineOutputs {
  return { dir: pipeline.dir, pipeline: pipeline.name, artifacts: pipeline.config.stages?.build?.to ?? "target" };
}

export function outputExclusions(context: string, outputs: PipelineOutputs): string[] {
  const folders = [".slipway", "reports", outputs.artifacts ?? "target"].map((f) => path.resolve(outputs.dir, f));
  const included = new Set((outputs.include ?? []).map((f) => path.resolve(outputs.dir, f)));
  return folders
    .filter((f) => !included.has(f))
    .map((f) => path.relative(path.resolve(context), f))
    .filter((rel) => rel !== "" && rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))
    .map((rel) => rel.split(path.sep).join("/"));
}

/**
 * `outputs` says where Slipway's own folders are (default: in the compose project's folder, which
 * is slipway.yml's for the pipeline's environments); they are left out of every context.
 */
export async function buildServiceImages(
  ctx: RunContext,
  project: Project,
  services: string[],
  resolver: ImageResolver,
  tagFor: (service: string) => string,
  outputs: Partial<PipelineOutputs> = {},
): Promise<Map<string, BuiltImage>> {
  const built = new Map<string, BuiltImage>();
  // Services that build the same thing (same context, target, args) share one build.
  const byHash = new Map<string, Promise<BuildOutcome & { status: "built" | "unchanged" }>>();
  // Services built from one context (migrate and test from one Dockerfile…) hash its files once.
  const digests = new Map<string, Promise<string>>();
  await Promise.all(
    services
      .filter((name) => project.services[name]?.build)
      .map(async (name) => {
        const build = project.services[name]!.build!;
        const tag = tagFor(name);
        const exclude = outputExclusions(build.context, { ...outputs, dir: outputs.dir ?? project.workingDir });
        const plain = serviceBuildRequest(project, name, [tag]);
        const request = { ...plain, labels: { ...plain.labels, ...pipelineLabels(outputs.pipeline) }, ...(exclude.length ? { exclude } : {}) };
        const text = request.dockerfileInline ?? (await readFile(path.resolve(build.context, build.dockerfile), "utf8").catch(() => ""));
        // The bases are pulled (fresh, once per run) while the context's files are hashed.
        const baseIds = Promise.all(baseImages(text, request.args).map((ref) => resolver.ensure(ref, "always", ctx.signal)));
        baseIds.catch(() => undefined); // awaited in contextHash; a failure is thrown there
        const filesKey = [build.context, build.dockerfile, ...exclude].join("\0");
        let filesDigest = digests.get(filesKey);
        if (!filesDigest) {
          // The same list the build packs: what is hashed is what is sent.
          filesDigest = contextFilesDigest(build.context, build.dockerfile, exclude);
          digests.set(filesKey, filesDigest);
        }
        const hash = await contextHash({
          context: build.context,
          dockerfile: build.dockerfile,
          ...(request.dockerfileInline !== undefined ? { dockerfileInline: request.dockerfileInline } : {}),
          args: request.args ?? {},
          ...(build.target ? { target: build.target } : {}),
          settings: {
            platform: request.platform,
            labels: request.labels,
            network: request.network,
            extraHosts: request.extraHosts,
            shmSize: request.shmSize,
            ulimits: request.ulimits,
            isolation: request.isolation,
            // Which secrets from where, not their values: BuildKit keeps values out of its cache keys too.
            secrets: request.secrets?.map((s) => `${s.id}=${s.origin ?? ""}`),
          },
          baseImageIds: baseIds,
          filesDigest,
        });
        let pending = byHash.get(hash);
        if (!pending) {
          const step = new ImageBuildStep(`build ${name}`, resolver);
          // Services sharing a hash share one build (the first one's request); each gets its own tags after.
          pending = runStep(ctx, step, { hash, request: { ...request, labels: { ...request.labels, [Label.contextHash]: hash } } }).then(({ result, skipped }) => ({
            ...result,
            status: skipped ? ("unchanged" as const) : ("built" as const),
          }));
          byHash.set(hash, pending);
        }
        const result = await pending;
        // The build.tags too, also when the build was shared with another service or skipped.
        await Promise.all(request.tags.map((t) => ctx.engine.images.tag(result.id, t, { signal: ctx.signal })));
        built.set(name, { service: name, imageId: result.id, tag, status: result.status, freshImages: result.freshImages });
      }),
  );
  return built;
}

/** The label that ties an image to the pipeline that built it (none outside a pipeline). */
export function pipelineLabels(pipeline: string | undefined): Record<string, string> {
  return pipeline ? { [Label.pipeline]: pipeline } : {};
}

/** Removes the untagged stage images a run's builds left behind; images in use or tagged stay. */
export async function removeDanglingBuildImages(ctx: RunContext, built: Iterable<BuiltImage>, signal: AbortSignal): Promise<number> {
  let removed = 0;
  for (const b of built) {
    for (const id of b.freshImages) {
      const info = await ctx.engine.images.find(id, { signal });
      if (!info || (info.RepoTags && info.RepoTags.length > 0)) continue;
      try {
        await ctx.engine.images.remove(info.Id, { signal });
        removed += 1;
      } catch {
        // In use as a parent, or by a container of another run: it stays.
      }
    }
  }
  return removed;
}
