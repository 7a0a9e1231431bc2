/**
 * The deploy stage: the release this run published, deployed to each of the stage's targets in
 * turn through the same call as `slipway deploy` (src/deploy/target.ts): images of a published
 * repository pinned to the digests the publish verified, the rollout watched to a verdict, a
 * deployment record written whatever the outcome. A target that does not converge fails the stage
 * with the deploy's own verdict kind (failed, rolled back, paused, timed out), and the targets
 * after it are not deployed. Without a publish in this run (`slipway ci --from deploy`), the
 * newest publishes recorded for the checkout's commit are the release.
 */
import type { DeployStageConfig } from "../config/pipeline-schema.ts";
import { deployTarget, describeDeploy, loadTarget } from "../deploy/target.ts";
import { Engine, endpointFromEnv, targetEnv } from "../engine/index.ts";
import { SlipwayError, isSlipwayError } from "../errors/index.ts";
import type { RunContext } from "../run/context.ts";
import { passed, verdictForFailure, type Verdict } from "../run/verdict.ts";
import type { RunServices, Stage, StageOutcome } from "./stage.ts";

export interface DeployStageOptions {
  /** When another deploy holds a target's lock, wait up to this long (ms) instead of failing at once (exit 13). */
  lockWaitMs?: number;
  /** The rollout watch's interval and a task's start allowance (ms): tests make them small. */
  intervalMs?: number;
  startMs?: number;
}

export function deployStage(config: DeployStageConfig, opts: DeployStageOptions = {}): Stage {
  return { name: "deploy", run: (ctx, services) => runDeployStage(ctx, services, config, opts) };
}

async function runDeployStage(ctx: RunContext, services: RunServices, config: DeployStageConfig, opts: DeployStageOptions): Promise<StageOutcome> {
  const started = ctx.clock.now();
  ctx.events.emit({ type: "stage.start", stage: "deploy" });
  let verdict: Verdict;
  let bug: { error: unknown } | undefined;
  const deployed: string[] = [];
  try {
    const { config: pipeline, dir } = services.pipeline;
    // Every target is read and checked before the first one is touched: a typo in the second
    // target's file must not leave the first deployed and the run failed.
    const loaded = await Promise.all(
      config.targets.map((name) => {
        const settings = pipeline.targets[name];
        if (!settings) {
          throw new SlipwayError(`slipway.yml has no target ${JSON.stringify(name)}`, { code: "NO_SUCH_TARGET", kind: "config", hint: `Its targets: ${Object.keys(pipeline.targets).join(", ") || "none"}.` });
        }
        return loadTarget(dir, name, settings, services.env);
      }),
    );
    for (const target of loaded) {
      const endpoint = target.settings.endpoint;
      // The target's manager, else the run's engine.
      const engine = endpoint ? await Engine.connect({ endpoint: endpointFromEnv(targetEnv(services.env, endpoint)), signal: ctx.signal }) : ctx.engine;
      try {
        const result = await deployTarget({ engine, events: ctx.events, signal: ctx.signal }, target, {
          dir,
          env: services.env,
          store: services.store,
          runId: ctx.owner.runId,
          by: `${services.env["USER"] ?? services.env["LOGNAME"] ?? "unknown"}@${ctx.owner.host}`,
          ...(services.published.length ? { published: services.published } : {}),
          ...(opts.lockWaitMs ? { lockWaitMs: opts.lockWaitMs } : {}),
          ...(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}),
          ...(opts.startMs !== undefined ? { startMs: opts.startMs } : {}),
        });
        // Each service's outcome was said as the rollout was watched; the stack's line closes it.
        ctx.events.emit({ type: "log", level: "info", message: describeDeploy(target.settings.stack, result).at(-1)! });
        deployed.push(`${target.name} (stack ${target.settings.stack}): ${result.plan.steps.length ? `${result.services.length} service(s) converged` : "already up to date"}`);
      } finally {
        if (engine !== ctx.engine) await engine.close();
      }
    }
    verdict = passed(`deployed to ${deployed.join("; ")}`);
  } catch (err) {
    verdict = verdictForFailure(err, ctx.signal.aborted);
    if (deployed.length && verdict.kind !== "cancelled") verdict = { ...verdict, message: `${verdict.message}\n(deployed before it: ${deployed.join("; ")})` };
    if (!isSlipwayError(err) && !ctx.signal.aborted) bug = { error: err };
  }
  ctx.events.emit({ type: "stage.end", stage: "deploy", ok: verdict.kind === "passed", durationMs: ctx.clock.now() - started });
  if (bug) throw bug.error;
  return { verdict };
}
