/**
 * The tag stage (seed 000's `tag` and `buildtag`): each accepted release image gets the run's tag
 * plan as local tags, `registry/repository:tag` (or `repository:tag` without a registry), by its
 * image ID — never by a name that could have moved, never by rebuilding.
 */
import type { TagStageConfig } from "../config/pipeline-schema.ts";
import { isSlipwayError } from "../errors/index.ts";
import type { RunContext } from "../run/context.ts";
import { passed, verdictForFailure, type Verdict } from "../run/verdict.ts";
import type { PlannedTag } from "../tags/tag-plan.ts";
import { acceptedImagesFor, runTagPlan } from "./accepted-images.ts";
import type { RunServices, Stage, StageOutcome } from "./stage.ts";
import { runStep, task } from "./step.ts";

export interface TagStageOptions {
  /** Only these tags (`slipway tag TAG…`), instead of the plan's. */
  explicit?: string[];
  /** Only the plan's build tags (`slipway buildtag`). */
  buildOnly?: boolean;
}

export function tagStage(config: TagStageConfig, opts: TagStageOptions = {}): Stage {
  return { name: "tag", run: (ctx, services) => runTagStage(ctx, services, config, opts) };
}

/** The image's name in the registry, without a tag: `registry/repository`, or `repository` without a registry. */
export function imageName(services: RunServices, key: string): string {
  const repository = services.pipeline.config.images[key]?.repository ?? key;
  const registry = services.pipeline.config.registry?.address;
  return registry ? `${registry}/${repository}` : repository;
}

export async function runTagStage(ctx: RunContext, services: RunServices, config: TagStageConfig, opts: TagStageOptions = {}): Promise<StageOutcome> {
  const started = ctx.clock.now();
  ctx.events.emit({ type: "stage.start", stage: "tag" });
  let verdict: Verdict;
  const tagged: Record<string, string[]> = {};
  let bug: { error: unknown } | undefined;
  try {
    const { images, from } = await acceptedImagesFor(ctx, services);
    const { plan } = await runTagPlan(ctx, services);
    const tags: PlannedTag[] = opts.explicit
      ? opts.explicit.map((tag) => ({ tag, rule: "extra", why: "given on the command line", moving: true }))
      : plan.tags.filter((t) => (opts.buildOnly ? t.rule === "build" : config.build_tags || t.rule !== "build"));
    for (const image of images) {
      const name = imageName(services, image.name);
      const refs = tags.map((t) => `${name}:${t.tag}`);
      const step = task(`tag ${image.name} ${image.imageId.slice(7, 19)}`, async (c) => {
        for (const ref of refs) await c.engine.images.tag(image.imageId, ref, { signal: c.signal });
      });
      await runStep(ctx, step, undefined);
      tagged[image.name] = refs;
    }
    const list = Object.values(tagged).flat();
    verdict = passed(list.length ? `tagged ${list.join(", ")} (accepted by ${from})` : `no tags to put (accepted by ${from})`);
  } catch (err) {
    verdict = verdictForFailure(err, ctx.signal.aborted);
    if (!isSlipwayError(err) && !ctx.signal.aborted) bug = { error: err };
  }
  ctx.events.emit({ type: "stage.end", stage: "tag", ok: verdict.kind === "passed", durationMs: ctx.clock.now() - started });
  if (bug) throw bug.error;
  return { verdict, outputs: { tagged } };
}
