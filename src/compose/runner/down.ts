/** `down`: containers (dependents first) → networks → volumes with -v. */
import type { ComposeContext } from "./context.ts";
import type { Project } from "../model/index.ts";
import { executePlan } from "./execute.ts";
import { observeProject } from "./observe.ts";
import { planDown, type Plan } from "./plan.ts";

export interface DownOptions {
  project?: Project;
  removeVolumes?: boolean;
  /** Seconds to wait for a graceful stop before the kill. */
  timeout?: number;
  dryRun?: boolean;
  /** Teardown must finish even when the run was cancelled: pass a signal that is not the run's. */
  signal?: AbortSignal;
}

export async function composeDown(ctx: ComposeContext, projectName: string, opts: DownOptions = {}): Promise<Plan> {
  const signal = opts.signal ?? ctx.signal;
  const observed = await observeProject(ctx.engine, projectName, signal);
  const plan = planDown({
    observed,
    removeVolumes: opts.removeVolumes ?? false,
    ...(opts.project ? { project: opts.project } : {}),
    ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
  });
  if (opts.dryRun) return plan;
  await executePlan(plan, { engine: ctx.engine, signal, events: ctx.events, removeVolumes: opts.removeVolumes ?? false });
  return plan;
}
