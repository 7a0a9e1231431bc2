/**
 * The engine client's Swarm API against a real swarm: three managers of Engine 26 in containers
 * (test/support/swarm.ts). A secret, a config, an attachable overlay network and a replicated
 * busybox service with a healthcheck, watched through its tasks to running, updated, refused an
 * update with a stale version, read through its logs and events, rolled back, and removed with
 * everything else, also when a step fails. The routing mesh needs IPVS, which these nodes lack, so
 * the service resolves by DNS round robin and publishes no port.
 *
 * Against the host engine (20.10, no swarm): the one NOT_A_SWARM_MANAGER error.
 *
 * Nothing here bounds time itself: loops poll the swarm until what they wait for is there, and
 * the test's timeout (through `t.signal`) is the only bound.
 */
import { after, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import {
  Engine,
  EngineApiError,
  NotASwarmManagerError,
  OutOfSequenceError,
  endpointFromEnv,
  isOutOfSequence,
  logSource,
  parseServiceLogLine,
  type EngineEvent,
  type Service,
  type ServiceSpec,
  type Task,
} from "../../../src/engine/index.ts";
import { demuxStream, pushedDigest, splitLines } from "../../../src/engine/streams/index.ts";
import { ensureSwarm, swarmSkipReason } from "../../support/swarm.ts";
import { loadWorldSync } from "../../support/world.ts";
import { BUSYBOX, RUN_ID, RUN_LABEL, deleteManifest, testLabels, uniqueName } from "../engine/harness.ts";

const world = loadWorldSync();
const TIMEOUT = 240_000;
const SECRET_VALUE = `s3cret-${RUN_ID}`;
const CONFIG_TEXT = `greeting=slipway ${RUN_ID}\n`;

/** The manager the swarm tests talk to, and the host's own engine. */
let manager: Engine;
let host: Engine;
let nodeIds: string[];

before(async () => {
  host = await Engine.connect({ endpoint: endpointFromEnv({ DOCKER_HOST: world.dockerHost }) });
});

after(async () => {
  await host?.close();
});

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

describe("against the test world's swarm", { skip: swarmSkipReason() }, () => {
  before(async () => {
    const swarm = await ensureSwarm();
    nodeIds = swarm.nodes.map((n) => n.nodeId);
    manager = await Engine.connect({ endpoint: endpointFromEnv({ DOCKER_HOST: swarm.nodes[0]!.dockerHost }) });
  });

  /** The safety net for a test that failed between a create and its own cleanup: this file's run label selects it. */
  after(
    async (t) => {
      if (!manager) return;
      const filters = { label: `${RUN_LABEL}=${RUN_ID}` };
      for (const s of await manager.services.list({ filters })) await manager.services.remove(s.ID);
      for (const s of await manager.secrets.list({ filters })) await manager.secrets.remove(s.ID);
      for (const c of await manager.configs.list({ filters })) await manager.configs.remove(c.ID);
      await removeNetworks(manager, t.signal);
      await manager.close();
    },
    { timeout: 120_000 },
  );

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

      const net = await manager.networks.inspect(network.Id);
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
  });
});

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
