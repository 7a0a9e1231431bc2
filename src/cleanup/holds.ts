/**
 * Holds: a run keeps the images it builds or reuses safe from any prune — its own end-of-run
 * cleanup, a concurrent run's, `slipway prune`, even `docker image prune -a` — from the moment it
 * has them until it ends. A hold is a container that is never started: the engine refuses to
 * remove an image a container uses, and the container carries the run's labels, so it goes with
 * the run's teardown, or with the sweep when the run was killed. A release image between its
 * acceptance and its publish, or a test image between its build and its container, is no longer
 * at the mercy of another job that moved its tag.
 */
import type { Engine } from "../engine/index.ts";
import { Label } from "../run/labels.ts";
import type { RunContext } from "../run/context.ts";
import { teardownSignal } from "../run/lifetimes.ts";

/** Per run, the images held and the holds being made (a run's stages may reuse one image several times). */
const held = new Map<string, Map<string, Promise<void>>>();

/** Holds `imageId` for the rest of the run; once per run and image. */
export function holdImage(ctx: RunContext, imageId: string): Promise<void> {
  const runId = ctx.owner.runId;
  let images = held.get(runId);
  if (!images) held.set(runId, (images = new Map()));
  let pending = images.get(imageId);
  if (!pending) {
    // Never started: a command is set only because the engine refuses a container without one.
    pending = ctx.engine.containers
      .create({ Image: imageId, Cmd: ["slipway-hold"], Entrypoint: [], Labels: { ...ctx.labels("ephemeral"), [Label.hold]: "true" } }, { signal: ctx.signal })
      .then(() => undefined);
    images.set(imageId, pending);
    pending.catch(() => images.delete(imageId));
  }
  return pending;
}

/** Per run, the images its builds displaced: the tags they had now name the run's builds. */
const displaced = new Map<string, Set<string>>();

/**
 * An image this run displaced (a build of the run took its tag): held like the run's own until the
 * run ends, so that the run itself is the one that removes it then, and counts it (displacedBy).
 */
export function holdDisplaced(ctx: RunContext, imageId: string): Promise<void> {
  const runId = ctx.owner.runId;
  let ids = displaced.get(runId);
  if (!ids) displaced.set(runId, (ids = new Set()));
  ids.add(imageId);
  return holdImage(ctx, imageId);
}

/** The images the run displaced (see holdDisplaced). */
export function displacedBy(runId: string): ReadonlySet<string> {
  return displaced.get(runId) ?? new Set();
}

/** Removes the run's holds (its images may then be pruned); returns how many. Teardown's own clock, not the run's signal. */
export async function releaseHolds(engine: Engine, runId: string): Promise<number> {
  // Holds are made by the run's own process: none made, none to look for.
  if (!held.has(runId)) return 0;
  const signal = teardownSignal("runMs");
  await Promise.allSettled([...(held.get(runId)?.values() ?? [])]);
  held.delete(runId);
  displaced.delete(runId);
  const holds = await engine.containers.list({ all: true, filters: { label: [`${Label.run}=${runId}`, Label.hold] }, signal });
  const removed = await Promise.all(holds.map((c) => engine.containers.remove(c.Id, { force: true, signal }).then(() => 1, () => 0)));
  return removed.reduce<number>((a, b) => a + b, 0);
}
