/**
 * The pipeline as a library: `loadPipeline` reads slipway.yml, `runPipeline` runs its stages as
 * `slipway test` does — events delivered to the caller (nothing written to a terminal),
 * cancellation by AbortSignal, the verdict as the result. The CLI is one caller of it.
 */
import { hostFacts } from "../cleanup/owner.ts";
import { sweepAbandonedRuns } from "../cleanup/sweep.ts";
import { loadPipelineConfig, type LoadedPipelineConfig } from "../config/load-pipeline-config.ts";
import { Engine, builderFromEnv, endpointFromEnv } from "../engine/index.ts";
import { SlipwayError } from "../errors/index.ts";
import { EventBus, type Listener } from "../events/index.ts";
import type { RecordStore } from "../history/record-store.ts";
import { createRunContext, type RunContext } from "../run/context.ts";
import { newRunId } from "../run/identity.ts";
import { verdictOf } from "../run/verdict.ts";
import { teardownSignal } from "../run/lifetimes.ts";
import { STAGE_NAMES, type Stage, type StageName } from "../stages/stage.ts";
import { pipelineStages } from "../config/stages.ts";
import { testStage } from "../stages/test-stage.ts";
import { releaseStage } from "../stages/release-stage.ts";
import { acceptanceStage } from "../stages/acceptance-stage.ts";
import { buildStage } from "../stages/build-stage.ts";
import { tagStage, type TagStageOptions } from "../stages/tag-stage.ts";
import { publishStage, type PublishStageOptions } from "../stages/publish-stage.ts";
import { deployStage, type DeployStageOptions } from "../stages/deploy-stage.ts";
import { runStages, type PipelineResult } from "./run-pipeline.ts";

export type { PipelineResult };

/** Finds (from `cwd` up) or reads `file`, and validates it. Throws a ConfigFileError (exit 3) naming file, line and key. */
export function loadPipeline(opts: { cwd?: string; file?: string } = {}): Promise<LoadedPipelineConfig> {
  return loadPipelineConfig({ cwd: opts.cwd ?? process.cwd(), ...(opts.file ? { file: opts.file } : {}) });
}

export interface RunPipelineOptions {
  /** The workflow's stages to run (in the workflow's order, whatever order they are given in). Default: `["test"]`; `slipway ci` runs all of the pipeline's. */
  stages?: readonly StageName[];
  /** Only the stages from this one on (`--from`). */
  from?: StageName;
  /** Only the stages up to this one (`--until`). */
  until?: StageName;
  /** The environment of slipway.yml the test stage runs. Default: the test stage's (`test`). */
  environment?: string;
  /** Leave a failed environment up for debugging. */
  keep?: boolean;
  /** Variables for compose interpolation, and where the engine is found (DOCKER_HOST…). Default: `process.env`. */
  env?: Record<string, string | undefined>;
  /** Cancels the run; what it created is still torn down, and the verdict is `cancelled`. */
  signal?: AbortSignal;
  /** Every event of the run, the verdict last. */
  onEvent?: Listener;
  /** A context of your own (engine, events, signal, clock, run id); `signal` and `onEvent` are then ignored. */
  context?: RunContext;
  /** Where the run is recorded. Default: `.slipway/records/` beside slipway.yml. */
  store?: RecordStore;
  /** What the run's record and `run.start` call it. Default: the stages' names. */
  command?: string;
  /** The tag stage's: explicit tags (`slipway tag TAG…`), or build tags only (`slipway buildtag`). */
  tag?: TagStageOptions;
  /** The publish stage's: `dryRun`, `force`, `allowDirty`, `images`. */
  publish?: PublishStageOptions;
  /** The deploy stage's: `targets` instead of slipway.yml's `stages.deploy.targets` (`slipway ci --target`). */
  deploy?: DeployStageOptions & { targets?: readonly string[] };
  /** Prune the pipeline's images when the run ends, whatever its verdict (`slipway ci` does when slipway.yml's `prune.after_ci` is set). */
  prune?: boolean;
}

/** The stages `slipway ci` runs for this pipeline: those slipway.yml has (or implies), in the workflow's order. */
export function pipelineStageNames(pipeline: LoadedPipelineConfig): StageName[] {
  return STAGE_NAMES.filter((name) => name in pipelineStages(pipeline.config));
}

/** The stages that exist so far; the rest of the workflow arrives stage by stage. */
function stagesFor(pipeline: LoadedPipelineConfig, names: readonly StageName[], opts: Pick<RunPipelineOptions, "environment" | "tag" | "publish" | "deploy">): Stage[] {
  const { environment } = opts;
  const configured = pipelineStages(pipeline.config);
  return names.map((name) => {
    if (name === "test") return testStage(environment ?? configured.test?.environment ?? "test");
    if (name === "release") return releaseStage(configured.release ?? { environment: "release", images: {}, bootstrap: undefined, timeout: 600_000 }, { afterBuild: !!configured.build, accepts: !configured.acceptance });
    if (name === "acceptance") return acceptanceStage(configured.acceptance ?? { environment: configured.release?.environment ?? "release" }, configured.release);
    if (name === "build" && configured.build) return buildStage(configured.build);
    if (name === "tag") return tagStage(configured.tag ?? { build_tags: true }, opts.tag);
    if (name === "publish") return publishStage(configured.publish ?? { allow_dirty: false }, opts.publish);
    if (name === "deploy") {
      const { targets, ...options } = opts.deploy ?? {};
      return deployStage({ targets: [...(targets ?? configured.deploy?.targets ?? [])] }, options);
    }
    return {
      name,
      run: () => Promise.reject(new SlipwayError(`Stage ${name} is not available in this version of Slipway`, { code: "NO_SUCH_STAGE", kind: "usage", hint: "Run the stages before it (`slipway ci --until test`)." })),
    };
  });
}

export async function runPipeline(pipeline: LoadedPipelineConfig, opts: RunPipelineOptions = {}): Promise<PipelineResult> {
  const names = opts.stages ?? ["test"];
  const env = definedEnv(opts.env ?? process.env);
  const stages = stagesFor(pipeline, names, opts);
  const slice = { ...(opts.from ? { from: opts.from } : {}), ...(opts.until ? { until: opts.until } : {}) };
  const run = { pipeline, stages, env, command: opts.command ?? names.join(" "), slice, ...(opts.keep ? { keep: true } : {}), ...(opts.store ? { store: opts.store } : {}), ...(opts.prune ? { prune: true } : {}) };
  if (opts.context) return runStages(opts.context, run);

  const signal = opts.signal ?? new AbortController().signal;
  // Cancelled before the engine answered: nothing was created, and the run still ends in a verdict.
  if (signal.aborted) return cancelledBeforeStart(run.command, opts.onEvent);
  const engine = await Engine.connect({ endpoint: endpointFromEnv(env), signal, builder: builderFromEnv(env) }).catch((err: unknown) => {
    if (signal.aborted) return undefined;
    throw err;
  });
  if (!engine) return cancelledBeforeStart(run.command, opts.onEvent);
  try {
    const events = new EventBus();
    if (opts.onEvent) events.on(opts.onEvent);
    const ctx = createRunContext({ engine, signal, events });
    // What runs whose owner is gone left behind goes beside this run (never this run's own).
    const sweeping = sweepAbandonedRuns(engine, new EventBus(), hostFacts(ctx.owner), { signal: teardownSignal("sweepMs") }).catch(() => []);
    const result = await runStages(ctx, run);
    await sweeping;
    return result;
  } finally {
    await engine.close();
  }
}

function cancelledBeforeStart(command: string, onEvent: Listener | undefined): PipelineResult {
  const runId = newRunId();
  const verdict = verdictOf("cancelled", "cancelled before the run started");
  const events = new EventBus();
  if (onEvent) events.on(onEvent);
  events.emit({ type: "run.start", runId, command });
  events.emit({ type: "verdict", kind: verdict.kind, exitCode: verdict.exitCode, message: verdict.message, durationMs: 0, runId });
  return { runId, verdict, stages: [] };
}

/** The environment without unset entries: what the loaders take for interpolation. */
export function definedEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
