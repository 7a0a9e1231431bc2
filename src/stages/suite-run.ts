/**
 * What the stages that run a suite in an environment share — `test` (seed 000) and `acceptance`
 * (seed 001): the environment of slipway.yml and its service, its compose files loaded under the
 * stage's unique project name with every secret known to the redactor, the readiness gates of
 * `wait:`, the suite's run (its own exit code is the verdict; a dependency that dies while it runs
 * fails the stage as the dependency's), and, on any outcome, its reports and the environment's
 * evidence before teardown.
 */
import path from "node:path";
import { setMaxListeners } from "node:events";
import { secretValue } from "../compose/file-objects.ts";
import { loadProject } from "../compose/load/index.ts";
import type { Project } from "../compose/model/index.ts";
import { composeRun } from "../compose/runner/run.ts";
import type { EnvironmentConfig } from "../config/pipeline-schema.ts";
import { CancelledError, SlipwayError } from "../errors/index.ts";
import type { ContainerWatcher } from "../readiness/container-watcher.ts";
import { collectDiagnostics, formatDiagnostics } from "../readiness/diagnostics.ts";
import type { ReadyCondition } from "../readiness/wait-ready.ts";
import { copyReports, type CopiedReports } from "../reports/copy-reports.ts";
import { reportProblems } from "../reports/report-problems.ts";
import type { RunContext } from "../run/context.ts";
import { Label } from "../run/labels.ts";
import { teardownSignal } from "../run/lifetimes.ts";
import { fromError, passed, testsFailed, verdictForFailure, verdictOf, type Verdict } from "../run/verdict.ts";
import { DependencyMonitor, longRunningDependencies, type DependencyFailure } from "./dependency-monitor.ts";
import type { StartedEnvironment } from "./environment.ts";
import { collectContainerEvidence } from "./evidence.ts";
import type { RunServices, StageName } from "./stage.ts";

export function stageProjectName(pipelineName: string, stage: string, runId: string): string {
  return `${pipelineName}-${stage}-${runId.replace(/^.*-/, "")}`.toLowerCase().replace(/[^a-z0-9_-]/g, "");
}

/** Images of a stage get stable tags (not per-run project names), so repeated runs don't pile up tags. */
export function stageImageTag(pipelineName: string, environment: string, service: string): string {
  return `${pipelineName}-${environment}-${service}:slipway`;
}

/** The environment of slipway.yml a stage brings up. */
export function environmentConfig(services: RunServices, environment: string): EnvironmentConfig {
  const envConfig = services.pipeline.config.environments[environment];
  if (!envConfig) {
    const known = Object.keys(services.pipeline.config.environments).join(", ");
    throw new SlipwayError(`slipway.yml has no environment "${environment}"`, { code: "NO_SUCH_ENVIRONMENT", kind: "config", hint: `Environments: ${known || "none"}.` });
  }
  return envConfig;
}

/** The service that runs the environment's suite (its exit code is the verdict). */
export function suiteService(envConfig: EnvironmentConfig, environment: string): string {
  if (!envConfig.service) {
    throw new SlipwayError(`environments.${environment} has no \`service\`: Slipway needs to know which service runs the tests`, {
      code: "NO_TEST_SERVICE",
      kind: "config",
      hint: `Add \`service: <name>\` under environments.${environment} in slipway.yml.`,
    });
  }
  return envConfig.service;
}

/**
 * The environment's compose files as one project under `projectName`; `vars` are added to the
 * caller's environment for interpolation (a fact of the run, such as the commit being released).
 */
export async function loadEnvironment(services: RunServices, envConfig: EnvironmentConfig, projectName: string, vars: Record<string, string> = {}): Promise<Project> {
  return loadProject({
    workingDir: services.pipeline.dir,
    files: envConfig.compose.map((f) => path.resolve(services.pipeline.dir, f)),
    projectName,
    env: { ...services.env, ...vars },
  });
}

/** Every environment value and secret of the project, masked in output, evidence and records. */
export async function redactProject(services: RunServices, project: Project): Promise<void> {
  for (const s of Object.values(project.services)) services.redactor.addEnvironment(s.environment);
  services.redactor.addEnvironment(project.environment);
  for (const text of await secretTexts(project)) services.redactor.add(text);
}

/**
 * Every secret's value, as text and trimmed, for the redactor: whatever the names (a file's
 * contents, an environment variable named like anything). One that cannot be read is skipped
 * here; it fails where it is used.
 */
async function secretTexts(project: Project): Promise<string[]> {
  const values = await Promise.all(Object.keys(project.secrets).map((name) => secretValue(project, name).catch(() => undefined)));
  return values.flatMap((v) => (v ? [v.toString("utf8"), v.toString("utf8").trim()] : []));
}

/**
 * `wait:` as readiness gates of the suite's run (the compose model stays as loaded, so the saved
 * config is what ran): `completed` waits for a one-shot's exit 0; `ready` for healthy when the
 * service has a healthcheck, running otherwise.
 */
export function waitGates(project: Project, wait: EnvironmentConfig["wait"]): Record<string, ReadyCondition> {
  return Object.fromEntries(
    wait.map((w) => {
      const health = project.services[w.service]?.healthcheck;
      const condition: ReadyCondition = w.until === "completed" ? "service_completed_successfully" : health?.test && !health.disable ? "service_healthy" : "service_started";
      return [w.service, condition];
    }),
  );
}

export async function dependencyVerdict(ctx: RunContext, failure: DependencyFailure, hint?: string): Promise<Verdict> {
  // The dependencies could no longer be watched (the engine's event stream is gone): the engine's failure, not theirs.
  if (failure.error) return fromError(failure.error);
  const d = await collectDiagnostics(ctx.engine, failure.container);
  return verdictOf("dependency-failed", `Dependency ${failure.service} ${failure.what}\n${formatDiagnostics(d)}`, hint);
}

export interface SuiteRunOptions {
  /** The environment's project, already loaded (and its images built). */
  project: Project;
  service: string;
  envConfig: EnvironmentConfig;
  /** The stage's subscription to the project's container events, for the dependency monitor. */
  watcher: ContainerWatcher;
  /** Image ids of the services built (or chosen) by the stage. */
  prebuilt: Map<string, string>;
  /** Containers this run already started (one-shots that ran): not started again. */
  startedThisRun: ReadonlySet<string>;
  gates: Record<string, ReadyCondition>;
  /** Called when the suite's container starts (its reports come from it, whatever happens next). */
  onStart: (containerId: string) => void;
}

export interface SuiteRunResult {
  verdict: Verdict;
  /** The suite container's own exit code, when it ran to the end. */
  exitCode?: number;
}

/**
 * Runs the suite's service once its dependencies and gates are ready, with its output as
 * `container.log` events; its own non-zero exit code fails the stage (`tests-failed`). A
 * long-running dependency that exits or turns unhealthy meanwhile fails it as `dependency-failed`,
 * fast: the suite is killed rather than left blocked until the timeout. `stageCtx.signal` is the
 * stage's (Ctrl-C and its timeout); what it aborts is thrown.
 */
export async function runSuite(ctx: RunContext, stageCtx: RunContext, services: RunServices, opts: SuiteRunOptions): Promise<SuiteRunResult> {
  const { project, service, envConfig, gates } = opts;
  const runAbort = new AbortController();
  const runSignal = AbortSignal.any([stageCtx.signal, runAbort.signal]);
  setMaxListeners(0, runSignal);
  let container: string | undefined;
  let dependencyFailure: DependencyFailure | undefined;
  // What must keep running while the suite runs: its dependencies and its `ready` gates — never a
  // one-shot awaited to completion, whose exit 0 is its success.
  const completedGates = new Set(Object.entries(gates).filter(([, c]) => c === "service_completed_successfully").map(([name]) => name));
  const waitFor = envConfig.wait.map((w) => w.service);
  const longRunning = [...new Set([...longRunningDependencies(project, service), ...waitFor])].filter((s) => !completedGates.has(s));
  const monitor = new DependencyMonitor(ctx.engine, opts.watcher, project, longRunning, (failure) => {
    dependencyFailure = failure;
    // Fail fast: a suite blocked on a dead database would otherwise hang until the timeout.
    if (container) void ctx.engine.containers.kill(container).catch(() => undefined);
    else runAbort.abort();
  });
  try {
    const run = await composeRun({ ...stageCtx, signal: runSignal }, project, service, {
      lifetime: "ephemeral",
      startedThisRun: opts.startedThisRun,
      images: services.images,
      prebuilt: opts.prebuilt,
      gates,
      readyTimeoutMs: envConfig.ready_timeout,
      environment: envConfig.env,
      ...(envConfig.command ? { command: envConfig.command } : {}),
      onStart: (id) => {
        container = id;
        opts.onStart(id);
        void monitor.arm().catch(() => undefined);
      },
      onOutput: (stream, data) => {
        for (const line of data.toString("utf8").split(/\r?\n/)) {
          if (line) ctx.events.emit({ type: "container.log", service, container: service, stream: stream === "stderr" ? "stderr" : "stdout", line: services.redactor.redact(line) });
        }
      },
    });
    monitor.stop();
    if (dependencyFailure) {
      return { exitCode: run.exitCode, verdict: await dependencyVerdict(ctx, dependencyFailure, `The test's own exit code (${run.exitCode}) is not the verdict: its dependency failed first.`) };
    }
    return { exitCode: run.exitCode, verdict: run.exitCode === 0 ? passed() : testsFailed(run.exitCode, `${service} exited with code ${run.exitCode}`) };
  } catch (err) {
    monitor.stop();
    // Stopped by the monitor before the suite started: the dependency's failure, not a cancellation.
    if (dependencyFailure && err instanceof CancelledError && runAbort.signal.aborted && !stageCtx.signal.aborted) return { verdict: await dependencyVerdict(ctx, dependencyFailure) };
    throw err;
  }
}

export interface KeepEvidenceOptions {
  stage: StageName;
  environment: string;
  envConfig: EnvironmentConfig;
  /** The environment's compose project, once loaded (its containers are the evidence). */
  project: string | undefined;
  env: StartedEnvironment;
  /** The suite's service and container, when it started: its reports are copied out. */
  suite?: { service: string; container: string };
  verdict: Verdict;
  /** Also the full `inspect` of every container, not only of those that failed. */
  inspectAll?: boolean;
}

/**
 * The suite's reports (also when it failed) and the environment's evidence — every container's
 * logs and health history, the inspect of failed ones (or of all) — before teardown: the suite's
 * container must still exist. Each container is released (removed at once, unless a failed
 * environment may be kept) as soon as nothing more is needed from it. Returns the verdict, turned
 * into `reports-missing` when it passed but a required report is missing or unreadable.
 */
export async function keepReportsAndEvidence(ctx: RunContext, services: RunServices, opts: KeepEvidenceOptions): Promise<{ verdict: Verdict; reports?: CopiedReports }> {
  const { record, pipeline } = services;
  const { envConfig, environment, suite } = opts;
  let verdict = opts.verdict;
  let copied: CopiedReports | undefined;
  const evidenceSignal = teardownSignal("evidenceMs");
  const reportsCopied = (async () => {
    if (!suite || envConfig.reports.length === 0) return;
    try {
      const reports = await copyReports(ctx.engine, suite.container, envConfig.reports, path.join(pipeline.dir, "reports", environment), evidenceSignal);
      copied = reports;
      await record.copyReports(reports.dir, environment);
      const problems = reportProblems(envConfig.reports, reports, suite.service);
      ctx.events.emit({
        type: "reports",
        stage: opts.stage,
        environment,
        dir: reports.dir,
        files: reports.files,
        missing: problems.missing,
        unreadable: problems.unreadable,
        ...(reports.junit ? { junit: reports.junit } : {}),
      });
      if (problems.failsRun && verdict.kind === "passed") verdict = verdictOf("reports-missing", problems.message ?? "Required reports are missing or unreadable", problems.hint);
    } catch (err) {
      if (verdict.kind === "passed") verdict = verdictForFailure(err, false);
    }
  })();
  const release = opts.env.release;
  const inspected = async (id: string) => {
    if (!opts.inspectAll) return;
    const info = await ctx.engine.containers.inspect(id, { signal: evidenceSignal }).catch(() => undefined);
    if (info) await record.writeJson(`inspect-${info.Name.replace(/^\//, "")}.json`, info).catch(() => undefined);
  };
  // Only this run's own containers: the project name carries a short run suffix, which another
  // run's (kept) environment could share.
  const kept = async (id: string, labels: Record<string, string>) => {
    if (labels[Label.run] !== ctx.owner.runId) return;
    await inspected(id);
    if (!release) return;
    if (id === suite?.container) await reportsCopied.then(() => release(id));
    else release(id);
  };
  const evidence = opts.project ? collectContainerEvidence(ctx.engine, record, opts.project, evidenceSignal, kept).catch(() => undefined) : undefined;
  await reportsCopied;
  await evidence;
  return { verdict, ...(copied ? { reports: copied } : {}) };
}
