/** Ctrl-C while the acceptance suite runs: the run drains, tears the release environment down, and exits 130. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { assertRunEnded, leftovers, nextEvent } from "../failures/run-assertions.ts";
import { slipway, until } from "../support.ts";
import { Label } from "../../../src/run/labels.ts";
import { readLogLines } from "../../../src/readiness/diagnostics.ts";
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
  await using copy = await exampleCopy("e2e-ci-sigkill", "slow-migration.override.yml");
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const run = slipway(["ci", "--json"], { cwd: copy.dir });
  const start = await nextEvent(run, (e) => e.type === "run.start");
  const runId = String(start["runId"]);
  // Mid-bootstrap: the migration runs (and hangs); no request of the run is in flight but its wait.
  const release = await nextEvent(run, (e) => e.type === "stage.start" && e["stage"] === "release");
  const project = String(release["project"]);
  await until(async () => {
    const migrate = await engine.containers.list({ filters: { label: [`${Label.run}=${runId}`, `com.docker.compose.project=${project}`, "com.docker.compose.service=migrate"] } });
    if (!migrate[0]) return false;
    const lines = await readLogLines(engine, migrate[0].Id, { tty: false }).catch(() => []);
    return lines.some((l) => l.includes("migration-started"));
  });
  run.child.kill("SIGKILL");
  await run.exit;
  assert.ok((await leftovers(engine, runId)) > 0, "the dead run left its release environment");
  // Any Slipway command sweeps what a dead run left (its owner's pid is gone).
  const next = slipway(["clean", "--json"], { cwd: copy.dir });
  assert.equal(await next.exit, 0, next.stdout() + next.stderr());
  assert.equal(await leftovers(engine, runId), 0);
});
