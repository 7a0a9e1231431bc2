/**
 * The publish stage: each accepted release image goes to slipway.yml's `registry` under the run's
 * tag plan, through src/publish/ (staging push, verified by digest, then the consumer tags, put
 * back on failure). A publish record is written for each image that reached the registry; the
 * credential's values are added to the run's redactor before anything can print them.
 */
import type { PublishStageConfig } from "../config/pipeline-schema.ts";
import { SlipwayError, isSlipwayError } from "../errors/index.ts";
import type { PublishEntry } from "../history/record-store.ts";
import { publishImage, type PublishImageResult } from "../publish/publisher.ts";
import { configuredCredential } from "../registry/credentials.ts";
import type { RunContext } from "../run/context.ts";
import { passed, verdictForFailure, type Verdict } from "../run/verdict.ts";
import { acceptedImagesFor, runTagPlan } from "./accepted-images.ts";
import type { RunServices, Stage, StageOutcome } from "./stage.ts";

export interface PublishStageOptions {
  dryRun?: boolean;
  force?: boolean;
  allowDirty?: boolean;
  /** Only these images (keys of slipway.yml's `images:`). */
  images?: string[];
  /** The registry client's stall timeout and attempts (tests make them small). */
  client?: { stallTimeoutMs?: number; attempts?: number };
}

export function publishStage(config: PublishStageConfig, opts: PublishStageOptions = {}): Stage {
  return { name: "publish", run: (ctx, services) => runPublishStage(ctx, services, config, opts) };
}

export async function runPublishStage(ctx: RunContext, services: RunServices, config: PublishStageConfig, opts: PublishStageOptions = {}): Promise<StageOutcome> {
  const started = ctx.clock.now();
  ctx.events.emit({ type: "stage.start", stage: "publish" });
  let verdict: Verdict;
  let bug: { error: unknown } | undefined;
  const published: Record<string, PublishImageResult> = {};
  try {
    const registry = services.pipeline.config.registry;
    if (!registry) {
      throw new SlipwayError("There is no registry to publish to", { code: "NO_REGISTRY", kind: "config", hint: "Add `registry: host[:port]` to slipway.yml." });
    }
    const { images: accepted, from } = await acceptedImagesFor(ctx, services);
    const images = opts.images ? accepted.filter((i) => opts.images!.includes(i.name)) : accepted;
    const { plan, git } = await runTagPlan(ctx, services);
    const allowDirty = opts.allowDirty ?? config.allow_dirty;
    const dirty = images.filter((i) => i.dirty).map((i) => i.name);
    if (!allowDirty && (dirty.length > 0 || git.dirty)) {
      throw new SlipwayError(
        dirty.length > 0
          ? `${dirty.join(", ")} ${dirty.length === 1 ? "was" : "were"} built from a work tree with uncommitted changes: publishing refused (its commit tag would name code that is not in the commit)`
          : `The work tree has uncommitted changes (${git.changes.slice(0, 5).join(", ")}${git.changes.length > 5 ? ", …" : ""}): publishing refused`,
        { code: "DIRTY_TREE", kind: "usage", hint: "Commit (or stash) the changes and run `slipway ci` again, or pass --allow-dirty." },
      );
    }
    const credential = await configuredCredential(registry, services.env, (secret) => services.redactor.add(secret));
    const lines: string[] = [];
    for (const image of images) {
      const repository = services.pipeline.config.images[image.name]?.repository ?? image.name;
      const result = await publishImage({
        engine: ctx.engine,
        events: ctx.events,
        signal: ctx.signal,
        image: { name: image.name, imageId: image.imageId, ...(image.version ? { version: image.version } : {}) },
        registry: registry.address,
        repository,
        tags: plan.tags,
        runId: ctx.owner.runId,
        credential,
        ...(opts.force ? { force: true } : {}),
        ...(opts.dryRun ? { dryRun: true } : {}),
        ...(opts.client ? { client: opts.client } : {}),
      });
      published[image.name] = result;
      await services.record.writeJson(`publish-${image.name}.json`, { registry: registry.address, repository, imageId: image.imageId, ...result });
      const name = `${registry.address}/${repository}`;
      if (opts.dryRun) {
        ctx.events.emit({ type: "publish.plan", image: image.name, name, imageId: image.imageId, ...(result.knownDigest ? { digest: result.knownDigest } : {}), tags: result.decisions.map((d) => ({ tag: d.tag, action: d.action, ...(d.current ? { current: d.current.manifestDigest } : {}), ...(d.reason ? { reason: d.reason } : {}) })) });
        lines.push(`${image.name} ${image.imageId} → ${name}: ${result.decisions.map((d) => `${d.tag} ${d.action}`).join(", ")}`);
        continue;
      }
      const onImage = result.decisions.filter((d) => d.action !== "keep").map((d) => d.tag);
      const kept = result.decisions.filter((d) => d.action === "keep").map((d) => d.tag);
      const entry: PublishEntry = {
        id: `${ctx.owner.runId}-${image.name}`,
        at: new Date(ctx.clock.now()).toISOString(),
        runId: ctx.owner.runId,
        image: image.name,
        imageId: image.imageId,
        registry: registry.address,
        repository,
        digest: result.digest!,
        tags: onImage,
        ...(kept.length ? { kept } : {}),
        commit: image.commit,
        ...(image.version ? { version: image.version } : {}),
      };
      await services.store.put("publishes", entry);
      services.published.push(entry);
      ctx.events.emit({ type: "published", image: image.name, name, digest: result.digest!, tags: onImage, ...(kept.length ? { kept } : {}) });
      const already = result.decisions.every((d) => d.action === "unchanged" || d.action === "keep");
      lines.push(`${image.name} ${image.imageId} (revision ${image.commit}) as ${name}@${result.digest}: ${onImage.join(", ")}${already ? " (already there)" : ""}${kept.length ? ` (left at a higher version: ${kept.join(", ")})` : ""}`);
    }
    const source = from === "this run" ? "" : ` (accepted by ${from})`;
    verdict = passed(opts.dryRun ? `publish plan: ${lines.join("; ")}${source}` : `published ${lines.join("; ")}${source}`);
  } catch (err) {
    verdict = verdictForFailure(err, ctx.signal.aborted);
    if (!isSlipwayError(err) && !ctx.signal.aborted) bug = { error: err };
  }
  ctx.events.emit({ type: "stage.end", stage: "publish", ok: verdict.kind === "passed", durationMs: ctx.clock.now() - started });
  if (bug) throw bug.error;
  return { verdict, outputs: { published } };
}
