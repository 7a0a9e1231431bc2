/**
 * End to end: Makefiles written for docker compose run Slipway unchanged.
 *
 * - Seed 001's flow (this folder's Makefile: `docker-compose build`, `run --rm agent`, `up test`
 *   in the foreground, `docker cp $(docker-compose ps -q test):/reports/.`, then the test
 *   container's exit code from `docker inspect`) with `docker-compose` being the program
 *   `slipway install docker-compose --dir` wrote, first on PATH.
 * - `docker compose …` through the docker CLI plugin `slipway install docker-plugin` wrote into a
 *   DOCKER_CONFIG of the test's own; `--remove` gives docker its own compose back.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { uniqueProject } from "../../support/run-context.ts";
import { loadWorldSync } from "../../support/world.ts";
import { slipway } from "../support.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const world = loadWorldSync();
const onPath = (program: string) => (process.env["PATH"] ?? "").split(path.delimiter).some((d) => existsSync(path.join(d, program)));
const skip = world.skipReason("engine", "image:busybox:latest") ?? (onPath("make") ? undefined : "no make on PATH") ?? (onPath("docker") ? undefined : "no docker CLI on PATH");

interface Run {
  code: number;
  output: string;
}

/** A program as a user runs it from a shell, both output streams together, bounded (a hang fails the test, it never blocks the suite). */
function sh(cmd: string, args: string[], opts: { cwd: string; env: Record<string, string> }): Promise<Run> {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, NO_COLOR: "1", ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const guard = setTimeout(() => child.kill("SIGKILL"), 240_000);
  return new Promise((resolve) => child.on("close", (code) => (clearTimeout(guard), resolve({ code: code ?? 137, output }))));
}

async function installed(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const run = slipway(["install", ...args], { cwd: here, env });
  return { code: await run.exit, output: run.stdout() + run.stderr() };
}

/** Whatever happened, nothing of the project stays (containers, networks, volumes, its built image). */
async function removeProject(project: string): Promise<void> {
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const filters = { label: [`com.docker.compose.project=${project}`] };
  for (const c of await engine.containers.list({ all: true, filters })) await engine.containers.remove(c.Id, { force: true, volumes: true });
  for (const n of await engine.networks.list({ filters })) await engine.networks.remove(n.Id);
  for (const v of await engine.volumes.list({ filters })) await engine.volumes.remove(v.Name, { force: true });
  if (await engine.images.find(`${project}-test`)) await engine.images.remove(`${project}-test`, { force: true });
}

describe("Makefiles written for docker compose, run by Slipway", { skip }, () => {
  test("seed 001's flow with Slipway's docker-compose first on PATH: tests pass, then fail with their own code, reports copied out both times", async (t) => {
    const root = await mkdtemp(path.join(tmpdir(), "slipway-makefile-"));
    const bin = path.join(root, "bin");
    const work = path.join(root, "work");
    const project = uniqueProject("makefile");
    t.after(async () => {
      await removeProject(project);
      await rm(root, { recursive: true, force: true });
    });
    await cp(here, work, { recursive: true, filter: (src) => !src.endsWith(".test.ts") });
    const install = await installed(["docker-compose", "--dir", bin]);
    assert.equal(install.code, 0, install.output);
    const env = { PATH: `${bin}${path.delimiter}${process.env["PATH"]}` };

    const passing = await sh("make", ["test", `PROJECT=${project}`], { cwd: work, env });
    assert.equal(passing.code, 0, passing.output);
    assert.match(passing.output, /test-1 +\| ran 1 test, 0 failed/);
    assert.match(passing.output, /^tests exited with 0$/m);
    assert.match(await readFile(path.join(work, "reports/unittests.xml"), "utf8"), /failures="0"/);
    // It was Slipway: what `up` made carries Slipway's labels.
    await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
    const [testContainer] = await engine.containers.list({ all: true, filters: { label: [`com.docker.compose.project=${project}`, "com.docker.compose.service=test"] } });
    assert.ok(testContainer?.Labels["dev.slipway.run"], "the test container was not made by Slipway");

    const failing = await sh("make", ["test", `PROJECT=${project}`], { cwd: work, env: { ...env, TEST_EXIT_CODE: "3" } });
    assert.equal(failing.code, 2, failing.output); // make's own code for a failed recipe
    assert.match(failing.output, /test-1 +\| ran 1 test, 1 failed/);
    assert.match(failing.output, /^tests exited with 3$/m);
    assert.match(failing.output, /Error 3/);
    assert.match(await readFile(path.join(work, "reports/unittests.xml"), "utf8"), /failures="1"/);

    const clean = await sh("make", ["clean", `PROJECT=${project}`], { cwd: work, env });
    assert.equal(clean.code, 0, clean.output);
    const left = await engine.containers.list({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } });
    assert.deepEqual(left.map((c) => c.Names[0]), []);
  });

  test("`docker compose` through Slipway's docker CLI plugin answers Slipway; --remove gives docker its own back", async (t) => {
    const config = await mkdtemp(path.join(tmpdir(), "slipway-docker-config-"));
    t.after(() => rm(config, { recursive: true, force: true }));
    const env = { DOCKER_CONFIG: config };
    const docker = (args: string[]) => sh("docker", args, { cwd: here, env });

    const install = await installed(["docker-plugin"], env);
    assert.equal(install.code, 0, install.output);
    assert.ok(existsSync(path.join(config, "cli-plugins/docker-compose")), install.output);

    const version = await docker(["compose", "version"]);
    assert.equal(version.code, 0, version.output);
    assert.match(version.output, /Slipway/);
    const help = await docker(["--help"]);
    assert.match(help.output, /compose\*? +Docker Compose, run by Slipway/);
    // The command line reaches slipway compose whole: global options, subcommand, its options.
    const config_ = await docker(["compose", "-p", "plugged", "config", "--services"]);
    assert.equal(config_.code, 0, config_.output);
    assert.deepEqual(config_.output.trim().split("\n").sort(), ["agent", "db", "test"]);
    // Usage errors keep Slipway's exit code through docker.
    const unknown = await docker(["compose", "frobnicate"]);
    assert.equal(unknown.code, 2, unknown.output);
    assert.match(unknown.output, /frobnicate/);

    const removed = await installed(["--remove", "docker-plugin"], env);
    assert.equal(removed.code, 0, removed.output);
    assert.ok(!existsSync(path.join(config, "cli-plugins/docker-compose")));
    if (!world.skipReason("compose-v2")) {
      const theirs = await docker(["compose", "version"]);
      assert.match(theirs.output, /^Docker Compose version/m);
    }
  });

  test("install never replaces a docker-compose that is not Slipway's, unless --force (then --remove puts it back)", async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), "slipway-foreign-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const theirs = "#!/bin/sh\necho their docker-compose\n";
    await writeFile(path.join(dir, "docker-compose"), theirs, { mode: 0o755 });

    const refused = await installed(["docker-compose", "--dir", dir]);
    assert.equal(refused.code, 3, refused.output);
    assert.match(refused.output, /not Slipway's/);
    assert.equal(await readFile(path.join(dir, "docker-compose"), "utf8"), theirs);

    const forced = await installed(["docker-compose", "--dir", dir, "--force"]);
    assert.equal(forced.code, 0, forced.output);
    const { stdout } = await promisify(execFile)(path.join(dir, "docker-compose"), ["--version"], { env: { ...process.env, NO_COLOR: "1" } });
    assert.match(stdout, /Slipway/);

    const removed = await installed(["--remove", "docker-compose", "--dir", dir]);
    assert.equal(removed.code, 0, removed.output);
    assert.equal(await readFile(path.join(dir, "docker-compose"), "utf8"), theirs);
  });
});
