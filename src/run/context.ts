/**
 * What every stage and runner receives: cancellation, events, the engine, the clock and the run's
 * identity. The CLI builds one from argv, env and the terminal (cli/context.ts); a library user
 * builds one with `createRunContext`.
 */
import { setMaxListeners } from "node:events";
import type { Engine } from "../engine/index.ts";
import { EventBus } from "../events/index.ts";
import { currentOwner, newRunId } from "./identity.ts";
import { runLabels, type Lifetime, type RunOwner } from "./labels.ts";
import { slipwayVersion } from "./version.ts";

export interface Clock {
  now(): number;
}

export interface RunContext {
  signal: AbortSignal;
  events: EventBus;
  engine: Engine;
  clock: Clock;
  owner: RunOwner;
  version: string;
  /** The labels of everything this run creates: its identity, owner and the resource's lifetime. */
  labels(lifetime: Lifetime): Record<string, string>;
}

export interface RunContextOptions {
  engine: Engine;
  /** Cancels the run (teardown still happens). Default: never. */
  signal?: AbortSignal;
  /** Where the run's events go. Default: a new bus (subscribe with `ctx.events.on`). */
  events?: EventBus;
  clock?: Clock;
  /** Default: a new unique run id (time stamp and random suffix). */
  runId?: string;
  /** How long the run's resources may outlive an owner on another host that cannot be checked. */
  ttlMs?: number;
}

export function createRunContext(opts: RunContextOptions): RunContext {
  const clock = opts.clock ?? { now: () => Date.now() };
  const owner = currentOwner(opts.runId ?? newRunId(new Date(clock.now())), new Date(clock.now()), opts.ttlMs);
  const version = slipwayVersion();
  const signal = opts.signal ?? new AbortController().signal;
  // Every step of a run listens on its signal; the default limit of 10 would warn.
  setMaxListeners(0, signal);
  return {
    signal,
    events: opts.events ?? new EventBus(() => clock.now()),
    engine: opts.engine,
    clock,
    owner,
    version,
    labels: (lifetime) => runLabels(owner, lifetime, version),
  };
}
