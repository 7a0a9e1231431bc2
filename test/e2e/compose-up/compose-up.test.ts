/**
 * End to end: `slipway compose up` attached, as a user runs it (the published CLI, no TTY, so
 * plain output), held against docker compose v2 on the same file where the world has it: exit
 * codes of --exit-code-from, Ctrl-C, --scale, and the multiplexed lines of `up` and `logs`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { observeProject } from "../../../src/compose/runner/observe.ts";
import { composeDown } from "../../../src/compose/runner/down.ts";
import { testContext, uniqueProject } from "../../support/run-context.ts";
import { loadWorldSync } from "../../support/world.ts";
import { publishedBin, slipway, until } from "../support.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const world = loadWorldSync();
const composeV2 = world.has("compose-v2") ? world.require("compose-v2").path : undefined;

// One copy of the published bundle for every scenario here: they run the CLI many times over a
// minute or two, and a rebuild meanwhile (`npm run build` replaces dist/bin) must not pull it away.
let copy = "";
let bin = "";
before(async () => {
  copy = await mkdtemp(path.join(tmpdir(), "slipway-compose-up-"));
  await cp(path.dirname(publishedBin), copy, { recursive: true });
  bin = path.join(copy, path.basename(publishedBin));
});
after(async () => {
  if (copy) await rm(copy, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}) {
  return slipway(args, { cwd: here, env, bin });
}

/** docker compose v2 on the same folder; its output without the line-clearing codes it writes even to a pipe. */
function dockerCompose(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(composeV2!, args, { cwd: here, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code: code ?? 128, stdout: stdout.replaceAll("\u001b[2K", ""), stderr: stderr.replaceAll("\u001b[2K", "") }));
  });
}

/**
 * Whatever happens in a test, its project goes (a failing assertion must not leak containers),
 * through the library: also when the CLI under test is what failed.
 */
async function down(name: string): Promise<void> {
  await using ctx = await testContext();
  await composeDown(ctx, name, { removeVolumes: true, timeout: 0 });
}

async function states(name: string): Promise<Record<string, string>> {
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const observed = await observeProject(engine, name);
  return Object.fromEntries(observed.containers.map((c) => [c.name, c.state]));
}

/** The lines of `test`'s container and the lines about it, in order: what both tools print the same. */
const testLines = (out: string) => out.split("\n").filter((l) => l.startsWith("test-1 ") || l.startsWith("Attaching to"));

for (const code of [0, 1, 42]) {
  test(`up --abort-on-container-exit --exit-code-from test: exits ${code} as the test did, the rest stopped`, { timeout: 180_000 }, async (t) => {
    const name = uniqueProject(`e2e-exit-${code}`);
    t.after(() => down(name));
    const run = cli(["compose", "-p", name, "up", "--abort-on-container-exit", "--exit-code-from", "test"], { CODE: String(code) });
    assert.equal(await run.exit, code, run.stdout() + run.stderr());
    assert.deepEqual(testLines(run.stdout()), ["Attaching to test-1, web-1", "test-1  | testing", `test-1 exited with code ${code}`]);
    assert.match(run.stderr(), /^test-1  \| to stderr$/m, "a container's stderr lines go to stderr");
    assert.match(run.stderr(), /Aborting on container exit\.\.\./);
    assert.deepEqual(await states(name), { [`${name}-test-1`]: "exited", [`${name}-web-1`]: "exited" });

    // `logs` of what ran: every line on stdout, prefixed; --no-log-prefix leaves the lines alone.
    const logs = cli(["compose", "-p", name, "logs", "test"]);
    assert.equal(await logs.exit, 0, logs.stderr());
    assert.deepEqual(logs.stdout().split("\n").filter(Boolean).sort(), ["test-1  | testing", "test-1  | to stderr"]);
    const bare = cli(["compose", "-p", name, "logs", "--no-log-prefix", "--tail", "1", "web"]);
    assert.equal(await bare.exit, 0, bare.stderr());
    assert.equal(bare.stdout(), "web is up\n");
  });
}

test("the same run with docker compose v2: the same exit code and the same lines", { timeout: 180_000, skip: world.skipReason("compose-v2") }, async (t) => {
  const ours = uniqueProject("e2e-parity-s");
  const theirs = uniqueProject("e2e-parity-d");
  t.after(() => Promise.all([down(ours), down(theirs)]).then(() => undefined));
  const args = ["up", "--abort-on-container-exit", "--exit-code-from", "test"];
  const [slip, docker] = await Promise.all([
    (async () => {
      const run = cli(["compose", "-p", ours, ...args], { CODE: "42" });
      return { code: await run.exit, stdout: run.stdout() };
    })(),
    dockerCompose(["-p", theirs, ...args], { CODE: "42" }),
  ]);
  assert.equal(slip.code, docker.code);
  assert.deepEqual(testLines(slip.stdout), testLines(docker.stdout), `docker compose printed:\n${docker.stdout}`);
  // And each one's logs read the same through the other.
  const [ourLogs, theirLogs] = await Promise.all([cli(["compose", "-p", theirs, "logs", "--tail", "5"]), dockerCompose(["-p", theirs, "logs", "--tail", "5"])].map(async (r) =>
    "exit" in r ? (await r.exit, r.stdout()) : (await r).stdout,
  ));
  // compose pads to the containers whose logs have started (it widens as more come in), Slipway
  // to all of them from the first line: the padding may differ, nothing else.
  const unpadded = (out: string) => out.split("\n").map((l) => l.replace(/^(\S+) +\| /, "$1 | ")).sort();
  assert.deepEqual(unpadded(ourLogs!), unpadded(theirLogs!));
});

test("attached up, then Ctrl-C: gracefully stopped, left stopped, exit 130", { timeout: 180_000 }, async (t) => {
  const name = uniqueProject("e2e-sigint");
  t.after(() => down(name));
  // `test` waits 1 s before it exits: Ctrl-C comes once web has spoken.
  const run = cli(["compose", "-p", name, "up", "web"]);
  await until(async () => run.stdout().includes("web-1  | web is up"), 120_000);
  run.child.kill("SIGINT");
  assert.equal(await run.exit, 130, run.stdout() + run.stderr());
  assert.match(run.stderr(), /Gracefully stopping\.\.\. \(press Ctrl\+C again to force\)/);
  assert.deepEqual(await states(name), { [`${name}-web-1`]: "exited" }, "stopped, not removed; nothing left running");
});

test("up -d --scale web=3, then --scale web=1: web-1 is what is left (as docker compose leaves it)", { timeout: 180_000 }, async (t) => {
  const name = uniqueProject("e2e-scale");
  t.after(() => down(name));
  const three = cli(["compose", "-p", name, "up", "-d", "--scale", "web=3", "web"]);
  assert.equal(await three.exit, 0, three.stderr());
  assert.deepEqual(Object.keys(await states(name)).sort(), [1, 2, 3].map((i) => `${name}-web-${i}`));
  const one = cli(["compose", "-p", name, "up", "-d", "--scale", "web=1", "web"]);
  assert.equal(await one.exit, 0, one.stderr());
  assert.deepEqual(await states(name), { [`${name}-web-1`]: "running" });

  if (!composeV2) return;
  // docker compose scales the project Slipway made the same way, and the other way round.
  const again = await dockerCompose(["-p", name, "up", "-d", "--scale", "web=2", "web"]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(Object.keys(await states(name)).sort(), [`${name}-web-1`, `${name}-web-2`]);
});

test("unknown flags fail with the flag's name, exit 2", async () => {
  const run = cli(["compose", "-p", "e2e-flags", "up", "--no-such-flag"]);
  assert.equal(await run.exit, 2);
  assert.match(run.stderr(), /--no-such-flag/);
});
