/**
 * The container watcher when the engine's event stream breaks, against the real engine. The
 * watcher's connection goes through a proxy (event-stream-proxy.ts) that cuts its event
 * subscription while a container is alive and holds the resubscription until the container has
 * exited, so the exit happens while nothing listens: what the watcher, the readiness wait and the
 * dependency monitor report is then only what the resubscription caught up with.
 *
 * The containers exit with code 3 when sent SIGTERM (a shell trap), so each test decides when.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { endpointFromEnv, type Engine } from "../../../src/engine/index.ts";
import { ContainerWatcher, type ContainerEventState, type WatcherStatus } from "../../../src/readiness/container-watcher.ts";
import { waitReady } from "../../../src/readiness/wait-ready.ts";
import { readLogLines } from "../../../src/readiness/diagnostics.ts";
import { DependencyFailedError } from "../../../src/readiness/dependency-error.ts";
import { isSlipwayError } from "../../../src/errors/index.ts";
import { DependencyMonitor, type DependencyFailure } from "../../../src/stages/dependency-monitor.ts";
import { serviceContainerName } from "../../../src/compose/runner/names.ts";
import { projectFromYaml } from "../../../src/compose/runner/test-support.ts";
import { rejection, tempContainer, testLabels, uniqueName, useEngine } from "../engine/harness.ts";
import { engineThrough, eventStreamProxy, proxySkipReason, type EventStreamProxy } from "./event-stream-proxy.ts";

let engine: Engine;
useEngine((e) => (engine = e));

const skip = proxySkipReason(endpointFromEnv(process.env));
/** A bound on a hang, not a threshold on speed: every wait below ends on an event long before. */
const HANG = { timeout: 120_000 };
const CASE_LABEL = "dev.slipway.watch-case";
const EXIT_3_ON_TERM = ["sh", "-c", "trap 'exit 3' TERM; echo trap-set; sleep 100000 & wait"];

/**
 * Until the shell has set its trap: a container's PID 1 ignores a SIGTERM it has no handler for,
 * so a kill sent between "start" and the trap was lost and the container never exited (a test
 * hung on a loaded CI machine). Polls the engine's logs, never a blind sleep.
 */
async function trapSet(id: string): Promise<void> {
  while (!(await readLogLines(engine, id, { tty: false })).some((l) => l.includes("trap-set"))) await new Promise((r) => setTimeout(r, 20));
}
/** A healthcheck that never passes, and that the engine itself would not run for an hour. */
const NEVER_HEALTHY = { Test: ["CMD", "false"], Interval: 3_600_000_000_000, Timeout: 5_000_000_000, Retries: 1 };

/** The states a watcher delivers for one container, and a wait for the first that matches. */
function stateLog(watcher: ContainerWatcher, id: string) {
  const states: ContainerEventState[] = [];
  const waiting = new Set<{ match: (s: ContainerEventState) => boolean; resolve: () => void }>();
  const unfollow = watcher.follow(id, (state) => {
    states.push(state);
    for (const w of waiting) if (w.match(state)) (waiting.delete(w), w.resolve());
  });
  return {
    states,
    unfollow,
    until(match: (s: ContainerEventState) => boolean): Promise<void> {
      if (states.some(match)) return Promise.resolve();
      return new Promise((resolve) => waiting.add({ match, resolve }));
    },
  };
}

/** Every status the watcher reports, in order, and a wait for the next of a kind. */
function statusLog(watcher: ContainerWatcher) {
  const kinds: WatcherStatus["kind"][] = [];
  const waiting: { kind: WatcherStatus["kind"]; resolve: (s: WatcherStatus) => void }[] = [];
  watcher.onStatus((status) => {
    kinds.push(status.kind);
    for (const w of waiting.filter((w) => w.kind === status.kind)) (waiting.splice(waiting.indexOf(w), 1), w.resolve(status));
  });
  return {
    kinds,
    next(kind: WatcherStatus["kind"]): Promise<WatcherStatus> {
      return new Promise((resolve) => waiting.push({ kind, resolve }));
    },
  };
}

const isStarted = (s: ContainerEventState) => s.kind === "started";
const isExited = (s: ContainerEventState) => s.kind === "exited";

/**
 * Cuts the watcher's subscription, holds its resubscription until the container has exited with
 * code 3 (SIGTERM), then lets it through and waits until it is live and caught up.
 */
async function exitWhileUnsubscribed(proxy: EventStreamProxy, statuses: ReturnType<typeof statusLog>, id: string): Promise<void> {
  const lost = statuses.next("lost");
  const resubscribed = statuses.next("resubscribed");
  proxy.hold();
  assert.ok(proxy.cutEvents() >= 1, "the watcher's event subscription goes through the proxy");
  await lost;
  const registered = await engine.containers.wait(id, { condition: "next-exit" });
  await trapSet(id);
  await engine.containers.kill(id, { killSignal: "TERM" });
  assert.equal((await registered.result).StatusCode, 3);
  proxy.release();
  await resubscribed;
}

/**
 * Starts (and lets go) a container carrying `marker` and waits until the watcher sees it start:
 * the stream is ordered, so by then whatever the resubscription replayed has been delivered too.
 */
async function drainReplay(watcher: ContainerWatcher, marker: string): Promise<void> {
  await using sentinel = await tempContainer(engine, { Cmd: ["true"], Labels: { [CASE_LABEL]: marker } }, "sentinel");
  const seen = stateLog(watcher, sentinel.id);
  await engine.containers.start(sentinel.id);
  await seen.until(isStarted);
  seen.unfollow();
}

test("the event stream cut while a container runs: the watcher resubscribes and reports its exit, code 3, exactly once", { skip, ...HANG }, async () => {
  await using proxy = await eventStreamProxy(endpointFromEnv(process.env));
  await using proxied = await engineThrough(proxy);
  const marker = uniqueName("watch");
  await using watcher = await ContainerWatcher.start(proxied, [`${CASE_LABEL}=${marker}`]);
  const statuses = statusLog(watcher);
  await using ctr = await tempContainer(engine, { Cmd: EXIT_3_ON_TERM, Labels: { [CASE_LABEL]: marker } }, "watch");
  const seen = stateLog(watcher, ctr.id);
  await engine.containers.start(ctr.id);
  await seen.until(isStarted);

  await exitWhileUnsubscribed(proxy, statuses, ctr.id);
  await seen.until(isExited);
  // The engine's replayed `die` (since the last event seen) has arrived by now, and was no news.
  await drainReplay(watcher, marker);

  assert.deepEqual(seen.states, [{ kind: "started" }, { kind: "exited", exitCode: 3 }]);
  assert.deepEqual(watcher.history(ctr.id), seen.states);
  assert.deepEqual(statuses.kinds, ["lost", "resubscribed"]);
  assert.equal(watcher.broken, undefined);
});

test("waiting for a healthy dependency that exits while the event stream is down: 'exited with code 3', not a timeout", { skip, ...HANG }, async () => {
  await using proxy = await eventStreamProxy(endpointFromEnv(process.env));
  await using proxied = await engineThrough(proxy);
  const marker = uniqueName("waitready");
  await using watcher = await ContainerWatcher.start(proxied, [`${CASE_LABEL}=${marker}`]);
  const statuses = statusLog(watcher);
  await using ctr = await tempContainer(engine, { Cmd: EXIT_3_ON_TERM, Healthcheck: NEVER_HEALTHY, Labels: { [CASE_LABEL]: marker } }, "waitready");
  const seen = stateLog(watcher, ctr.id);
  await engine.containers.start(ctr.id);
  await seen.until(isStarted);

  const stop = new AbortController();
  const waiting = rejection(
    // The timeout is far beyond the test's own bound: reaching it would fail the test.
    waitReady({ engine, watcher, service: "db", container: ctr.id, condition: "service_healthy", signal: stop.signal, timeoutMs: 600_000 }),
  );
  await exitWhileUnsubscribed(proxy, statuses, ctr.id);
  const err = await waiting;
  stop.abort();

  assert.ok(err instanceof DependencyFailedError, `expected a dependency failure, got ${String(err)}`);
  assert.match(err.message, /^Dependency db exited with code 3 while waiting for it to be healthy/);
  assert.deepEqual(statuses.kinds, ["lost", "resubscribed"]);
});

test("a dependency that exits mid-test while the event stream is down is reported by the monitor with its exit code", { skip, ...HANG }, async () => {
  await using proxy = await eventStreamProxy(endpointFromEnv(process.env));
  await using proxied = await engineThrough(proxy);
  const marker = uniqueName("monitor");
  const project = await projectFromYaml("services:\n  db: { image: busybox }\n  tests: { image: busybox, depends_on: [db] }\n", marker);
  await using watcher = await ContainerWatcher.start(proxied, [`${CASE_LABEL}=${marker}`]);
  const statuses = statusLog(watcher);
  const name = serviceContainerName(project, "db");
  const created = await engine.containers.create({ Image: "busybox:latest", Cmd: EXIT_3_ON_TERM, Labels: testLabels({ [CASE_LABEL]: marker }) }, { name });
  await using _db = { [Symbol.asyncDispose]: () => engine.containers.remove(created.Id, { force: true }) };
  const seen = stateLog(watcher, created.Id);
  await engine.containers.start(created.Id);
  await seen.until(isStarted);

  let reported!: (f: DependencyFailure) => void;
  const failure = new Promise<DependencyFailure>((resolve) => (reported = resolve));
  const monitor = new DependencyMonitor(engine, watcher, project, ["db"], (f) => reported(f));
  try {
    await monitor.arm();
    await exitWhileUnsubscribed(proxy, statuses, created.Id);
    assert.deepEqual(await failure, { service: "db", container: name, what: "exited with code 3 while the tests were running" });
  } finally {
    monitor.stop();
  }
  assert.deepEqual(statuses.kinds, ["lost", "resubscribed"]);
});

test("when resubscribing keeps failing, the watcher gives up and says so, and a waiter fails as the engine's problem, not a timeout", { skip, ...HANG }, async () => {
  await using proxy = await eventStreamProxy(endpointFromEnv(process.env));
  await using proxied = await engineThrough(proxy);
  const marker = uniqueName("broken");
  await using watcher = await ContainerWatcher.start(proxied, [`${CASE_LABEL}=${marker}`], undefined, { resubscribe: { limit: 2, initialDelayMs: 1, maxDelayMs: 1 } });
  const statuses = statusLog(watcher);
  await using ctr = await tempContainer(engine, { Cmd: EXIT_3_ON_TERM, Healthcheck: NEVER_HEALTHY, Labels: { [CASE_LABEL]: marker } }, "broken");
  const seen = stateLog(watcher, ctr.id);
  await engine.containers.start(ctr.id);
  await seen.until(isStarted);

  const stop = new AbortController();
  const waiting = rejection(waitReady({ engine, watcher, service: "db", container: ctr.id, condition: "service_healthy", signal: stop.signal, timeoutMs: 600_000 }));
  const broken = statuses.next("broken");
  proxy.refuse();
  assert.ok(proxy.cutEvents() >= 1);
  const status = await broken;
  const err = await waiting;
  stop.abort();

  assert.equal(status.kind, "broken");
  assert.equal(watcher.broken?.code, "ENGINE_EVENTS_LOST");
  assert.deepEqual(statuses.kinds, ["lost", "broken"]);
  assert.ok(isSlipwayError(err), String(err));
  assert.equal(err.code, "ENGINE_EVENTS_LOST");
  assert.equal(err.kind, "engine");
  assert.match(err.message, /^Stopped waiting for db: Lost the engine's event stream/);
});
