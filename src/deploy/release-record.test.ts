import { test } from "node:test";
import assert from "node:assert/strict";
import { chooseRelease, parseRelease, releaseLabels, releaseObjectName, releasesToRemove, releaseSummary, runningRelease, type ReleaseSummary } from "./release-record.ts";

const rel = (runId: string, at: string, outcome: ReleaseSummary["outcome"] = "converged", extra: Partial<ReleaseSummary> = {}): ReleaseSummary => ({ id: `cfg-${runId}`, stack: "shop", runId, commit: `c${runId}${"0".repeat(39 - runId.length)}`, at, outcome, ...extra });
// Listed out of order on purpose: every function sorts newest first itself.
const history = [rel("r2", "2026-12-02T00:00:00Z"), rel("r4", "2026-12-04T00:00:00Z", "rolled-back"), rel("r1", "2026-12-01T00:00:00Z"), rel("r3", "2026-12-03T00:00:00Z")];

test("a release's object name is fixed by stack and run and fits Swarm's 64 characters", () => {
  const name = releaseObjectName("a-very-long-stack-name-that-goes-on-and-on-and-on-and-on", "20261206-013627-f334be");
  assert.ok(name.length <= 64, name);
  assert.equal(name, releaseObjectName("a-very-long-stack-name-that-goes-on-and-on-and-on-and-on", "20261206-013627-f334be"));
  assert.notEqual(name, releaseObjectName("other", "20261206-013627-f334be"));
});

test("labels read back into the summary; anything else (another format, a missing label, an unknown outcome) is no release", () => {
  const labels = releaseLabels({ stack: "shop", meta: { commit: "abc", version: "1.2.3", runId: "r1", at: "2026-12-01T00:00:00Z" }, outcome: "converged", services: [], networks: [], secrets: [], configs: [] });
  assert.deepEqual(releaseSummary("id1", labels), { id: "id1", stack: "shop", runId: "r1", commit: "abc", version: "1.2.3", at: "2026-12-01T00:00:00Z", outcome: "converged" });
  assert.equal(releaseSummary("id1", { ...labels, "dev.slipway.release": "2" }), undefined);
  assert.equal(releaseSummary("id1", { ...labels, "dev.slipway.release.outcome": "in-progress" }), undefined);
  const { "dev.slipway.release.run": _run, ...noRun } = labels;
  assert.equal(releaseSummary("id1", noRun), undefined);
});

test("by default: the newest converged release before the one running (a rolled-back one is skipped); twice steps back twice", () => {
  assert.equal(chooseRelease(history, "r3").release?.runId, "r2");
  assert.equal(chooseRelease(history, "r2").release?.runId, "r1");
  // The running release is unknown to the records (deployed by hand, say): the newest converged one.
  assert.equal(chooseRelease(history, undefined).release?.runId, "r3");
  assert.equal(chooseRelease(history, "elsewhere").release?.runId, "r3");
  const none = chooseRelease(history, "r1");
  assert.equal(none.release, undefined);
  assert.match(none.reason, /no converged release before the one running \(run r1\)/);
  assert.match(chooseRelease([], undefined).reason, /no converged release is recorded/);
});

test("a release asked for by run id, commit, version or a prefix; one that never converged, or no such one, is refused with why", () => {
  assert.equal(chooseRelease(history, "r3", "r1").release?.runId, "r1");
  assert.equal(chooseRelease(history, "r3", history[0]!.commit).release?.runId, "r2");
  assert.equal(chooseRelease([...history, rel("r5", "2026-12-05T00:00:00Z", "converged", { version: "2.0.0" })], "r5", "2.0.0").release?.runId, "r5");
  assert.equal(chooseRelease(history, "r3", "cr2000").release?.runId, "r2", "a commit prefix of at least 4");
  assert.match(chooseRelease(history, "r3", "r4").reason, /never converged \(rolled-back\)/);
  assert.match(chooseRelease(history, "r3", "nope").reason, /no release "nope"/);
  assert.equal(chooseRelease(history, "r3", "cr").release, undefined, "a prefix shorter than 4 matches nothing");
});

test("the running release: the newest deploy run among the stack's services' labels", () => {
  assert.equal(runningRelease([{ labels: { "dev.slipway.deploy.run": "r1", "dev.slipway.deploy.at": "2026-12-01T00:00:00Z" } }, { labels: { "dev.slipway.deploy.run": "r2", "dev.slipway.deploy.at": "2026-12-02T00:00:00Z" } }, { labels: {} }]), "r2");
  assert.equal(runningRelease([{ labels: {} }]), undefined);
});

test("retention: beyond the newest N, never the one running", () => {
  assert.deepEqual(releasesToRemove(history, "r1", 2).map((r) => r.runId), ["r2"]);
  assert.deepEqual(releasesToRemove(history, undefined, 2).map((r) => r.runId), ["r2", "r1"]);
  assert.deepEqual(releasesToRemove(history, undefined, 10), []);
});

test("a release's data reads back; anything else (not JSON, another format) is none, so the caller says so instead of a SyntaxError", () => {
  const record = { stack: "shop", meta: { commit: "c", runId: "r1", at: "2026-12-01T00:00:00Z" }, outcome: "converged", services: [], networks: [], secrets: [], configs: [] };
  assert.deepEqual(parseRelease(JSON.stringify({ format: 1, release: record })), record);
  assert.equal(parseRelease("{not json"), undefined);
  assert.equal(parseRelease(JSON.stringify({ format: 2, release: record })), undefined);
  assert.equal(parseRelease(JSON.stringify({ format: 1 })), undefined);
});
