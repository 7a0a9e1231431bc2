/** End to end: the CLI as a user runs it, interrupted with SIGINT. Everything goes, exit 130. */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { observeProject } from "../../../src/compose/runner/observe.ts";
import { uniqueProject } from "../../support/run-context.ts";
import { slipway, until } from "../support.ts";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Whatever happens in a test, its project goes (a failing assertion must not leak containers). */
async function downAfterwards(name: string): Promise<void> {
  const down = cli(["compose", "-p", name, "down", "-v", "-t", "0"]);
  await down.exit;
}

/** The published CLI, from this scenario's folder; its output (both streams) for the assertions. */
function cli(args: string[]) {
  const run = slipway(args, { cwd: here });
  return { ...run, output: () => run.stdout() + run.stderr() };
}

test("SIGINT during `compose up --wait`: torn down, exit 130", async (t) => {
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const name = uniqueProject("sigint-up");
  t.after(() => downAfterwards(name));
  const run = cli(["compose", "-p", name, "up", "--wait"]);
  // db runs but will not be healthy for 30 s: `up --wait` is mid-wait.
  await until(async () => (await observeProject(engine, name)).containers.some((c) => c.service === "db" && c.state === "running"));
  run.child.kill("SIGINT");
  assert.equal(await run.exit, 130, run.output());
  const left = await observeProject(engine, name);
  assert.deepEqual([left.containers.length, left.networks.length, left.volumes.length], [0, 0, 0], run.output());
});

test("SIGINT during `compose run`: the one-off and its dependencies torn down, exit 130", async (t) => {
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const name = uniqueProject("sigint-run");
  t.after(() => downAfterwards(name));
  const run = cli(["compose", "-p", name, "run", "app", "sleep", "60"]);
  await until(async () => (await observeProject(engine, name)).containers.some((c) => c.oneoff && c.state === "running"));
  run.child.kill("SIGINT");
  assert.equal(await run.exit, 130, run.output());
  const left = await observeProject(engine, name);
  assert.deepEqual([left.containers.length, left.networks.length, left.volumes.length], [0, 0, 0], run.output());
});
