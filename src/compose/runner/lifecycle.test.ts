import { test } from "node:test";
import assert from "node:assert/strict";
import type { ContainerStatus } from "../../engine/types.ts";
import { ComposeLabel } from "../../run/labels.ts";
import { formatSteps, parseDependsOnLabel, planKill, planPause, planRemove, planRestart, planStart, planStop, planUnpause, serviceGraph, type LifecycleStep } from "./lifecycle.ts";
import type { ObservedContainer, ObservedProject } from "./observe.ts";
import { projectFromYaml } from "./test-support.ts";

// web → app → db (app restarts with db, web with app); worker → db without restart; db is healthy-gated.
const yaml = `
services:
  db:
    image: busybox
    healthcheck: { test: ["CMD", "true"] }
    stop_grace_period: 7s
  app:
    image: busybox
    depends_on: { db: { condition: service_healthy, restart: true } }
  web:
    image: busybox
    depends_on: { app: { condition: service_started, restart: true } }
  worker:
    image: busybox
    depends_on: [db]
  debug:
    image: busybox
    profiles: [debug]
`;

const dependsOn: Record<string, string> = {
  db: "",
  app: "db:service_healthy:true",
  web: "app:service_started:true",
  worker: "db:service_started:false",
  debug: "",
};

function container(service: string, state: ContainerStatus = "running", extra: Partial<ObservedContainer> = {}): ObservedContainer {
  const index = extra.index ?? 1;
  const oneoff = extra.oneoff ?? false;
  const name = extra.name ?? (oneoff ? `demo-${service}-run-1234` : `demo-${service}-${index}`);
  return {
    id: `id-${name}`,
    name,
    service,
    index,
    oneoff,
    state,
    configHash: "h",
    image: "sha256:0",
    labels: { [ComposeLabel.project]: "demo", [ComposeLabel.service]: service, [ComposeLabel.dependsOn]: dependsOn[service] ?? "", [ComposeLabel.oneoff]: oneoff ? "True" : "False" },
    ...extra,
  };
}

function observed(...containers: ObservedContainer[]): ObservedProject {
  return { containers, networks: [], volumes: [] };
}

const everything = (state: ContainerStatus = "running") => observed(...["db", "app", "web", "worker"].map((s) => container(s, state)));
const ids = (steps: LifecycleStep[]) => steps.map((s) => s.id);
const step = (steps: LifecycleStep[], id: string) => {
  const found = steps.find((s) => s.id === id);
  assert.ok(found, `no step ${id} in ${ids(steps).join(", ")}`);
  return found;
};
/** Asserts `before` runs before `after`: reachable through the deps. */
function assertBefore(steps: LifecycleStep[], before: string, after: string): void {
  const seen = new Set<string>();
  const queue = [...step(steps, after).deps];
  while (queue.length) {
    const id = queue.shift()!;
    if (id === before) return;
    if (seen.has(id)) continue;
    seen.add(id);
    queue.push(...(steps.find((s) => s.id === id)?.deps ?? []));
  }
  assert.fail(`${before} is not ordered before ${after}`);
}

test("the depends_on label reads as compose writes it (name:condition:restart), old two-part entries too", () => {
  assert.deepEqual(parseDependsOnLabel("db:service_healthy:true,cache:service_started"), {
    db: { condition: "service_healthy", restart: true, required: true },
    cache: { condition: "service_started", restart: false, required: true },
  });
  assert.deepEqual(parseDependsOnLabel(""), {});
  assert.deepEqual(parseDependsOnLabel(undefined), {});
});

test("the graph comes from the containers' labels without a file, and from the file when there is one", async () => {
  const fromLabels = serviceGraph(everything());
  assert.deepEqual(Object.keys(fromLabels.get("app")!), ["db"]);
  assert.equal(fromLabels.get("app")!["db"]!.restart, true);
  const project = await projectFromYaml(yaml);
  // The file wins: a container made from an older file does not decide the order.
  const stale = observed(container("worker", "running", { labels: { [ComposeLabel.dependsOn]: "" } }));
  assert.deepEqual(Object.keys(serviceGraph(stale, project).get("worker")!), ["db"]);
});

test("stop: dependents first, all running containers, one-offs and stopped ones left alone", () => {
  const steps = planStop({ observed: observed(...everything().containers, container("app", "running", { oneoff: true }), container("debug", "exited")) });
  assert.deepEqual(ids(steps).sort(), ["stop:demo-app-1", "stop:demo-db-1", "stop:demo-web-1", "stop:demo-worker-1"]);
  assertBefore(steps, "stop:demo-web-1", "stop:demo-app-1");
  assertBefore(steps, "stop:demo-app-1", "stop:demo-db-1");
  assertBefore(steps, "stop:demo-worker-1", "stop:demo-db-1");
  // The printed plan is in an order it can run in.
  const printed = formatSteps(steps);
  assert.ok(printed.indexOf("stop demo-web-1") < printed.indexOf("stop demo-app-1") && printed.indexOf("stop demo-app-1") < printed.indexOf("stop demo-db-1"), printed);
});

test("stop SERVICE stops only that service, not its dependents; a name with no container stops nothing", () => {
  assert.deepEqual(ids(planStop({ observed: everything(), services: ["db"] })), ["stop:demo-db-1"]);
  assert.deepEqual(planStop({ observed: everything(), services: ["nosuch"] }), []);
});

test("stop -t wins over stop_grace_period, which wins over the engine's default", async () => {
  const project = await projectFromYaml(yaml);
  const byGrace = planStop({ observed: everything(), project });
  assert.equal((step(byGrace, "stop:demo-db-1") as { timeout?: number }).timeout, 7);
  assert.equal((step(byGrace, "stop:demo-app-1") as { timeout?: number }).timeout, undefined);
  const byFlag = planStop({ observed: everything(), project, timeout: 0 });
  assert.ok(byFlag.every((s) => (s as { timeout?: number }).timeout === 0));
});

test("with a file, containers of services it does not have (orphans) are not stopped; a named service whose profile is off is", async () => {
  const project = await projectFromYaml(yaml);
  const obs = observed(...everything().containers, container("gone"), container("debug"));
  assert.ok(!ids(planStop({ observed: obs, project })).includes("stop:demo-gone-1"));
  assert.ok(!ids(planStop({ observed: obs, project })).includes("stop:demo-debug-1"));
  assert.deepEqual(ids(planStop({ observed: obs, project, services: ["debug"] })), ["stop:demo-debug-1"]);
  // Without a file every service is the project's.
  assert.ok(ids(planStop({ observed: obs })).includes("stop:demo-gone-1"));
});

test("start: dependencies first, a healthy condition waits for health, service_started only for the start", () => {
  const steps = planStart({ observed: everything("exited") });
  assertBefore(steps, "start:demo-db-1", "ready:db");
  assertBefore(steps, "ready:db", "start:demo-app-1");
  assertBefore(steps, "start:demo-app-1", "start:demo-web-1");
  assert.ok(!steps.some((s) => s.id === "ready:app"), "app is only needed started");
  const ready = step(steps, "ready:db");
  assert.ok(ready.kind === "ready" && ready.condition === "service_healthy" && ready.containers.join() === "demo-db-1");
  // worker needs db only started.
  assert.deepEqual(step(steps, "start:demo-worker-1").deps, ["start:demo-db-1"]);
  // An order to run in: db before app before web.
  const order = ids(steps);
  assert.ok(order.indexOf("start:demo-db-1") < order.indexOf("ready:db") && order.indexOf("ready:db") < order.indexOf("start:demo-app-1"));
});

test("start SERVICE also starts its dependencies, not its dependents; running containers are left as they are", () => {
  const obs = observed(container("db", "running"), container("app", "exited"), container("web", "exited"), container("worker", "created"));
  const steps = planStart({ observed: obs, services: ["app"] });
  assert.deepEqual(ids(steps).sort(), ["ready:db", "start:demo-app-1"]);
  // db is already running but app still waits for it to be healthy, as compose does.
  assert.deepEqual(step(steps, "ready:db").deps, []);
});

test("start of a service (or a dependency) that has no container fails and says how to create it; without names it is skipped", () => {
  const obs = observed(container("app", "exited"), container("web", "exited"));
  assert.throws(() => planStart({ observed: obs, services: ["app"] }), (err: Error & { kind?: string; hint?: string }) => {
    assert.match(err.message, /No container to start for service db/);
    assert.equal(err.kind, "usage");
    assert.match(err.hint ?? "", /compose create db/);
    return true;
  });
  assert.deepEqual(ids(planStart({ observed: obs })).sort(), ["start:demo-app-1", "start:demo-web-1"]);
});

test("start never touches one-off containers", () => {
  const steps = planStart({ observed: observed(container("db", "exited"), container("db", "exited", { oneoff: true })) });
  assert.deepEqual(ids(steps), ["start:demo-db-1"]);
});

test("restart SERVICE also restarts what depends on it with restart: true, transitively, after it; --no-deps only it", () => {
  const steps = planRestart({ observed: everything(), services: ["db"] });
  assert.deepEqual(ids(steps).sort(), ["ready:db", "restart:demo-app-1", "restart:demo-db-1", "restart:demo-web-1"]);
  assertBefore(steps, "restart:demo-db-1", "ready:db");
  assertBefore(steps, "ready:db", "restart:demo-app-1");
  assertBefore(steps, "restart:demo-app-1", "restart:demo-web-1");
  assert.match(step(steps, "restart:demo-app-1").cause, /depends on a restarted service/);
  assert.deepEqual(ids(planRestart({ observed: everything(), services: ["db"], noDeps: true })), ["restart:demo-db-1"]);
});

test("restart of everything: only restart: true edges order it (worker restarts beside db, as compose drops the others)", () => {
  const steps = planRestart({ observed: everything() });
  assert.deepEqual(step(steps, "restart:demo-worker-1").deps, []);
  assertBefore(steps, "ready:db", "restart:demo-app-1");
  // Stopped containers are restarted too (the engine starts them).
  const stopped = planRestart({ observed: everything("exited"), services: ["worker"] });
  assert.deepEqual(ids(stopped), ["restart:demo-worker-1"]);
});

test("kill: running containers at once, one-offs included, with the signal; orphans only with --remove-orphans", async () => {
  const project = await projectFromYaml(yaml);
  const obs = observed(container("db"), container("app", "exited"), container("app", "running", { oneoff: true }), container("gone"), container("web", "paused"));
  const steps = planKill({ observed: obs, project, signal: "SIGUSR1" });
  assert.deepEqual(ids(steps).sort(), ["kill:demo-app-run-1234", "kill:demo-db-1", "kill:demo-web-1"]);
  assert.ok(steps.every((s) => s.kind === "kill" && s.signal === "SIGUSR1" && s.deps.length === 0));
  assert.ok(ids(planKill({ observed: obs, project, removeOrphans: true })).includes("kill:demo-gone-1"));
  assert.equal((planKill({ observed: obs })[0] as { signal: string }).signal, "SIGKILL");
  assert.deepEqual(ids(planKill({ observed: obs, services: ["db"] })), ["kill:demo-db-1"]);
});

test("pause takes running containers, unpause paused ones; each leaves the others (and one-offs) alone", () => {
  const obs = observed(container("db"), container("app", "paused"), container("web", "exited"), container("db", "running", { oneoff: true }));
  assert.deepEqual(ids(planPause({ observed: obs })), ["pause:demo-db-1"]);
  assert.deepEqual(ids(planUnpause({ observed: obs })), ["unpause:demo-app-1"]);
  assert.deepEqual(ids(planPause({ observed: obs, services: ["app"] })), []);
});

test("rm: only stopped containers; -s stops the running ones first (dependents first) and removes them; -v their anonymous volumes", () => {
  const obs = observed(container("db"), container("app", "exited"), container("web", "running"), container("worker", "created"), container("app", "exited", { oneoff: true }));
  assert.deepEqual(ids(planRemove({ observed: obs })).sort(), ["remove:demo-app-1", "remove:demo-worker-1"]);
  const withStop = planRemove({ observed: obs, stop: true, volumes: true });
  assert.deepEqual(ids(withStop).sort(), ["remove:demo-app-1", "remove:demo-db-1", "remove:demo-web-1", "remove:demo-worker-1", "stop:demo-db-1", "stop:demo-web-1"]);
  assert.deepEqual(step(withStop, "remove:demo-db-1").deps, ["stop:demo-db-1"]);
  assert.ok(withStop.every((s) => s.kind !== "remove" || s.volumes));
  assert.deepEqual(ids(planRemove({ observed: obs, stop: true, services: ["db"] })), ["stop:demo-db-1", "remove:demo-db-1"]);
});
