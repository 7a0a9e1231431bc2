/**
 * Removes everything one run created, selected by its run label — never anything else. Used when
 * a run is cancelled or finishes, with a signal of its own: teardown must complete even though
 * the run's signal is aborted.
 */
import type { Engine } from "../engine/index.ts";
import type { EventBus } from "../events/index.ts";
import { Label } from "../labels/labels.ts";
import { executePlan } from "../compose/runner/execute.ts";
import { planDown, type Plan } from "../compose/runner/plan.ts";
import type { ObservedProject } from "../compose/runner/observe.ts";
import { ComposeLabel } from "../labels/labels.ts";

export async function observeRun(engine: Engine, runId: string, signal?: AbortSignal): Promise<ObservedProject> {
  const filters = { label: [`${Label.run}=${runId}`] };
  const [containers, networks, volumes] = await Promise.all([
    engine.containers.list({ all: true, filters, signal }),
    engine.networks.list({ filters, signal }),
    engine.volumes.list({ filters, signal }),
  ]);
  return {
    containers: containers.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? c.Id).replace(/^\//, ""),
      service: c.Labels[ComposeLabel.service] ?? "",
      index: Number(c.Labels[ComposeLabel.containerNumber] ?? "1"),
      oneoff: (c.Labels[ComposeLabel.oneoff] ?? "False").toLowerCase() === "true",
      state: c.State,
      configHash: c.Labels[Label.configHash],
      image: c.ImageID,
      labels: c.Labels,
    })),
    networks,
    volumes,
  };
}

export interface TeardownOptions {
  /** Stop timeout in seconds; pipelines use a short one. */
  timeout?: number;
  signal?: AbortSignal;
}

export async function teardownRun(engine: Engine, events: EventBus, runId: string, opts: TeardownOptions = {}): Promise<Plan> {
  const signal = opts.signal ?? AbortSignal.timeout(120_000);
  const observed = await observeRun(engine, runId, signal);
  const plan = planDown({ observed, removeVolumes: true, ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}) });
  await executePlan(plan, { engine, signal, events, removeVolumes: true });
  return plan;
}
