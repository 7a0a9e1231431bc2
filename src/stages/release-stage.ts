/**
 * The release stage (seed 001) as a short script: build the release images (a preparation that
 * overlaps the tests: it needs nothing from them, only the build stage's artifacts when there is
 * one), bring the release environment up with exactly those images, run its bootstrap tasks, wait
 * until the app is ready, check every release service's image ID, and hand the environment to
 * acceptance — or, when anything fails, keep its evidence and tear it down (kept with --keep, with
 * the URLs of its published ports).
 */
import { StageClock } from "./stage-clock.ts";
import type { ReleaseStageConfig } from "../config/pipeline-schema.ts";
import { isSlipwayError } from "../errors/index.ts";
import type { RunContext } from "../run/context.ts";
import { passed, verdictForFailure, verdictOf, type Verdict } from "../run/verdict.ts";
import { acceptedImages, describeImages, prepareRelease, ReleaseEnvironment, startReleaseEnvironment, type PreparedRelease } from "./release-environment.ts";
import type { RunServices, Stage, StageOutcome } from "./stage.ts";

/** A preparation's result, settled: its failure is the stage's, reported inside the stage's start and end. */
type Settled = { ok: true; value: PreparedRelease } | { ok: false; error: unknown };

export interface ReleaseStageOptions {
  /** The pipeline has a build stage, whose artifacts the release images are built from. */
  afterBuild?: boolean;
  /** The pipeline has no acceptance stage: a release that comes up is accepted. */
  accepts?: boolean;
}

export function releaseStage(config: ReleaseStageConfig, opts: ReleaseStageOptions = {}): Stage {
  return {
    name: "release",
    ...(opts.afterBuild ? { prepareAfter: "build" as const } : {}),
    prepare: (ctx, services): Promise<Settled> =>
      prepareRelease(ctx, services, config).then(
        (value) => ({ ok: true, value }),
        (error: unknown) => ({ ok: false, error }),
      ),
    run: (ctx, services, prepared) => runReleaseStage(ctx, services, config, prepared as Settled | undefined, opts),
  };
}

export async function runReleaseStage(ctx: RunContext, services: RunServices, config: ReleaseStageConfig, prepared?: Settled, opts: ReleaseStageOptions = {}): Promise<StageOutcome> {
  const { environment } = config;
  const started = ctx.clock.now();
  const env = new ReleaseEnvironment(ctx, services, environment);
  ctx.events.emit({ type: "stage.start", stage: "release", environment, project: env.project });

  using clock = new StageClock(ctx, config.timeout);
  const { signal, ctx: stageCtx } = clock;
  let verdict: Verdict;
  let handedOver = false;
  // A bug: its verdict is made by the pipeline runner, after the evidence is kept here.
  let bug: { error: unknown } | undefined;
  try {
    let release: PreparedRelease;
    if (!prepared) release = await prepareRelease(stageCtx, services, config);
    else if (prepared.ok) release = prepared.value;
    else throw prepared.error;
    await startReleaseEnvironment(stageCtx, services, release, env);
    // Acceptance runs against it; the run tears it down at the end.
    services.environments.set(environment, env);
    handedOver = true;
    verdict = passed(`release environment ready: ${describeImages(env.released)}`);
    if (opts.accepts) services.accepted.push(...acceptedImages(env.released));
  } catch (err) {
    if (clock.expired) {
      verdict = verdictOf("timeout", `Stage release took longer than its timeout (${Math.round(config.timeout / 1000)} s)`, "Raise stages.release.timeout in slipway.yml, or find what hangs in the evidence.");
    } else {
      verdict = verdictForFailure(err, ctx.signal.aborted);
      if (!isSlipwayError(err) && !ctx.signal.aborted) bug = { error: err };
    }
  } finally {
    clock.stop();
  }
  if (!handedOver) {
    await env.keepEvidence("release", verdict);
    if (services.keep) await env.announceUrls();
  }
  ctx.events.emit({ type: "stage.end", stage: "release", environment, ok: handedOver, durationMs: ctx.clock.now() - started });
  // What was started for a stage that failed is torn down with it (kept with --keep).
  if (!handedOver) await env[Symbol.asyncDispose]();
  if (bug) throw bug.error;
  return { verdict, outputs: { images: env.released } };
}
