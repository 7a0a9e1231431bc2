import { test } from "node:test";
import assert from "node:assert/strict";
import { Label, LABEL_PREFIX, runLabels, isSlipwayOwned, runFilter } from "./labels.ts";

test("every Slipway label lives under the dev.slipway. prefix", () => {
  for (const value of Object.values(Label)) assert.ok(value.startsWith(LABEL_PREFIX), value);
});

test("labels are unique", () => {
  const values = Object.values(Label);
  assert.equal(new Set(values).size, values.length);
});

test("runLabels carries the run id and the owner", () => {
  const labels = runLabels(
    { runId: "r1", host: "h", bootId: "b", pid: 42, expires: "2026-01-01T00:00:00.000Z" },
    "ephemeral",
    "0.1.0",
  );
  assert.equal(labels[Label.run], "r1");
  assert.equal(labels[Label.ownerPid], "42");
  assert.equal(labels[Label.lifetime], "ephemeral");
  assert.ok(isSlipwayOwned(labels));
  assert.ok(!isSlipwayOwned({ "com.docker.compose.project": "x" }));
  assert.deepEqual(runFilter("r1"), { label: ["dev.slipway.run=r1"] });
});
