/** `slipway doctor` as a user runs it, including when things are broken: one clear message, a documented code, no stack trace. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadWorldSync } from "../../support/world.ts";
import { scenario, slipway, unusedTcpPort } from "../support.ts";

const world = loadWorldSync();
const noStack = (text: string) => assert.ok(!/^\s+at .+:\d+:\d+\)?$/m.test(text), `no stack trace expected:\n${text}`);
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** The doctor scenario copied to a scratch folder, its slipway.yml naming `registry`. */
async function pipelineNaming(registry: string): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-doctor-"));
  await cp(scenario("doctor"), dir, { recursive: true, filter: (src) => !src.endsWith(".test.ts") });
  const file = path.join(dir, "slipway.yml");
  await writeFile(file, (await readFile(file, "utf8")).replace(/^registry: .*$/m, `registry: ${registry}`));
  return { dir, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

const ENGINE_CHECKS_OK = [/✔ engine +reachable at /, /✔ api +engine .* speaks API 1\.\d+; using 1\.\d+/, /✔ builder +builds with the engine's BuildKit/, /✔ storage +storage driver \w+/, /✔ swarm +swarm \w+/, /✔ disk +[\d.]+ GiB free/];

test("an unreachable DOCKER_HOST: one clear error with a hint, exit 4, no stack trace", async () => {
  for (const host of ["unix:///nonexistent/docker.sock", "tcp://127.0.0.1:9"]) {
    const run = slipway(["doctor"], { cwd: tmpdir(), env: { DOCKER_HOST: host } });
    assert.equal(await run.exit, 4, run.stdout() + run.stderr());
    const out = run.stdout() + run.stderr();
    assert.match(out, new RegExp(`Cannot connect to the Docker engine at ${host.replace(/[/.]/g, "\\$&")}`));
    assert.match(out, /hint: Is the Docker daemon running\?/);
    noStack(out);
  }
});

test("--json: the same facts for machines", async () => {
  const run = slipway(["doctor", "--json"], { cwd: tmpdir(), env: { DOCKER_HOST: "unix:///nonexistent/docker.sock" } });
  assert.equal(await run.exit, 4);
  const report = JSON.parse(run.stdout()) as { checks: { name: string; status: string }[]; error: { code: string; exitCode: number } };
  assert.equal(report.error.code, "ENGINE_UNREACHABLE");
  assert.equal(report.error.exitCode, 4);
  assert.deepEqual(report.checks.map((c) => [c.name, c.status]), [["engine", "fail"]]);
});

test("a healthy engine and the pipeline's registry up: every check ✔, exit 0", { skip: world.skipReason("plain-registry") }, async () => {
  const { address } = world.require("plain-registry");
  await using pipeline = await pipelineNaming(address);
  const run = slipway(["doctor"], { cwd: pipeline.dir });
  const code = await run.exit;
  const out = run.stdout() + run.stderr();
  assert.equal(code, 0, out);
  for (const line of ENGINE_CHECKS_OK) assert.match(out, line);
  assert.match(out, new RegExp(`✔ registry +${escape(address)} answers at http://${escape(address)}/v2/\n`));
  assert.match(out, /✔ config +.*slipway\.yml is valid/);
  assert.doesNotMatch(out, /^[✖!] /m);
  noStack(out);
});

test("the pipeline's registry down (a port nobody listens on): ✖ registry with a hint, the engine checks still ✔, exit 6", async () => {
  const address = `127.0.0.1:${await unusedTcpPort()}`;
  await using pipeline = await pipelineNaming(address);
  const run = slipway(["doctor"], { cwd: pipeline.dir });
  const code = await run.exit;
  const out = run.stdout() + run.stderr();
  assert.equal(code, 6, out);
  for (const line of ENGINE_CHECKS_OK) assert.match(out, line);
  assert.match(out, new RegExp(`✖ registry +Registry ${escape(address)} is not reachable \\(http://${escape(address)}/v2/: connect ECONNREFUSED`));
  assert.match(out, /hint: Check the registry address in slipway\.yml and that the registry is up\./);
  noStack(out);
});

test("--registry: a registry that wants credentials answers 401, which is reachable", { skip: world.skipReason("auth-registry") }, async () => {
  const { address } = world.require("auth-registry");
  const run = slipway(["doctor", "--registry", address, "--json"], { cwd: tmpdir() });
  assert.equal(await run.exit, 0, run.stdout() + run.stderr());
  const report = JSON.parse(run.stdout()) as { registry: { address: string; reachable: boolean; status: number } };
  assert.deepEqual(report.registry, { address, reachable: true, status: 401 });
});

test("a broken slipway.yml: ✖ config with file:line, the engine checks still run, exit 3", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-doctor-bad-"));
  try {
    await writeFile(path.join(dir, "slipway.yml"), "environments:\n  test:\n    compose: [x.yml]\n    timout: 5m\n");
    const run = slipway(["doctor"], { cwd: dir });
    const code = await run.exit;
    const out = run.stdout() + run.stderr();
    assert.equal(code, 3, out);
    assert.match(out, /✔ engine/);
    assert.match(out, /✖ config +.*slipway\.yml:4:5 environments\.test\.timout: unknown key/);
    noStack(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("an engine too old for Slipway (a fake one answering API 1.24): ✔ engine, ✖ api with the upgrade hint, exit 4", async () => {
  const socket = path.join(tmpdir(), `slipway-old-engine-${randomBytes(4).toString("hex")}.sock`);
  const server = createServer((req, res) => void res.writeHead(req.url === "/_ping" ? 200 : 404, { "api-version": "1.24" }).end("OK"));
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  try {
    const run = slipway(["doctor"], { cwd: tmpdir(), env: { DOCKER_HOST: `unix://${socket}` } });
    const code = await run.exit;
    const out = run.stdout() + run.stderr();
    assert.equal(code, 4, out);
    assert.match(out, /✔ engine +reachable at unix:\/\//);
    assert.match(out, /✖ api +The Docker engine at .* speaks API 1\.24; Slipway needs 1\.41 or newer\n +hint: Upgrade the engine/);
    noStack(out);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("DOCKER_BUILDKIT=0: doctor says builds use the classic builder", async () => {
  const run = slipway(["doctor"], { cwd: tmpdir(), env: { DOCKER_BUILDKIT: "0" } });
  await run.exit;
  assert.match(run.stdout() + run.stderr(), /✔ builder +builds with the engine's classic builder/);
});

test("an unknown command is a usage error, exit 2", async () => {
  const run = slipway(["frobnicate"], { cwd: tmpdir() });
  assert.equal(await run.exit, 2);
  assert.match(run.stderr(), /unknown command 'frobnicate'/);
});

test("a broken slipway.yml is a config error, exit 3, with file:line:column", async () => {
  const { mkdtemp, writeFile, rm } = await import("node:fs/promises");
  const path = await import("node:path");
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-bad-"));
  try {
    await writeFile(path.join(dir, "slipway.yml"), "environments:\n  test:\n    compose: [x.yml]\n    timout: 5m\n");
    const run = slipway(["test"], { cwd: dir });
    assert.equal(await run.exit, 3);
    assert.match(run.stderr(), /slipway\.yml:4:5 environments\.test\.timout: unknown key in environment; did you mean "timeout"\?/);
    noStack(run.stderr());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("test --json with a broken slipway.yml: the last JSON event is still a verdict (config-error, 3)", async () => {
  const { mkdtemp, writeFile, rm } = await import("node:fs/promises");
  const path = await import("node:path");
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-bad-json-"));
  try {
    await writeFile(path.join(dir, "slipway.yml"), "environments: []\n");
    const run = slipway(["test", "--json"], { cwd: dir });
    assert.equal(await run.exit, 3);
    const last = JSON.parse(run.stdout().trim().split("\n").at(-1)!) as Record<string, unknown>;
    assert.deepEqual([last["type"], last["kind"], last["exitCode"], last["schemaVersion"]], ["verdict", "config-error", 3, 1]);
    noStack(run.stderr());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
