/**
 * The one pipeline runner: an ordered list of stages over one set of per-run services (evidence
 * record, redactor, image resolver, record store). It stops at the first stage that does not pass,
 * sweeps whatever the run still owns, prunes old runs, records the run, and ends with the verdict —
 * always the last event, with the run id, on every path: a stage's verdict, a user's error found
 * inside the run, the engine lost mid-run, Ctrl-C, or a bug (whose stack goes to the evidence).
 */
import { setMaxListeners } from "node:events";
import { hostFacts } from "../cleanup/owner.ts";
import { releaseRunImages } from "../cleanup/prune.ts";
import { tearDownRun } from "../cleanup/teardown-policy.ts";
import type { LoadedPipelineConfig } from "../config/load-pipeline-config.ts";
import { EVENT_SCHEMA_VERSION } from "../events/index.ts";
import { FileRecordStore, type RecordStore, type RunEntry } from "../history/record-store.ts";
import { pruneRuns, RunRecord } from "../history/run-record.ts";
import { ImageResolver } from "../images/image-resolver.ts";
import type { RunContext } from "../run/context.ts";
import { teardownSignal } from "../run/lifetimes.ts";
import { Redactor } from "../run/redact.ts";
import { passed, verdictForFailure, type Verdict } from "../run/verdict.ts";
import { STAGE_NAMES, type RunServices, type Stage, type StageName, type StageOutcome } from "../stages/stage.ts";
import { pruneAfterRun } from "./prune-pipeline.ts";
import { planStages, preparationsAfter, skippedAfter, type SliceOptions } from "./stage-plan.ts";

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
  /** Only the stages from/until these (`--from`, `--until`). */
  slice?: SliceOptions;
  /** Prune the pipeline's images at the end (`slipway ci` with slipway.yml's `prune.after_ci`). */
  prune?: boolean;
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
  let accepted: RunServices["accepted"] = [];
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
      environments: new Map(),
      accepted,
      published: [],
    };
    await using _teardown = environmentsOf(services, () => verdict.kind === "passed");
    const plan = planStages(opts.stages, opts.slice);
    const byName = new Map(opts.stages.map((s) => [s.name, s]));
    // Stages left out by the slice are told where they stand: those before it first, those after it last.
    const firstPlanned = plan.stages[0]?.name;
    const before = plan.outside.filter((s) => firstPlanned !== undefined && STAGE_NAMES.indexOf(s.name) < STAGE_NAMES.indexOf(firstPlanned));
    for (const s of before) ctx.events.emit({ type: "stage.skip", stage: s.name, reason: s.reason });
    await using preparations = new Preparations(ctx, services, byName);
    preparations.start(preparationsAfter(plan, undefined));
    for (const { name } of plan.stages) {
      const stage = byName.get(name)!;
      const stageStarted = ctx.clock.now();
      let outcome: StageOutcome | undefined;
      try {
        outcome = await stage.run(ctx, services, await preparations.result(name));
        stages.push({ name: stage.name, outcome });
        verdict = outcome.verdict;
      } finally {
        stageTimes.push({ name: stage.name, ok: outcome?.verdict.kind === "passed", durationMs: ctx.clock.now() - stageStarted });
        if (outcome?.verdict.kind !== "passed") for (const s of skippedAfter(plan, name)) ctx.events.emit({ type: "stage.skip", stage: s.name, reason: s.reason });
      }
      if (verdict.kind !== "passed") break;
      preparations.start(preparationsAfter(plan, name));
    }
    for (const s of plan.outside.filter((o) => !before.includes(o))) ctx.events.emit({ type: "stage.skip", stage: s.name, reason: s.reason });
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
  // The run's holds on its images go first (they are no resource of the user's, and are not
  // counted), and with them the images its builds displaced, unless something still needs them.
  const displaced = await releaseRunImages(ctx.engine, runId, { store, keep: opts.pipeline.config.prune.keep, host: hostFacts(ctx.owner), signal: teardownSignal("runMs") }).catch(() => 0);
  // Whatever a stage could not tear down (a crash mid-stage) is still the run's, unless a failed
  // environment is kept on purpose.
  const left = opts.keep && verdict.kind !== "passed" ? { containers: 0, networks: 0, volumes: 0, images: 0 } : await tearDownRun(ctx.engine, ctx.events, runId);
  const removed = { ...left, images: displaced };
  if (removed.containers + removed.networks + removed.volumes + removed.images > 0) ctx.events.emit({ type: "cleanup", removed });
  // A cancelled run starts no new work: the prune waits for the next run (or `slipway prune`).
  if (opts.prune && !ctx.signal.aborted) await pruneAfterRun(ctx, opts.pipeline, store);
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
    ...(accepted.length > 0 ? { accepted } : {}),
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

/**
 * The preparations of a run's stages (work that overlaps earlier stages), each started at most
 * once, all stopped and settled when the run ends — whether or not their stage's turn came.
 */
class Preparations implements AsyncDisposable {
  readonly #ctx: RunContext;
  readonly #services: RunServices;
  readonly #stages: Map<StageName, Stage>;
  readonly #abort = new AbortController();
  readonly #started = new Map<StageName, Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }>>();

  constructor(ctx: RunContext, services: RunServices, stages: Map<StageName, Stage>) {
    this.#ctx = { ...ctx, signal: AbortSignal.any([ctx.signal, this.#abort.signal]) };
    setMaxListeners(0, this.#ctx.signal);
    this.#services = services;
    this.#stages = stages;
  }

  start(names: StageName[]): void {
    for (const name of names) {
      const stage = this.#stages.get(name);
      if (!stage?.prepare || this.#started.has(name)) continue;
      this.#started.set(name, stage.prepare(this.#ctx, this.#services).then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })));
    }
  }

  /** The stage's prepared work (started now if it had not been); its failure is thrown here, as the stage's. */
  async result(name: StageName): Promise<unknown> {
    this.start([name]);
    const prepared = await this.#started.get(name);
    if (!prepared) return undefined;
    if (!prepared.ok) throw prepared.error;
    return prepared.value;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#started.values());
  }
}

/** What stages left started for later ones, torn down when the run ends (kept with --keep after a failure). */
function environmentsOf(services: RunServices, passed: () => boolean): AsyncDisposable {
  return {
    async [Symbol.asyncDispose]() {
      for (const env of [...services.environments.values()].reverse()) {
        env.passed = passed();
        await env[Symbol.asyncDispose]();
      }
      services.environments.clear();
    },
  };
}
