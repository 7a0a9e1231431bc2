/**
 * End to end: `slipway compose create/start/stop/restart/kill/pause/unpause/rm/down/wait` as a
 * user runs them (the published bundle), beside docker compose 2.26.1 on the same fixture. A
 * project one tool made is driven by the other, and the container states are compared step by
 * step. Every project a test makes goes afterwards, whatever happened.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { composeExec } from "../../../src/compose/runner/exec.ts";
import { observeProject } from "../../../src/compose/runner/observe.ts";
import { uniqueProject } from "../../support/run-context.ts";
import { loadWorldSync } from "../../support/world.ts";
import { publishedBin, slipway, until } from "../support.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const world = loadWorldSync();
const skip = world.skipReason("compose-v2", "image:busybox:latest");

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** A guard against a hung tool, not a performance threshold. */
const RUN_LIMIT_MS = 180_000;

/** The caller's environment without COMPOSE_* (which both tools read) or the docker CLI's plugin handshake. */
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("COMPOSE_") && !k.startsWith("DOCKER_CLI_PLUGIN")));

function run(tool: "slipway" | "docker", args: string[], opts: { cwd?: string; stdin?: string; env?: Record<string, string> } = {}): Promise<Result> {
  const [cmd, argv] = tool === "docker" ? [world.require("compose-v2").path, args] : [process.execPath, [publishedBin, "compose", ...args]];
  const child = spawn(cmd, argv, {
    cwd: opts.cwd ?? here,
    env: { ...baseEnv, DOCKER_HOST: world.dockerHost, NO_COLOR: "1", ...opts.env },
    stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const limit = setTimeout(() => child.kill("SIGKILL"), RUN_LIMIT_MS);
  return new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      clearTimeout(limit);
      resolve({ code: code ?? (signal === "SIGKILL" ? 137 : 128), stdout, stderr });
    }),
  );
}

const slipwayCompose = (args: string[], opts?: Parameters<typeof run>[2]) => run("slipway", args, opts);
const dockerCompose = (args: string[], opts?: Parameters<typeof run>[2]) => run("docker", args, opts);

async function engine(t: TestContext): Promise<Engine> {
  const e = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  t.after(() => e.close());
  return e;
}

/** The project goes after the test, with its volumes, whatever the test did. */
function downAfterwards(t: TestContext, name: string): void {
  t.after(async () => {
    const r = await slipwayCompose(["-p", name, "down", "-v", "-t", "0"]);
    assert.equal(r.code, 0, r.stderr);
  });
}

/** service → state of a project's (non one-off) containers. */
async function states(e: Engine, name: string): Promise<Record<string, string>> {
  const { containers } = await observeProject(e, name);
  return Object.fromEntries(containers.filter((c) => !c.oneoff).sort((a, b) => a.service.localeCompare(b.service)).map((c) => [`${c.service}-${c.index}`, c.state]));
}

/** An engine time (RFC 3339, Go trims the fraction's trailing zeros) in nanoseconds, to compare. */
function nanos(time: string): bigint {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(time)!;
  return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

const ok = (r: Result, what: string) => assert.equal(r.code, 0, `${what}\n${r.stdout}${r.stderr}`);

test("one project made by docker compose and driven by slipway, one the other way round: the same states after every step", { skip }, async (t) => {
  const e = await engine(t);
  const byDocker = uniqueProject("lc-d");
  const bySlipway = uniqueProject("lc-s");
  downAfterwards(t, byDocker);
  downAfterwards(t, bySlipway);

  ok(await dockerCompose(["-p", byDocker, "create"]), "docker compose create");
  ok(await slipwayCompose(["-p", bySlipway, "create"]), "slipway compose create");
  assert.deepEqual(await states(e, bySlipway), await states(e, byDocker), "create");
  assert.deepEqual(await states(e, bySlipway), { "app-1": "created", "db-1": "created", "worker-1": "created" });

  // Each step: slipway on the project docker compose made, docker compose on slipway's.
  const steps: [string[], Record<string, string>][] = [
    [["start", "app"], { "app-1": "running", "db-1": "running", "worker-1": "created" }],
    [["pause", "app"], { "app-1": "paused", "db-1": "running", "worker-1": "created" }],
    // (A bare `unpause` fails in docker compose 2.26 when any container is not paused; slipway's passes those by.)
    [["unpause", "app"], { "app-1": "running", "db-1": "running", "worker-1": "created" }],
    [["stop", "db"], { "app-1": "running", "db-1": "exited", "worker-1": "created" }],
    [["restart", "db"], { "app-1": "running", "db-1": "running", "worker-1": "created" }],
    [["start"], { "app-1": "running", "db-1": "running", "worker-1": "running" }],
    [["stop", "-t", "5"], { "app-1": "exited", "db-1": "exited", "worker-1": "exited" }],
    [["rm", "-f", "app"], { "db-1": "exited", "worker-1": "exited" }],
    [["start"], { "db-1": "running", "worker-1": "running" }],
    [["kill", "worker"], { "db-1": "running", "worker-1": "exited" }],
  ];
  for (const [args, expected] of steps) {
    const [s, d] = await Promise.all([slipwayCompose(["-p", byDocker, ...args]), dockerCompose(["-p", bySlipway, ...args])]);
    ok(s, `slipway compose ${args.join(" ")}`);
    ok(d, `docker compose ${args.join(" ")}`);
    const [onDockers, onSlipways] = await Promise.all([states(e, byDocker), states(e, bySlipway)]);
    assert.deepEqual(onDockers, expected, `slipway compose ${args.join(" ")} on docker compose's project`);
    assert.deepEqual(onSlipways, expected, `docker compose ${args.join(" ")} on slipway's project`);
  }

});

test("restart db restarts app after it (restart: true), not worker; --no-deps only db — on a project docker compose made", { skip }, async (t) => {
  const e = await engine(t);
  const name = uniqueProject("lc-restart");
  downAfterwards(t, name);
  ok(await dockerCompose(["-p", name, "up", "-d"]), "docker compose up");
  const started = async () => Object.fromEntries(await Promise.all(["db", "app", "worker"].map(async (s) => [s, (await e.containers.inspect(`${name}-${s}-1`)).State.StartedAt] as const)));
  const first = await started();
  ok(await slipwayCompose(["-p", name, "restart", "db"], { cwd: "/" }), "restart db, without the file");
  const second = await started();
  assert.notEqual(second["db"], first["db"]);
  assert.notEqual(second["app"], first["app"]);
  assert.equal(second["worker"], first["worker"]);
  assert.ok(nanos(second["app"]!) > nanos(second["db"]!), "app started again after db");
  ok(await slipwayCompose(["-p", name, "restart", "--no-deps", "db"]), "restart --no-deps db");
  const third = await started();
  assert.notEqual(third["db"], second["db"]);
  assert.equal(third["app"], second["app"]);
});

test("rm asks without -f: no terminal and no answer is no (exit 0, nothing removed), y removes; rm -s -v -f takes the anonymous volume, not the named one", { skip }, async (t) => {
  const e = await engine(t);
  const name = uniqueProject("lc-rm");
  downAfterwards(t, name);
  ok(await slipwayCompose(["-p", name, "up", "-d", "db", "worker"]), "up");
  ok(await slipwayCompose(["-p", name, "stop", "worker"]), "stop worker");

  const declined = await slipwayCompose(["-p", name, "rm"]);
  ok(declined, "rm with no answer");
  assert.equal(declined.stdout, `Going to remove ${name}-worker-1`, "compose's question, and only stopped containers");
  assert.deepEqual(await states(e, name), { "db-1": "running", "worker-1": "exited" });
  const compose = await dockerCompose(["-p", name, "rm"]);
  assert.equal(compose.stdout, declined.stdout, "docker compose asks the same");

  ok(await slipwayCompose(["-p", name, "rm"], { stdin: "y\n" }), "rm, answered y");
  assert.deepEqual(await states(e, name), { "db-1": "running" });

  const anonymous = (await e.containers.inspect(`${name}-db-1`)).Mounts.find((m) => m.Destination === "/scratch")!.Name!;
  const forced = await slipwayCompose(["-p", name, "rm", "-s", "-v", "-f", "db"]);
  ok(forced, "rm -s -v -f db");
  assert.equal(forced.stdout, `Going to remove ${name}-db-1\n`);
  assert.deepEqual(await states(e, name), {});
  assert.equal(await e.volumes.find(anonymous), undefined, "the anonymous volume went");
  assert.ok(await e.volumes.find(`${name}_data`), "the named volume stays");

  const nothing = await slipwayCompose(["-p", name, "rm", "-f"]);
  ok(nothing, "rm with nothing to remove");
  assert.match(nothing.stderr, /No stopped containers/);
});

test("kill -s SIGUSR1 reaches the process, which keeps running; kill kills; unknown flags fail naming the flag (exit 2)", { skip }, async (t) => {
  const e = await engine(t);
  const name = uniqueProject("lc-kill");
  downAfterwards(t, name);
  ok(await dockerCompose(["-p", name, "up", "-d", "db"]), "docker compose up db");
  ok(await slipwayCompose(["-p", name, "kill", "-s", "SIGUSR1", "db"]), "kill -s SIGUSR1");
  await until(async () => {
    let text = "";
    for await (const chunk of await e.containers.logs(`${name}-db-1`)) text += chunk.toString("latin1");
    return text.includes("got-usr1");
  }, 60_000);
  assert.deepEqual(await states(e, name), { "db-1": "running" });
  ok(await slipwayCompose(["-p", name, "kill"]), "kill");
  assert.deepEqual(await states(e, name), { "db-1": "exited" });
  assert.equal((await e.containers.inspect(`${name}-db-1`)).State.ExitCode, 137);
  const none = await slipwayCompose(["-p", name, "kill"]);
  ok(none, "kill with nothing running");
  assert.match(none.stderr, /no container to kill/);

  for (const args of [["kill", "--bogus"], ["stop", "--nope"], ["wait", "--frob", "db"], ["down", "--rmi", "some"]]) {
    const r = await slipwayCompose(["-p", name, ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(args[1]!.startsWith("--rmi") ? "some" : args[1]!), r.stderr);
  }
});

test("wait exits with the service's own code once it stops; --down-project takes the project down; nothing running is exit 2", { skip }, async (t) => {
  const e = await engine(t);
  const name = uniqueProject("lc-wait");
  downAfterwards(t, name);
  ok(await dockerCompose(["-p", name, "up", "-d", "job", "db"]), "docker compose up");
  // Started the way a user runs it; the trigger comes once slipway says (verbose) that it waits.
  const waiting = slipway(["compose", "-p", name, "wait", "--down-project", "job"], { cwd: here, env: { SLIPWAY_VERBOSE: "1" } });
  await until(async () => waiting.stderr().includes("waiting for"), 60_000);
  assert.equal(await composeExec(e, name, "job", ["touch", "/tmp/go"]), 0);
  assert.equal(await waiting.exit, 3, waiting.stdout() + waiting.stderr());
  assert.equal((await observeProject(e, name)).containers.length, 0, "--down-project removed the project");
  assert.match(waiting.stdout(), /^container "[0-9a-f]{64}" exited with status code 3\n$/);

  const none = await slipwayCompose(["-p", name, "wait", "job"]);
  assert.equal(none.code, 2, none.stderr);
  assert.match(none.stderr, /No running containers to wait for/);
});

test("down --rmi local on a project docker compose built removes the image it named (<project>-local), keeps the custom-tagged one; --rmi all removes both", { skip }, async (t) => {
  const e = await engine(t);
  const cwd = path.join(here, "images");
  const names = [uniqueProject("lc-rmi-l"), uniqueProject("lc-rmi-a")];
  const images = (name: string) => [`${name}-local:latest`, `${name}-custom:v1`];
  t.after(async () => {
    await using cleanup = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
    for (const name of names) {
      await slipwayCompose(["-p", name, "down", "-t", "0"], { cwd });
      for (const ref of images(name)) await cleanup.images.remove(ref, { force: true });
    }
  });
  const present = async (name: string) => (await Promise.all(images(name).map(async (ref) => ((await e.images.find(ref)) ? ref : undefined)))).filter(Boolean);
  const [local, all] = names as [string, string];
  ok(await dockerCompose(["-p", local, "up", "-d"], { cwd }), "docker compose up (builds)");
  ok(await slipwayCompose(["-p", all, "up", "-d"], { cwd }), "slipway compose up (builds)");
  assert.deepEqual(await present(local), images(local));
  assert.deepEqual(await present(all), images(all));

  ok(await slipwayCompose(["-p", local, "down", "--rmi", "local", "-t", "0"], { cwd }), "down --rmi local");
  assert.deepEqual(await present(local), [`${local}-custom:v1`]);
  // Without the file (from elsewhere), the containers say which images are the project's.
  ok(await slipwayCompose(["-p", all, "down", "--rmi", "all", "-t", "0"], { cwd: "/" }), "down --rmi all");
  assert.deepEqual(await present(all), []);
  assert.ok(await e.images.find("busybox:latest"), "the base image stays");
});
