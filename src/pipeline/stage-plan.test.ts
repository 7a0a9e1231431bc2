import { test } from "node:test";
import assert from "node:assert/strict";
import { SlipwayError } from "../errors/index.ts";
import { planStages, preparationsAfter, skippedAfter } from "./stage-plan.ts";

const ci = [
  { name: "acceptance" as const },
  { name: "test" as const },
  { name: "release" as const, prepareAfter: "build" as const },
  { name: "build" as const },
];

test("stages run in the workflow's order, whatever order they are given in", () => {
  assert.deepEqual(planStages(ci).stages.map((s) => s.name), ["test", "build", "release", "acceptance"]);
  assert.deepEqual(planStages(ci).outside, []);
});

test("slices: --from and --until keep the stages between them, and say why the others are left out", () => {
  const plan = planStages(ci, { from: "build", until: "release" });
  assert.deepEqual(plan.stages.map((s) => s.name), ["build", "release"]);
  assert.deepEqual(plan.outside, [
    { name: "test", reason: "before --from build" },
    { name: "acceptance", reason: "after --until release" },
  ]);
  assert.deepEqual(planStages(ci, { until: "test" }).stages.map((s) => s.name), ["test"]);
  assert.deepEqual(planStages(ci, { from: "acceptance" }).stages.map((s) => s.name), ["acceptance"]);
});

test("a slice that names a stage the pipeline lacks, or runs backwards, is a usage error (exit 2)", () => {
  assert.throws(() => planStages([{ name: "test" }], { until: "release" }), (e) => e instanceof SlipwayError && e.kind === "usage" && /no release stage/.test(e.message) && /test/.test(e.hint ?? ""));
  assert.throws(() => planStages(ci, { from: "release", until: "test" }), (e) => e instanceof SlipwayError && e.exitCode === 2);
});

test("overlap: a preparation starts with the run, or once the stage it needs has passed", () => {
  const plan = planStages([{ name: "test" }, { name: "build" }, { name: "release", prepareAfter: "build" }, { name: "acceptance" }]);
  // Everything without a need prepares at once (beside the tests); the release image after the build's artifacts.
  assert.deepEqual(preparationsAfter(plan, undefined), ["test", "build", "acceptance"]);
  assert.deepEqual(preparationsAfter(plan, "build"), ["release"]);
  assert.deepEqual(preparationsAfter(plan, "test"), []);
});

test("a preparation whose needed stage is outside the slice starts with the run (it takes what is there)", () => {
  const plan = planStages(ci, { from: "release" });
  assert.deepEqual(plan.stages, [{ name: "release" }, { name: "acceptance" }]);
  assert.deepEqual(preparationsAfter(plan, undefined), ["release", "acceptance"]);
});

test("after a failure nothing later runs: every later stage is skipped, with the reason", () => {
  const plan = planStages(ci);
  assert.deepEqual(skippedAfter(plan, "build"), [
    { name: "release", reason: "build did not pass" },
    { name: "acceptance", reason: "build did not pass" },
  ]);
  assert.deepEqual(skippedAfter(plan, "acceptance"), []);
});
