/**
 * The Swarm client's requests and its reading of the answers, against a local HTTP server on a unix
 * socket playing the engine: what goes on the wire (method, path, query, headers, body) and how
 * statuses are classified. What a real swarm answers is test/integration/swarm/swarm.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { Engine, endpointFromEnv } from "./engine.ts";
import { EngineApiError, isConflict } from "./engine-error.ts";
import { NotASwarmManagerError, OutOfSequenceError, isOutOfSequence } from "./swarm-errors.ts";
import { demuxStream } from "./streams/demux.ts";

interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage["headers"];
  body: string;
}

type Answer = { status: number; json?: unknown; raw?: Buffer };
type Route = (seen: Seen) => Answer;

/** A fake engine: `routes` by "METHOD /path" (without the version prefix); everything it was sent, in order. */
async function fakeEngine(routes: Record<string, Route>): Promise<{ engine: Engine; seen: Seen[]; [Symbol.asyncDispose](): Promise<void> }> {
  const socket = path.join(tmpdir(), `slipway-swarm-fake-${randomBytes(4).toString("hex")}.sock`);
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/_ping") return void res.writeHead(200, { "api-version": "1.45", ostype: "linux" }).end("OK");
      const url = new URL(req.url ?? "/", "http://engine");
      const unversioned = url.pathname.replace(/^\/v\d+\.\d+/, "");
      const entry: Seen = { method: req.method ?? "", path: unversioned, query: Object.fromEntries(url.searchParams), headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      seen.push(entry);
      const route = routes[`${entry.method} ${unversioned}`];
      const answer = route ? route(entry) : { status: 599, json: { message: `no route for ${entry.method} ${unversioned}` } };
      if (answer.raw) return void res.writeHead(answer.status, { "content-type": "application/vnd.docker.multiplexed-stream" }).end(answer.raw);
      res.writeHead(answer.status, { "content-type": "application/json" }).end(answer.json === undefined ? "" : JSON.stringify(answer.json));
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  const engine = await Engine.connect({ endpoint: endpointFromEnv({ DOCKER_HOST: `unix://${socket}` }) });
  return {
    engine,
    seen,
    async [Symbol.asyncDispose]() {
      await engine.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const NOT_A_MANAGER: Answer = { status: 503, json: { message: 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.' } };

test("every swarm group answers an engine that is not a manager with NOT_A_SWARM_MANAGER; a local endpoint's 503 stays the engine's", async () => {
  const everything: Record<string, Route> = new Proxy({}, { get: () => () => NOT_A_MANAGER, has: () => true });
  await using fake = await fakeEngine(everything);
  const { engine } = fake;
  const calls: [string, () => Promise<unknown>][] = [
    ["swarm.inspect", () => engine.swarm.inspect()],
    ["services.list", () => engine.services.list()],
    ["services.find", () => engine.services.find("web")],
    ["services.create", () => engine.services.create({ Name: "web", TaskTemplate: { ContainerSpec: { Image: "busybox" } } })],
    ["services.update", () => engine.services.update("web", 1, { Name: "web", TaskTemplate: { ContainerSpec: { Image: "busybox" } } })],
    ["services.remove", () => engine.services.remove("web")],
    ["services.logs", () => engine.services.logs("web")],
    ["tasks.list", () => engine.tasks.list()],
    ["tasks.inspect", () => engine.tasks.inspect("t")],
    ["nodes.list", () => engine.nodes.list()],
    ["nodes.update", () => engine.nodes.update("n", 1, { Role: "worker", Availability: "active" })],
    ["secrets.list", () => engine.secrets.list()],
    ["secrets.create", () => engine.secrets.create({ Name: "s", Data: "x" })],
    ["configs.remove", () => engine.configs.remove("c")],
  ];
  for (const [name, call] of calls) {
    const err = await call().then(() => assert.fail(`${name} resolved`), (e: unknown) => e);
    assert.ok(err instanceof NotASwarmManagerError, `${name}: ${String(err)}`);
    assert.equal(err.code, "NOT_A_SWARM_MANAGER");
    assert.match(err.message, new RegExp(`unix://.*slipway-swarm-fake`), name);
  }
  const local = await engine.networks.list().then(() => assert.fail("resolved"), (e: unknown) => e);
  assert.ok(local instanceof EngineApiError && !(local instanceof NotASwarmManagerError), "a 503 elsewhere stays the engine's");
});

test("services: list filters and status, create with the auth header and the spec as sent, find's 404 is undefined, remove's 404 is success", async () => {
  const service = { ID: "s1", Version: { Index: 12 }, Spec: { Name: "web" } };
  await using fake = await fakeEngine({
    "GET /services": () => ({ status: 200, json: [service] }),
    "POST /services/create": () => ({ status: 201, json: { ID: "s1", Warnings: null } }),
    "GET /services/web": () => ({ status: 200, json: service }),
    "GET /services/gone": () => ({ status: 404, json: { message: "service gone not found" } }),
    "DELETE /services/gone": () => ({ status: 404, json: { message: "service gone not found" } }),
    "DELETE /services/s1": () => ({ status: 200 }),
  });
  const { engine, seen } = fake;
  assert.deepEqual(await engine.services.list({ filters: { label: "dev.slipway.project=p", name: undefined }, status: true }), [service]);
  assert.deepEqual(seen.at(-1)!.query, { filters: JSON.stringify({ label: ["dev.slipway.project=p"] }), status: "true" });

  const spec = {
    Name: "web",
    Labels: { "dev.slipway.project": "p" },
    TaskTemplate: {
      ContainerSpec: { Image: "busybox:latest", Env: ["A=1"], Init: true, StopGracePeriod: 10_000_000_000, Healthcheck: { Test: ["CMD", "true"], Interval: 1_000_000_000 } },
      RestartPolicy: { Condition: "on-failure" as const, MaxAttempts: 3 },
      Placement: { Constraints: ["node.role==worker"], MaxReplicas: 1 },
    },
    Mode: { Replicated: { Replicas: 2 } },
    UpdateConfig: { Parallelism: 1, Order: "start-first" as const, FailureAction: "rollback" as const },
    EndpointSpec: { Mode: "dnsrr" as const },
  };
  assert.deepEqual(await engine.services.create(spec, { registryAuth: { username: "u", password: "p" } }), { ID: "s1", Warnings: null });
  const created = seen.at(-1)!;
  assert.deepEqual(JSON.parse(created.body), spec);
  assert.equal(created.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(Buffer.from(String(created.headers["x-registry-auth"]), "base64url").toString()), { username: "u", password: "p" });

  await engine.services.create(spec);
  assert.equal(seen.at(-1)!.headers["x-registry-auth"], undefined, "no credentials, no header");

  assert.equal((await engine.services.find("web"))?.Version.Index, 12);
  assert.equal(await engine.services.find("gone"), undefined);
  await engine.services.remove("gone");
  await engine.services.remove("s1");
  assert.deepEqual(seen.slice(-2).map((s) => `${s.method} ${s.path}`), ["DELETE /services/gone", "DELETE /services/s1"]);
});

test("services.update: version and rollback in the query; a stale version is an OutOfSequenceError, any other 500 stays the engine's", async () => {
  let answer: Answer = { status: 200, json: { Warnings: ["unable to pin image"] } };
  await using fake = await fakeEngine({ "POST /services/s1/update": () => answer });
  const { engine, seen } = fake;
  const spec = { Name: "web", TaskTemplate: { ContainerSpec: { Image: "busybox", Env: ["V=2"] } } };
  assert.deepEqual(await engine.services.update("s1", 12, spec, { rollback: "previous" }), { Warnings: ["unable to pin image"] });
  assert.deepEqual(seen.at(-1)!.query, { version: "12", rollback: "previous" });
  assert.deepEqual(JSON.parse(seen.at(-1)!.body), spec);

  answer = { status: 500, json: { message: "rpc error: code = Unknown desc = update out of sequence" } };
  const stale = await engine.services.update("s1", 11, spec).then(() => assert.fail("resolved"), (e: unknown) => e);
  assert.ok(stale instanceof OutOfSequenceError, String(stale));
  assert.ok(isOutOfSequence(stale));
  assert.equal(stale.version, 11);

  answer = { status: 500, json: { message: "rpc error: code = Unknown desc = something else" } };
  const other = await engine.services.update("s1", 12, spec).then(() => assert.fail("resolved"), (e: unknown) => e);
  assert.ok(other instanceof EngineApiError && other.status === 500 && !isOutOfSequence(other), String(other));
});

test("services.logs: stdout and stderr asked for, the body multiplexed as container logs are", async () => {
  const frame = (stream: number, text: string) => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };
  await using fake = await fakeEngine({ "GET /services/web/logs": () => ({ status: 200, raw: Buffer.concat([frame(1, "out\n"), frame(2, "err\n")]) }) });
  const body = await fake.engine.services.logs("web", { tail: 5, details: true });
  const frames: string[] = [];
  for await (const f of demuxStream(body)) frames.push(`${f.stream}:${f.data.toString()}`);
  assert.deepEqual(frames, ["stdout:out\n", "stderr:err\n"]);
  assert.deepEqual(fake.seen.at(-1)!.query, { follow: "false", stdout: "true", stderr: "true", tail: "5", timestamps: "false", details: "true" });
});

test("tasks and nodes: typed filters, inspect, node update with its version, a stale node version classified too", async () => {
  let nodeAnswer: Answer = { status: 200 };
  await using fake = await fakeEngine({
    "GET /tasks": () => ({ status: 200, json: [] }),
    "GET /tasks/t1": () => ({ status: 200, json: { ID: "t1", Status: { State: "running" } } }),
    "GET /tasks/old": () => ({ status: 404, json: { message: "task old not found" } }),
    "GET /nodes": () => ({ status: 200, json: [{ ID: "n1" }] }),
    "POST /nodes/n1/update": () => nodeAnswer,
  });
  const { engine, seen } = fake;
  await engine.tasks.list({ filters: { service: "web", "desired-state": "running" } });
  assert.deepEqual(JSON.parse(seen.at(-1)!.query["filters"]!), { service: ["web"], "desired-state": ["running"] });
  assert.equal((await engine.tasks.inspect("t1")).Status.State, "running");
  assert.equal(await engine.tasks.find("old"), undefined);

  await engine.nodes.list({ filters: { role: "manager" } });
  assert.deepEqual(JSON.parse(seen.at(-1)!.query["filters"]!), { role: ["manager"] });
  await engine.nodes.update("n1", 30, { Role: "worker", Availability: "drain", Labels: { zone: "a" } });
  assert.deepEqual(seen.at(-1)!.query, { version: "30" });
  assert.deepEqual(JSON.parse(seen.at(-1)!.body), { Role: "worker", Availability: "drain", Labels: { zone: "a" } });
  nodeAnswer = { status: 500, json: { message: "rpc error: code = Unknown desc = update out of sequence" } };
  const stale = await engine.nodes.update("n1", 29, { Role: "worker", Availability: "active" }).then(() => assert.fail("resolved"), (e: unknown) => e);
  assert.ok(stale instanceof OutOfSequenceError, String(stale));
});

test("secrets and configs: Data sent base64, a taken name is a conflict, a removal of what is gone is success", async () => {
  await using fake = await fakeEngine({
    "POST /secrets/create": (s) => (JSON.parse(s.body).Name === "taken" ? { status: 409, json: { message: "secret taken already exists" } } : { status: 201, json: { ID: "sec1" } }),
    "POST /configs/create": () => ({ status: 201, json: { ID: "cfg1" } }),
    "GET /configs": () => ({ status: 200, json: [] }),
    "DELETE /secrets/gone": () => ({ status: 404, json: { message: "secret gone not found" } }),
    "DELETE /configs/cfg1": () => ({ status: 204 }),
  });
  const { engine, seen } = fake;
  assert.deepEqual(await engine.secrets.create({ Name: "db-password", Labels: { a: "b" }, Data: "s3cret\n" }), { ID: "sec1" });
  assert.deepEqual(JSON.parse(seen.at(-1)!.body), { Name: "db-password", Labels: { a: "b" }, Data: Buffer.from("s3cret\n").toString("base64") });
  await engine.configs.create({ Name: "nginx.conf", Data: new Uint8Array([0, 255]) });
  assert.deepEqual(JSON.parse(seen.at(-1)!.body), { Name: "nginx.conf", Data: "AP8=" });
  const taken = await engine.secrets.create({ Name: "taken", Data: "x" }).then(() => assert.fail("resolved"), (e: unknown) => e);
  assert.ok(isConflict(taken), String(taken));
  await engine.configs.list({ filters: { names: ["nginx.conf"] } });
  assert.deepEqual(JSON.parse(seen.at(-1)!.query["filters"]!), { names: ["nginx.conf"] });
  await engine.secrets.remove("gone");
  await engine.configs.remove("cfg1");
});

test("swarm.inspect never hands out the join tokens", async () => {
  await using fake = await fakeEngine({
    "GET /swarm": () => ({ status: 200, json: { ID: "sw1", Version: { Index: 10 }, Spec: { Name: "default" }, JoinTokens: { Worker: "SWMTKN-1-worker", Manager: "SWMTKN-1-manager" } } }),
  });
  const swarm = await fake.engine.swarm.inspect();
  assert.equal(swarm.ID, "sw1");
  assert.ok(!("JoinTokens" in swarm));
  assert.ok(!JSON.stringify(swarm).includes("SWMTKN"));
});
