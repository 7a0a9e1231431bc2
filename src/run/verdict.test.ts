import { test } from "node:test";
import assert from "node:assert/strict";
import { fromError, passed, testsFailed, verdictExitCode, verdictOf } from "./verdict.ts";
import { SlipwayError } from "../errors/index.ts";

test("a failed test run keeps the test's own code; 0 can never be a failure", () => {
  assert.deepEqual(testsFailed(42, "x"), { kind: "tests-failed", exitCode: 42, message: "x" });
  assert.throws(() => testsFailed(0, "x"));
  assert.equal(passed().exitCode, 0);
});

test("every other outcome has its fixed code, told apart from a test's code by its kind", () => {
  const dep = fromError(new SlipwayError("db died", { code: "X", kind: "dependency" }));
  assert.deepEqual([dep.kind, dep.exitCode], ["dependency-failed", 7]);
  assert.equal(verdictExitCode("reports-missing"), 9);
  assert.equal(verdictExitCode("timeout"), 8);
  assert.equal(verdictExitCode("config-error"), 3);
  assert.equal(verdictExitCode("engine-error"), 4);
  assert.equal(verdictExitCode("cancelled"), 130);
});

test("verdictOf fills in the documented code of its kind", () => {
  assert.deepEqual(verdictOf("dependency-failed", "db died", "look at its logs"), { kind: "dependency-failed", exitCode: 7, message: "db died", hint: "look at its logs" });
  assert.deepEqual(verdictOf("internal-error", "bug"), { kind: "internal-error", exitCode: 70, message: "bug" });
});
