/**
 * Watching a rollout: every service this deploy created or updated, all at once, read from the
 * manager (its UpdateStatus, its ServiceStatus and its tasks) until each has an outcome
 * (rollout.ts judges), with its progress said by name as it changes. A failure carries the
 * failing tasks' errors and their last log lines. Ctrl-C stops the watching only: the rollout
 * goes on in the swarm, and the error says so.
 */
import { setTimeout as delay } from "node:timers/promises";
import { demuxStream } from "../engine/streams/demux.ts";
import type { Engine } from "../engine/index.ts";
import type { Task } from "../engine/swarm-types.ts";
import type { EventBus } from "../events/index.ts";
import type { Rollout } from "./apply.ts";
import { judgeRollout, rolloutDeadlineMs, type ObservedTask, type RolloutJudgement, type TaskState } from "./rollout.ts";

export interface SupervisedService {
  name: string;
  judgement: RolloutJudgement;
  /** ms the rollout took to its outcome. */
  durationMs: number;
  /** The failing tasks' last log lines (a few per task), for the verdict. */
  logs: string[];
}

export interface SuperviseOptions {
  /** ms between two looks (default 500). */
  intervalMs?: number;
  /** The target's overall bound, ms. */
  timeoutMs: number;
  /** ms allowed for a task's pull and start (the deadline's per-batch start). */
  startMs?: number;
}

function observedTask(t: Task): ObservedTask {
  return {
    id: t.ID,
    ...(t.Slot !== undefined ? { slot: t.Slot } : {}),
    ...(t.NodeID ? { nodeId: t.NodeID } : {}),
    desiredState: t.DesiredState,
    state: t.Status.State as TaskState,
    message: t.Status.Message ?? "",
    ...(t.Status.Err ? { err: t.Status.Err } : {}),
    image: t.Spec.ContainerSpec?.Image ?? "",
    ...(t.Status.ContainerStatus?.ExitCode !== undefined ? { exitCode: t.Status.ContainerStatus.ExitCode } : {}),
    timestamp: Date.parse(t.Status.Timestamp),
    createdAt: Date.parse(t.CreatedAt),
  };
}

async function lastLines(engine: Engine, taskId: string): Promise<string[]> {
  try {
    const body = await engine.tasks.logs(taskId, { tail: 5, signal: AbortSignal.timeout(5000) });
    const out: string[] = [];
    for await (const frame of demuxStream(body)) out.push(...frame.data.toString("utf8").split("\n").filter(Boolean));
    return out.slice(-5);
  } catch {
    return [];
  }
}

export async function supervise(engine: Engine, events: EventBus, rollouts: readonly Rollout[], signal: AbortSignal, opts: SuperviseOptions): Promise<SupervisedService[]> {
  const started = Date.now();
  const pending = new Map(
    rollouts.map((r) => {
      const spec = r.service.spec;
      const replicas = "Replicated" in spec.Mode ? spec.Mode.Replicated.Replicas : 1;
      const deadline = Math.min(
        started + opts.timeoutMs,
        r.since +
          rolloutDeadlineMs(
            {
              tasks: replicas,
              parallelism: spec.UpdateConfig.Parallelism || replicas,
              ...(spec.UpdateConfig.Delay !== undefined ? { delay: spec.UpdateConfig.Delay } : {}),
              ...(spec.UpdateConfig.Monitor !== undefined ? { monitor: spec.UpdateConfig.Monitor } : {}),
              ...(r.service.healthWorstCaseNs !== undefined ? { healthWorstCase: r.service.healthWorstCaseNs } : {}),
              ...(opts.startMs !== undefined ? { startMs: opts.startMs } : {}),
            },
            !r.created && spec.UpdateConfig.FailureAction === "rollback",
          ),
      );
      return [r.id, { rollout: r, deadline, said: "", cause: "" }] as [string, { rollout: Rollout; deadline: number; said: string; cause: string }];
    }),
  );
  const done: SupervisedService[] = [];
  // The manager's service events (an update's state changing, as the swarm records it) wake the
  // next look at once; looking every interval stays, for what has no event (tasks on other nodes).
  const watching = new AbortController();
  const stopWatching = () => watching.abort();
  signal.addEventListener("abort", stopWatching, { once: true });
  let wake: (() => void) | undefined;
  void (async () => {
    for await (const _event of await engine.system.events({ filters: { type: ["service"], service: [...pending.keys()] }, signal: watching.signal })) wake?.();
  })().catch(() => undefined);
  try {
    while (pending.size > 0) {
      signal.throwIfAborted();
      const [listed, tasks] = await Promise.all([
        engine.services.list({ status: true, filters: { id: [...pending.keys()] }, signal }),
        engine.tasks.list({ filters: { service: [...pending.keys()] }, signal }),
      ]);
      const now = Date.now();
      for (const [id, p] of [...pending]) {
        const service = listed.find((s) => s.ID === id);
        const spec = p.rollout.service.spec;
        const job = "ReplicatedJob" in spec.Mode || "GlobalJob" in spec.Mode;
        const expected = "Replicated" in spec.Mode ? spec.Mode.Replicated.Replicas : (service?.ServiceStatus?.DesiredTasks ?? 1);
        const u = service?.UpdateStatus;
        // Why the swarm rolls back is in its message only while the rollback runs ("update rolled
        // back due to failure or early termination of task …"); once done it says "rollback completed".
        if (u?.State === "rollback_started" && u.Message) p.cause = u.Message;
        const judgement = judgeRollout(
          {
            name: spec.Name,
            expected,
            job,
            image: spec.TaskTemplate.ContainerSpec.Image,
            since: p.rollout.since - 1000,
            created: p.rollout.created,
            ...(u?.State ? { updateStatus: { state: u.State, ...(u.Message ? { message: u.Message } : {}) } } : {}),
            tasks: tasks.filter((t) => t.ServiceID === id).map(observedTask),
          },
          now,
          p.deadline,
        );
        if (judgement.outcome === "in-progress") {
          if (judgement.detail !== p.said) {
            p.said = judgement.detail;
            events.emit({ type: "log", level: "info", message: `${spec.Name}: ${judgement.detail}` });
          }
          continue;
        }
        if (judgement.outcome === "rolled-back" && p.cause && !judgement.detail.includes(p.cause)) judgement.detail = `${judgement.detail} (${p.cause})`;
        pending.delete(id);
        const logs = judgement.outcome === "converged" ? [] : (await Promise.all(judgement.failing.slice(-2).map((t) => lastLines(engine, t.id)))).flat();
        events.emit({ type: "log", level: judgement.outcome === "converged" ? "info" : "error", message: `${spec.Name}: ${judgement.outcome}: ${judgement.detail}` });
        done.push({ name: spec.Name, judgement, durationMs: now - p.rollout.since, logs });
      }
      if (pending.size > 0) {
        const woken = new AbortController();
        wake = () => woken.abort();
        await delay(opts.intervalMs ?? 500, undefined, { signal: AbortSignal.any([signal, woken.signal]) }).catch((err: unknown) => {
          if (signal.aborted) throw err;
        });
        wake = undefined;
      }
    }
  } finally {
    watching.abort();
    signal.removeEventListener("abort", stopWatching);
  }
  return done;
}
