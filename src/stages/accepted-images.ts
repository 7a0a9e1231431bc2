/**
 * What the tag and publish stages take: the release images a run accepted — this run's, or, when
 * this run accepted none (`slipway publish`, `slipway ci --from publish`), those the newest run
 * that accepted images for the checkout's commit recorded — never an image found by a name that
 * could have moved, and never a rebuild. The image must still be in the engine, by its ID.
 *
 * The tag plan of a run is made once (one clock reading), so the tag and publish stages put the
 * same build tag.
 */
import { SlipwayError } from "../errors/index.ts";
import type { AcceptedImage } from "../history/record-store.ts";
import { isNotFound } from "../engine/engine-error.ts";
import type { RunContext } from "../run/context.ts";
import { ciVariables } from "../tags/ci-variables.ts";
import { readGitState, type GitState } from "../tags/git-state.ts";
import { planTags, type TagPlan } from "../tags/tag-plan.ts";
import type { RunServices } from "./stage.ts";

export interface RunTagPlan {
  plan: TagPlan;
  git: GitState;
}

const plans = new WeakMap<RunServices, Promise<RunTagPlan>>();

/** The run's tag plan, made once per run. */
export function runTagPlan(ctx: RunContext, services: RunServices): Promise<RunTagPlan> {
  let plan = plans.get(services);
  if (!plan) {
    plan = (async () => {
      // What Slipway writes beside the sources does not make the tree dirty (as for the release image's label).
      const ignore = [".slipway", "reports", services.pipeline.config.stages?.build?.to ?? "target"];
      const git = await readGitState(services.pipeline.dir, { signal: ctx.signal, ignore });
      return { git, plan: planTags({ git, ci: ciVariables(services.env), rules: services.pipeline.config.tags, now: new Date(ctx.clock.now()) }) };
    })();
    plans.set(services, plan);
  }
  return plan;
}

export async function acceptedImagesFor(ctx: RunContext, services: RunServices): Promise<{ images: AcceptedImage[]; from: string }> {
  if (services.accepted.length > 0) return { images: services.accepted, from: "this run" };
  const { git } = await runTagPlan(ctx, services);
  const commit = git.commit ?? "unknown";
  const runs = await services.store.list("runs");
  const run = runs.find((r) => r.accepted?.length && r.accepted.every((a) => a.commit === commit));
  if (!run) {
    throw new SlipwayError(`No run accepted a release image of commit ${commit.slice(0, 12)}: there is nothing to tag or publish`, {
      code: "NOTHING_ACCEPTED",
      kind: "usage",
      hint: "Run `slipway ci` first: only images that passed acceptance are tagged and published.",
    });
  }
  for (const image of run.accepted!) {
    await ctx.engine.images.inspect(image.imageId, { signal: ctx.signal }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
      throw new SlipwayError(`Image ${image.name} (${image.imageId.slice(7, 19)}), accepted by run ${run.id}, is no longer in the engine`, {
        code: "ACCEPTED_IMAGE_GONE",
        kind: "usage",
        hint: "Run `slipway ci` again: an accepted image is taken by its ID, never rebuilt or found by a name.",
      });
    });
  }
  return { images: run.accepted!, from: `run ${run.id}` };
}
