/**
 * Judging a rollout, pure: from what a manager says of a service (its UpdateStatus, its tasks),
 * whether the deploy of that service converged, failed, was rolled back, paused or ran out of
 * time — and why, in the scheduler's and the tasks' own words. Only the tasks of the current
 * update count: old failed tasks, which Swarm keeps in its task history, are never reported as
 * failures of this deploy, and a rollback is never a success.
 */
import type { TaskState } from "../engine/swarm-types.ts";
import type { ErrorKind } from "../errors/index.ts";

export type { TaskState };

export type RolloutOutcome = "in-progress" | "converged" | "failed" | "rolled-back" | "paused" | "timed-out";

/** The error kind (and so verdict and exit code, errors/outcomes.ts) of each outcome that ends a deploy. */
export const RolloutKind = {
  failed: "deploy",
  "rolled-back": "deploy-rolled-back",
  paused: "deploy-paused",
  "timed-out": "timeout",
} as const satisfies Record<Exclude<RolloutOutcome, "in-progress" | "converged">, ErrorKind>;

export interface ObservedTask {
  id: string;
  slot?: number;
  nodeId?: string;
  desiredState: string;
  state: TaskState;
  /** The scheduler's word (`no suitable node (…)`, `started`, …). */
  message: string;
  err?: string;
  /** The image of the spec the task runs. */
  image: string;
  /** The container's exit code, once it has one. */
  exitCode?: number;
  /** ms since the epoch. */
  timestamp: number;
  /** When the task was created, ms since the epoch. */
  createdAt: number;
}

export interface ServiceObservation {
  name: string;
  /** Replicated: how many tasks must run; global: how many nodes it must run on (from the nodes); jobs: completions. */
  expected: number;
  job: boolean;
  /** The image the deploy set. */
  image: string;
  /** When this deploy's change was sent, ms since the epoch: tasks created before it are history. */
  since: number;
  /** Whether this deploy created the service (no UpdateStatus then) or updated it. */
  created: boolean;
  updateStatus?: { state: string; message?: string; startedAt?: number; completedAt?: number };
  tasks: ObservedTask[];
}

export interface RolloutJudgement {
  outcome: RolloutOutcome;
  /** One line for the summary: what happened, in the swarm's words. */
  detail: string;
  /** The tasks of this deploy that failed or cannot be placed, with their errors. */
  failing: ObservedTask[];
  running: number;
}

const FAILED: ReadonlySet<TaskState> = new Set(["failed", "rejected", "orphaned"]);
/** A scheduler message that means the task will not be placed until something changes. */
const UNPLACEABLE = /no suitable node|insufficient resources|port .* (?:already|in use)|host-mode port already in use/i;

/** The scheduler puts why a task waits in Err (`no suitable node (…)`) and "pending task scheduling" in Message. */
const unplaceable = (t: ObservedTask) => t.state === "pending" && UNPLACEABLE.test(`${t.message} ${t.err ?? ""}`);
const describe = (t: ObservedTask) => `${t.slot !== undefined ? `task ${t.slot}` : `task ${t.id.slice(0, 12)}`}: ${t.err || t.message || t.state}${t.exitCode !== undefined && t.exitCode !== 0 ? ` (exit ${t.exitCode})` : ""}`;

export function judgeRollout(obs: ServiceObservation, now: number, deadline: number): RolloutJudgement {
  // This deploy's tasks: made for its image, after it was sent.
  const mine = obs.tasks.filter((t) => t.image === obs.image && t.createdAt >= obs.since);
  const running = mine.filter((t) => t.state === "running" && t.desiredState === "running").length;
  const completed = mine.filter((t) => t.state === "complete").length;
  const failing = mine.filter((t) => FAILED.has(t.state) || unplaceable(t) || (t.state === "complete" && !obs.job));
  const status = obs.updateStatus?.state;
  const message = obs.updateStatus?.message ? `: ${obs.updateStatus.message}` : "";

  if (status === "rollback_completed") return { outcome: "rolled-back", detail: `the update was rolled back${message}`, failing, running };
  if (status === "rollback_started") {
    // Rolling back is not an outcome yet, but it will never be a success.
    if (now >= deadline) return { outcome: "timed-out", detail: `rolling back since the update failed${message}, not done in time`, failing, running };
    return { outcome: "in-progress", detail: `rolling back${message}`, failing, running };
  }
  if (status === "rollback_paused") return { outcome: "failed", detail: `the rollback itself failed and is paused${message}`, failing, running };
  if (status === "paused") return { outcome: "paused", detail: `the update is paused${message}`, failing, running };

  const done = obs.job ? completed >= obs.expected : running >= obs.expected;
  const updateDone = obs.created || status === "completed" || status === undefined;
  if (done && updateDone) return { outcome: "converged", detail: obs.job ? `${completed}/${obs.expected} completed` : `${running}/${obs.expected} running`, failing: [], running };

  const waiting = mine.filter(unplaceable);
  if (now >= deadline) {
    const why = waiting.length ? waiting.map(describe).join("; ") : failing.length ? failing.map(describe).join("; ") : `${running}/${obs.expected} running`;
    return { outcome: "timed-out", detail: `not converged in time: ${why}`, failing, running };
  }
  // A created service has no rollback to wait for: tasks that keep failing are its verdict once
  // as many have failed as it should run (Swarm would restart them forever).
  if (obs.created && !obs.job && failing.filter((t) => FAILED.has(t.state) || t.state === "complete").length >= Math.max(obs.expected, 1) * 2) {
    return { outcome: "failed", detail: [...new Set(failing.slice(-3).map(describe))].join("; "), failing, running };
  }
  return { outcome: "in-progress", detail: `${running}/${obs.expected} running${failing.length ? `; ${failing.slice(-1).map(describe).join("")}` : ""}`, failing, running };
}

export interface DeadlineInput {
  /** Tasks to replace (replicas, or nodes for a global service). */
  tasks: number;
  parallelism: number;
  /** ns */
  delay?: number;
  /** ns */
  monitor?: number;
  /** ns: start period + interval × retries. */
  healthWorstCase?: number;
  /** ms allowed for pulling the image and starting a task (default 60 s). */
  startMs?: number;
}

/**
 * How long a service's rollout may take before it is reported as timed out, in ms: for each batch
 * of `parallelism` tasks, a start, the healthcheck's worst case, the monitor and the delay; twice
 * that when the update may roll back (the rollback replaces the same tasks again).
 */
export function rolloutDeadlineMs(input: DeadlineInput, rollback: boolean): number {
  const batches = Math.ceil(Math.max(input.tasks, 1) / Math.max(input.parallelism, 1) || 1);
  const perBatch = (input.startMs ?? 60_000) + ((input.healthWorstCase ?? 0) + (input.monitor ?? 5e9) + (input.delay ?? 0)) / 1e6;
  return Math.ceil(batches * perBatch * (rollback ? 2 : 1));
}
