/**
 * The swarm test world (testworld/swarm.sh) is what deploy tests need: three Ready managers on
 * Engine 26, every node pulling Docker Hub names through the mirror and images pushed from the
 * host to 127.0.0.1:5003, and a replicated service with host-mode ports and a healthcheck that
 * converges to one healthy task per node and is removed without a trace.
 *
 * Talks only to the nodes' engines (unix sockets) and the host's; the published port is probed
 * from inside each node, on its own 127.0.0.1.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomInt } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { Engine, endpointFromEnv, isNotFound } from "../../../src/engine/index.ts";
import { ensureSwarm, swarmSkipReason, type SwarmNode, type SwarmWorld } from "../../support/swarm.ts";
import { execIn } from "../engine/harness.ts";
import { deleteManifest, pushImage, testImage, useEngine } from "../registry/harness.ts";

const skip = swarmSkipReason();

/** What GET /nodes says of a node (the fields this test reads). */
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
  let swarm: SwarmWorld;
  const engines = new Map<string, Engine>();
  let host: Engine;
  useEngine((e) => (host = e));

  before(
    async () => {
      swarm = await ensureSwarm();
      for (const node of swarm.nodes) {
        engines.set(node.name, await Engine.connect({ endpoint: endpointFromEnv({ DOCKER_HOST: node.dockerHost }) }));
      }
    },
    { timeout: 10 * 60_000 },
  );

  after(async () => {
    for (const engine of engines.values()) await engine.close();
  });

  const engineOf = (node: SwarmNode): Engine => engines.get(node.name)!;

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
    const manager = engineOf(swarm.nodes[0]!);
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
        await delay(250);
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
      while ((await engineOf(node).containers.list({ all: true, filters })).length > 0) await delay(250);
    }
    const services = await manager.http.json<{ ID: string }[]>("GET", "/services", { query: { filters: { name: [name] } } });
    assert.deepEqual(services, []);
  });
});
