/** `slipway doctor` as a user runs it, including when things are broken: one clear message, a documented code, no stack trace. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { scenario, slipway } from "../support.ts";

const noStack = (text: string) => assert.ok(!/^\s+at .+:\d+:\d+\)?$/m.test(text), `no stack trace expected:\n${text}`);

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

test("a healthy engine: versions, storage, swarm, disk; and the pipeline's registry down is exit 6", async () => {
  const run = slipway(["doctor"], { cwd: scenario("doctor") });
  const code = await run.exit;
  const out = run.stdout() + run.stderr();
  assert.equal(code, 6, out);
  assert.match(out, /✔ engine/);
  assert.match(out, /✔ api +engine .* speaks API 1\.\d+; using 1\.\d+/);
  assert.match(out, /✔ storage +storage driver \w+/);
  assert.match(out, /✔ builder +builds with the engine's BuildKit/);
  assert.match(out, /✔ swarm/);
  assert.match(out, /✔ disk +[\d.]+ GiB free/);
  assert.match(out, /✖ registry +Registry 127\.0\.0\.1:9 is not reachable/);
  assert.match(out, /✔ config/);
  noStack(out);
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
