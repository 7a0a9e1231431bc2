import { test } from "node:test";
import assert from "node:assert/strict";
import { exitCodeForKind } from "../errors/index.ts";
import { judgeRollout, rolloutDeadlineMs, RolloutKind, type ObservedTask, type ServiceObservation } from "./rollout.ts";

const NEW = "reg/app@sha256:new";
const OLD = "reg/app@sha256:old";
const SINCE = 1_000_000;

const task = (over: Partial<ObservedTask>): ObservedTask => ({ id: `t${Math.random().toString(16).slice(2)}`, desiredState: "running", state: "running", message: "started", image: NEW, timestamp: SINCE + 10, createdAt: SINCE + 5, ...over });
const obs = (over: Partial<ServiceObservation>): ServiceObservation => ({ name: "st_web", expected: 2, job: false, image: NEW, since: SINCE, created: false, tasks: [], ...over });

test("converged: an update completed and as many of its tasks running as expected", () => {
  const j = judgeRollout(obs({ updateStatus: { state: "completed" }, tasks: [task({ slot: 1 }), task({ slot: 2 })] }), SINCE + 100, SINCE + 1000);
  assert.equal(j.outcome, "converged");
  assert.equal(j.detail, "2/2 running");
});

test("an update still running is in progress even when its tasks run; old failed tasks of the previous image are never this deploy's failures", () => {
  const history = [task({ image: OLD, state: "failed", err: "task: non-zero exit (1)", createdAt: SINCE - 500 }), task({ state: "failed", createdAt: SINCE - 10, err: "an earlier deploy of the same image" })];
  const j = judgeRollout(obs({ updateStatus: { state: "updating" }, tasks: [...history, task({ slot: 1 }), task({ slot: 2, state: "starting" })] }), SINCE + 100, SINCE + 1000);
  assert.equal(j.outcome, "in-progress");
  assert.deepEqual(j.failing, []);
  assert.equal(j.running, 1);
});

test("rolled back: never a success, whatever runs now; the swarm's message and the failing tasks' errors are kept", () => {
  const failed = task({ slot: 1, state: "failed", err: "task: non-zero exit (1)", exitCode: 1, desiredState: "shutdown" });
  const j = judgeRollout(obs({ updateStatus: { state: "rollback_completed", message: "rollback completed" }, tasks: [failed, task({ image: OLD, slot: 1, createdAt: SINCE + 50 }), task({ image: OLD, slot: 2, createdAt: SINCE - 100 })] }), SINCE + 100, SINCE + 1000);
  assert.equal(j.outcome, "rolled-back");
  assert.equal(j.detail, "the update was rolled back: rollback completed");
  assert.deepEqual(j.failing, [failed]);
  assert.equal(exitCodeForKind(RolloutKind["rolled-back"]), 11);
});

test("rollback started: in progress (never converged); paused and a paused rollback are outcomes", () => {
  assert.equal(judgeRollout(obs({ updateStatus: { state: "rollback_started" }, tasks: [task({}), task({})] }), SINCE + 100, SINCE + 1000).outcome, "in-progress");
  assert.equal(judgeRollout(obs({ updateStatus: { state: "paused", message: "update paused due to failure or early termination of task x" } }), SINCE + 100, SINCE + 1000).outcome, "paused");
  assert.equal(judgeRollout(obs({ updateStatus: { state: "rollback_paused" } }), SINCE + 100, SINCE + 1000).outcome, "failed");
  assert.equal(exitCodeForKind(RolloutKind.paused), 12);
});

test("a task the scheduler cannot place is reported with its message when the deadline comes, as timed out", () => {
  // As the engine says it: "pending task scheduling" in Message, the reason in Err.
  const pending = task({ slot: 3, state: "pending", message: "pending task scheduling", err: "no suitable node (max replicas per node limit exceed)" });
  const o = obs({ expected: 3, updateStatus: { state: "updating" }, tasks: [task({ slot: 1 }), task({ slot: 2 }), pending] });
  const before = judgeRollout(o, SINCE + 100, SINCE + 1000);
  assert.equal(before.outcome, "in-progress");
  assert.deepEqual(before.failing, [pending]);
  const after = judgeRollout(o, SINCE + 1000, SINCE + 1000);
  assert.equal(after.outcome, "timed-out");
  assert.equal(after.detail, "not converged in time: task 3: no suitable node (max replicas per node limit exceed)");
  assert.equal(exitCodeForKind(RolloutKind["timed-out"]), 8);
});

test("a created service whose tasks keep failing fails (Swarm would restart them forever), with the last errors", () => {
  const tasks = [1, 2, 3, 4].map((n) => task({ slot: 1 + (n % 2), state: "failed", err: "task: non-zero exit (3)", exitCode: 3, desiredState: "shutdown" }));
  const j = judgeRollout(obs({ created: true, tasks }), SINCE + 100, SINCE + 1000);
  assert.equal(j.outcome, "failed");
  assert.match(j.detail, /task [12]: task: non-zero exit \(3\) \(exit 3\)/);
  // The last three failures are two slots failing alike: each said once.
  assert.equal(j.detail.split("; ").length, new Set(j.detail.split("; ")).size, j.detail);
  assert.equal(judgeRollout(obs({ created: true, tasks: [task({}), task({})] }), SINCE + 100, SINCE + 1000).outcome, "converged");
});

test("jobs converge on completions; a replicated task that completes is a failure", () => {
  assert.equal(judgeRollout(obs({ job: true, created: true, expected: 1, tasks: [task({ state: "complete", desiredState: "shutdown" })] }), SINCE + 100, SINCE + 1000).outcome, "converged");
  const j = judgeRollout(obs({ expected: 1, updateStatus: { state: "updating" }, tasks: [task({ state: "complete", desiredState: "shutdown", slot: 1 })] }), SINCE + 100, SINCE + 1000);
  assert.deepEqual(j.failing.map((t) => t.state), ["complete"]);
});

test("the deadline: per batch of parallelism tasks a start, the healthcheck's worst case, the monitor and the delay; doubled when it may roll back", () => {
  const S = 1e9;
  assert.equal(rolloutDeadlineMs({ tasks: 3, parallelism: 1, healthWorstCase: 7 * S, monitor: 8 * S, delay: S, startMs: 10_000 }, false), 3 * (10_000 + 16_000));
  assert.equal(rolloutDeadlineMs({ tasks: 3, parallelism: 2, startMs: 10_000 }, true), 2 * 2 * (10_000 + 5_000), "Swarm's 5 s monitor when unset");
  assert.equal(rolloutDeadlineMs({ tasks: 0, parallelism: 0 }, false), 65_000);
});
