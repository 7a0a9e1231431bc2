import { test } from "node:test";
import assert from "node:assert/strict";
import { fromError, passed, testsFailed, verdictForFailure, verdictOf } from "./verdict.ts";
import { CancelledError, OUTCOMES, SlipwayError, type ErrorKind } from "../errors/index.ts";

test("a failed test run keeps the test's own code; 0 can never be a failure", () => {
  assert.deepEqual(testsFailed(42, "x"), { kind: "tests-failed", exitCode: 42, message: "x" });
  assert.throws(() => testsFailed(0, "x"));
  assert.equal(passed().exitCode, 0);
});

test("every error kind gives the verdict kind and exit code of its one row in the outcome table", () => {
  for (const row of OUTCOMES) {
    if (row.kind === "ok") continue;
    const verdict = fromError(new SlipwayError("m", { code: "X", kind: row.kind as ErrorKind }));
    assert.deepEqual([verdict.kind, verdict.exitCode], [row.verdict, row.exitCode], row.kind);
    assert.equal(new SlipwayError("m", { code: "X", kind: row.kind as ErrorKind }).exitCode, row.exitCode);
  }
});

test("a deploy error is a failed deploy (10) and a usage error a usage error (2), not engine-error or config-error", () => {
  assert.deepEqual(Object.values(fromError(new SlipwayError("d", { code: "X", kind: "deploy" }))).slice(0, 2), ["deploy-failed", 10]);
  assert.deepEqual(Object.values(fromError(new SlipwayError("u", { code: "X", kind: "usage" }))).slice(0, 2), ["usage-error", 2]);
});

test("verdictOf fills in the documented code of its kind", () => {
  assert.deepEqual(verdictOf("dependency-failed", "db died", "look at its logs"), { kind: "dependency-failed", exitCode: 7, message: "db died", hint: "look at its logs" });
  assert.deepEqual(verdictOf("internal-error", "bug"), { kind: "internal-error", exitCode: 70, message: "bug" });
});

test("a failure: a SlipwayError by its kind, a bug as internal-error 70, an abort of the run as cancelled", () => {
  assert.equal(verdictForFailure(new SlipwayError("x", { code: "X", kind: "engine" }), false).exitCode, 4);
  const bug = verdictForFailure(new TypeError("x is not a function"), false);
  assert.deepEqual([bug.kind, bug.exitCode], ["internal-error", 70]);
  assert.equal(verdictForFailure(new CancelledError(), true).kind, "cancelled");
  // A user's error found while the run was being cancelled keeps its kind.
  assert.equal(verdictForFailure(new SlipwayError("x", { code: "X", kind: "config" }), true).kind, "config-error");
});

test("a connection to the engine that broke mid-run is the engine's failure (4), not a bug", () => {
  const socketError = Object.assign(new Error("other side closed"), { name: "SocketError", code: "UND_ERR_SOCKET" });
  const verdict = verdictForFailure(socketError, false);
  assert.deepEqual([verdict.kind, verdict.exitCode], ["engine-error", 4]);
  assert.match(verdict.message, /connection to the Docker engine was lost mid-run/);
  assert.match(verdict.hint ?? "", /next Slipway command sweeps/);
  // Also when it is the cause of another error.
  assert.equal(verdictForFailure(new Error("read failed", { cause: socketError }), false).kind, "engine-error");
});
