import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { endpointFromEnv, type EngineEndpoint } from "../engine/index.ts";
import { diskCheck, doctorExitCode, registryBaseUrls, runDoctor, storageCheck, swarmCheck, type DoctorReport } from "./doctor.ts";

const GiB = 1024 ** 3;

test("storage: overlay2 is ok; vfs and the removed drivers warn, with what to do", () => {
  assert.deepEqual(storageCheck("overlay2", "/var/lib/docker"), { name: "storage", status: "ok", detail: "storage driver overlay2, data root /var/lib/docker" });
  for (const driver of ["vfs", "aufs", "overlay", "devicemapper"]) {
    const check = storageCheck(driver, "/var/lib/docker");
    assert.equal(check.status, "warn", driver);
    assert.match(check.detail, new RegExp(`^storage driver ${driver}, data root /var/lib/docker: ${driver} `));
    assert.match(check.hint ?? "", /overlay2/);
  }
});

test("swarm: inactive, active and unset are ok; locked and error warn with a hint", () => {
  assert.deepEqual(swarmCheck(""), { name: "swarm", status: "ok", detail: "swarm inactive" });
  assert.deepEqual(swarmCheck("active"), { name: "swarm", status: "ok", detail: "swarm active" });
  assert.equal(swarmCheck("locked").status, "warn");
  assert.match(swarmCheck("locked").hint ?? "", /docker swarm unlock/);
  assert.equal(swarmCheck("error").status, "warn");
});

test("disk: 2 GiB free or more is ok, less warns", () => {
  assert.deepEqual(diskCheck(10 * GiB, "/var/lib/docker"), { name: "disk", status: "ok", detail: "10.0 GiB free on /var/lib/docker" });
  assert.equal(diskCheck(2 * GiB, "/d").status, "ok");
  const low = diskCheck(1.5 * GiB, "/d");
  assert.deepEqual([low.status, low.detail], ["warn", "1.5 GiB free on /d"]);
  assert.match(low.hint ?? "", /slipway clean/);
});

test("registry URLs: HTTPS first, plain HTTP only for loopback, an explicit URL as given", () => {
  assert.deepEqual(registryBaseUrls("127.0.0.1:5000"), ["https://127.0.0.1:5000/v2/", "http://127.0.0.1:5000/v2/"]);
  assert.deepEqual(registryBaseUrls("localhost:5000/team"), ["https://localhost:5000/v2/", "http://localhost:5000/v2/"]);
  assert.deepEqual(registryBaseUrls("registry.example.com"), ["https://registry.example.com/v2/"]);
  assert.deepEqual(registryBaseUrls("http://10.0.0.5:5000/"), ["http://10.0.0.5:5000/v2/"]);
});

// --- runDoctor against fake engines and registries: local HTTP servers, no Docker needed ---

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listening(handler: Handler, on: { socket: string } | { port: 0 }): Promise<Server & AsyncDisposable> {
  const server = createServer(handler) as Server & AsyncDisposable;
  await new Promise<void>((resolve) => ("socket" in on ? server.listen(on.socket, resolve) : server.listen(0, "127.0.0.1", resolve)));
  server[Symbol.asyncDispose] = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return server;
}

interface FakeEngine {
  apiVersion?: string;
  driver?: string;
  swarm?: string;
  dataRoot?: string;
  infoStatus?: number;
}

function engineHandler(fake: FakeEngine): Handler {
  const api = fake.apiVersion ?? "1.41";
  return (req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json", "api-version": api }).end(JSON.stringify(body));
    if (req.url === "/_ping") return void res.writeHead(200, { "api-version": api, ostype: "linux" }).end("OK");
    if (req.url === `/v${api}/version`) return json(200, { Version: "20.10.24", ApiVersion: api, Os: "linux", Arch: "amd64" });
    if (req.url === `/v${api}/info`) {
      if (fake.infoStatus) return json(fake.infoStatus, { message: "info is broken in this fake" });
      return json(200, {
        OperatingSystem: "Fake OS",
        Driver: fake.driver ?? "overlay2",
        DockerRootDir: fake.dataRoot ?? path.join(tmpdir(), `slipway-no-such-root-${randomBytes(4).toString("hex")}`),
        Swarm: { LocalNodeState: fake.swarm ?? "inactive" },
      });
    }
    json(404, { message: `the fake engine has no ${req.url}` });
  };
}

async function fakeEngineOnSocket(fake: FakeEngine): Promise<{ endpoint: EngineEndpoint } & AsyncDisposable> {
  const socket = path.join(tmpdir(), `slipway-fake-engine-${randomBytes(4).toString("hex")}.sock`);
  const server = await listening(engineHandler(fake), { socket });
  return { endpoint: endpointFromEnv({ DOCKER_HOST: `unix://${socket}` }), [Symbol.asyncDispose]: () => server[Symbol.asyncDispose]() };
}

const statuses = (report: DoctorReport) => report.checks.map((c) => `${c.name} ${c.status}`);
const unreachableEngine = () => endpointFromEnv({ DOCKER_HOST: `unix://${path.join(tmpdir(), `slipway-no-engine-${randomBytes(4).toString("hex")}.sock`)}` });
const doctor = (endpoint: EngineEndpoint, registry?: string) => runDoctor({ endpoint, clientVersion: "0.0.0-test", ...(registry ? { registry } : {}) });

test("a healthy engine: engine, api, builder, storage, swarm ok; a data root not visible from here is skipped; exit 0", async () => {
  await using engine = await fakeEngineOnSocket({});
  const report = await doctor(engine.endpoint);
  assert.deepEqual(statuses(report), ["engine ok", "api ok", "builder ok", "storage ok", "swarm ok", "disk skip"]);
  assert.equal(report.engine?.negotiatedApiVersion, "1.41");
  assert.equal(doctorExitCode(report), 0);
});

test("the data root on this machine: disk ok or low, with the free bytes measured", async () => {
  await using engine = await fakeEngineOnSocket({ dataRoot: tmpdir() });
  const report = await doctor(engine.endpoint);
  const disk = report.checks.find((c) => c.name === "disk");
  assert.ok(typeof report.engine?.freeDiskBytes === "number");
  assert.deepEqual(disk, diskCheck(report.engine.freeDiskBytes, tmpdir()));
});

test("an engine too old for Slipway: reachable, but the api check fails, exit 4", async () => {
  await using engine = await fakeEngineOnSocket({ apiVersion: "1.24" });
  const report = await doctor(engine.endpoint);
  assert.deepEqual(statuses(report), ["engine ok", "api fail"]);
  assert.match(report.checks[1]!.detail, /speaks API 1\.24; Slipway needs 1\.41 or newer/);
  assert.equal(report.error?.code, "ENGINE_TOO_OLD");
  assert.equal(doctorExitCode(report), 4);
});

test("an engine that answers ping but fails /info: engine-info fails, exit 4", async () => {
  await using engine = await fakeEngineOnSocket({ infoStatus: 500 });
  const report = await doctor(engine.endpoint);
  assert.deepEqual(statuses(report), ["engine ok", "engine-info fail"]);
  assert.match(report.checks[1]!.detail, /info is broken in this fake/);
  assert.equal(doctorExitCode(report), 4);
});

test("vfs storage and a locked swarm warn without failing the run", async () => {
  await using engine = await fakeEngineOnSocket({ driver: "vfs", swarm: "locked" });
  const report = await doctor(engine.endpoint);
  assert.deepEqual(statuses(report), ["engine ok", "api ok", "builder ok", "storage warn", "swarm warn", "disk skip"]);
  assert.equal(doctorExitCode(report), 0);
});

test("a remote engine: its disk is not visible from here, skipped", async () => {
  await using server = await listening(engineHandler({}), { port: 0 });
  const address = server.address();
  assert.ok(address && typeof address === "object");
  const report = await doctor(endpointFromEnv({ DOCKER_HOST: `tcp://127.0.0.1:${address.port}` }));
  assert.deepEqual(report.checks.at(-1), { name: "disk", status: "skip", detail: "engine is remote; its free disk is not visible from here" });
});

test("registry: 200 and 401 on /v2/ are reachable; another status or nobody listening fails with exit 6", async () => {
  const answers: Record<string, number> = {};
  await using registry = await listening((req, res) => void res.writeHead(answers[req.url ?? ""] ?? 500).end(), { port: 0 });
  const address = registry.address();
  assert.ok(address && typeof address === "object");
  const at = `127.0.0.1:${address.port}`;
  const registryCheck = (report: DoctorReport) => report.checks.find((c) => c.name === "registry");

  answers["/v2/"] = 200;
  let report = await doctor(unreachableEngine(), at);
  assert.deepEqual(registryCheck(report), { name: "registry", status: "ok", detail: `${at} answers at http://${at}/v2/` });
  assert.deepEqual(report.registry, { address: at, reachable: true, status: 200 });

  answers["/v2/"] = 401;
  report = await doctor(unreachableEngine(), at);
  assert.equal(registryCheck(report)?.detail, `${at} answers at http://${at}/v2/ (credentials required)`);

  answers["/v2/"] = 404;
  report = await doctor(unreachableEngine(), at);
  assert.equal(registryCheck(report)?.status, "fail");
  assert.match(registryCheck(report)?.detail ?? "", new RegExp(`http://${at}/v2/ answered HTTP 404`));

  await registry[Symbol.asyncDispose]();
  report = await doctor(endpointFromEnv({ DOCKER_HOST: "unix:///nonexistent/docker.sock" }), at);
  assert.match(registryCheck(report)?.detail ?? "", /ECONNREFUSED/);
  assert.deepEqual(report.registry, { address: at, reachable: false });
  // The engine's failure decides the exit code when both fail; alone, the registry's is 6.
  assert.equal(doctorExitCode(report), 4);
  await using engine = await fakeEngineOnSocket({});
  report = await doctor(engine.endpoint, at);
  assert.equal(doctorExitCode(report), 6);
});
