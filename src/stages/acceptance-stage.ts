/**
 * The acceptance stage (seed 001): the release environment's `service` — the acceptance suite —
 * runs against the app the release stage brought up, by service name over the environment's own
 * network. Its reports are copied out as the test stage's are (also when it fails), its own exit
 * code is the verdict, and the logs and inspect of every release-environment service are kept as
 * evidence. A run that starts here (`--from acceptance`) brings the release environment up first,
 * as the release stage does (an image unchanged since an earlier run is reused, not rebuilt).
 * After a failure with --keep the environment stays up and the URL of every published port is told.
 */
import { StageClock } from "./stage-clock.ts";
import path from "node:path";
import { emptyReportsDir } from "../reports/copy-reports.ts";
import type { AcceptanceStageConfig, ReleaseStageConfig } from "../config/pipeline-schema.ts";
import { InternalError, isSlipwayError } from "../errors/index.ts";
import { ContainerWatcher } from "../readiness/container-watcher.ts";
import type { RunContext } from "../run/context.ts";
import { ComposeLabel } from "../run/labels.ts";
import { passed, verdictForFailure, verdictOf, type Verdict } from "../run/verdict.ts";
import { acceptedImages, describeImages, prepareRelease, ReleaseEnvironment, startReleaseEnvironment } from "./release-environment.ts";
import type { RunServices, Stage, StageOutcome } from "./stage.ts";
import { environmentConfig, runSuite, suiteService, waitGates } from "./suite-run.ts";

/** `release`: how the release environment is started when no release stage of this run did. */
export function acceptanceStage(config: AcceptanceStageConfig, release?: ReleaseStageConfig): Stage {
  const releaseConfig: ReleaseStageConfig = release?.environment === config.environment ? release : { environment: config.environment, images: {}, bootstrap: undefined, timeout: 600_000 };
  return { name: "acceptance", run: (ctx, services) => runAcceptanceStage(ctx, services, config, releaseConfig) };
}

export async function runAcceptanceStage(ctx: RunContext, services: RunServices, config: AcceptanceStageConfig, releaseConfig: ReleaseStageConfig): Promise<StageOutcome> {
  const { environment } = config;
  const envConfig = environmentConfig(services, environment);
  const service = suiteService(envConfig, environment);
  const existing = services.environments.get(environment);
  if (existing && !(existing instanceof ReleaseEnvironment)) throw new InternalError(`Environment ${environment} was started by another stage than release`);
  let env = existing;
  const started = ctx.clock.now();

  using clock = new StageClock(ctx, envConfig.timeout);
  const { signal, ctx: stageCtx } = clock;
  if (!env) {
    env = new ReleaseEnvironment(ctx, services, environment);
    // The run tears it down at the end, however this stage ends.
    services.environments.set(environment, env);
  }
  const release = env;
  ctx.events.emit({ type: "stage.start", stage: "acceptance", environment, project: release.project });
  await emptyReportsDir(path.join(services.pipeline.dir, "reports", environment));
  let verdict: Verdict = passed();
  let watcher: ContainerWatcher | undefined;
  let suiteContainer: string | undefined;
  let bug: { error: unknown } | undefined;
  try {
    if (!existing) {
      ctx.events.emit({ type: "log", level: "info", message: `No release stage ran before acceptance in this run: environment ${environment} is brought up as the release stage does` });
      await startReleaseEnvironment(stageCtx, services, await prepareRelease(stageCtx, services, releaseConfig), release);
    }
    const project = release.prepared!.project;
    watcher = await ContainerWatcher.start(ctx.engine, [`${ComposeLabel.project}=${release.project}`], signal);
    const run = await runSuite(ctx, stageCtx, services, {
      project,
      service,
      envConfig,
      watcher,
      prebuilt: release.prebuilt,
      startedThisRun: release.started,
      gates: waitGates(project, envConfig.wait),
      onStart: (id) => (suiteContainer = id),
    });
    verdict = run.verdict;
  } catch (err) {
    if (clock.expired) {
      verdict = verdictOf("timeout", `Stage acceptance took longer than its timeout (${Math.round(envConfig.timeout / 1000)} s)`, `Raise environments.${environment}.timeout in slipway.yml, or find what hangs in the evidence.`);
    } else {
      verdict = verdictForFailure(err, ctx.signal.aborted);
      if (!isSlipwayError(err) && !ctx.signal.aborted) bug = { error: err };
    }
  } finally {
    clock.stop();
  }

  // Reports and evidence on any outcome, before teardown (the acceptance container must still exist).
  verdict = (await release.keepEvidence("acceptance", verdict, suiteContainer ? { service, container: suiteContainer } : undefined)).verdict;
  await watcher?.close();
  if (verdict.kind === "passed") {
    verdict = passed(`accepted ${describeImages(release.released)}`);
    services.accepted.push(...acceptedImages(release.released));
  }
  else if (services.keep) await release.announceUrls();
  ctx.events.emit({ type: "stage.end", stage: "acceptance", environment, ok: verdict.kind === "passed", durationMs: ctx.clock.now() - started });
  if (bug) throw bug.error;
  return { verdict, outputs: { images: release.released } };
}
