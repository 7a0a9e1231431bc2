/** Ctrl-C while the acceptance suite runs: the run drains, tears the release environment down, and exits 130. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { assertRunEnded, leftovers, nextEvent } from "../failures/run-assertions.ts";
import { slipway } from "../support.ts";
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
