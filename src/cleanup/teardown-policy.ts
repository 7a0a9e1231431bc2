/**
 * The one teardown policy of a pipeline's environments. An environment is throwaway and its
 * evidence is kept before it goes, so it is killed and removed at once (no graceful stops), with
 * its own clock (run/lifetimes.ts), not the run's signal: teardown must finish after Ctrl-C or a
 * stage's timeout. Containers released early are gone first, so that teardown only meets what is
 * left (never a container whose removal is still in progress). A failed environment may be kept
 * for debugging (--keep), and then nothing of it is removed.
 */
import type { Engine } from "../engine/index.ts";
import type { EventBus } from "../events/index.ts";
import { teardownSignal } from "../run/lifetimes.ts";
import type { Plan } from "../compose/runner/plan.ts";
import { teardownRun } from "./teardown-run.ts";

export interface Removed {
  containers: number;
  networks: number;
  volumes: number;
  images: number;
}

/** Removes one container the run is done with, at once; resolves to whether it was removed. */
export function removeReleasedContainer(engine: Engine, id: string): Promise<boolean> {
  return engine.containers.remove(id, { force: true, volumes: true, signal: teardownSignal("containerMs") }).then(
    () => true,
    () => false,
  );
}

export interface EnvironmentTeardown {
  engine: Engine;
  events: EventBus;
  runId: string;
  /** The environment's compose project. */
  project: string;
  /** Removals of containers released early, still in progress. */
  released: readonly Promise<boolean>[];
  /** Removes what else the environment made outside the project (e.g. dangling build images); returns how many. */
  removeExtras?: (signal: AbortSignal) => Promise<number>;
}

/** What a teardown removed; `incomplete` says why some of it could not be (the engine gone), left for the next sweep. */
export async function tearDownEnvironment(t: EnvironmentTeardown): Promise<{ removed: Removed; incomplete?: string }> {
  const signal = teardownSignal("runMs");
  let incomplete: string | undefined;
  const [[early, plan], images] = await Promise.all([
    Promise.all(t.released).then(async (removed) => {
      const plan = await teardownRun(t.engine, t.events, t.runId, { kill: true, signal, project: t.project }).catch((err: unknown) => {
        incomplete = `${err instanceof Error ? err.message.split("\n")[0] : String(err)}; the next Slipway command sweeps what is left (or run \`slipway clean\`)`;
        return [];
      });
      return [removed.filter(Boolean).length, plan] as const;
    }),
    t.removeExtras ? t.removeExtras(signal).catch(() => 0) : 0,
  ]);
  const removed = removedBy(plan);
  return { removed: { ...removed, containers: early + removed.containers, images }, ...(incomplete ? { incomplete } : {}) };
}

/** The run's last sweep of its own resources, whatever a stage left (a crash mid-stage). */
export async function tearDownRun(engine: Engine, events: EventBus, runId: string): Promise<Removed> {
  return removedBy(await teardownRun(engine, events, runId, { kill: true, signal: teardownSignal("runMs") }).catch(() => []));
}

function removedBy(plan: Plan): Removed {
  const count = (kind: Plan[number]["kind"]) => plan.filter((o) => o.kind === kind).length;
  return { containers: count("container.remove"), networks: count("network.remove"), volumes: count("volume.remove"), images: 0 };
}
