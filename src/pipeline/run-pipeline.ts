/**
 * The one pipeline runner: an ordered list of stages over one set of per-run services (evidence
 * record, redactor, image resolver, record store). It stops at the first stage that does not pass,
 * sweeps whatever the run still owns, prunes old runs, records the run, and ends with the verdict —
 * always the last event, with the run id, on every path: a stage's verdict, a user's error found
 * inside the run, the engine lost mid-run, Ctrl-C, or a bug (whose stack goes to the evidence).
 */
import { tearDownRun } from "../cleanup/teardown-policy.ts";
import type { LoadedPipelineConfig } from "../config/load-pipeline-config.ts";
import { EVENT_SCHEMA_VERSION } from "../events/index.ts";
import { FileRecordStore, type RecordStore, type RunEntry } from "../history/record-store.ts";
import { pruneRuns, RunRecord } from "../history/run-record.ts";
import { ImageResolver } from "../images/image-resolver.ts";
import type { RunContext } from "../run/context.ts";
import { Redactor } from "../run/redact.ts";
import { passed, verdictForFailure, type Verdict } from "../run/verdict.ts";
import type { RunServices, Stage, StageOutcome } from "../stages/stage.ts";

export interface PipelineRunOptions {
  pipeline: LoadedPipelineConfig;
  /** The stages to run, in order. */
  stages: readonly Stage[];
  /** The caller's environment, for compose interpolation. */
  env: Record<string, string>;
  /** What ran, as the run's record and `run.start` name it (e.g. `test`, `ci`). */
  command: string;
  /** Leave a failed environment up for debugging. */
  keep?: boolean;
  /** Where the run is recorded. Default: the file store in the repository's `.slipway/`. */
  store?: RecordStore;
}

export interface PipelineResult {
  runId: string;
  verdict: Verdict;
  /** Each stage that ran to its verdict, in order, with its outcome. */
  stages: { name: string; outcome: StageOutcome }[];
  /** The evidence folder (absent only when it could not be created). */
  evidence?: string;
}

export async function runStages(ctx: RunContext, opts: PipelineRunOptions): Promise<PipelineResult> {
  const started = ctx.clock.now();
  const runId = ctx.owner.runId;
  const redactor = new Redactor();
  redactor.addEnvironment(opts.env);
  const store = opts.store ?? new FileRecordStore(opts.pipeline.dir);
  const stages: PipelineResult["stages"] = [];
  const stageTimes: RunEntry["stages"] = [];
  let record: RunRecord | undefined;
  let unsubscribe: () => unknown = () => undefined;
  let verdict: Verdict = passed();
  try {
    record = await RunRecord.create(opts.pipeline.dir, runId, redactor);
    unsubscribe = ctx.events.on(record.eventLog(EVENT_SCHEMA_VERSION));
    ctx.events.emit({ type: "run.start", runId, command: opts.command });
    await record.writeJson("slipway.json", opts.pipeline.config);
    const services: RunServices = {
      pipeline: opts.pipeline,
      env: opts.env,
      record,
      redactor,
      images: new ImageResolver(ctx.engine, ctx.events, ctx.signal),
      store,
      keep: opts.keep ?? false,
    };
    for (const stage of opts.stages) {
      const stageStarted = ctx.clock.now();
      let outcome: StageOutcome | undefined;
      try {
        outcome = await stage.run(ctx, services);
        stages.push({ name: stage.name, outcome });
        verdict = outcome.verdict;
      } finally {
        stageTimes.push({ name: stage.name, ok: outcome?.verdict.kind === "passed", durationMs: ctx.clock.now() - stageStarted });
      }
      if (verdict.kind !== "passed") break;
    }
  } catch (err) {
    verdict = verdictForFailure(err, ctx.signal.aborted);
    if (verdict.kind === "internal-error") {
      // A bug: its stack is evidence for the report, not something to print at the user.
      const written = await record?.writeText("internal-error.txt", err instanceof Error ? `${err.stack ?? err.message}\n` : `${String(err)}\n`).then(() => true, () => false);
      verdict = { ...verdict, hint: `This is a bug in Slipway. Please report it with ${written ? `${record!.dir}/internal-error.txt` : "the output above"}.` };
    }
    // Not even the evidence folder could be made: the run still starts and ends in the event stream.
    if (!record) ctx.events.emit({ type: "run.start", runId, command: opts.command });
  }
  // Whatever a stage could not tear down (a crash mid-stage) is still the run's, unless a failed
  // environment is kept on purpose.
  if (!(opts.keep && verdict.kind !== "passed")) {
    const left = await tearDownRun(ctx.engine, ctx.events, runId);
    if (left.containers + left.networks + left.volumes > 0) ctx.events.emit({ type: "cleanup", removed: left });
  }
  const keep = opts.pipeline.config.history.keep;
  await Promise.all([pruneRuns(opts.pipeline.dir, keep).catch(() => []), store.prune("runs", keep).catch(() => [])]);

  const message = redactor.redact(verdict.message);
  const hint = verdict.hint ? redactor.redact(verdict.hint) : undefined;
  const durationMs = ctx.clock.now() - started;
  const entry: RunEntry = {
    id: runId,
    at: new Date(started).toISOString(),
    endedAt: new Date(started + durationMs).toISOString(),
    durationMs,
    command: opts.command,
    host: ctx.owner.host,
    stages: stageTimes,
    verdict: { kind: verdict.kind, exitCode: verdict.exitCode, message },
    evidence: record?.dir ?? "",
  };
  await Promise.all([store.put("runs", entry).catch(() => undefined), record?.writeJson("verdict.json", { ...entry.verdict, ...(hint ? { hint } : {}) }).catch(() => undefined)]);
  ctx.events.emit({
    type: "verdict",
    kind: verdict.kind,
    exitCode: verdict.exitCode,
    message,
    durationMs,
    runId,
    ...(record ? { evidence: record.dir } : {}),
    ...(hint ? { hint } : {}),
  });
  unsubscribe();
  await record?.flush();
  return { runId, verdict: { ...verdict, message, ...(hint ? { hint } : {}) }, stages, ...(record ? { evidence: record.dir } : {}) };
}
