/**
 * `slipway test` as a short script of named steps (seed 000's test stage): build the test images,
 * bring the test environment up under a unique project name, wait for readiness, run the test
 * service, copy its reports out (also when it failed), summarize them, keep the evidence, and
 * tear everything down — whatever happened.
 */
import path from "node:path";
import { setMaxListeners } from "node:events";
import { loadProject, renderConfig } from "../compose/load/index.ts";
import { secretValue } from "../compose/file-objects.ts";
import type { Project } from "../compose/model/index.ts";
import { composeRun } from "../compose/runner/run.ts";
import { withDependencies } from "../compose/runner/graph.ts";
import { checkServices, composeUp } from "../compose/runner/up.ts";
import type { EnvironmentConfig } from "../config/pipeline-schema.ts";
import { CancelledError, SlipwayError, isSlipwayError } from "../errors/index.ts";
import { ComposeLabel, Label } from "../run/labels.ts";
import { teardownSignal } from "../run/lifetimes.ts";
import type { RunContext } from "../run/context.ts";
import { together } from "../run/together.ts";
import { fromError, passed, testsFailed, verdictForFailure, verdictOf, type Verdict } from "../run/verdict.ts";
import { ContainerWatcher } from "../readiness/container-watcher.ts";
import { collectDiagnostics, formatDiagnostics } from "../readiness/diagnostics.ts";
import type { ReadyCondition } from "../readiness/wait-ready.ts";
import { copyReports, type CopiedReports } from "../reports/copy-reports.ts";
import { reportProblems } from "../reports/report-problems.ts";
import { buildServiceImages, type BuiltImage } from "./build-images-step.ts";
import { DependencyMonitor, longRunningDependencies, type DependencyFailure } from "./dependency-monitor.ts";
import { StartedEnvironment } from "./environment.ts";
import { collectContainerEvidence } from "./evidence.ts";
import type { RunServices, Stage, StageOutcome } from "./stage.ts";

export interface TestStageResult extends StageOutcome {
  verdict: Verdict;
  project: string;
  reports?: CopiedReports;
  built: BuiltImage[];
  /** The test container's own exit code, when it ran to the end. */
  testExitCode?: number;
}

export function stageProjectName(pipelineName: string, stage: string, runId: string): string {
  return `${pipelineName}-${stage}-${runId.replace(/^.*-/, "")}`.toLowerCase().replace(/[^a-z0-9_-]/g, "");
}

/** Images of a stage get stable tags (not per-run project names), so repeated runs don't pile up tags. */
function imageTag(pipelineName: string, stage: string, service: string): string {
  return `${pipelineName}-${stage}-${service}:slipway`;
}

/** `slipway test`'s stage: the tests of one environment of slipway.yml (`test` unless another is named). */
export function testStage(environment = "test"): Stage {
  return { name: "test", run: (ctx, services) => runTestStage(ctx, services, environment) };
}

async function loadEnvironment(services: RunServices, env: EnvironmentConfig, projectName: string): Promise<Project> {
  return loadProject({
    workingDir: services.pipeline.dir,
    files: env.compose.map((f) => path.resolve(services.pipeline.dir, f)),
    projectName,
    env: services.env,
  });
}

/**
 * `wait:` as readiness gates of the test service's run (the compose model stays as loaded, so the
 * saved config is what ran): `completed` waits for a one-shot's exit 0; `ready` for healthy when
 * the service has a healthcheck, running otherwise.
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

/**
 * Services that can start before any image is built: they build nothing, depend on nothing that
 * does (transitively), and are not one-shots something waits on to complete. Pure.
 */
export function servicesIndependentOfBuilds(project: Project, services: string[]): string[] {
  // One-shots awaited to completion run once, gated, with the rest of the environment: brought up
  // early, nothing would wait for them, and the later `up` would start them a second time.
  const oneShots = new Set(
    services.flatMap((name) => Object.entries(project.services[name]?.depends_on ?? {}).filter(([, d]) => d.condition === "service_completed_successfully").map(([dep]) => dep)),
  );
  const memo = new Map<string, boolean>();
  const independent = (name: string): boolean => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    memo.set(name, false); // a cycle is not independent (and is reported elsewhere)
    const s = project.services[name];
    const result = !!s && !s.build && !oneShots.has(name) && Object.keys(s.depends_on).every((dep) => !project.services[dep] || independent(dep));
    memo.set(name, result);
    return result;
  };
  return services.filter(independent);
}

async function dependencyVerdict(ctx: RunContext, failure: DependencyFailure, hint?: string): Promise<Verdict> {
  // The dependencies could no longer be watched (the engine's event stream is gone): the engine's failure, not theirs.
  if (failure.error) return fromError(failure.error);
  const d = await collectDiagnostics(ctx.engine, failure.container);
  return verdictOf("dependency-failed", `Dependency ${failure.service} ${failure.what}\n${formatDiagnostics(d)}`, hint);
}

export async function runTestStage(ctx: RunContext, services: RunServices, environment: string): Promise<TestStageResult> {
  const { pipeline, record, redactor, images } = services;
  const envConfig = pipeline.config.environments[environment];
  if (!envConfig) {
    const known = Object.keys(pipeline.config.environments).join(", ");
    throw new SlipwayError(`slipway.yml has no environment "${environment}"`, { code: "NO_SUCH_ENVIRONMENT", kind: "config", hint: `Environments: ${known || "none"}.` });
  }
  const service = envConfig.service;
  if (!service) {
    throw new SlipwayError(`environments.${environment} has no \`service\`: Slipway needs to know which service runs the tests`, {
      code: "NO_TEST_SERVICE",
      kind: "config",
      hint: `Add \`service: <name>\` under environments.${environment} in slipway.yml.`,
    });
  }
  const projectName = stageProjectName(pipeline.name, environment, ctx.owner.runId);
  const started = ctx.clock.now();
  ctx.events.emit({ type: "stage.start", stage: "test", environment, project: projectName });
  await using env = new StartedEnvironment(ctx, projectName, { keep: services.keep });

  // The stage's own clock: its timeout aborts the work (not the run) and is told apart from Ctrl-C.
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), envConfig.timeout);
  const signal = AbortSignal.any([ctx.signal, timeout.signal]);
  setMaxListeners(0, signal);
  const stageCtx: RunContext = { ...ctx, signal };
  const result: TestStageResult = { verdict: passed(), project: projectName, built: [] };
  let project: Project | undefined;
  let watcher: ContainerWatcher | undefined;
  let monitor: DependencyMonitor | undefined;
  let testContainer: string | undefined;
  let dependencyFailure: DependencyFailure | undefined;
  // A bug: its verdict is made by the pipeline runner, after the evidence is collected here.
  let bug: { error: unknown } | undefined;
  try {
    project = await loadEnvironment(services, envConfig, projectName);
    const waitFor = envConfig.wait.map((w) => w.service);
    checkServices(project, [service, ...waitFor]);
    for (const s of Object.values(project.services)) redactor.addEnvironment(s.environment);
    redactor.addEnvironment(project.environment);
    for (const text of await secretTexts(project)) redactor.add(text);
    await record.writeText(`config-${environment}.yml`, renderConfig(project));
    const gates = waitGates(project, envConfig.wait);

    const needed = withDependencies(project, [service, ...waitFor]);
    // While the images build, the services that need none (a database…) come up; the rest of the
    // environment follows once the images are there. The stage's own event subscription (for the
    // dependency monitor) opens beside them. One-shots awaited to completion run once, gated.
    const completedGates = new Set(Object.entries(gates).filter(([, c]) => c === "service_completed_successfully").map(([name]) => name));
    const early = servicesIndependentOfBuilds(project, needed).filter((s) => s !== service && !completedGates.has(s));
    const stageProject = project;
    const [built, events, earlyUp] = await together(
      signal,
      (s: AbortSignal) => buildServiceImages({ ...stageCtx, signal: s }, stageProject, needed, images, (name) => imageTag(pipeline.name, environment, name)),
      (s: AbortSignal) => ContainerWatcher.start(ctx.engine, [`${ComposeLabel.project}=${projectName}`], s),
      (s: AbortSignal) => (early.length ? composeUp({ ...stageCtx, signal: s }, stageProject, { services: early, lifetime: "ephemeral", images, readyTimeoutMs: envConfig.ready_timeout }) : Promise.resolve(undefined)),
    );
    watcher = events;
    result.built = [...built.values()];
    env.built = result.built;
    const prebuilt = new Map([...built.values()].map((b) => [b.service, b.imageId]));

    const runAbort = new AbortController();
    const runSignal = AbortSignal.any([signal, runAbort.signal]);
    setMaxListeners(0, runSignal);
    // What must keep running while the tests run: the test's dependencies and its `ready` gates —
    // never a one-shot awaited to completion, whose exit 0 is its success.
    const longRunning = [...new Set([...longRunningDependencies(project, service), ...waitFor])].filter((s) => !completedGates.has(s));
    monitor = new DependencyMonitor(ctx.engine, watcher, project, longRunning, (failure) => {
      dependencyFailure = failure;
      // Fail fast: a test blocked on a dead database would otherwise hang until the timeout.
      if (testContainer) void ctx.engine.containers.kill(testContainer).catch(() => undefined);
      else runAbort.abort();
    });

    const run = await composeRun({ ...stageCtx, signal: runSignal }, project, service, {
      lifetime: "ephemeral",
      // What came up during the build is not started again (a one-shot that already ran).
      startedThisRun: new Set([...(earlyUp?.containers.values() ?? [])].flat()),
      images,
      prebuilt,
      gates,
      readyTimeoutMs: envConfig.ready_timeout,
      environment: envConfig.env,
      ...(envConfig.command ? { command: envConfig.command } : {}),
      onStart: (id) => {
        testContainer = id;
        void monitor?.arm().catch(() => undefined);
      },
      onOutput: (stream, data) => {
        for (const line of data.toString("utf8").split(/\r?\n/)) {
          if (line) ctx.events.emit({ type: "container.log", service, container: service, stream: stream === "stderr" ? "stderr" : "stdout", line: redactor.redact(line) });
        }
      },
    });
    monitor.stop();
    result.testExitCode = run.exitCode;

    if (dependencyFailure) {
      result.verdict = await dependencyVerdict(ctx, dependencyFailure, `The test's own exit code (${run.exitCode}) is not the verdict: its dependency failed first.`);
    } else if (run.exitCode !== 0) {
      result.verdict = testsFailed(run.exitCode, `${service} exited with code ${run.exitCode}`);
    }
  } catch (err) {
    monitor?.stop();
    if (dependencyFailure && err instanceof CancelledError && !ctx.signal.aborted && !timeout.signal.aborted) {
      result.verdict = await dependencyVerdict(ctx, dependencyFailure);
    } else if (timeout.signal.aborted && !ctx.signal.aborted) {
      result.verdict = verdictOf("timeout", `Stage ${environment} took longer than its timeout (${Math.round(envConfig.timeout / 1000)} s)`, `Raise environments.${environment}.timeout in slipway.yml, or find what hangs in the evidence.`);
    } else {
      result.verdict = verdictForFailure(err, ctx.signal.aborted);
      if (!isSlipwayError(err) && !ctx.signal.aborted) bug = { error: err };
    }
  } finally {
    clearTimeout(timer);
  }

  // Reports and evidence on any outcome, before teardown (the test container must still exist).
  const evidenceSignal = teardownSignal("evidenceMs");
  const reportsCopied = (async () => {
    if (!testContainer || envConfig.reports.length === 0) return;
    try {
      const reports = await copyReports(ctx.engine, testContainer, envConfig.reports, path.join(pipeline.dir, "reports", environment), evidenceSignal);
      result.reports = reports;
      await record.copyReports(reports.dir);
      const problems = reportProblems(envConfig.reports, reports, service);
      ctx.events.emit({
        type: "reports",
        stage: "test",
        environment,
        dir: reports.dir,
        files: reports.files,
        missing: problems.missing,
        unreadable: problems.unreadable,
        ...(reports.junit ? { junit: reports.junit } : {}),
      });
      if (problems.failsRun && result.verdict.kind === "passed") result.verdict = verdictOf("reports-missing", problems.message ?? "Required reports are missing or unreadable", problems.hint);
    } catch (err) {
      if (result.verdict.kind === "passed") result.verdict = verdictForFailure(err, false);
    }
  })();
  // Every container's logs and state are kept while the reports are copied out; each container is
  // released as soon as nothing more is needed from it.
  const release = env.release;
  // Only this run's own containers: the project name carries a short run suffix, which another
  // run's (kept) environment could share.
  const kept = release
    ? (id: string, labels: Record<string, string>) => {
        if (labels[Label.run] !== ctx.owner.runId) return;
        return id === testContainer ? reportsCopied.then(() => release(id)) : release(id);
      }
    : undefined;
  const evidence = project ? collectContainerEvidence(ctx.engine, record, projectName, evidenceSignal, kept).catch(() => undefined) : undefined;
  await reportsCopied;
  await evidence;
  await watcher?.close();
  env.passed = result.verdict.kind === "passed";
  ctx.events.emit({ type: "stage.end", stage: "test", environment, ok: env.passed, durationMs: ctx.clock.now() - started });
  if (bug) throw bug.error;
  return result;
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
