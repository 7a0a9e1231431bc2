/** Ctrl-C while the acceptance suite runs: the run drains, tears the release environment down, and exits 130. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { assertRunEnded, leftovers, nextEvent } from "../failures/run-assertions.ts";
import { slipway, until } from "../support.ts";
import { Label } from "../../../src/run/labels.ts";
import { exampleCopy } from "./support.ts";

test("SIGINT during acceptance: exit 130, the verdict with the run id last, nothing left", async () => {
  await using copy = await exampleCopy("e2e-ci-sigint", "slow-acceptance.override.yml");
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const run = slipway(["ci", "--json"], { cwd: copy.dir });
  const start = await nextEvent(run, (e) => e.type === "run.start");
  await nextEvent(run, (e) => e.type === "container.log" && e["service"] === "acceptance" && e["line"] === "acceptance-started");
  assert.ok((await leftovers(engine, String(start["runId"]))) > 0, "the release environment is up");
  run.child.kill("SIGINT");
  const { events, runId } = await assertRunEnded(run, { dir: copy.dir, kind: "cancelled", environment: "release", logs: true });
  assert.equal(events.find((e) => e.type === "stage.end" && e["stage"] === "acceptance")?.["ok"], false);
  assert.equal(await leftovers(engine, runId), 0);
});

test("SIGKILL during the release stage (nothing can clean up): the next slipway command leaves nothing of the run", async () => {
  await using copy = await exampleCopy("e2e-ci-sigkill");
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const run = slipway(["ci", "--json"], { cwd: copy.dir });
  const start = await nextEvent(run, (e) => e.type === "run.start");
  const runId = String(start["runId"]);
  // The release environment is coming up: its database has started.
  const release = await nextEvent(run, (e) => e.type === "stage.start" && e["stage"] === "release");
  const project = String(release["project"]);
  await until(async () => (await engine.containers.list({ filters: { label: [`${Label.run}=${runId}`, `com.docker.compose.project=${project}`], status: ["running"] } })).length > 0);
  run.child.kill("SIGKILL");
  await run.exit;
  // Any Slipway command sweeps what a dead run left (its owner's pid is gone).
  const next = slipway(["clean", "--json"], { cwd: copy.dir });
  assert.equal(await next.exit, 0, next.stdout() + next.stderr());
  assert.equal(await leftovers(engine, runId), 0);
});
