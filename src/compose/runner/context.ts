/**
 * What the compose runner needs from its caller, and nothing more: the engine, where its events
 * go, when to stop, and the labels that tie what it creates to a run. A pipeline's RunContext is
 * one; the runner knows nothing of pipelines, stages or slipway.yml.
 */
import type { Engine } from "../../engine/index.ts";
import type { EventBus } from "../../events/index.ts";
import type { Lifetime } from "../../run/labels.ts";

export interface ComposeContext {
  engine: Engine;
  events: EventBus;
  signal: AbortSignal;
  /** The labels of everything created, for a lifetime (a `compose up` project persists). */
  labels(lifetime: Lifetime): Record<string, string>;
}
