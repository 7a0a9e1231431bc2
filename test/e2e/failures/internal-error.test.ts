/**
 * A bug inside a run (an error that is no SlipwayError, thrown mid-stage): exit 70, verdict
 * internal-error with the run id, the stack kept in the evidence (internal-error.txt) and not
 * printed at the user, and the environment torn down. The bug is injected by a preload
 * (internal-error/inject-bug.mjs), not by a hook in Slipway.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { scenario, slipway } from "../support.ts";
import { assertRunEnded, leftovers } from "./run-assertions.ts";

const dir = scenario("failures/internal-error");
const preload = pathToFileURL(path.join(dir, "inject-bug.mjs")).href;

test("a bug mid-run: internal-error (70), its stack in <evidence>/internal-error.txt, none on the terminal, nothing left", async () => {
  const nodeOptions = [process.env["NODE_OPTIONS"], `--import=${preload}`].filter(Boolean).join(" ");
  const run = slipway(["test", "--json"], { cwd: dir, env: { NODE_OPTIONS: nodeOptions, SLIPWAY_E2E_INJECT_BUG: "1" } });
  const ended = await assertRunEnded(run, { dir, kind: "internal-error", environment: "test", logs: true });
  assert.match(String(ended.verdict["message"]), /injected bug/);
  assert.match(String(ended.verdict["hint"]), new RegExp(`${ended.evidence.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/internal-error\\.txt`), "the hint says where the stack is");
  assert.ok(!ended.events.some((e) => e.type === "container.log" && e["service"] === "test"), "the test service never ran");

  const stack = await readFile(path.join(ended.evidence, "internal-error.txt"), "utf8");
  assert.match(stack, /^TypeError: injected bug\n/);
  assert.match(stack, /^ {4}at .*composeRun/m, "the stack says where the bug is");
  assert.doesNotMatch(run.stdout() + run.stderr(), /injected bug\n\s+at /);

  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  assert.equal(await leftovers(engine, ended.runId), 0);
});

test("the same preload without its marker changes nothing: the run passes", async () => {
  const run = slipway(["test", "--json"], { cwd: dir, env: { NODE_OPTIONS: [process.env["NODE_OPTIONS"], `--import=${preload}`].filter(Boolean).join(" "), SLIPWAY_E2E_INJECT_BUG: "" } });
  const ended = await assertRunEnded(run, { dir, kind: "passed", environment: "test", logs: true });
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  assert.equal(await leftovers(engine, ended.runId), 0);
});
