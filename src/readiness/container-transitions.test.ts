import { test } from "node:test";
import assert from "node:assert/strict";
import { engineTime, isNews, missedTransitions, type InspectedState, type Transition } from "./container-transitions.ts";

const started = (at: number): Transition => ({ state: { kind: "started" }, at });
const exited = (at: number, exitCode: number): Transition => ({ state: { kind: "exited", exitCode }, at });
const health = (at: number, status: "healthy" | "unhealthy"): Transition => ({ state: { kind: "health", status }, at });

/** Feeds transitions in arrival order, keeping what is news: the watcher's history. */
function take(arrivals: Transition[]): Transition[] {
  const history: Transition[] = [];
  for (const t of arrivals) if (isNews(history, t)) history.push(t);
  return history;
}

const iso = (ns: number) => {
  const ms = Math.floor(ns / 1e6);
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(ns % 1e9).padStart(9, "0")}Z`;
};
const T = 1_700_000_000_000_000_000; // ns; a multiple of 1e9, so offsets below stay exact enough
const running = (startedAt: number, extra: Partial<InspectedState> = {}): InspectedState => ({ Status: "running", ExitCode: 0, StartedAt: iso(startedAt), FinishedAt: "0001-01-01T00:00:00Z", ...extra });
const stopped = (startedAt: number, finishedAt: number, exitCode: number, status: InspectedState["Status"] = "exited"): InspectedState => ({ Status: status, ExitCode: exitCode, StartedAt: iso(startedAt), FinishedAt: iso(finishedAt) });

test("engine timestamps keep their nanoseconds", () => {
  assert.equal(engineTime("2023-11-14T22:13:20.000001024Z"), T + 1024);
  assert.equal(engineTime("2023-11-14T22:13:20Z"), T);
  assert.equal(engineTime("2023-11-14T23:13:20.5+01:00"), T + 500_000_000);
});

test("a replay of events already seen is no news", () => {
  const seen = [started(T + 1_000), exited(T + 9_000, 3)];
  assert.deepEqual(take([...seen, ...seen]), seen);
});

test("an exit found by inspect is taken once: the engine's own die event arriving later is no news", () => {
  const history = [started(T + 1_000)];
  const missed = missedTransitions(history, stopped(T + 1_000, T + 9_000, 3));
  assert.deepEqual(missed.map((t) => t.state), [{ kind: "exited", exitCode: 3 }]);
  // The engine logs `die` just after it records FinishedAt.
  assert.deepEqual(take([...history, ...missed, exited(T + 9_500, 3)]), [...history, ...missed]);
});

test("an exit already delivered by a replayed event is not found again by the inspect", () => {
  const history = [started(T + 1_000), exited(T + 9_500, 3)];
  assert.deepEqual(missedTransitions(history, stopped(T + 1_000, T + 9_000, 3)), []);
});

test("with nothing seen of a container, inspect finds its exit, and older replayed events stay behind it", () => {
  const missed = missedTransitions([], stopped(T + 1_000, T + 9_000, 3));
  assert.deepEqual(missed.map((t) => t.state), [{ kind: "exited", exitCode: 3 }]);
  assert.deepEqual(take([...missed, started(T + 1_200), exited(T + 9_500, 3)]), missed);
});

test("a running container that was seen starting has nothing missed; one restarted by its policy is left to the replayed events", () => {
  assert.deepEqual(missedTransitions([started(T + 1_000)], running(T + 1_000)), []);
  assert.deepEqual(missedTransitions([started(T + 1_000)], running(T + 5_000)), []);
  // The replay brings the exit in between, and the new start.
  assert.deepEqual(take([started(T + 1_000), exited(T + 4_000, 1), started(T + 5_000)]).length, 3);
});

test("a start found by inspect after an exit seen, and its replayed start event, count once", () => {
  const history = [started(T + 1_000), exited(T + 2_000, 0)];
  const missed = missedTransitions(history, running(T + 5_000));
  assert.deepEqual(missed.map((t) => t.state), [{ kind: "started" }]);
  assert.deepEqual(take([...history, ...missed, started(T + 5_100)]), [...history, ...missed]);
});

test("a restarting container (waiting for its restart policy) has exited, with its code", () => {
  assert.deepEqual(missedTransitions([started(T + 1_000)], stopped(T + 1_000, T + 3_000, 137, "restarting")).map((t) => t.state), [{ kind: "exited", exitCode: 137 }]);
});

test("a created container that never ran has no transitions", () => {
  assert.deepEqual(missedTransitions([], { Status: "created", ExitCode: 0, StartedAt: "0001-01-01T00:00:00Z", FinishedAt: "0001-01-01T00:00:00Z" }), []);
});

test("an unhealthy status found by inspect is news; an older healthy event replayed after it is not", () => {
  const history = [started(T + 1_000), health(T + 2_000, "healthy")];
  const inspected = running(T + 1_000, { Health: { Status: "unhealthy", FailingStreak: 3, Log: [{ Start: iso(T + 7_000), End: iso(T + 8_000), ExitCode: 1, Output: "" }] } });
  const missed = missedTransitions(history, inspected);
  assert.deepEqual(missed.map((t) => t.state), [{ kind: "health", status: "unhealthy" }]);
  assert.deepEqual(take([...history, ...missed, health(T + 2_000, "healthy"), health(T + 8_100, "unhealthy")]), [...history, ...missed]);
});

test("the same health status is no news within one run, and news again after a restart", () => {
  const run1 = [started(T + 1_000), health(T + 2_000, "healthy")];
  assert.equal(isNews(run1, health(T + 3_000, "healthy")), false);
  const run2 = [...run1, exited(T + 4_000, 1), started(T + 5_000)];
  assert.equal(isNews(run2, health(T + 6_000, "healthy")), true);
  assert.equal(isNews(run2, health(T + 3_000, "unhealthy")), false, "a status from the previous run");
  assert.equal(isNews([...run1, exited(T + 4_000, 1)], health(T + 4_500, "unhealthy")), false, "a stopped container has no health");
});
