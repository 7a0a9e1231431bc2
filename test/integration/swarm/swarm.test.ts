/**
 * The test world's Docker Swarm (three managers of Engine 26 in containers, test/support/swarm.ts)
 * and everything Slipway does with it, in one file whose scenarios run one after another (issue
 * 13: the last one stops a node, which no other scenario could run beside):
 *
 * 1. The world: three Ready managers; every node pulls Docker Hub names through the mirror and
 *    images pushed from the host to 127.0.0.1:5003; a replicated service with host-mode ports and
 *    a healthcheck converges to one healthy task per node and is removed without a trace.
 * 2. The engine client's Swarm API: nodes, a secret, a config, an attachable overlay network and a
 *    replicated busybox service with a healthcheck, watched through its tasks to running, updated,
 *    refused an update with a stale version, read through its logs and events, rolled back and
 *    removed; a service from a registry behind auth. The routing mesh needs IPVS, which these
 *    nodes lack, so services resolve by DNS round robin and publish no port (or host-mode ones).
 * 3. `slipway deploy`, through the library call the CLI makes (deployStack) and through the CLI: a
 *    first deploy converges; a redeploy touches nothing; an update whose healthcheck fails is
 *    rolled back (non-zero, the task's error and last lines, the old spec runs); start-first
 *    keeps a client served; a missing image is refused before anything changes; a task the
 *    scheduler cannot place is reported with its message when the deadline comes.
 * 4. `slipway ci` through deploy (the published digest, through a registry behind auth), and the
 *    deploy operations: whole-stack rollback, secret rotation, the deploy lock, an ssh:// target
 *    (scenario modules beside this file, and test/e2e/ci-deploy/scenario.ts).
 * 5. A node stopped mid-rollout and started again: the deploy reports an outcome that agrees with
 *    the swarm's UpdateStatus, and once the node is back no task runs the other version. Then
 *    the swarm is healed (`swarm.sh up`) for whatever runs next.
 *
 * Against the host engine (no swarm): the one NOT_A_SWARM_MANAGER error.
 *
 * Talks only to the nodes' engines (unix sockets) and the host's; published ports are probed from
 * inside each node, on its own 127.0.0.1. Nothing here bounds time itself: loops poll the swarm
 * until what they wait for is there, and each test's timeout is the only bound.
 */
import { after, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { ciDeployScenario } from "../../e2e/ci-deploy/scenario.ts";
import { killedDeployLockExpires, lockWaitThenProceeds, twoConcurrentDeploys } from "./lock.scenario.ts";
import { remoteScenario, remoteSkipReason } from "./remote.scenario.ts";
import { rollbackScenario } from "./rollback.scenario.ts";
import { rotationScenario } from "./rotation.scenario.ts";
import { randomBytes, randomInt } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadProject } from "../../../src/compose/load/index.ts";
import { applyPlan, observeStack } from "../../../src/deploy/apply.ts";
import { deployStack, type DeployOutcome } from "../../../src/deploy/deploy.ts";
import { planRemoval } from "../../../src/deploy/plan.ts";
import { RolloutKind } from "../../../src/deploy/rollout.ts";
import {
  Engine,
  EngineApiError,
  NotASwarmManagerError,
  OutOfSequenceError,
  endpointFromEnv,
  isNotFound,
  isOutOfSequence,
  logSource,
  parseServiceLogLine,
  type ContainerSpec,
  type EngineEvent,
  type Service,
  type ServiceSpec,
  type ServiceUpdateStatus,
  type Task,
} from "../../../src/engine/index.ts";
import { builtImageId, demuxStream, pushedDigest, splitLines, tarFromEntries } from "../../../src/engine/streams/index.ts";
import { SlipwayError, exitCodeForKind } from "../../../src/errors/index.ts";
import { EventBus } from "../../../src/events/index.ts";
import { slipway } from "../../e2e/support.ts";
import { ensureSwarm, healSwarm, swarmSkipReason, type SwarmNode, type SwarmWorld } from "../../support/swarm.ts";
import { loadWorldSync } from "../../support/world.ts";
import { BUSYBOX, RUN_ID, RUN_LABEL, deleteManifest, execIn, sweepRun, testLabels, uniqueName } from "../engine/harness.ts";
import { pushImage, testImage } from "../registry/harness.ts";

const world = loadWorldSync();
const skip = swarmSkipReason();
const TIMEOUT = 240_000;

// ---- shared: one swarm, one connection to each node's engine and to the host's --------------------

let swarm: SwarmWorld;
const engines = new Map<string, Engine>();
const engineOf = (node: SwarmNode): Engine => engines.get(node.name)!;
/** Node 1's engine: the manager every scenario but the last talks to. */
let manager: Engine;
let nodeIds: string[];
/** The host's own engine (no swarm): where the nodes are containers. */
let host: Engine;
/** The deploy scenarios' stack; the others are named after it. */
const stack = `dep-${randomBytes(3).toString("hex")}`;
const nodeStack = `${stack}-node`;
let deployDir: string;

before(
  async () => {
    if (world.skipReason("engine") === undefined) host = await Engine.connect({ endpoint: endpointFromEnv({ DOCKER_HOST: world.dockerHost }) });
    if (skip !== undefined) return;
    swarm = await ensureSwarm();
    nodeIds = swarm.nodes.map((n) => n.nodeId);
    for (const node of swarm.nodes) engines.set(node.name, await Engine.connect({ endpoint: endpointFromEnv({ DOCKER_HOST: node.dockerHost }) }));
    manager = engineOf(swarm.nodes[0]!);
    deployDir = await mkdtemp(path.join(tmpdir(), "slipway-deploy-"));
  },
  { timeout: 10 * 60_000 },
);

/**
 * The safety net for a test that failed between a create and its own cleanup: the deploy stacks
 * by name, and what the Swarm API tests made by this file's run label.
 */
after(
  async (t) => {
    try {
      if (manager) {
        for (const s of [stack, nodeStack]) {
          const steps = planRemoval(s, await observeStack(manager, s));
          if (steps.length) await applyPlan({ engine: manager, events: new EventBus(), signal: AbortSignal.timeout(60_000) }, undefined, steps);
        }
        const filters = { label: `${RUN_LABEL}=${RUN_ID}` };
        for (const s of await manager.services.list({ filters })) await manager.services.remove(s.ID);
        for (const s of await manager.secrets.list({ filters })) await manager.secrets.remove(s.ID);
        for (const c of await manager.configs.list({ filters })) await manager.configs.remove(c.ID);
        await removeNetworks(manager, t.signal);
      }
    } finally {
      for (const engine of engines.values()) await engine.close();
      if (deployDir) await rm(deployDir, { recursive: true, force: true });
      if (host) {
        await sweepRun(host);
        await host.close();
      }
    }
  },
  { timeout: 120_000 },
);

/** Asks `probe` again until it answers; the caller's signal (the test's timeout) is the only bound. */
async function until<T>(signal: AbortSignal, what: string, probe: () => Promise<T | undefined>, lastSeen: () => string = () => ""): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    try {
      await sleep(250, undefined, { signal });
    } catch {
      throw new Error(`stopped waiting for ${what}${lastSeen() ? `; last seen: ${lastSeen()}` : ""}`);
    }
  }
}

/** This file's overlay networks, removed once no task holds them (swarm frees them after the service's tasks are gone). */
async function removeNetworks(engine: Engine, signal: AbortSignal): Promise<void> {
  for (const n of await engine.networks.list({ filters: { label: [`${RUN_LABEL}=${RUN_ID}`] } })) {
    let refusal = "";
    await until(
      signal,
      `network ${n.Name} to be free`,
      async () => {
        try {
          await engine.networks.remove(n.Id);
          return true;
        } catch (err) {
          if (!(err instanceof EngineApiError)) throw err;
          refusal = err.message;
          return undefined;
        }
      },
      () => refusal,
    );
  }
}

// ---- 0. the host's engine, in no swarm ------------------------------------------------------------

test("an engine that is not a swarm manager: every swarm call is NOT_A_SWARM_MANAGER (exit 4), saying where to point", { skip: world.skipReason("engine") }, async (t) => {
  const info = await host.system.info();
  if (info.Swarm.LocalNodeState !== "inactive") return t.skip(`the host engine is in a swarm (${info.Swarm.LocalNodeState})`);
  for (const [what, call] of [
    ["swarm.inspect", () => host.swarm.inspect()],
    ["services.list", () => host.services.list()],
    ["services.create", () => host.services.create({ Name: uniqueName("noswarm"), TaskTemplate: { ContainerSpec: { Image: BUSYBOX } } })],
    ["tasks.list", () => host.tasks.list()],
    ["nodes.list", () => host.nodes.list()],
    ["secrets.create", () => host.secrets.create({ Name: uniqueName("noswarm"), Data: "x" })],
  ] as const) {
    const err = await (call as () => Promise<unknown>)().then(() => assert.fail(`${what} answered`), (e: unknown) => e);
    assert.ok(err instanceof NotASwarmManagerError, `${what}: ${String(err)}`);
    assert.equal(err.code, "NOT_A_SWARM_MANAGER");
    assert.equal(err.kind, "engine");
    assert.equal(err.exitCode, 4);
    assert.equal(err.status, 503);
    assert.ok(err.message.includes(host.describe()), err.message);
    assert.match(err.message, /not a swarm manager/);
    assert.match(err.hint ?? "", /DOCKER_HOST/);
  }
});

// ---- 1. the world ---------------------------------------------------------------------------------

/** What GET /nodes says of a node (the fields the world's tests read). */
interface NodeObject {
  ID: string;
  Description: { Hostname: string; Engine: { EngineVersion: string } };
  Spec: { Role: string; Availability: string };
  Status: { State: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability: string; Addr: string };
}

interface TaskObject {
  ID: string;
  NodeID?: string;
  DesiredState: string;
  Status: { State: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
}

/** A task's states in the order swarm moves it through them (api/types/swarm/task.go). */
const TASK_STATES = ["new", "allocated", "pending", "assigned", "accepted", "preparing", "ready", "starting", "running"];
const ENDED = new Set(["complete", "shutdown", "failed", "rejected", "remove", "orphaned"]);

describe("the swarm test world", { skip, concurrency: 1 }, () => {
  test("three nodes, every one a Ready manager reachable by the others, one leader, all on Engine 26 (API 1.45)", async () => {
    assert.equal(swarm.nodes.length, 3);
    assert.match(swarm.engine.version, /^26\./);
    assert.equal(swarm.engine.apiVersion, "1.45");
    for (const node of swarm.nodes) {
      const engine = engineOf(node);
      assert.equal(engine.engineApiVersion, "1.45", `${node.name} speaks API 1.45`);
      const info = await engine.http.json<{ Swarm: { LocalNodeState: string; NodeID: string; ControlAvailable: boolean } }>("GET", "/info");
      assert.deepEqual(
        { state: info.Swarm.LocalNodeState, id: info.Swarm.NodeID, manager: info.Swarm.ControlAvailable },
        { state: "active", id: node.nodeId, manager: true },
        node.name,
      );
    }
    // every manager sees the same three members
    for (const node of swarm.nodes) {
      const listed = await engineOf(node).http.json<NodeObject[]>("GET", "/nodes");
      assert.deepEqual(
        listed.map((n) => n.Description.Hostname).sort(),
        swarm.nodes.map((n) => n.name).sort(),
        `${node.name} lists exactly the three nodes`,
      );
      for (const n of listed) {
        const expected = swarm.nodes.find((s) => s.name === n.Description.Hostname)!;
        assert.deepEqual(
          { id: n.ID, state: n.Status.State, role: n.Spec.Role, availability: n.Spec.Availability, reachability: n.ManagerStatus?.Reachability, addr: n.ManagerStatus?.Addr },
          { id: expected.nodeId, state: "ready", role: "manager", availability: "active", reachability: "reachable", addr: expected.managerAddr },
        );
        assert.match(n.Description.Engine.EngineVersion, /^26\./);
      }
      assert.equal(listed.filter((n) => n.ManagerStatus?.Leader === true).length, 1, "one leader");
    }
  });

  test("every node pulls busybox:latest through the mirror, and an image the host pushed to 127.0.0.1:5003", async () => {
    // a FROM-scratch image with random content: nothing but this push can have put it in the registry
    await using image = await testImage(host);
    const pushed = await pushImage(host, image, swarm.registries.plain);
    const ref = `${swarm.registries.plain}/${pushed.repository}:${pushed.tag}`;
    try {
      await Promise.all(
        swarm.nodes.map(async (node) => {
          const engine = engineOf(node);
          const info = await engine.http.json<{ RegistryConfig: { Mirrors: string[] } }>("GET", "/info");
          assert.deepEqual(info.RegistryConfig.Mirrors, [`http://${swarm.registries.mirror}/`], `${node.name} pulls Docker Hub names through the mirror`);

          await engine.images.pull("busybox:latest");
          const busybox = await engine.images.inspect("busybox:latest");
          assert.ok(busybox.RepoDigests?.some((d) => d.startsWith("busybox@sha256:")), `${node.name}: ${JSON.stringify(busybox.RepoDigests)}`);

          try {
            await engine.images.pull(ref);
            const pulled = await engine.images.inspect(ref);
            assert.deepEqual(pulled.RepoDigests, [`${swarm.registries.plain}/${pushed.repository}@${pushed.digest}`], node.name);
            assert.equal(pulled.Id, image.id, `${node.name} has the very image the host built`);
          } finally {
            await engine.images.remove(ref, { force: true });
          }
        }),
      );
    } finally {
      await host.images.remove(ref, { force: true });
      await deleteManifest(swarm.registries.plain, pushed.repository, pushed.digest);
    }
  });

  test("a 3-replica service, one task per node, host-mode port and a healthcheck: converges healthy, answers on every node, then is removed", async () => {
    const name = `slipway-swarm-smoke-${randomBytes(4).toString("hex")}`;
    // Host-mode ports live in the nodes' own network namespaces; only another swarm test could collide.
    const port = randomInt(20_000, 30_000);
    const created = await manager.http.json<{ ID: string }>("POST", "/services/create", {
      json: {
        Name: name,
        Labels: { "dev.slipway.test": "1" },
        TaskTemplate: {
          ContainerSpec: {
            Image: "nginx:1.22",
            Healthcheck: {
              Test: ["CMD-SHELL", "curl -fsS -o /dev/null http://127.0.0.1/ || exit 1"],
              Interval: 1_000_000_000,
              Timeout: 2_000_000_000,
              Retries: 3,
              StartPeriod: 1_000_000_000,
            },
          },
          Placement: { MaxReplicas: 1 },
        },
        Mode: { Replicated: { Replicas: 3 } },
        EndpointSpec: { Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: port, PublishMode: "host" }] },
      },
    });
    try {
      // The task states each task went through, as seen by polling: they only ever move forward.
      const seen = new Map<string, string[]>();
      let running: TaskObject[] = [];
      for (;;) {
        const tasks = await manager.http.json<TaskObject[]>("GET", "/tasks", { query: { filters: { service: [name] } } });
        for (const t of tasks) {
          const states = seen.get(t.ID) ?? [];
          if (states.at(-1) !== t.Status.State) states.push(t.Status.State);
          seen.set(t.ID, states);
        }
        const broken = tasks.find((t) => t.Status.State === "failed" || t.Status.State === "rejected");
        assert.equal(broken, undefined, `a task of a healthy service ended: ${JSON.stringify(broken?.Status)}`);
        running = tasks.filter((t) => t.DesiredState === "running" && t.Status.State === "running");
        if (running.length === 3) break;
        await sleep(250);
      }

      assert.deepEqual(
        running.map((t) => t.NodeID).sort(),
        swarm.nodes.map((n) => n.nodeId).sort(),
        "one task on each node (max one replica per node)",
      );
      for (const [id, states] of seen) {
        if (states.some((s) => ENDED.has(s))) continue;
        const order = states.map((s) => TASK_STATES.indexOf(s));
        assert.ok(
          order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!)),
          `task ${id} moved forward only: ${states.join(" → ")}`,
        );
      }

      for (const node of swarm.nodes) {
        const task = running.find((t) => t.NodeID === node.nodeId)!;
        const containerId = task.Status.ContainerStatus?.ContainerID;
        assert.ok(containerId, `${node.name}: the running task has a container`);
        // swarm reports a task with a healthcheck running only once it is healthy
        const inspected = await engineOf(node).containers.inspect(containerId);
        assert.equal(inspected.State?.Health?.Status, "healthy", node.name);

        // the published port, from the node's own loopback (the node container on the host engine)
        const probe = await execIn(host, node.container, [
          "bash",
          "-c",
          `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'GET / HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && head -n1 <&3`,
        ]);
        assert.equal(probe.exitCode, 0, `${node.name}: ${probe.stderr}`);
        assert.match(probe.stdout, /^HTTP\/1\.1 200 OK/, `${node.name} answers on ${port}`);
      }
    } finally {
      await manager.http.none("DELETE", `/services/${created.ID}`).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }

    // removed: no node keeps a container of it
    for (const node of swarm.nodes) {
      const filters = { label: [`com.docker.swarm.service.id=${created.ID}`] };
      while ((await engineOf(node).containers.list({ all: true, filters })).length > 0) await sleep(250);
    }
    const services = await manager.http.json<{ ID: string }[]>("GET", "/services", { query: { filters: { name: [name] } } });
    assert.deepEqual(services, []);
  });

  test("a node's own engine (Engine 26, BuildKit): prune --dry-run sizes the build cache and leaves it; prune --build-cache removes all of it no build uses", { timeout: TIMEOUT }, async () => {
    // A node, not the host: pruning the host's whole build cache would slow every other test's builds.
    const node = swarm.nodes.at(-1)!;
    const engine = engineOf(node);
    const messages = await engine.images.build({
      context: await tarFromEntries([{ name: "Dockerfile", content: `FROM ${BUSYBOX}\nRUN echo ${randomBytes(8).toString("hex")} > /x\n` }]),
      labels: testLabels(),
      builder: "buildkit",
    });
    const id = builtImageId(messages);
    assert.ok(id, JSON.stringify(messages.slice(-5)));
    const dir = await mkdtemp(path.join(tmpdir(), "slipway-prune-cache-"));
    try {
      await writeFile(path.join(dir, "slipway.yml"), `name: prune-cache-${randomBytes(3).toString("hex")}\n`);
      const env = { DOCKER_HOST: node.dockerHost };
      const prune = async (...args: string[]) => {
        const run = slipway(["prune", "--json", ...args], { cwd: dir, env });
        assert.equal(await run.exit, 0, run.stdout() + run.stderr());
        return JSON.parse(run.stdout()) as { buildCache: { size: number; records: number; pruned?: { records: number; reclaimed: number } } };
      };
      const dry = await prune("--dry-run");
      assert.ok(dry.buildCache.records > 0 && dry.buildCache.size > 0, JSON.stringify(dry.buildCache));
      assert.equal(dry.buildCache.pruned, undefined);
      assert.equal((await prune("--dry-run")).buildCache.records, dry.buildCache.records, "--dry-run left the cache as it was");
      const pruned = await prune("--build-cache");
      assert.ok((pruned.buildCache.pruned?.records ?? 0) > 0, JSON.stringify(pruned.buildCache));
      assert.deepEqual((await engine.system.buildCache()).filter((r) => !r.InUse), [], "no cache record that no build uses is left");
    } finally {
      await engine.images.remove(id, { force: true });
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ---- 2. the engine client's Swarm API -------------------------------------------------------------

const SECRET_VALUE = `s3cret-${RUN_ID}`;
const CONFIG_TEXT = `greeting=slipway ${RUN_ID}\n`;

/** The tasks the service wants running, once all `replicas` run; a task that failed ends the wait with its error. */
async function runningTasks(t: TestContext, serviceId: string, replicas: number, accept: (task: Task) => boolean = () => true): Promise<Task[]> {
  let seen: Task[] = [];
  return until(
    t.signal,
    `${replicas} running tasks of ${serviceId}`,
    async () => {
      seen = await manager.tasks.list({ filters: { service: serviceId, "desired-state": "running" } });
      const broken = seen.find((task) => task.Status.State === "failed" || task.Status.State === "rejected");
      if (broken) assert.fail(`task ${broken.ID} ${broken.Status.State}: ${broken.Status.Err ?? broken.Status.Message}`);
      const running = seen.filter((task) => task.Status.State === "running" && accept(task));
      return running.length === replicas ? running : undefined;
    },
    () => seen.map((task) => `${task.Slot}:${task.Status.State}${task.Status.Err ? ` (${task.Status.Err})` : ""}`).join(", "),
  );
}

/** The service once its update (or rollback) reached `state`; a paused one ends the wait with its message. */
async function updateState(t: TestContext, serviceId: string, state: "completed" | "rollback_completed"): Promise<Service> {
  let last: Service | undefined;
  return until(
    t.signal,
    `service ${serviceId} update ${state}`,
    async () => {
      last = await manager.services.inspect(serviceId);
      const current = last.UpdateStatus?.State;
      if (current === "paused" || current === "rollback_paused") assert.fail(`update ${current}: ${last.UpdateStatus?.Message}`);
      return current === state ? last : undefined;
    },
    () => JSON.stringify(last?.UpdateStatus),
  );
}

/** Every line the service's tasks wrote so far, with the task each came from. */
async function serviceLogLines(serviceId: string): Promise<{ taskId: string; message: string; stream: string }[]> {
  const body = await manager.services.logs(serviceId, { details: true, timestamps: true });
  const lines: { taskId: string; message: string; stream: string }[] = [];
  for await (const line of splitLines(demuxStream(body))) {
    const parsed = parseServiceLogLine(line.line, { details: true, timestamps: true });
    assert.match(parsed.timestamp ?? "", /^\d{4}-\d\d-\d\dT/);
    lines.push({ taskId: logSource(parsed.attributes).taskId ?? "", message: parsed.message, stream: line.stream });
  }
  return lines;
}

const envOf = (spec: ServiceSpec | undefined): string[] => spec?.TaskTemplate.ContainerSpec?.Env ?? [];

describe("the engine client against the test world's swarm", { skip, concurrency: 1 }, () => {
  test("swarm and nodes: three ready managers, one leader; a node update needs the version it was read at", { timeout: TIMEOUT }, async (t) => {
    const swarm = await manager.swarm.inspect();
    assert.match(swarm.ID, /^[a-z0-9]{25}$/);
    assert.ok(swarm.Version.Index > 0);
    assert.ok(!("JoinTokens" in swarm), "join tokens are not handed out");

    const nodes = await manager.nodes.list();
    assert.deepEqual(nodes.map((n) => n.ID).sort(), [...nodeIds].sort());
    for (const node of nodes) {
      assert.equal(node.Status.State, "ready", node.Description.Hostname);
      assert.equal(node.Spec.Role, "manager");
      assert.equal(node.ManagerStatus?.Reachability, "reachable");
    }
    assert.equal(nodes.filter((n) => n.ManagerStatus?.Leader).length, 1);
    assert.deepEqual((await manager.nodes.list({ filters: { role: "worker" } })).length, 0);
    assert.equal(await manager.nodes.find("no-such-node"), undefined);

    // A label unique to this run, on a node, then off again; a concurrent change of the node makes the
    // read-and-update go round again, which is what the version is for.
    const label = `dev.slipway.test.${RUN_ID}`;
    const target = nodeIds[2]!;
    const relabel = async (change: (labels: Record<string, string>) => void) =>
      until(t.signal, `node ${target} relabelled`, async () => {
        const node = await manager.nodes.inspect(target);
        const labels = { ...node.Spec.Labels };
        change(labels);
        try {
          await manager.nodes.update(target, node.Version.Index, { ...node.Spec, Labels: labels });
          return node;
        } catch (err) {
          if (isOutOfSequence(err)) return undefined;
          throw err;
        }
      });
    const before = await relabel((labels) => (labels[label] = "1"));
    try {
      const labelled = await manager.nodes.inspect(target);
      assert.equal(labelled.Spec.Labels?.[label], "1");
      assert.ok(labelled.Version.Index > before.Version.Index);
      assert.deepEqual((await manager.nodes.list({ filters: { "node.label": label } })).map((n) => n.ID), [target]);

      const stale = await manager.nodes.update(target, before.Version.Index, before.Spec).then(() => assert.fail("a stale version was accepted"), (e: unknown) => e);
      assert.ok(stale instanceof OutOfSequenceError, String(stale));
      assert.equal(stale.code, "SWARM_UPDATE_OUT_OF_SEQUENCE");
      assert.equal((await manager.nodes.inspect(target)).Spec.Labels?.[label], "1", "the stale update changed nothing");
    } finally {
      await relabel((labels) => delete labels[label]);
    }
    assert.equal((await manager.nodes.inspect(target)).Spec.Labels?.[label], undefined);
  });

  test("a replicated service with a secret, a config and an overlay network: running, updated, a stale update refused, logs, events, rolled back, removed", { timeout: TIMEOUT }, async (t) => {
    const name = uniqueName("svc");
    const labels = testLabels({ "dev.slipway.case": "swarm-service" });
    const secret = await manager.secrets.create({ Name: `${name}-secret`, Labels: labels, Data: `${SECRET_VALUE}\n` });
    const config = await manager.configs.create({ Name: `${name}-config`, Labels: labels, Data: Buffer.from(CONFIG_TEXT) });
    const network = await manager.networks.create({ Name: `${name}-net`, Driver: "overlay", Attachable: true, Scope: "swarm", Labels: labels });
    let serviceId: string | undefined;
    try {
      // Secrets never come back; configs do, as base64.
      const secretInspect = await manager.secrets.inspect(secret.ID);
      assert.equal(secretInspect.Spec.Name, `${name}-secret`);
      assert.equal(secretInspect.Spec.Data, undefined);
      assert.deepEqual((await manager.secrets.list({ filters: { names: `${name}-secret` } })).map((s) => s.ID), [secret.ID]);
      const configInspect = await manager.configs.inspect(config.ID);
      assert.equal(Buffer.from(configInspect.Spec.Data ?? "", "base64").toString("utf8"), CONFIG_TEXT);
      assert.deepEqual((await manager.configs.list({ filters: { label: `${RUN_LABEL}=${RUN_ID}`, name: name } })).map((c) => c.ID), [config.ID]);

      // The leader's allocator gives a new network its driver state after the create has answered;
      // until then the engine says Driver "" (swarmkit manager/allocator: it alone writes the
      // network's DriverState, which the engine's inspect reads the driver's name from).
      let driver = "";
      const net = await until(
        t.signal,
        `network ${network.Id} allocated`,
        async () => {
          const inspected = await manager.networks.inspect(network.Id);
          driver = inspected.Driver;
          return driver ? inspected : undefined;
        },
        () => `driver ${JSON.stringify(driver)}`,
      );
      assert.equal(net.Driver, "overlay");
      assert.equal(net.Scope, "swarm");
      assert.equal(net.Attachable, true);

      const spec: ServiceSpec = {
        Name: name,
        Labels: labels,
        TaskTemplate: {
          ContainerSpec: {
            Image: BUSYBOX,
            Labels: labels,
            Command: ["sh", "-c", 'echo "ready version=$VERSION config=$(cat /etc/slipway-it.conf)"; exec sleep 3600'],
            Env: ["VERSION=1"],
            Init: true,
            StopGracePeriod: 2_000_000_000,
            // Healthy only with the secret's value and the config's text where they belong: a running
            // task (swarm waits for healthy before it says running) proves both were mounted.
            Healthcheck: {
              Test: ["CMD-SHELL", `grep -qx '${SECRET_VALUE}' /run/secrets/app-secret && grep -q '${RUN_ID}' /etc/slipway-it.conf`],
              Interval: 1_000_000_000,
              Timeout: 3_000_000_000,
              Retries: 3,
            },
            Secrets: [{ SecretID: secret.ID, SecretName: `${name}-secret`, File: { Name: "app-secret", UID: "0", GID: "0", Mode: 0o400 } }],
            Configs: [{ ConfigID: config.ID, ConfigName: `${name}-config`, File: { Name: "/etc/slipway-it.conf", UID: "0", GID: "0", Mode: 0o444 } }],
            Mounts: [{ Type: "tmpfs", Target: "/scratch" }],
          },
          Resources: { Limits: { MemoryBytes: 64 * 1024 * 1024 } },
          RestartPolicy: { Condition: "on-failure", MaxAttempts: 2 },
          // One replica per node: the two tasks land on two nodes.
          Placement: { Constraints: ["node.role==manager"], MaxReplicas: 1 },
          Networks: [{ Target: network.Id, Aliases: [`${name}-alias`] }],
          LogDriver: { Name: "json-file" },
        },
        Mode: { Replicated: { Replicas: 2 } },
        UpdateConfig: { Parallelism: 1, Delay: 0, FailureAction: "pause", Monitor: 1_000_000_000, Order: "stop-first" },
        RollbackConfig: { Parallelism: 0, FailureAction: "pause", Monitor: 1_000_000_000, Order: "stop-first" },
        EndpointSpec: { Mode: "dnsrr" },
      };
      const created = await manager.services.create(spec);
      serviceId = created.ID;

      const service = await manager.services.inspect(serviceId);
      assert.equal(service.Spec.Name, name);
      assert.equal(service.Spec.EndpointSpec?.Mode, "dnsrr");
      assert.deepEqual(service.Spec.Mode, { Replicated: { Replicas: 2 } });
      const container = service.Spec.TaskTemplate.ContainerSpec!;
      assert.deepEqual(container.Healthcheck, spec.TaskTemplate.ContainerSpec!.Healthcheck, "Healthcheck is the key the engine reads and answers");
      assert.equal(container.Init, true);
      assert.equal(container.StopGracePeriod, 2_000_000_000);
      assert.equal(container.Secrets?.[0]?.SecretID, secret.ID);
      assert.equal(service.Spec.TaskTemplate.Placement?.MaxReplicas, 1);
      assert.equal(service.UpdateStatus, undefined, "never updated yet");
      assert.equal(service.PreviousSpec, undefined);
      assert.equal((await manager.services.find(name))?.ID, serviceId, "found by name too");

      const listed = await manager.services.list({ filters: { label: `${RUN_LABEL}=${RUN_ID}`, name }, status: true });
      assert.deepEqual(listed.map((s) => s.ID), [serviceId]);
      assert.equal(listed[0]!.ServiceStatus?.DesiredTasks, 2);

      const first = await runningTasks(t, serviceId, 2);
      assert.deepEqual(first.map((task) => task.Slot).sort(), [1, 2]);
      assert.equal(new Set(first.map((task) => task.NodeID)).size, 2, "MaxReplicas 1: two nodes");
      for (const task of first) {
        assert.equal(task.ServiceID, serviceId);
        assert.equal(task.DesiredState, "running");
        assert.match(task.Status.ContainerStatus?.ContainerID ?? "", /^[0-9a-f]{64}$/);
        assert.ok(nodeIds.includes(task.NodeID!));
        assert.deepEqual(envOf({ ...spec, TaskTemplate: task.Spec }), ["VERSION=1"]);
        assert.ok(task.NetworksAttachments?.some((a) => a.Network.ID === network.Id), "attached to the overlay");
        assert.equal((await manager.tasks.inspect(task.ID)).ServiceID, serviceId);
      }

      // Both tasks' first line, each from its own task.
      const firstIds = new Set(first.map((task) => task.ID));
      const greeting = `ready version=1 config=${CONFIG_TEXT.trim()}`;
      const logged = await until(t.signal, "both tasks' first log line", async () => {
        const lines = (await serviceLogLines(serviceId!)).filter((l) => l.message === greeting && firstIds.has(l.taskId));
        return new Set(lines.map((l) => l.taskId)).size === 2 ? lines : undefined;
      });
      assert.ok(logged.every((l) => l.stream === "stdout"));

      // The update: the version just read, an env change. Service events say how it goes.
      const stopEvents = new AbortController();
      const events = await manager.system.events({
        filters: { type: ["service"], service: [serviceId] },
        since: Math.floor(Date.now() / 1000) - 1,
        signal: AbortSignal.any([stopEvents.signal, t.signal]),
      });
      const seenEvents: EngineEvent[] = [];
      const eventsDone = (async () => {
        for await (const event of events) {
          seenEvents.push(event);
          if (event.Action === "update" && event.Actor.Attributes["updatestate.new"] === "completed") stopEvents.abort();
        }
      })();
      const read = await manager.services.inspect(serviceId);
      const updated = structuredClone(read.Spec);
      updated.TaskTemplate.ContainerSpec!.Env = ["VERSION=2"];
      const response = await manager.services.update(serviceId, read.Version.Index, updated);
      assert.ok(response.Warnings === undefined || response.Warnings === null || Array.isArray(response.Warnings));

      // The version we read is now stale: the same request again is refused, and changes nothing.
      const stale = await manager.services.update(serviceId, read.Version.Index, { ...updated, Labels: { ...labels, stale: "1" } }).then(
        () => assert.fail("a stale version was accepted"),
        (e: unknown) => e,
      );
      assert.ok(stale instanceof OutOfSequenceError, String(stale));
      assert.ok(isOutOfSequence(stale));
      assert.equal(stale.kind, "engine");
      assert.ok(stale.cause instanceof EngineApiError && stale.cause.status === 500, "swarmkit's conflict arrives as a plain 500");

      const done = await updateState(t, serviceId, "completed");
      assert.ok(done.Version.Index > read.Version.Index);
      assert.ok(done.UpdateStatus?.StartedAt && done.UpdateStatus.CompletedAt, JSON.stringify(done.UpdateStatus));
      assert.ok(Date.parse(done.UpdateStatus.CompletedAt!) >= Date.parse(done.UpdateStatus.StartedAt!));
      assert.deepEqual(envOf(done.Spec), ["VERSION=2"]);
      assert.deepEqual(envOf(done.PreviousSpec), ["VERSION=1"]);
      assert.equal(done.Spec.Labels?.["stale"], undefined, "the stale update changed nothing");
      await eventsDone;
      const updateStates = seenEvents.filter((e) => e.Action === "update" && e.Actor.ID === serviceId).map((e) => e.Actor.Attributes["updatestate.new"]);
      assert.ok(updateStates.includes("updating") && updateStates.indexOf("updating") < updateStates.indexOf("completed"), updateStates.join(","));
      assert.ok(seenEvents.every((e) => e.Type === "service" && e.scope === "swarm"));

      const second = await runningTasks(t, serviceId, 2, (task) => envOf({ ...spec, TaskTemplate: task.Spec }).includes("VERSION=2"));
      assert.ok(second.every((task) => !firstIds.has(task.ID)), "new tasks replaced the old ones");
      const history = await manager.tasks.list({ filters: { service: serviceId, "desired-state": "shutdown" } });
      assert.ok(first.every((old) => history.some((h) => h.ID === old.ID)), "the old tasks are shut down, kept as history");
      await until(t.signal, "the second version's log lines", async () => {
        const lines = await serviceLogLines(serviceId!);
        return second.every((task) => lines.some((l) => l.taskId === task.ID && l.message.startsWith("ready version=2 "))) ? true : undefined;
      });

      // Back to the previous spec, on the engine's side.
      const current = await manager.services.inspect(serviceId);
      await manager.services.update(serviceId, current.Version.Index, current.Spec, { rollback: "previous" });
      const rolledBack = await updateState(t, serviceId, "rollback_completed");
      assert.deepEqual(envOf(rolledBack.Spec), ["VERSION=1"]);
      await runningTasks(t, serviceId, 2, (task) => envOf({ ...spec, TaskTemplate: task.Spec }).includes("VERSION=1"));

      // In use: the secret cannot go before the service does.
      const inUse = await manager.secrets.remove(secret.ID).then(() => assert.fail("removed a secret in use"), (e: unknown) => e);
      assert.ok(inUse instanceof EngineApiError && inUse.status === 400, String(inUse));
    } finally {
      if (serviceId) await manager.services.remove(serviceId);
      await manager.secrets.remove(secret.ID);
      await manager.configs.remove(config.ID);
      await removeNetworks(manager, t.signal);
    }
    assert.equal(await manager.services.find(serviceId!), undefined);
    await manager.services.remove(serviceId!);
    assert.equal(await manager.secrets.find(secret.ID), undefined);
    assert.equal(await manager.configs.find(config.ID), undefined);
    // Gone from the cluster once removed; this node's own copy of it goes with its last task there.
    await until(t.signal, "the network gone from the node", async () => ((await manager.networks.find(network.Id)) === undefined ? true : undefined));
  });

  test("a service from a registry behind auth: its task is rejected without credentials, and runs with them in X-Registry-Auth", { timeout: TIMEOUT, skip: world.skipReason("auth-registry") }, async (t) => {
    const auth = world.require("auth-registry");
    const credentials = { username: auth.username, password: auth.password, serveraddress: auth.address };
    const repo = `slipway-test/${uniqueName("svcauth")}`;
    const ref = `${auth.address}/${repo}:1`;
    await host.images.tag(BUSYBOX, ref);
    let digest: string | undefined;
    let anonymousId: string | undefined;
    let serviceId: string | undefined;
    try {
      digest = pushedDigest(await host.images.push(ref, { auth: credentials }), "1");
      const anonymous = await fetch(`http://${auth.address}/v2/${repo}/tags/list`);
      await anonymous.arrayBuffer();
      assert.equal(anonymous.status, 401, "the image really is behind auth");

      const spec = (name: string): ServiceSpec => ({
        Name: name,
        Labels: testLabels(),
        TaskTemplate: { ContainerSpec: { Image: ref, Command: ["sleep", "3600"], Init: true, StopGracePeriod: 1_000_000_000 }, RestartPolicy: { Condition: "none" } },
        Mode: { Replicated: { Replicas: 1 } },
        EndpointSpec: { Mode: "dnsrr" },
      });

      // First without credentials (no node has the image yet): the node cannot pull, the task is rejected.
      anonymousId = (await manager.services.create(spec(uniqueName("svcanon")))).ID;
      let tasks: Task[] = [];
      const rejected = await until(
        t.signal,
        "the anonymous service's task to be rejected",
        async () => {
          tasks = await manager.tasks.list({ filters: { service: anonymousId! } });
          assert.ok(!tasks.some((task) => task.Status.State === "running"), "ran without credentials");
          return tasks.find((task) => task.Status.State === "rejected");
        },
        () => tasks.map((task) => task.Status.State).join(", "),
      );
      assert.ok(rejected.Status.Err, "a rejected task says why");
      await manager.services.remove(anonymousId);

      serviceId = (await manager.services.create(spec(uniqueName("svcauth")), { registryAuth: credentials })).ID;
      const [task] = await runningTasks(t, serviceId, 1);
      assert.equal(task!.Spec.ContainerSpec?.Image, ref);
    } finally {
      if (anonymousId) await manager.services.remove(anonymousId);
      if (serviceId) await manager.services.remove(serviceId);
      if (digest) await deleteManifest(auth.address, repo, digest, auth);
      await host.images.remove(ref);
    }
  });});

// ---- 3. slipway deploy ----------------------------------------------------------------------------

const compose = (opts: { version: string; healthy?: boolean; constraint?: string }) => `
services:
  web:
    image: busybox:latest
    init: true
    stop_grace_period: 1s
    command: ["sh", "-c", "echo web $$VERSION up; exec sleep 3600"]
    environment: { VERSION: "${opts.version}" }
    healthcheck:
      test: ["CMD-SHELL", "${opts.healthy === false ? "exit 1" : "true"}"]
      interval: 1s
      retries: 2
      start_period: 1s
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
      update_config: { parallelism: 1, order: stop-first }
${opts.constraint ? `      placement: { constraints: ["${opts.constraint}"] }\n` : ""}`;

async function deploy(yaml: string, extra: { timeoutMs?: number } = {}) {
  await writeFile(path.join(deployDir, "compose.yaml"), yaml);
  const project = await loadProject({ workingDir: deployDir, projectName: stack, env: {} });
  const events = new EventBus();
  return deployStack({ engine: manager, events, signal: AbortSignal.timeout(200_000) }, { project, stack, timeoutMs: extra.timeoutMs ?? 120_000, intervalMs: 250, startMs: 20_000 });
}

const webSpec = async () => (await manager.services.list({ filters: { name: [`${stack}_web`] } })).find((s) => s.Spec.Name === `${stack}_web`)!;

describe("slipway deploy on a 3-node swarm", { skip, concurrency: 1 }, () => {
  test("a first deploy creates the network and the service and converges: 2/2 running, pinned by digest", { timeout: TIMEOUT }, async () => {
    const result = await deploy(compose({ version: "1" }));
    assert.equal(result.outcome, "converged");
    assert.deepEqual(result.plan.steps.map((s) => s.kind), ["network.create", "service.create"]);
    assert.deepEqual(result.services.map((s) => [s.name, s.judgement.outcome, s.judgement.running]), [[`${stack}_web`, "converged", 2]]);
    assert.match((await webSpec()).Spec.TaskTemplate.ContainerSpec?.Image ?? "", /^busybox@sha256:[0-9a-f]{64}$/);
  });

  test("a redeploy of the same file plans nothing and leaves the service's version index as it was", { timeout: TIMEOUT }, async () => {
    const before = (await webSpec()).Version.Index;
    const result = await deploy(compose({ version: "1" }));
    assert.deepEqual(result.plan.steps, []);
    assert.deepEqual(result.plan.unchanged, [`${stack}_web`]);
    assert.equal((await webSpec()).Version.Index, before);
  });

  test("an update whose healthcheck fails is rolled back: exit 11, the task's error and last lines; the old spec runs", { timeout: TIMEOUT }, async () => {
    const failure = await deploy(compose({ version: "2", healthy: false })).then(
      () => assert.fail("a failing update was reported as a success"),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof SlipwayError, String(failure));
    assert.equal(failure.exitCode, 11);
    assert.equal(failure.kind, "deploy-rolled-back");
    assert.match(failure.message, /failed and was rolled back/);
    assert.match(failure.message, /unhealthy|non-zero exit/);
    assert.match(failure.message, /\| web 2 up/, "the failing task's own last lines");
    const web = await webSpec();
    assert.ok(web.Spec.TaskTemplate.ContainerSpec?.Env?.includes("VERSION=1"), "the previous spec is back");
    assert.equal(web.UpdateStatus?.State, "rollback_completed");
  });

  test("through the CLI: --dry-run prints the plan; a deploy prints each service's outcome, labels the service with the deploy and writes its record; --remove takes the stack down", { timeout: TIMEOUT }, async () => {
    const cliStack = `${stack}-cli`;
    const project = await mkdtemp(path.join(tmpdir(), "slipway-deploy-cli-"));
    try {
      await writeFile(path.join(project, "compose.yaml"), compose({ version: "cli" }));
      await writeFile(path.join(project, "slipway.yml"), `environments:\n  test: { compose: compose.yaml, service: web }\ntargets:\n  swarm:\n    stack: ${cliStack}\n    compose: compose.yaml\n    endpoint: ${swarm.nodes[0]!.dockerHost}\n    timeout: 2m\n`);
      const run = async (...args: string[]) => {
        const r = slipway(["deploy", "--target", "swarm", ...args], { cwd: project });
        return { code: await r.exit, out: r.stdout(), err: r.stderr() };
      };
      const dry = await run("--dry-run");
      assert.equal(dry.code, 0, dry.err);
      assert.match(dry.out, new RegExp(`1\\. create network ${cliStack}_default \\(overlay\\)\\n\\s+2\\. create service ${cliStack}_web`));
      assert.equal((await observeStack(manager, cliStack)).services.length, 0, "a dry run changes nothing");

      const deployed = await run();
      assert.equal(deployed.code, 0, deployed.err);
      assert.match(deployed.out, new RegExp(`${cliStack}_web: converged \\(2/2 running\\)`));
      const [record] = await Promise.all((await readdir(path.join(project, ".slipway/records/deployments"))).map(async (f) => JSON.parse(await readFile(path.join(project, ".slipway/records/deployments", f), "utf8"))));
      assert.equal(record.outcome, "converged");
      assert.equal(record.stack, cliStack);
      assert.deepEqual(record.services.map((x: { name: string; change: string; outcome: string }) => [x.name, x.change, x.outcome]), [[`${cliStack}_web`, "created", "converged"]]);
      const labels = (await manager.services.list({ filters: { name: [`${cliStack}_web`] } }))[0]!.Spec.Labels ?? {};
      assert.equal(labels["dev.slipway.deploy.run"], record.runId, "the swarm says which deploy set it");

      const removed = await run("--remove");
      assert.equal(removed.code, 0, removed.err);
      assert.equal((await observeStack(manager, cliStack)).services.length, 0);
    } finally {
      const steps = planRemoval(cliStack, await observeStack(manager, cliStack));
      if (steps.length) await applyPlan({ engine: manager, events: new EventBus(), signal: AbortSignal.timeout(60_000) }, undefined, steps);
      await rm(project, { recursive: true, force: true });
    }
  });

  test("start-first: a failing update rolled back while a client on the stack's network asks every 100 ms: not one failed request", { timeout: TIMEOUT }, async () => {
    const webStack = `${stack}-sf`;
    const project = await mkdtemp(path.join(tmpdir(), "slipway-deploy-sf-"));
    const file = (version: string, healthy: boolean) => `
services:
  web:
    image: busybox:latest
    init: true
    stop_grace_period: 1s
    command: ["sh", "-c", "mkdir -p /www && echo ${version} > /www/index.html && exec httpd -f -p 8080 -h /www"]
    healthcheck: { test: ["CMD-SHELL", "${healthy ? "wget -q -O- http://127.0.0.1:8080/ >/dev/null" : "exit 1"}"], interval: 1s, retries: 2, start_period: 1s }
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
      update_config: { parallelism: 1, order: start-first }
networks:
  default: { driver: overlay, attachable: true }
`;
    const events = new EventBus();
    const deployIt = async (yaml: string) => {
      await writeFile(path.join(project, "compose.yaml"), yaml);
      const loaded = await loadProject({ workingDir: project, projectName: webStack, env: {} });
      return deployStack({ engine: manager, events, signal: AbortSignal.timeout(200_000) }, { project: loaded, stack: webStack, timeoutMs: 120_000, intervalMs: 250, startMs: 20_000 });
    };
    let client: string | undefined;
    try {
      assert.equal((await deployIt(file("v1", true))).outcome, "converged");
      // The client: on the stack's own overlay network, at most 10 requests a second for at most 20 s.
      const created = await manager.containers.create(
        {
          Image: "busybox:latest",
          // As a dnsrr client does: the service's name resolved on each request (the tasks' addresses,
          // taken in turn), then one HTTP request. busybox's nslookup and nc: this image's static
          // wget crashes on any address but the loopback.
          Cmd: [
            "sh",
            "-c",
            'ok=0; fail=0; for i in $(seq 180); do set -- $(nslookup web 2>/dev/null | awk "/^Address: [0-9.]+\\$/ {print \\$2}"); ip=none; if [ $# -gt 0 ]; then k=$((i % $# + 1)); eval ip=\\${$k}; fi; if printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 $ip 8080 2>/dev/null | grep -q "200 OK"; then ok=$((ok+1)); else fail=$((fail+1)); echo "failed: $ip"; fi; sleep 0.1; done; echo ok=$ok fail=$fail',
          ],
          HostConfig: { NetworkMode: `${webStack}_default` },
          NetworkingConfig: { EndpointsConfig: { [`${webStack}_default`]: {} } },
          Labels: { "dev.slipway.test": "deploy-start-first" },
        },
        { name: `${webStack}-client` },
      );
      client = created.Id;
      const exited = await manager.containers.wait(client, { condition: "next-exit" });
      await manager.containers.start(client);
      const failure = await deployIt(file("v2", false)).then(
        () => assert.fail("a failing update was reported as a success"),
        (err: unknown) => err,
      );
      assert.ok(failure instanceof SlipwayError && failure.exitCode === 11, String(failure));
      assert.equal((await exited.result).StatusCode, 0);
      const logs: Buffer[] = [];
      for await (const chunk of await manager.containers.logs(client, { stdout: true, stderr: true })) logs.push(chunk);
      const summary = /ok=(\d+) fail=(\d+)/.exec(Buffer.concat(logs).toString("latin1"));
      assert.ok(summary, Buffer.concat(logs).toString("latin1"));
      assert.equal(Number(summary[2]), 0, `failed requests while the update was tried and rolled back: ${summary[0]}`);
      assert.equal(Number(summary[1]), 180);
    } finally {
      if (client) await manager.containers.remove(client, { force: true }).catch(() => undefined);
      const steps = planRemoval(webStack, await observeStack(manager, webStack));
      if (steps.length) await applyPlan({ engine: manager, events: new EventBus(), signal: AbortSignal.timeout(60_000) }, undefined, steps);
      await rm(project, { recursive: true, force: true });
    }
  });

  test("an image the registry does not have: a registry error (exit 6) naming it, before anything changes on the swarm", { timeout: TIMEOUT }, async () => {
    const missingStack = `${stack}-missing`;
    const project = await mkdtemp(path.join(tmpdir(), "slipway-deploy-missing-"));
    try {
      await writeFile(path.join(project, "compose.yaml"), compose({ version: "1" }).replace("busybox:latest", "busybox:slipway-no-such-tag"));
      const loaded = await loadProject({ workingDir: project, projectName: missingStack, env: {} });
      const failure = await deployStack({ engine: manager, events: new EventBus(), signal: AbortSignal.timeout(60_000) }, { project: loaded, stack: missingStack, timeoutMs: 60_000 }).then(
        () => assert.fail("deployed an image that does not exist"),
        (err: unknown) => err,
      );
      assert.ok(failure instanceof SlipwayError, String(failure));
      assert.equal(failure.exitCode, 6);
      assert.match(failure.message, /busybox:slipway-no-such-tag/);
      assert.deepEqual(await observeStack(manager, missingStack).then((o) => [o.services.length, o.networks.filter((n) => n.name.startsWith(missingStack)).length]), [0, 0]);
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });

  test("a task that cannot be placed is reported with the scheduler's message when the deadline comes, non-zero", { timeout: TIMEOUT }, async () => {
    const failure = await deploy(compose({ version: "3", constraint: "node.labels.slipway-nowhere == yes" }), { timeoutMs: 15_000 }).then(
      () => assert.fail("an update that cannot be placed was reported as a success"),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof SlipwayError, String(failure));
    assert.equal(failure.kind, "timeout");
    assert.equal(failure.exitCode, 8);
    assert.match(failure.message, /no suitable node/);
  });});

// ---- 4. slipway ci through deploy, and the deploy operations: rollback, rotation, lock, remote ---

describe("slipway ci through deploy; rollback, secret rotation, the deploy lock and an ssh:// target", { skip, concurrency: 1 }, () => {
  const registry = "127.0.0.1:5003";
  test("slipway ci: release → tag → publish → deploy of the published digest, through a registry behind auth", { timeout: TIMEOUT, skip: world.skipReason("auth-registry") }, () =>
    ciDeployScenario({ host, manager, managerHost: swarm.nodes[0]!.dockerHost, registry: world.require("auth-registry") }),
  );
  test("rollback: to the previous converged release by default, by name, refused with nothing before it, refused before touching anything when its image is gone; through the CLI with the lock and the releases view", { timeout: TIMEOUT }, () =>
    rollbackScenario({ host, manager, managerHost: swarm.nodes[0]!.dockerHost, registry }),
  );
  test("secret rotation: a new generation the service reads, the previous kept, older removed; rollback to before the rotation works", { timeout: TIMEOUT }, () => rotationScenario({ manager }));
  test("deploy lock: two concurrent deploys, exactly one proceeds and the other names the holder", { timeout: TIMEOUT }, (t) => twoConcurrentDeploys(swarm, t.signal));
  test("deploy lock: --lock-wait waits for the holder, then deploys", { timeout: TIMEOUT }, (t) => lockWaitThenProceeds(swarm, t.signal));
  test("deploy lock: a SIGKILLed deploy's lock expires and is taken over; status and release", { timeout: TIMEOUT }, (t) => killedDeployLockExpires(swarm, t.signal));
  test("an ssh:// target behaves exactly as the manager's local socket", { timeout: TIMEOUT, skip: remoteSkipReason() }, () => remoteScenario({ manager, managerHost: swarm.nodes[0]!.dockerHost }));
});

// ---- 5. a node stopped mid-rollout ----------------------------------------------------------------

/**
 * Three replicas, at most one per node, so each node runs one; one task at a time with 3 s between
 * two, so that the rollout is still under way when a node is stopped. A rollback replaces every
 * task at once: it waits for the node stopped either way (its slot has nowhere else to go).
 */
const nodeCompose = (version: string) => `
services:
  web:
    image: busybox:latest
    init: true
    stop_grace_period: 1s
    command: ["sh", "-c", "echo web $$VERSION up; exec sleep 3600"]
    environment: { VERSION: "${version}" }
    labels: { dev.slipway.test.version: "${version}" }
    healthcheck:
      test: ["CMD-SHELL", "true"]
      interval: 1s
      retries: 2
      start_period: 1s
    deploy:
      replicas: 3
      endpoint_mode: dnsrr
      placement: { max_replicas_per_node: 1 }
      update_config: { parallelism: 1, delay: 3s, order: stop-first }
      rollback_config: { parallelism: 0, order: stop-first }
`;

const versionOf = (spec: ContainerSpec | undefined): string | undefined => spec?.Env?.find((e) => e.startsWith("VERSION="))?.slice("VERSION=".length);

type Verdict = Exclude<DeployOutcome["outcome"], "refused">;

/**
 * The UpdateStatus each verdict may be reported with (rollout.ts judges from it). Timed out: the
 * deadline came before the swarm reached an end, or it completed with fewer tasks running than it
 * should (checked below).
 */
const AGREES: Record<Verdict, readonly string[]> = {
  converged: ["completed"],
  "rolled-back": ["rollback_completed"],
  paused: ["paused"],
  failed: ["rollback_paused"],
  "timed-out": ["updating", "rollback_started", "completed"],
};
/** Where an update ends, as the swarm says it. */
const ENDS = new Set(["completed", "rollback_completed", "paused", "rollback_paused"]);

describe("a node stopped mid-rollout (last: it takes a node away, then heals the swarm)", { skip, concurrency: 1 }, () => {
  test("a non-leader node stopped half way through a rollout and started again: an outcome that agrees with the swarm's UpdateStatus; once the node is back, every running task and container runs the service's spec", { timeout: 480_000 }, async (t) => {
    // The deploy and every look go through the leader, which is never the node stopped.
    const leaderId = (await manager.nodes.list()).find((n) => n.ManagerStatus?.Leader)?.ID;
    const leaderNode = swarm.nodes.find((n) => n.nodeId === leaderId);
    assert.ok(leaderNode, `the leader (${String(leaderId)}) is one of ${nodeIds.join(", ")}`);
    const leader = engineOf(leaderNode);
    const name = `${nodeStack}_web`;
    const project = await mkdtemp(path.join(tmpdir(), "slipway-deploy-node-"));
    // What the deploys say of the rollout as it goes (the swarm's words while it rolls back, too).
    const said: string[] = [];
    const events = new EventBus();
    events.on((e) => {
      if (e.type === "log") said.push(`${new Date(e.time).toISOString()} ${e.message}`);
    });
    const deployIt = async (version: string, onOutcome?: (o: DeployOutcome) => Promise<void>) => {
      await writeFile(path.join(project, "compose.yaml"), nodeCompose(version));
      const loaded = await loadProject({ workingDir: project, projectName: nodeStack, env: {} });
      return deployStack({ engine: leader, events, signal: t.signal }, { project: loaded, stack: nodeStack, timeoutMs: 180_000, intervalMs: 250, ...(onOutcome ? { onOutcome } : {}) });
    };
    const tasksOf = () => leader.tasks.list({ filters: { service: name, "desired-state": "running" } });
    // What happened, as it happens: a test that times out reports these, and nothing else.
    const phase = (what: string) => t.diagnostic(`${new Date().toISOString()} ${what}`);
    let victim: SwarmNode | undefined;
    let victimEngine: Engine | undefined;
    t.after(async () => {
      await victimEngine?.close();
    });
    let serviceId: string | undefined;
    try {
      assert.equal((await deployIt("1")).outcome, "converged");
      const first = (await tasksOf()).filter((task) => task.Status.State === "running");
      assert.deepEqual(first.map((task) => task.NodeID).sort(), [...nodeIds].sort(), "one task on each node");
      serviceId = first[0]!.ServiceID;
      phase("version 1 runs on every node");

      // The update, left to run. Its verdict, and the swarm's UpdateStatus read as it is reported.
      let told: { outcome: DeployOutcome["outcome"]; running: number | undefined; status: ServiceUpdateStatus | undefined } | undefined;
      let ended = false;
      const update = deployIt("2", async (o) => {
        told = { outcome: o.outcome, running: o.services[0]?.judgement.running, status: (await leader.services.inspect(name)).UpdateStatus };
      }).then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );
      void update.then(() => (ended = true));

      // Under way: the swarm says it is updating, a task of the new spec runs, not every one does.
      let seen = "";
      const midway = await until(
        t.signal,
        "the rollout under way",
        async () => {
          const [service, tasks] = await Promise.all([leader.services.inspect(name), tasksOf()]);
          const running = tasks.filter((task) => task.Status.State === "running");
          const fresh = running.filter((task) => versionOf(task.Spec.ContainerSpec) === "2");
          const state = service.UpdateStatus?.State;
          seen = `${state ?? "not updated yet"}, ${fresh.length}/3 tasks of the new spec running`;
          if (ended || (state !== undefined && state !== "updating")) assert.fail(`the rollout ended before a node could be stopped half way: ${seen}; ${JSON.stringify(told)}`);
          return state === "updating" && fresh.length >= 1 && fresh.length < 3 ? { running, fresh } : undefined;
        },
        () => seen,
      );

      // Not the leader; one whose task still runs the old spec, when one does.
      const others = swarm.nodes.filter((n) => n.nodeId !== leaderId);
      const stopped = others.find((n) => midway.running.some((task) => task.NodeID === n.nodeId && versionOf(task.Spec.ContainerSpec) === "1")) ?? others[0]!;
      victim = stopped;
      const ranThere = versionOf(midway.running.find((task) => task.NodeID === stopped.nodeId)?.Spec.ContainerSpec);
      phase(`under way (${seen}); stopping ${stopped.name}, whose task runs version ${String(ranThere)}`);
      const startedAt = (await host.containers.inspect(stopped.container)).State.StartedAt;
      await host.containers.stop(stopped.container, { timeout: 20 });
      // Until the swarm says the node is down; unless another test process's `swarm.sh up` (the
      // swarm is shared, and `up` starts a stopped node) has started it again first.
      const gone = await until(t.signal, `${stopped.name} down in the swarm`, async () => {
        if ((await leader.nodes.inspect(stopped.nodeId, { signal: t.signal })).Status.State === "down") return "down in the swarm";
        const container = await host.containers.inspect(stopped.container);
        return container.State.Running && container.State.StartedAt !== startedAt ? "started again by another process before the swarm saw it down" : undefined;
      });
      phase(`${stopped.name} ${gone}`);
      const whileDown = (await tasksOf()).map((task) => `${task.Slot}:v${versionOf(task.Spec.ContainerSpec)}:${task.Status.State}${task.NodeID === stopped.nodeId ? "@stopped" : ""}`).join(" ");
      await host.containers.start(stopped.container);
      phase(`${stopped.name} started; tasks while it was down: ${whileDown}`);

      // The verdict: converged, or non-zero, and what the swarm said as it was given.
      const outcome = await update;
      phase(`the deploy ended: ${told?.outcome ?? "no outcome told"} (${JSON.stringify(told?.status)}); it said: ${said.join(" | ")}`);
      assert.ok(told, "the deploy reported its outcome before it ended");
      assert.notEqual(told.outcome, "refused");
      const verdict = told.outcome as Verdict;
      if ("result" in outcome) {
        assert.equal(verdict, "converged");
        assert.equal(outcome.result.outcome, "converged");
      } else {
        assert.ok(outcome.error instanceof SlipwayError, `the deploy ended in something other than a verdict: ${outcome.error instanceof Error ? outcome.error.stack : String(outcome.error)}`);
        assert.ok(verdict !== "converged", `a ${verdict} verdict thrown: ${outcome.error.message}`);
        assert.equal(outcome.error.kind, RolloutKind[verdict], outcome.error.message);
        assert.equal(outcome.error.exitCode, exitCodeForKind(RolloutKind[verdict]));
        assert.notEqual(outcome.error.exitCode, 0);
      }
      const state = told.status?.State ?? "";
      assert.ok(AGREES[verdict].includes(state), `${verdict} while the swarm says ${JSON.stringify(told.status)}`);
      if (verdict === "converged" || (verdict === "timed-out" && state === "completed")) {
        assert.ok(verdict === "converged" ? told.running === 3 : (told.running ?? 0) < 3, `${verdict} with ${String(told.running)}/3 running`);
      }

      // The node back: a Ready manager the others reach, its engine answering; the swarm at an end,
      // three tasks running, and the nodes' engines running exactly those tasks' containers.
      victimEngine = await until(t.signal, `${stopped.name}'s engine`, () => Engine.connect({ endpoint: endpointFromEnv({ DOCKER_HOST: stopped.dockerHost }) }).catch(() => undefined));
      const onNode = (n: SwarmNode) => (n === stopped ? victimEngine! : engineOf(n));
      let last = "";
      const settled = await until(
        t.signal,
        `the swarm settled with ${stopped.name} back`,
        async () => {
          const [node, service, tasks] = await Promise.all([leader.nodes.inspect(stopped.nodeId), leader.services.inspect(name), tasksOf()]);
          const containers = (
            await Promise.all(
              swarm.nodes.map(async (n) =>
                (await onNode(n).containers.list({ all: false, filters: { label: [`com.docker.swarm.service.id=${service.ID}`] } })).map((c) => ({ node: n, id: c.Id, task: c.Labels["com.docker.swarm.task.id"] })),
              ),
            )
          ).flat();
          const running = tasks.filter((task) => task.Status.State === "running");
          last = `node ${node.Status.State}/${node.ManagerStatus?.Reachability}; update ${service.UpdateStatus?.State}; tasks ${tasks.map((task) => `${task.Slot}:v${versionOf(task.Spec.ContainerSpec)}:${task.Status.State}`).join(" ")}; containers ${containers.map((c) => `${c.node.name}:${c.task?.slice(0, 8)}`).join(" ")}`;
          const agree = containers.length === running.length && running.every((task) => containers.some((c) => c.task === task.ID && c.node.nodeId === task.NodeID));
          const ready = node.Status.State === "ready" && node.ManagerStatus?.Reachability === "reachable";
          return ready && ENDS.has(service.UpdateStatus?.State ?? "") && tasks.length === 3 && running.length === 3 && agree ? { service, running, containers } : undefined;
        },
        () => last,
      );
      phase(`settled: ${last}`);
      const spec = settled.service.Spec.TaskTemplate.ContainerSpec!;
      const rolledBack = settled.service.UpdateStatus?.State?.startsWith("rollback") ?? false;
      const current = versionOf(spec);
      assert.equal(current, rolledBack ? "1" : "2", `the service's spec after ${settled.service.UpdateStatus?.State}`);
      if (verdict === "converged") assert.equal(current, "2");
      if (verdict === "rolled-back") assert.equal(current, "1");
      const other = current === "1" ? "2" : "1";
      assert.deepEqual(settled.running.map((task) => task.NodeID).sort(), [...nodeIds].sort(), "one task on each node, the one stopped too");
      for (const task of settled.running) assert.deepEqual(task.Spec.ContainerSpec, spec, `task ${task.Slot} runs the service's spec`);
      for (const c of settled.containers) {
        const inspected = await onNode(c.node).containers.inspect(c.id);
        assert.deepEqual(
          { image: inspected.Config.Image, version: inspected.Config.Labels?.["dev.slipway.test.version"], env: inspected.Config.Env?.filter((e) => e.startsWith("VERSION=")) },
          { image: spec.Image, version: current, env: [`VERSION=${current}`] },
          `${c.node.name}: container ${c.id.slice(0, 12)} runs the service's spec, not version ${other}`,
        );
      }
      t.diagnostic(
        `stopped ${stopped.name} (its task ran version ${String(ranThere)}) with ${midway.fresh.length}/3 tasks of version 2 running; while it was down: ${whileDown}; ` +
          `verdict ${verdict} (swarm: ${JSON.stringify(told.status)}${"error" in outcome ? `; ${String((outcome.error as Error).message)}` : ""}); after: ${settled.service.UpdateStatus?.State}, version ${String(current)} on every node`,
      );
    } finally {
      try {
        // Whatever happened: the node started, a Ready manager again, its relays answering.
        if (victim) await host.containers.start(victim.container);
        await healSwarm();
      } finally {
        const steps = planRemoval(nodeStack, await observeStack(leader, nodeStack));
        if (steps.length) await applyPlan({ engine: leader, events: new EventBus(), signal: AbortSignal.timeout(60_000) }, undefined, steps);
        await rm(project, { recursive: true, force: true });
      }
    }

    // The world whole again, for what runs next: the same three members, every one a Ready,
    // reachable manager; the node stopped answers on its socket and pulls through its relay.
    const healed = await ensureSwarm();
    assert.deepEqual(healed.nodes.map((n) => n.nodeId), nodeIds, "the same swarm, not a new one");
    for (const n of await leader.nodes.list()) {
      assert.deepEqual({ state: n.Status.State, role: n.Spec.Role, reachability: n.ManagerStatus?.Reachability }, { state: "ready", role: "manager", reachability: "reachable" }, n.Description.Hostname);
    }
    const info = await victimEngine!.system.info();
    assert.deepEqual({ state: info.Swarm.LocalNodeState, manager: info.Swarm.ControlAvailable }, { state: "active", manager: true });
    await victimEngine!.images.pull("busybox:latest");
    // The stack removed: no node keeps a container of it.
    for (const node of swarm.nodes) {
      const engine = node === victim ? victimEngine! : engineOf(node);
      await until(t.signal, `${node.name} without the stack's containers`, async () => ((await engine.containers.list({ all: true, filters: { label: [`com.docker.swarm.service.id=${serviceId!}`] } })).length === 0 ? true : undefined));
    }
  });
});
