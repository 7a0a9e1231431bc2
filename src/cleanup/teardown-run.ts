/**
 * Removes everything one run created, selected by its run label — never anything else. Used when
 * a run is cancelled or finishes, with a signal of its own: teardown must complete even though
 * the run's signal is aborted.
 */
import type { Engine } from "../engine/index.ts";
import type { EventBus } from "../events/index.ts";
import { ComposeLabel, Label } from "../run/labels.ts";
import { teardownSignal } from "../run/lifetimes.ts";
import { executePlan } from "../compose/runner/execute.ts";
import { planDown, type Plan } from "../compose/runner/plan.ts";
import { observeByLabels, type ObservedProject } from "../compose/runner/observe.ts";

/** What one run created; with `project`, only what it created in that compose project. */
export function observeRun(engine: Engine, runId: string, signal?: AbortSignal, project?: string): Promise<ObservedProject> {
  return observeByLabels(engine, { label: [`${Label.run}=${runId}`, ...(project ? [`${ComposeLabel.project}=${project}`] : [])] }, signal);
}

export interface TeardownOptions {
  /** Stop timeout in seconds; pipelines use a short one. */
  timeout?: number;
  /** Force-remove every container at once, without graceful stops (see DownPlanInput.kill). */
  kill?: boolean;
  /** See ExecuteContext.networkRetries. */
  networkRetries?: number;
  signal?: AbortSignal;
  /** Only the run's resources in this compose project (one environment of the run). */
  project?: string;
}

export async function teardownRun(engine: Engine, events: EventBus, runId: string, opts: TeardownOptions = {}): Promise<Plan> {
  const signal = opts.signal ?? teardownSignal("runMs");
  const observed = await observeRun(engine, runId, signal, opts.project);
  const plan = planDown({ observed, removeVolumes: true, ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}), ...(opts.kill ? { kill: true } : {}) });
  await executePlan(plan, { engine, signal, events, removeVolumes: true, ...(opts.networkRetries !== undefined ? { networkRetries: opts.networkRetries } : {}) });
  return plan;
}
