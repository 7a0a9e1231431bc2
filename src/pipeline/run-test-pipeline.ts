/**
 * One `slipway test` run around its stage: sweep what dead runs left, record evidence, run the
 * stage, tear down in `finally` (unless --keep after a failure), prune old runs, and end with the
 * verdict event — always the last event of a run.
 */
import path from "node:path";
import { teardownRun } from "../cleanup/teardown-run.ts";
import type { LoadedPipelineConfig } from "../config/load-pipeline-config.ts";
import { EVENT_SCHEMA_VERSION } from "../events/index.ts";
import { Redactor } from "../run/redact.ts";
import { RunRecord, pruneRuns } from "../history/run-record.ts";
import { ImageResolver } from "../images/image-resolver.ts";
import { removeDanglingBuildImages } from "../stages/build-images-step.ts";
import { runTestStage, type TestStageResult } from "../stages/test-stage.ts";
import type { RunContext } from "../run/context.ts";
import type { Verdict } from "../run/verdict.ts";

export interface TestPipelineOptions {
  pipeline: LoadedPipelineConfig;
  env: Record<string, string>;
  stage?: string;
  /** Leave a failed environment up for debugging. */
  keep?: boolean;
}

export interface TestPipelineResult {
  verdict: Verdict;
  stage?: TestStageResult;
  evidence: string;
}

export async function runTestPipeline(ctx: RunContext, opts: TestPipelineOptions): Promise<TestPipelineResult> {
  const started = ctx.clock.now();
  const stage = opts.stage ?? "test";
  const redactor = new Redactor();
  redactor.addEnvironment(opts.env);
  const record = await RunRecord.create(opts.pipeline.dir, ctx.owner.runId, redactor);
  const unsubscribe = ctx.events.on(record.eventLog(EVENT_SCHEMA_VERSION));
  ctx.events.emit({ type: "run.start", runId: ctx.owner.runId, command: `test ${stage}` });

  await record.writeJson("slipway.json", opts.pipeline.config);
  const images = new ImageResolver(ctx.engine, ctx.events, ctx.signal);
  let result: TestStageResult | undefined;
  let verdict: Verdict;
  // Containers the stage is done with are removed at once, while it still collects the rest
  // (unless a failed environment may have to be kept).
  const released: Promise<boolean>[] = [];
  const release = opts.keep
    ? undefined
    : (id: string) => void released.push(ctx.engine.containers.remove(id, { force: true, volumes: true, signal: AbortSignal.timeout(120_000) }).then(() => true, () => false));
  try {
    result = await runTestStage(ctx, { stage, pipeline: opts.pipeline, env: opts.env, record, redactor, reportsRoot: path.join(opts.pipeline.dir, "reports"), images, ...(release ? { release } : {}) });
    verdict = result.verdict;
  } finally {
    const failed = !result || result.verdict.kind !== "passed";
    // Teardown must finish even when the run was cancelled: its own signal, not the run's.
    const teardownSignal = AbortSignal.timeout(120_000);
    if (opts.keep && failed && result) {
      ctx.events.emit({ type: "cleanup", removed: { containers: 0, networks: 0, volumes: 0, images: 0 }, kept: `Environment kept for debugging: project ${result.project}. Remove it with: slipway clean --run ${ctx.owner.runId}` });
      await pruneRuns(opts.pipeline.dir, opts.pipeline.config.history.keep).catch(() => []);
    } else {
      // The environment is throwaway and its evidence is kept: killed and removed at once, beside
      // the removal of the build's dangling images and the pruning of old run records.
      const [[early, plan], images] = await Promise.all([
        // What was released is gone first, so that teardown only meets what is left (never a
        // container whose removal is still in progress).
        Promise.all(released).then(async (removed) => [removed.filter(Boolean).length, await teardownRun(ctx.engine, ctx.events, ctx.owner.runId, { kill: true, signal: teardownSignal }).catch(() => [])] as const),
        result ? removeDanglingBuildImages(ctx, result.built, teardownSignal).catch(() => 0) : 0,
        pruneRuns(opts.pipeline.dir, opts.pipeline.config.history.keep).catch(() => []),
      ]);
      ctx.events.emit({
        type: "cleanup",
        removed: {
          containers: early + plan.filter((o) => o.kind === "container.remove").length,
          networks: plan.filter((o) => o.kind === "network.remove").length,
          volumes: plan.filter((o) => o.kind === "volume.remove").length,
          images,
        },
      });
    }
  }
  ctx.events.emit({
    type: "verdict",
    kind: verdict.kind,
    exitCode: verdict.exitCode,
    message: redactor.redact(verdict.message),
    durationMs: ctx.clock.now() - started,
    runId: ctx.owner.runId,
    evidence: record.dir,
    ...(verdict.hint ? { hint: verdict.hint } : {}),
  });
  unsubscribe();
  await record.flush();
  return { verdict, ...(result ? { stage: result } : {}), evidence: record.dir };
}
