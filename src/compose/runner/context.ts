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
  /**
   * What containers are created from. `id` (the default): the image ID resolved for this run, so
   * that a tag someone moves meanwhile cannot change what runs. `name`: the image's name, as
   * docker compose does (what `docker ps` then shows); `slipway compose` asks for it.
   */
  createFrom?: "id" | "name";
  /** At most this many engine operations at once (`--parallel`); unset or -1: no limit. */
  parallel?: number;
}

/** Config.Image for a container: the resolved ID, or the name when the context asks for names (or no ID is known, as in a dry run). */
export function createFrom(ctx: Pick<ComposeContext, "createFrom">, imageId: string | undefined, ref: string): string {
  return ctx.createFrom === "name" || imageId === undefined ? ref : imageId;
}

/** runDag's concurrency for a context's `--parallel`. */
export function concurrency(ctx: Pick<ComposeContext, "parallel">): number {
  return ctx.parallel !== undefined && ctx.parallel > 0 ? ctx.parallel : Infinity;
}
