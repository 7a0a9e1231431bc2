/**
 * Which state changes of a container are news. A watcher learns them from two sources that
 * overlap once its event stream has broken: the engine's events (a resubscription with `since`
 * replays some it has seen already) and one inspect of the container (where it is now, not how it
 * got there). Every change carries the engine's own time, so a change is taken once, whichever
 * source brings it first and in whatever order they arrive: a container cannot exit twice without
 * starting in between, and nothing older than what is known can be news.
 */
import type { ContainerState } from "../engine/types.ts";

export type ContainerEventState =
  | { kind: "started" }
  | { kind: "exited"; exitCode: number }
  | { kind: "health"; status: "healthy" | "unhealthy" | "starting" };

/** A state and when the engine says it began, in nanoseconds since the epoch (engine clock). */
export interface Transition {
  state: ContainerEventState;
  at: number;
}

/** Whether `next` adds to `history` (oldest first), or repeats or predates what it says. */
export function isNews(history: readonly Transition[], next: Transition): boolean {
  let lifecycle: Transition | undefined;
  let health: Transition | undefined;
  for (const t of history) {
    if (t.state.kind === "health") health = t;
    else {
      lifecycle = t;
      health = undefined; // a health status belongs to one run of the container
    }
  }
  if (next.state.kind === "health") {
    if (lifecycle && (lifecycle.state.kind === "exited" || next.at <= lifecycle.at)) return false;
    if (health && (next.at <= health.at || (health.state.kind === "health" && health.state.status === next.state.status))) return false;
    return true;
  }
  if (!lifecycle) return true;
  return lifecycle.state.kind !== next.state.kind && next.at > lifecycle.at;
}

/** What an inspect tells about a container: the part of `State` the transitions need. */
export type InspectedState = Pick<ContainerState, "Status" | "ExitCode" | "StartedAt" | "FinishedAt" | "Health">;

/**
 * The transitions an inspect shows that `history` lacks: an exit (with its code) or a start, and
 * the health status of a running container. What happened between them is lost to an inspect
 * (a container restarted by its policy looks like one that never stopped); the events replayed
 * after a resubscription bring that, when the engine still buffers them.
 */
export function missedTransitions(history: readonly Transition[], state: InspectedState): Transition[] {
  const out: Transition[] = [];
  const add = (t: Transition) => {
    if (isNews([...history, ...out], t)) out.push(t);
  };
  switch (state.Status) {
    case "running":
    case "paused": {
      add({ state: { kind: "started" }, at: engineTime(state.StartedAt) });
      const status = state.Health?.Status;
      if (status === "healthy" || status === "unhealthy") {
        // The status was decided by a probe, at the latest when the last one ended.
        const last = state.Health?.Log?.at(-1);
        add({ state: { kind: "health", status }, at: last ? engineTime(last.End) : engineTime(state.StartedAt) + 1_000 });
      }
      break;
    }
    // `restarting` is an exited container waiting for its restart policy's next start.
    case "exited":
    case "dead":
    case "restarting":
      add({ state: { kind: "exited", exitCode: state.ExitCode }, at: engineTime(state.FinishedAt) });
      break;
    default:
      // created (never started) or removing: nothing to tell.
      break;
  }
  return out;
}

/** An engine timestamp (RFC 3339 with up to nanoseconds) in nanoseconds since the epoch. */
export function engineTime(text: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return Number.NaN;
  const seconds = Date.parse(`${m[1]}${m[3]}`) / 1000;
  return seconds * 1e9 + Number((m[2] ?? "").padEnd(9, "0"));
}
