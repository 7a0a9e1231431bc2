/**
 * What every stage and runner receives from the edge: cancellation, events, the engine, the clock
 * and the run's identity. Only cli/ builds one (from argv, env and the terminal).
 */
import type { Engine } from "../engine/index.ts";
import type { EventBus } from "../events/index.ts";
import { runLabels, type Lifetime, type RunOwner } from "./labels.ts";

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
}

export function labelsFor(ctx: RunContext, lifetime: Lifetime): Record<string, string> {
  return runLabels(ctx.owner, lifetime, ctx.version);
}
