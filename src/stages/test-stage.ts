/**
 * `slipway test` as a short script of named steps (seed 000's test stage): build the test images,
 * bring the test environment up under a unique project name, wait for readiness, run the test
 * service, copy its reports out (also when it failed), summarize them, keep the evidence, and
 * tear everything down — whatever happened.
 */
import { StageClock } from "./stage-clock.ts";
import path from "node:path";
import { emptyReportsDir } from "../reports/copy-reports.ts";
import { renderConfig } from "../compose/load/index.ts";
import type { Project } from "../compose/model/index.ts";
import { withDependencies } from "../compose/runner/graph.ts";
import { checkServices, composeUp } from "../compose/runner/up.ts";
import { isSlipwayError } from "../errors/index.ts";
import { ComposeLabel } from "../run/labels.ts";
import type { RunContext } from "../run/context.ts";
import { together } from "../run/together.ts";
import { passed, verdictForFailure, verdictOf, type Verdict } from "../run/verdict.ts";
import { ContainerWatcher } from "../readiness/container-watcher.ts";
import type { CopiedReports } from "../reports/copy-reports.ts";
import { buildServiceImages, pipelineOutputs, type BuiltImage } from "./build-images-step.ts";
import { StartedEnvironment } from "./environment.ts";
import type { RunServices, Stage, StageOutcome } from "./stage.ts";
import { environmentConfig, keepReportsAndEvidence, loadEnvironment, redactProject, runSuite, stageImageTag, stageProjectName, suiteService, waitGates } from "./suite-run.ts";

export { stageProjectName, waitGates };

export interface TestStageResult extends StageOutcome {
  verdict: Verdict;
  project: string;
  reports?: CopiedReports;
  built: BuiltImage[];
  /** The test container's own exit code, when it ran to the end. */
  testExitCode?: number;
}

/** `slipway test`'s stage: the tests of one environment of slipway.yml (`test` unless another is named). */
export function testStage(environment = "test"): Stage {
  return { name: "test", run: (ctx, services) => runTestStage(ctx, services, environment) };
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

export async function runTestStage(ctx: RunContext, services: RunServices, environment: string): Promise<TestStageResult> {
  const { pipeline, record, images } = services;
  const envConfig = environmentConfig(services, environment);
  const service = suiteService(envConfig, environment);
  const projectName = stageProjectName(pipeline.name, environment, ctx.owner.runId);
  const started = ctx.clock.now();
  ctx.events.emit({ type: "stage.start", stage: "test", environment, project: projectName });
  // An earlier run's reports are never mistaken for this run's, even when the tests never start.
  await emptyReportsDir(path.join(pipeline.dir, "reports", environment));
  await using env = new StartedEnvironment(ctx, projectName, { keep: services.keep });

  using clock = new StageClock(ctx, envConfig.timeout);
  const { signal, ctx: stageCtx } = clock;
  const result: TestStageResult = { verdict: passed(), project: projectName, built: [] };
  let project: Project | undefined;
  let watcher: ContainerWatcher | undefined;
  let testContainer: string | undefined;
  // A bug: its verdict is made by the pipeline runner, after the evidence is collected here.
  let bug: { error: unknown } | undefined;
  try {
    project = await loadEnvironment(services, envConfig, projectName);
    const waitFor = envConfig.wait.map((w) => w.service);
    checkServices(project, [service, ...waitFor]);
    await redactProject(services, project);
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
      (s: AbortSignal) => buildServiceImages({ ...stageCtx, signal: s }, stageProject, needed, images, (name) => stageImageTag(pipeline.name, environment, name), pipelineOutputs(pipeline)),
      (s: AbortSignal) => ContainerWatcher.start(ctx.engine, [`${ComposeLabel.project}=${projectName}`], s),
      (s: AbortSignal) => (early.length ? composeUp({ ...stageCtx, signal: s }, stageProject, { services: early, lifetime: "ephemeral", images, readyTimeoutMs: envConfig.ready_timeout }) : Promise.resolve(undefined)),
    );
    watcher = events;
    result.built = [...built.values()];
    env.built = result.built;

    const run = await runSuite(ctx, stageCtx, services, {
      project,
      service,
      envConfig,
      watcher,
      prebuilt: new Map([...built.values()].map((b) => [b.service, b.imageId])),
      // What came up during the build is not started again (a one-shot that already ran).
      startedThisRun: new Set([...(earlyUp?.containers.values() ?? [])].flat()),
      gates,
      onStart: (id) => (testContainer = id),
    });
    result.verdict = run.verdict;
    if (run.exitCode !== undefined) result.testExitCode = run.exitCode;
  } catch (err) {
    if (clock.expired) {
      result.verdict = verdictOf("timeout", `Stage ${environment} took longer than its timeout (${Math.round(envConfig.timeout / 1000)} s)`, `Raise environments.${environment}.timeout in slipway.yml, or find what hangs in the evidence.`);
    } else {
      result.verdict = verdictForFailure(err, ctx.signal.aborted);
      if (!isSlipwayError(err) && !ctx.signal.aborted) bug = { error: err };
    }
  } finally {
    clock.stop();
  }

  // Reports and evidence on any outcome, before teardown (the test container must still exist).
  const kept = await keepReportsAndEvidence(ctx, services, {
    stage: "test",
    environment,
    envConfig,
    project: project ? projectName : undefined,
    env,
    ...(testContainer ? { suite: { service, container: testContainer } } : {}),
    verdict: result.verdict,
  });
  result.verdict = kept.verdict;
  if (kept.reports) result.reports = kept.reports;
  await watcher?.close();
  env.passed = result.verdict.kind === "passed";
  ctx.events.emit({ type: "stage.end", stage: "test", environment, ok: env.passed, durationMs: ctx.clock.now() - started });
  if (bug) throw bug.error;
  return result;
}
