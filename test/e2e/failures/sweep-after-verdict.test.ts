/**
 * Every Slipway start sweeps what runs whose owner is gone left behind, beside its own run. That
 * sweep is not the run's: its removals never appear in the run's events, and whatever it finishes
 * after the verdict says nothing — the verdict stays the last event (CI caught a sweep's
 * `step.start remove:…` and its `swept 1 abandoned run(s)` after a verdict).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { currentOwner } from "../../../src/run/identity.ts";
import { runLabels } from "../../../src/run/labels.ts";
import { scenario, slipway } from "../support.ts";
import { assertRunEnded, leftovers } from "./run-assertions.ts";

test("a sweep of a dead run's leftovers beside a run: none of its events in the run's stream, the verdict last", async () => {
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  // A dead run's network: this host and boot, a pid that is gone (the kernel's maximum is below 2^22).
  const owner = { ...currentOwner(`e2e-dead-${Date.now().toString(36)}`), pid: 4_194_304 + 17 };
  const { Id } = await engine.networks.create({ Name: `e2e-dead-run-${Date.now().toString(36)}`, Labels: runLabels(owner, "ephemeral", "e2e") });
  try {
    const dir = scenario("failures/unknown-environment");
    const run = slipway(["test", "--environment", "nope", "--json"], { cwd: dir });
    const ended = await assertRunEnded(run, { dir, kind: "config-error" });
    assert.ok(!ended.events.some((e) => e.type === "step.start" && String(e["step"]).startsWith("remove:")), "no removal of the sweep in the run's events");
    // Whoever swept it (this run or another Slipway on the engine), the dead run's network is gone.
    assert.equal(await leftovers(engine, owner.runId), 0);
  } finally {
    await engine.networks.remove(Id).catch(() => undefined);
  }
});
