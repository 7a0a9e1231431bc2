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
import type { LoadedPipelineConfig } from "../config/load-pipeline-config.ts";
import type { EnvironmentConfig } from "../config/pipeline-schema.ts";
import { CancelledError, SlipwayError, isSlipwayError } from "../errors/index.ts";
import { ImageResolver } from "../images/image-resolver.ts";
import { ComposeLabel, Label } from "../run/labels.ts";
import type { RunContext } from "../run/context.ts";
import { together } from "../pipeline/together.ts";
import { fromError, passed, testsFailed, verdictOf, type Verdict } from "../run/verdict.ts";
import { ContainerWatcher } from "../readiness/container-watcher.ts";
import { collectDiagnostics, formatDiagnostics } from "../readiness/diagnostics.ts";
import { copyReports, type CopiedReports } from "../reports/copy-reports.ts";
import type { Redactor } from "../run/redact.ts";
import type { RunRecord } from "../history/run-record.ts";
import { buildServiceImages, type BuiltImage } from "./build-images-step.ts";
import { DependencyMonitor, longRunningDependencies, type DependencyFailure } from "./dependency-monitor.ts";

export interface TestStageOptions {
  stage: string;
  pipeline: LoadedPipelineConfig;
  /** The caller's environment, for compose interpolation (only cli/ reads process.env). */
  env: Record<string, string>;
  record: RunRecord;
  redactor: Redactor;
  /** Where reports land: `<reportsRoot>/<stage>/`. */
  reportsRoot: string;
  /** Image resolver shared by the run's stages (each image pulled once per run). */
  images: ImageResolver;
  /**
   * Called with each container the stage no longer needs — its evidence kept and, for the test
   * container, its reports copied — so the caller can remove it while the rest is still being
   * collected. Not given when the environment may have to be kept (--keep).
   */
  release?: (containerId: string) => void;
}

export interface TestStageResult {
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

async function loadEnvironment(opts: TestStageOptions, env: EnvironmentConfig, projectName: string): Promise<Project> {
  return loadProject({
    workingDir: opts.pipeline.dir,
    files: env.compose.map((f) => path.resolve(opts.pipeline.dir, f)),
    projectName,
    env: opts.env,
  });
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
  const d = await collectDiagnostics(ctx.engine, failure.container);
  return verdictOf("dependency-failed", `Dependency ${failure.service} ${failure.what}\n${formatDiagnostics(d)}`, hint);
}

export async function runTestStage(ctx: RunContext, opts: TestStageOptions): Promise<TestStageResult> {
  const envConfig = opts.pipeline.config.environments[opts.stage];
  if (!envConfig) {
    const known = Object.keys(opts.pipeline.config.environments).join(", ");
    throw new SlipwayError(`slipway.yml has no environment "${opts.stage}"`, { code: "NO_SUCH_ENVIRONMENT", kind: "config", hint: `Environments: ${known || "none"}.` });
  }
  const service = envConfig.service;
  if (!service) {
    throw new SlipwayError(`environments.${opts.stage} has no \`service\`: Slipway needs to know which service runs the tests`, {
      code: "NO_TEST_SERVICE",
      kind: "config",
      hint: `Add \`service: <name>\` under environments.${opts.stage} in slipway.yml.`,
    });
  }
  const projectName = stageProjectName(opts.pipeline.name, opts.stage, ctx.owner.runId);
  const started = ctx.clock.now();
  ctx.events.emit({ type: "stage.start", stage: opts.stage, project: projectName });

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
  try {
    project = await loadEnvironment(opts, envConfig, projectName);
    checkServices(project, [service, ...(envConfig.wait ?? [])]);
    for (const s of Object.values(project.services)) opts.redactor.addEnvironment(s.environment);
    opts.redactor.addEnvironment(project.environment);
    for (const text of await secretTexts(project)) opts.redactor.add(text);
    await opts.record.writeText(`config-${opts.stage}.yml`, renderConfig(project));

    const needed = withDependencies(project, [service, ...(envConfig.wait ?? [])]);
    // While the images build, the services that need none (a database…) come up; the rest of the
    // environment follows once the images are there. The stage's own event subscription (for the
    // dependency monitor) opens beside them.
    const early = servicesIndependentOfBuilds(project, needed).filter((s) => s !== service);
    const stageProject = project;
    const [built, events, earlyUp] = await together(
      signal,
      (s: AbortSignal) => buildServiceImages({ ...stageCtx, signal: s }, stageProject, needed, opts.images, (name) => imageTag(opts.pipeline.name, opts.stage, name)),
      (s: AbortSignal) => ContainerWatcher.start(ctx.engine, [`${ComposeLabel.project}=${projectName}`], s),
      (s: AbortSignal) => (early.length ? composeUp({ ...stageCtx, signal: s }, stageProject, { services: early, lifetime: "ephemeral", images: opts.images, readyTimeoutMs: envConfig.ready_timeout }) : Promise.resolve(undefined)),
    );
    watcher = events;
    result.built = [...built.values()];
    const prebuilt = new Map([...built.values()].map((b) => [b.service, b.imageId]));

    // `wait:` adds readiness gates on top of the test service's depends_on.
    for (const extra of envConfig.wait ?? []) {
      if (!(extra in project.services[service]!.depends_on)) {
        const hasHealth = !!project.services[extra]!.healthcheck?.test && !project.services[extra]!.healthcheck!.disable;
        project.services[service]!.depends_on[extra] = { condition: hasHealth ? "service_healthy" : "service_started", required: true, restart: false };
      }
    }

    const runAbort = new AbortController();
    const runSignal = AbortSignal.any([signal, runAbort.signal]);
    setMaxListeners(0, runSignal);
    monitor = new DependencyMonitor(ctx.engine, watcher, project, longRunningDependencies(project, service), (failure) => {
      dependencyFailure = failure;
      // Fail fast: a test blocked on a dead database would otherwise hang until the timeout.
      if (testContainer) void ctx.engine.containers.kill(testContainer).catch(() => undefined);
      else runAbort.abort();
    });

    const run = await composeRun({ ...stageCtx, signal: runSignal }, project, service, {
      lifetime: "ephemeral",
      // What came up during the build is not started again (a one-shot that already ran).
      startedThisRun: new Set([...(earlyUp?.containers.values() ?? [])].flat()),
      images: opts.images,
      prebuilt,
      readyTimeoutMs: envConfig.ready_timeout,
      environment: envConfig.env,
      ...(envConfig.command ? { command: envConfig.command } : {}),
      onStart: (id) => {
        testContainer = id;
        void monitor?.arm().catch(() => undefined);
      },
      onOutput: (stream, data) => {
        for (const line of data.toString("utf8").split(/\r?\n/)) {
          if (line) ctx.events.emit({ type: "container.log", service, container: service, stream: stream === "stderr" ? "stderr" : "stdout", line: opts.redactor.redact(line) });
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
      result.verdict = verdictOf("timeout", `Stage ${opts.stage} took longer than its timeout (${Math.round(envConfig.timeout / 1000)} s)`, `Raise environments.${opts.stage}.timeout in slipway.yml, or find what hangs in the evidence.`);
    } else if (ctx.signal.aborted) {
      result.verdict = verdictOf("cancelled", "cancelled");
    } else if (isSlipwayError(err)) {
      result.verdict = fromError(err);
    } else {
      throw err;
    }
  } finally {
    clearTimeout(timer);
  }

  // Reports and evidence on any outcome, before teardown (the test container must still exist).
  const evidenceSignal = AbortSignal.timeout(60_000);
  const reportsCopied = (async () => {
    if (!testContainer || envConfig.reports.length === 0) return;
    try {
      const reports = await copyReports(ctx.engine, testContainer, envConfig.reports, path.join(opts.reportsRoot, opts.stage), evidenceSignal);
      result.reports = reports;
      await opts.record.copyReports(reports.dir);
      ctx.events.emit({
        type: "reports",
        stage: opts.stage,
        dir: reports.dir,
        files: reports.files,
        missing: reports.missing,
        ...(reports.junit ? { junit: reports.junit } : {}),
      });
      if (reports.missing.length > 0 && result.verdict.kind === "passed") {
        result.verdict = verdictOf("reports-missing", `Required reports not found in ${service}: ${reports.missing.join(", ")}`, "Check environments.*.reports paths in slipway.yml and where the tests write their reports.");
      }
    } catch (err) {
      if (result.verdict.kind === "passed") result.verdict = isSlipwayError(err) ? fromError(err) : verdictOf("internal-error", String(err));
    }
  })();
  // Every container's logs and state are kept while the reports are copied out; each container is
  // released as soon as nothing more is needed from it.
  const release = opts.release;
  // Only this run's own containers: the project name carries a short run suffix, which another
  // run's (kept) environment could share.
  const kept = release
    ? (id: string, labels: Record<string, string>) => {
        if (labels[Label.run] !== ctx.owner.runId) return;
        return id === testContainer ? reportsCopied.then(() => release(id)) : release(id);
      }
    : undefined;
  const evidence = project ? opts.record.collectContainers(ctx.engine, projectName, evidenceSignal, kept).catch(() => undefined) : undefined;
  await reportsCopied;
  await evidence;
  await watcher?.close();
  ctx.events.emit({ type: "stage.end", stage: opts.stage, ok: result.verdict.kind === "passed", durationMs: ctx.clock.now() - started });
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
