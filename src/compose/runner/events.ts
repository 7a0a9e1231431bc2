/**
 * `events`: the engine's container events of a project, as docker compose v2 (2.26.1) streams
 * them: one-off containers left out, compose's own labels dropped from the attributes, printed
 * as compose's JSON objects (`--json`) or its text lines.
 */
import type { Engine, EngineEvent } from "../../engine/index.ts";
import { ComposeLabel } from "../../run/labels.ts";
import { goJson, goMicrosTime, goRfc3339Nano, type LocalZone, localZone } from "./display-values.ts";

/** compose's api.Event. */
export interface ComposeEvent {
  /** Unix nanoseconds. */
  time: bigint;
  service: string;
  /** The container's ID. */
  container: string;
  action: string;
  attributes: Record<string, string>;
}

/** Streams the project's events to `onEvent` until `signal` aborts. */
export async function composeEvents(
  engine: Engine,
  projectName: string,
  opts: { services?: readonly string[]; signal: AbortSignal; onEvent: (event: ComposeEvent) => void },
): Promise<void> {
  const stream = await engine.system.events({ filters: { type: ["container"], label: [`${ComposeLabel.project}=${projectName.toLowerCase()}`] }, signal: opts.signal });
  for await (const raw of stream) {
    const event = toComposeEvent(raw, opts.services ?? []);
    if (event) opts.onEvent(event);
  }
}

/** compose's view of an engine event, or undefined for what it does not show (pure). */
export function toComposeEvent(e: EngineEvent, services: readonly string[]): ComposeEvent | undefined {
  if (e.Type !== "container") return undefined;
  const attrs = e.Actor.Attributes ?? {};
  if (attrs[ComposeLabel.oneoff] === "True") return undefined;
  const service = attrs[ComposeLabel.service] ?? "";
  if (services.length && !services.includes(service)) return undefined;
  const attributes = Object.fromEntries(Object.entries(attrs).filter(([k]) => !k.startsWith("com.docker.compose.")));
  const nanos = e.timeNanoText ? BigInt(e.timeNanoText) : e.timeNano ? BigInt(Math.round(e.timeNano)) : BigInt(e.time) * 1_000_000_000n;
  return { time: nanos, service, container: e.Actor.ID, action: e.Action, attributes };
}

const sortedEntries = (m: Record<string, string>) => Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** `events --json`: compose marshals a map, so the keys are sorted; the time in Go's RFC 3339 with nanoseconds. */
export function eventJson(e: ComposeEvent, zone: LocalZone = localZone): string {
  return goJson({
    action: e.action,
    attributes: Object.fromEntries(sortedEntries(e.attributes)),
    id: e.container,
    service: e.service,
    time: goRfc3339Nano(e.time, zone),
    type: "container",
  });
}

/**
 * `events`: compose's Event.String(), `2026-12-05 21:06:43.787971 container start ID (k=v, …)`,
 * which ends in a newline of its own before the one Println adds (a blank line follows each).
 * Go's map order is random; the attributes are sorted here.
 */
export function eventLine(e: ComposeEvent, zone: LocalZone = localZone): string {
  const attrs = sortedEntries(e.attributes).map(([k, v]) => `${k}=${v}`);
  return `${goMicrosTime(e.time, zone)} container ${e.action} ${e.container} (${attrs.join(", ")})\n`;
}
