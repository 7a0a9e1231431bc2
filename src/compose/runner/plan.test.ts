import { test } from "node:test";
import assert from "node:assert/strict";
import { buildContainerSpec } from "./container-spec.ts";
import { serviceConfigHash } from "./config-hash.ts";
import { anonymousVolumes, inheritVolumes, planDown, planReplicas, planStop, planUp, formatPlan, type DesiredContainer } from "./plan.ts";
import type { ObservedContainer, ObservedProject } from "./observe.ts";
import type { Project } from "../model/index.ts";
import { projectFromYaml } from "./test-support.ts";

const yaml = `
services:
  db:
    image: postgres:15
    healthcheck: { test: ["CMD", "pg_isready"], interval: 1s }
    volumes: [data:/var/lib/postgresql/data]
  migrate:
    image: busybox
    depends_on: { db: { condition: service_healthy } }
  app:
    image: busybox
    depends_on:
      migrate: { condition: service_completed_successfully }
      db: { condition: service_healthy }
volumes: { data: {} }
`;

function desired(project: Project): DesiredContainer[] {
  return Object.values(project.services).map((service) => {
    const configHash = serviceConfigHash(service);
    const name = `${project.name}-${service.name}-1`;
    return {
      service: service.name,
      index: 1,
      configHash,
      spec: buildContainerSpec({ project, service, index: 1, name, image: service.image!, configHash, runLabels: {}, apiVersion: "1.41" }),
    };
  });
}

const empty: ObservedProject = { containers: [], networks: [], volumes: [] };
const up = (project: Project, observed: ObservedProject = empty, extra: Partial<Parameters<typeof planUp>[0]> = {}) =>
  planUp({ project, services: Object.keys(project.services), desired: desired(project), observed, resourceLabels: {}, waitAll: false, ...extra });

test("from nothing: network, volume, creates, starts gated by readiness in dependency order", async () => {
  const project = await projectFromYaml(yaml);
  const plan = up(project);
  const byId = new Map(plan.map((o) => [o.id, o]));
  assert.ok(byId.has("network:default"));
  assert.ok(byId.has("volume:data"));
  assert.deepEqual(byId.get("create:demo-db-1")!.deps.sort(), ["network:default", "volume:data"]);
  assert.deepEqual(byId.get("start:demo-migrate-1")!.deps.sort(), ["create:demo-migrate-1", "ready:db"]);
  assert.deepEqual(byId.get("start:demo-app-1")!.deps.sort(), ["create:demo-app-1", "ready:db", "ready:migrate"]);
  const readyDb = byId.get("ready:db")!;
  assert.ok(readyDb.kind === "service.ready" && readyDb.condition === "service_healthy");
  const readyMigrate = byId.get("ready:migrate")!;
  assert.ok(readyMigrate.kind === "service.ready" && readyMigrate.condition === "service_completed_successfully");
  assert.ok(!byId.has("ready:app"), "nobody waits on app without --wait");
  assert.match(formatPlan(plan), /create demo-db-1: none exists/);
});

test("--wait adds a gate for every service: healthy with a healthcheck, started otherwise", async () => {
  const project = await projectFromYaml(yaml);
  const plan = up(project, empty, { waitAll: true });
  const app = plan.find((o) => o.id === "ready:app")!;
  assert.ok(app.kind === "service.ready" && app.condition === "service_started");
});

function observedFrom(project: Project, overrides: Partial<ObservedContainer> = {}): ObservedProject {
  return {
    containers: desired(project).map((d) => ({
      id: `id-${d.spec.name}`,
      name: d.spec.name,
      service: d.service,
      index: 1,
      oneoff: false,
      state: "running",
      configHash: d.configHash,
      image: "x",
      labels: d.spec.body.Labels ?? {},
      ...overrides,
    })),
    networks: [{ Id: "n", Name: "demo_default", Driver: "bridge", Scope: "local", Internal: false, Labels: {} }],
    volumes: [{ Name: "demo_data", Driver: "local", Mountpoint: "/", Labels: {}, Scope: "local" }],
  };
}

test("unchanged and running: nothing to create or start", async () => {
  const project = await projectFromYaml(yaml);
  const plan = up(project, observedFrom(project));
  assert.equal(plan.filter((o) => o.kind !== "service.ready").length, 0);
});

test("a changed config hash recreates, with the cause", async () => {
  const project = await projectFromYaml(yaml);
  const observed = observedFrom(project);
  observed.containers[0]!.configHash = "stale";
  const plan = up(project, observed);
  const name = observed.containers[0]!.name;
  assert.ok(plan.some((o) => o.id === `remove:${name}` && o.cause.includes("config hash changed")));
  assert.ok(plan.some((o) => o.id === `create:${name}` && o.deps.includes(`remove:${name}`)));
});

test("stopped but unchanged: only started", async () => {
  const project = await projectFromYaml(yaml);
  const plan = up(project, observedFrom(project, { state: "exited" }));
  assert.equal(plan.filter((o) => o.kind === "container.create").length, 0);
  assert.equal(plan.filter((o) => o.kind === "container.start").length, 3);
});

test("exited containers this run already started (a one-shot done) are not started again; their readiness is still checked", async () => {
  const project = await projectFromYaml(yaml);
  const plan = up(project, observedFrom(project, { state: "exited" }), { startedThisRun: new Set(["demo-migrate-1"]) });
  const starts = plan.filter((o) => o.kind === "container.start").map((o) => o.id).sort();
  assert.deepEqual(starts, ["start:demo-app-1", "start:demo-db-1"]);
  const ready = plan.find((o) => o.id === "ready:migrate");
  assert.ok(ready && ready.kind === "service.ready" && ready.condition === "service_completed_successfully" && ready.deps.length === 0);
});

test("down: dependents are removed before their dependencies, then networks, volumes only with -v", async () => {
  const project = await projectFromYaml(yaml);
  const observed = observedFrom(project);
  const plan = planDown({ observed, removeVolumes: false });
  const db = plan.find((o) => o.id === "remove:demo-db-1")!;
  assert.deepEqual(db.deps.sort(), ["remove:demo-app-1", "remove:demo-migrate-1"]);
  const net = plan.find((o) => o.kind === "network.remove")!;
  assert.equal(net.deps.length, 3);
  assert.equal(plan.filter((o) => o.kind === "volume.remove").length, 0);
  assert.equal(planDown({ observed, removeVolumes: true }).filter((o) => o.kind === "volume.remove").length, 1);
});

test("external networks and volumes are never created", async () => {
  const project = await projectFromYaml(`
services:
  app: { image: busybox, networks: [shared], volumes: [cache:/c] }
networks: { shared: { external: true } }
volumes: { cache: { external: true } }
`);
  const plan = up(project);
  assert.equal(plan.filter((o) => o.kind === "network.create" || o.kind === "volume.create").length, 0);
});

test("--wait upgrades a service_started dependency to healthy when the service has a healthcheck", async () => {
  const project = await projectFromYaml(`
services:
  db:
    image: busybox
    healthcheck: { test: ["CMD", "true"] }
  app:
    image: busybox
    depends_on: { db: { condition: service_started } }
`);
  const ready = (waitAll: boolean) => {
    const op = up(project, empty, { waitAll }).find((o) => o.id === "ready:db")!;
    return op.kind === "service.ready" ? op.condition : undefined;
  };
  assert.equal(ready(false), "service_started");
  assert.equal(ready(true), "service_healthy");
});

test("a container is created after the start of a dependency it waits on (healthy/completed), not beside it", async () => {
  const project = await projectFromYaml(yaml);
  const byId = new Map(up(project).map((o) => [o.id, o]));
  assert.deepEqual(byId.get("create:demo-migrate-1")!.deps.sort(), ["network:default", "start:demo-db-1"]);
  assert.deepEqual(byId.get("create:demo-app-1")!.deps.sort(), ["network:default", "start:demo-db-1", "start:demo-migrate-1"]);
  // A service_started dependency does not delay the create: its readiness costs nothing to overlap.
  const started = await projectFromYaml(`
services:
  cache: { image: busybox }
  web: { image: busybox, depends_on: [cache] }
`);
  const ops = new Map(up(started).map((o) => [o.id, o]));
  assert.deepEqual(ops.get("create:demo-web-1")!.deps, ["network:default"]);
});

test("a one-off is created in the plan beside its dependencies, after their starts, and never started by it", async () => {
  const project = await projectFromYaml(yaml);
  const app = project.services["app"]!;
  const spec = buildContainerSpec({ project, service: app, index: 1, name: "demo-app-run-1", image: "busybox", configHash: "x", runLabels: {}, apiVersion: "1.41", oneoff: {} });
  const plan = planUp({
    project,
    services: ["db", "migrate"],
    desired: desired(project),
    observed: empty,
    resourceLabels: {},
    waitAll: false,
    infraFor: ["app"],
    gates: { db: "service_healthy", migrate: "service_completed_successfully" },
    oneoff: { service: "app", spec },
  });
  const byId = new Map(plan.map((o) => [o.id, o]));
  assert.deepEqual(byId.get("create:demo-app-run-1")!.deps.sort(), ["network:default", "start:demo-db-1", "start:demo-migrate-1"]);
  assert.ok(!plan.some((o) => o.kind === "container.start" && o.name === "demo-app-run-1"));
  assert.ok(byId.has("ready:migrate") && byId.has("ready:db"));
  assert.match(formatPlan(plan), /create one-off demo-app-run-1/);
});

test("a container joining another service's namespace or volumes is created after that container", async () => {
  const project = await projectFromYaml(`
services:
  app: { image: busybox }
  sidecar: { image: busybox, network_mode: "service:app", ipc: "service:app" }
  backup: { image: busybox, volumes_from: ["app:ro"] }
`);
  const byId = new Map(up(project).map((o) => [o.id, o]));
  assert.ok(byId.get("create:demo-sidecar-1")!.deps.includes("create:demo-app-1"));
  assert.ok(byId.get("create:demo-backup-1")!.deps.includes("create:demo-app-1"));
  // And started after it: the loader adds a service_started dependency for each reference.
  assert.ok(byId.get("start:demo-sidecar-1")!.deps.includes("ready:app"));
});

test("a one-off named like a container of the project is a usage error, not a cycle", async () => {
  const project = await projectFromYaml(yaml);
  const app = project.services["app"]!;
  const spec = buildContainerSpec({ project, service: app, index: 1, name: "demo-db-1", image: "busybox", configHash: "x", runLabels: {}, apiVersion: "1.41", oneoff: {} });
  assert.throws(
    () => planUp({ project, services: ["db", "migrate"], desired: desired(project), observed: empty, resourceLabels: {}, waitAll: false, infraFor: ["app"], gates: { db: "service_healthy" }, oneoff: { service: "app", spec } }),
    (err: Error & { code?: string }) => err.code === "CONTAINER_NAME_IN_USE" && /service db/.test(err.message),
  );
});

test("after a dependency is recreated: restart: true restarts a dependent; one in its namespace is recreated", async () => {
  const project = await projectFromYaml(`
services:
  app: { image: busybox }
  sidecar: { image: busybox, network_mode: "service:app" }
  worker: { image: busybox, depends_on: { app: { condition: service_started, restart: true } } }
  other: { image: busybox, depends_on: [app] }
`);
  const observed = observedFrom(project);
  observed.containers.find((c) => c.service === "app")!.configHash = "changed";
  const plan = up(project, observed);
  const byId = new Map(plan.map((o) => [o.id, o]));
  assert.ok(byId.has("create:demo-app-1"), "app is recreated");
  // Its namespace was resolved to the old app's id at create: recreated, after the new app.
  assert.ok(byId.has("remove:demo-sidecar-1"), formatPlan(plan));
  assert.ok(byId.get("create:demo-sidecar-1")!.deps.includes("create:demo-app-1"));
  assert.ok(byId.get("start:demo-sidecar-1")!.deps.includes("ready:app"));
  // An explicit restart: true without a shared namespace: stopped and started in place.
  const restart = byId.get("restart:demo-worker-1");
  assert.ok(restart && restart.kind === "container.restart", formatPlan(plan));
  assert.deepEqual(restart.deps, ["ready:app"]);
  assert.match(restart.cause, /app recreated \(depends_on restart: true\)/);
  // A plain depends_on (restart: false) leaves the dependent alone.
  assert.ok(!byId.has("restart:demo-other-1") && !byId.has("remove:demo-other-1"));
  // Nothing restarts when nothing was recreated.
  assert.ok(!up(project, observedFrom(project)).some((o) => o.kind === "container.restart"));
});

/** An observed replica of `service`, for the scale tests. */
function replica(service: string, index: number, extra: Partial<ObservedContainer> = {}): ObservedContainer {
  return { id: `id-${service}-${index}`, name: `demo-${service}-${index}`, service, index, oneoff: false, state: "running", configHash: "h", image: "x", labels: {}, ...extra };
}

test("scale plans: up adds the numbers after the highest; down removes the highest numbers first", () => {
  const current = () => false;
  assert.deepEqual(planReplicas(3, [], current), { indexes: [1, 2, 3], added: [1, 2, 3], removed: [] });
  const three = [replica("web", 1), replica("web", 2), replica("web", 3)];
  const down = planReplicas(1, three, current);
  assert.deepEqual(down.indexes, [1]);
  assert.deepEqual(down.removed.map((c) => c.index), [2, 3]);
  // A gap left by a removed replica is not filled (compose 2.26.1: 1, 3 → scale 3 adds 4).
  assert.deepEqual(planReplicas(3, [replica("web", 1), replica("web", 3)], current), { indexes: [1, 3, 4], added: [4], removed: [] });
  // Scaling 1, 3, 4 down to 2 removes 4.
  assert.deepEqual(planReplicas(2, [replica("web", 4), replica("web", 1), replica("web", 3)], current).removed.map((c) => c.index), [4]);
  // To 0: all go.
  assert.deepEqual(planReplicas(0, three, current).removed.map((c) => c.index), [1, 2, 3]);
});

test("scale plans: replicas whose config changed go first when scaling down", () => {
  const three = [replica("web", 1, { configHash: "old" }), replica("web", 2), replica("web", 3)];
  const plan = planReplicas(2, three, (c) => c.configHash === "old");
  assert.deepEqual(plan.indexes, [2, 3]);
  assert.deepEqual(plan.removed.map((c) => c.index), [1]);
});

/** Desired replicas `indexes` of one service `web`. */
async function scaled(indexes: number[]) {
  const project = await projectFromYaml("services:\n  web: { image: busybox }\n");
  const service = project.services["web"]!;
  const configHash = serviceConfigHash(service);
  const want: DesiredContainer[] = indexes.map((index) => ({
    service: "web",
    index,
    configHash,
    spec: buildContainerSpec({ project, service, index, name: `demo-web-${index}`, image: "busybox", configHash, runLabels: {}, apiVersion: "1.41" }),
  }));
  return { project, want, configHash };
}

test("up removes the replicas no longer wanted (scaled down), with the cause and -t as their stop timeout", async () => {
  const { project, want, configHash } = await scaled([1]);
  const observed: ObservedProject = { ...empty, containers: [1, 2, 3].map((i) => replica("web", i, { configHash })), networks: [{ Id: "n", Name: "demo_default", Driver: "bridge", Scope: "local", Internal: false, Labels: {} }] };
  const plan = planUp({ project, services: ["web"], desired: want, observed, resourceLabels: {}, waitAll: false, timeout: 2 });
  const removed = plan.filter((o) => o.kind === "container.remove");
  assert.deepEqual(removed.map((o) => o.id).sort(), ["remove:demo-web-2", "remove:demo-web-3"]);
  assert.match(removed[0]!.cause, /web scaled to 1/);
  assert.ok(removed.every((o) => o.kind === "container.remove" && o.stopTimeout === 2));
  assert.equal(plan.filter((o) => o.kind === "container.create" || o.kind === "container.start").length, 0, formatPlan(plan));
});

test("scaling up creates and starts only the new replicas", async () => {
  const { project, want, configHash } = await scaled([1, 2, 3]);
  const observed: ObservedProject = { ...empty, containers: [replica("web", 1, { configHash })], networks: [{ Id: "n", Name: "demo_default", Driver: "bridge", Scope: "local", Internal: false, Labels: {} }] };
  const plan = planUp({ project, services: ["web"], desired: want, observed, resourceLabels: {}, waitAll: false });
  assert.deepEqual(plan.map((o) => o.id).sort(), ["create:demo-web-2", "create:demo-web-3", "start:demo-web-2", "start:demo-web-3"]);
});

test("--no-start: creates only, no starts and no readiness gates", async () => {
  const project = await projectFromYaml(yaml);
  const plan = up(project, empty, { noStart: true, waitAll: true });
  assert.equal(plan.filter((o) => o.kind === "container.start" || o.kind === "service.ready").length, 0);
  assert.equal(plan.filter((o) => o.kind === "container.create").length, 3);
});

test("recreate policies: never (--no-recreate) keeps a changed container, force (--always-recreate-deps) recreates an unchanged one", async () => {
  const project = await projectFromYaml(yaml);
  const changed = observedFrom(project);
  for (const c of changed.containers) c.configHash = "stale";
  const kept = up(project, changed, { recreate: { db: "never", migrate: "never", app: "never" } });
  assert.equal(kept.filter((o) => o.kind === "container.create" || o.kind === "container.remove").length, 0, formatPlan(kept));
  const forced = up(project, observedFrom(project), { recreate: { db: "force" } });
  assert.deepEqual(forced.filter((o) => o.kind === "container.create").map((o) => o.id), ["create:demo-db-1"]);
  assert.match(forced.find((o) => o.id === "create:demo-db-1")!.cause, /--always-recreate-deps/);
});

test("an existing container's start carries its id, for attached up to follow it", async () => {
  const project = await projectFromYaml(yaml);
  const plan = up(project, observedFrom(project, { state: "exited" }));
  const start = plan.find((o) => o.id === "start:demo-db-1");
  assert.ok(start && start.kind === "container.start" && start.containerId === "id-demo-db-1");
  const fresh = up(project).find((o) => o.id === "start:demo-db-1");
  assert.ok(fresh && fresh.kind === "container.start" && fresh.containerId === undefined);
});

test("stop: dependents before what they depend on, only what runs; kill: all at once", async () => {
  const project = await projectFromYaml(yaml);
  const observed = observedFrom(project);
  observed.containers.find((c) => c.service === "migrate")!.state = "exited";
  const plan = planStop({ project, containers: observed.containers, reason: "interrupted", timeout: 3 });
  assert.deepEqual(plan.map((o) => o.id).sort(), ["stop:demo-app-1", "stop:demo-db-1"]);
  const db = plan.find((o) => o.id === "stop:demo-db-1")!;
  assert.deepEqual(db.deps, ["stop:demo-app-1"]);
  assert.ok(db.kind === "container.stop" && db.stopTimeout === 3);
  assert.match(db.cause, /stop demo-db-1: interrupted/);
  const kill = planStop({ containers: observed.containers, reason: "forced", kill: true });
  assert.deepEqual(kill.map((o) => [o.kind, o.deps.length]), [["container.kill", 0], ["container.kill", 0]]);
});

test("a recreated container keeps its predecessor's anonymous volumes: the file's at their target, the image's added", async () => {
  const project = await projectFromYaml(`
services:
  db: { image: busybox, volumes: ["/anon", "named:/named", "./here:/bound"] }
volumes: { named: {} }
`);
  const service = project.services["db"]!;
  const spec = buildContainerSpec({ project, service, index: 1, name: "demo-db-1", image: "busybox", configHash: "x", runLabels: {}, apiVersion: "1.41" });
  const a = "a".repeat(64);
  const b = "b".repeat(64);
  const kept = anonymousVolumes([
    { Type: "volume", Name: a, Destination: "/anon", RW: true },
    { Type: "volume", Name: b, Destination: "/var/lib/image-volume", RW: true },
    { Type: "volume", Name: "demo_named", Destination: "/named", RW: true },
    { Type: "bind", Destination: "/bound", RW: true },
  ]);
  assert.deepEqual(kept.map((v) => v.target), ["/anon", "/var/lib/image-volume"]);
  const next = inheritVolumes(spec, kept);
  const mounts = next.body.HostConfig!.Mounts!;
  assert.equal(mounts.find((m) => m.Target === "/anon")!.Source, a);
  assert.equal(mounts.find((m) => m.Target === "/var/lib/image-volume")!.Source, b);
  assert.equal(mounts.find((m) => m.Target === "/named")!.Source, "demo_named");
  assert.equal(spec.body.HostConfig!.Mounts!.find((m) => m.Target === "/anon")!.Source, undefined, "the spec itself is left alone");
  // A target the file now mounts something else on keeps that.
  assert.equal(inheritVolumes(spec, [{ name: a, target: "/named", readOnly: false }]), spec);
});

test("recreated with inherited volumes: the plan says so", async () => {
  const project = await projectFromYaml("services:\n  db: { image: busybox, volumes: [\"/anon\"] }\n");
  const observed = observedFrom(project);
  observed.containers[0]!.configHash = "stale";
  const plan = up(project, observed, { inherit: new Map([["demo-db-1", [{ name: "c".repeat(64), target: "/anon", readOnly: false }]]]) });
  const create = plan.find((o) => o.id === "create:demo-db-1")!;
  assert.match(create.cause, /keeping its anonymous volume/);
  assert.ok(create.kind === "container.create" && create.spec.body.HostConfig!.Mounts!.some((m) => m.Source === "c".repeat(64)));
});
