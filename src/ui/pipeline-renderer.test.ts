import { test } from "node:test";
import assert from "node:assert/strict";
import { detectCi, pipelineRenderer } from "./pipeline-renderer.ts";
import { createStyle } from "./style.ts";
import type { SlipwayEvent } from "../events/index.ts";

function render(events: SlipwayEvent[], opts: { live?: boolean; ci?: "github" | "gitlab"; color?: boolean } = {}): string {
  let out = "";
  const listener = pipelineRenderer({ write: (s) => (out += s), style: createStyle(opts.color ?? false), live: opts.live ?? false, ci: opts.ci });
  events.forEach((e, i) => listener({ ...e, time: 1_700_000_000_000 + i * 1000 }));
  return out;
}

const run: SlipwayEvent[] = [
  { type: "run.start", runId: "r1", command: "test test" },
  { type: "stage.start", stage: "test", project: "app-test-r1" },
  { type: "progress", task: "pull postgres:15", id: "layer1", status: "Downloading", current: 50, total: 100 },
  { type: "container.log", service: "test", container: "test", stream: "stdout", line: "ok 1 - works" },
  { type: "stage.end", stage: "test", ok: false, durationMs: 1234 },
  {
    type: "reports",
    stage: "test",
    dir: "/r/test",
    files: ["unit.xml"],
    missing: [],
    unreadable: [],
    junit: { tests: 2, passed: 1, failed: 1, skipped: 0, time: 0.5, failures: [{ suite: "s", name: "breaks", message: "1 !== 2" }], slowest: [{ suite: "s", name: "breaks", time: 0.4 }] },
  },
  { type: "cleanup", removed: { containers: 3, networks: 1, volumes: 0, images: 1 } },
  { type: "verdict", kind: "tests-failed", exitCode: 1, message: "test exited with code 1", durationMs: 5000, runId: "r1" },
];

test("CI log: plain lines, summary with failures, verdict last; no escape codes without colour", () => {
  const out = render(run);
  assert.ok(!out.includes("\u001b"), out);
  assert.match(out, /test \| ok 1 - works/);
  assert.match(out, /tests: 1 passed, 1 failed, 0 skipped/);
  assert.match(out, /✖ s › breaks\n\s+1 !== 2/);
  assert.match(out, /cleanup: removed 3 containers, 1 networks, 0 volumes, 1 images/);
  assert.match(out.trim().split("\n").at(-1)!, /^TESTS-FAILED test exited with code 1 \(exit 1, 5\.0s\)$/);
  assert.ok(!out.includes("Downloading"), "no progress bars in a log");
});

test("unreadable reports get a line each in the summary: required in red, others as a warning", () => {
  const reports: SlipwayEvent = {
    type: "reports",
    stage: "test",
    dir: "/r/test",
    files: ["mocha.xml", "e2e/e2e.xml"],
    missing: [],
    unreadable: [
      { file: "mocha.xml", reason: "empty file", required: true },
      { file: "e2e/e2e.xml", reason: "not XML, line 1: char 'E' is not expected.", required: false },
    ],
  };
  const verdict: SlipwayEvent = { type: "verdict", kind: "reports-missing", exitCode: 9, message: "Required JUnit reports from test are unreadable: mocha.xml (empty file)", durationMs: 5000, runId: "r1" };
  const out = render([reports, verdict]);
  assert.match(out, /\n  reports: \/r\/test \(2 files\)\n  ✖ unreadable: mocha.xml \(empty file\)\n  ! unreadable: e2e\/e2e.xml \(not XML, line 1: char 'E' is not expected\.\), not required\n/);
  assert.ok(!/tests: /.test(out), "no JUnit file read: no test counts");
  const coloured = render([reports, verdict], { color: true });
  assert.ok(coloured.includes("\u001b[31m✖ unreadable: mocha.xml (empty file)"), coloured);
  assert.ok(coloured.includes("\u001b[33m! unreadable: e2e/e2e.xml"), coloured);
});

test("GitHub Actions: a collapsible group per stage", () => {
  const out = render(run, { ci: "github" });
  assert.match(out, /::group::stage test \(project app-test-r1\)\n[\s\S]*::endgroup::/);
});

test("GitLab: section markers per stage", () => {
  const out = render(run, { ci: "gitlab" });
  assert.match(out, /section_start:1700000001:test\[collapsed=false\]/);
  assert.match(out, /section_end:1700000004:test/);
});

test("a terminal gets a live progress line that is cleared before the next line", () => {
  const out = render(run, { live: true });
  assert.match(out, /\r\u001b\[2Kpull postgres:15 █{10}░{10} 50% Downloading/);
  assert.match(out, /\r\u001b\[2Ktest \| ok 1 - works/);
});

test("CI flavour from the environment", () => {
  assert.equal(detectCi({ GITHUB_ACTIONS: "true" }), "github");
  assert.equal(detectCi({ GITLAB_CI: "true" }), "gitlab");
  assert.equal(detectCi({}), undefined);
});

test("a build stopped because another step failed (a container_name conflict) is cancelled in the summary, not failed", () => {
  const out = render([
    { type: "run.start", runId: "r2", command: "test" },
    { type: "step.start", step: "build test" },
    { type: "step.end", step: "up db", ok: false, durationMs: 10, error: "Conflict. The container name \"/todo-db\" is already in use" },
    { type: "step.end", step: "build test", ok: false, cancelled: true, durationMs: 20, error: "cancelled" },
    { type: "verdict", kind: "engine-error", exitCode: 4, message: "Conflict. The container name \"/todo-db\" is already in use", durationMs: 30, runId: "r2" },
  ]);
  assert.match(out, /- build test: cancelled/);
  assert.doesNotMatch(out, /build test +failed/);
  assert.match(out, /build test +cancelled/);
});

test("a run of several stages: a line per stage in the summary, skipped ones with why", () => {
  const out = render([
    { type: "run.start", runId: "r3", command: "ci" },
    { type: "stage.start", stage: "test", environment: "test", project: "app-test-r3" },
    { type: "stage.end", stage: "test", environment: "test", ok: false, durationMs: 2000 },
    { type: "stage.skip", stage: "release", reason: "test did not pass" },
    { type: "stage.skip", stage: "acceptance", reason: "test did not pass" },
    { type: "verdict", kind: "tests-failed", exitCode: 1, message: "test exited with code 1", durationMs: 2500, runId: "r3" },
  ]);
  assert.match(out, /- stage release skipped: test did not pass/);
  assert.match(out, /stage test +failed +2\.0s/);
  assert.match(out, /stage acceptance +skipped/);
});

test("slipway ci that passed: stage lines, the bootstrap task, each stage's reports, and the accepted image last", () => {
  const accepted = `accepted app sha256:${"a".repeat(64)} (revision ${"c".repeat(40)})`;
  const junit = (tests: number) => ({ tests, passed: tests, failed: 0, skipped: 0, time: 1, failures: [], slowest: [] });
  const out = render([
    { type: "run.start", runId: "r4", command: "ci" },
    { type: "stage.start", stage: "test", environment: "test" },
    { type: "reports", stage: "test", environment: "test", dir: "/r/test", files: ["unit.xml"], missing: [], unreadable: [], junit: junit(12) },
    { type: "stage.end", stage: "test", environment: "test", ok: true, durationMs: 2000 },
    { type: "step.end", step: "build release image app", ok: true, durationMs: 100, note: "unchanged: an image of this exact context exists" },
    { type: "stage.start", stage: "release", environment: "release" },
    { type: "step.end", step: "bootstrap migrate", ok: true, durationMs: 1500 },
    { type: "stage.end", stage: "release", environment: "release", ok: true, durationMs: 3000 },
    { type: "stage.start", stage: "acceptance", environment: "release" },
    { type: "reports", stage: "acceptance", environment: "release", dir: "/r/release", files: ["acceptance.xml"], missing: [], unreadable: [], junit: junit(3) },
    { type: "stage.end", stage: "acceptance", environment: "release", ok: true, durationMs: 1000 },
    { type: "verdict", kind: "passed", exitCode: 0, message: accepted, durationMs: 7000, runId: "r4" },
  ]);
  assert.match(out, /✔ bootstrap migrate 1\.5s/);
  assert.match(out, /stage test +ok +2\.0s\n +stage release +ok +3\.0s\n +stage acceptance +ok +1\.0s/);
  assert.match(out, /build release image app +unchanged/);
  assert.match(out, /bootstrap migrate +ok +1\.5s/);
  assert.match(out, /test tests: 12 passed[\s\S]*test reports: \/r\/test[\s\S]*acceptance tests: 3 passed[\s\S]*acceptance reports: \/r\/release/);
  assert.equal(out.trim().split("\n").at(-1), `PASSED ${accepted} (exit 0, 7.0s)`);
});

test("a failed environment kept with --keep: the URL of every published port in the summary, not as a log line", () => {
  const out = render([
    { type: "run.start", runId: "r5", command: "ci" },
    { type: "environment.url", service: "nginx", port: "80/tcp", url: "http://127.0.0.1:49153" },
    { type: "cleanup", removed: { containers: 0, networks: 0, volumes: 0, images: 0 }, kept: "Environment kept for debugging: project todo-release-r5. Remove it with: slipway clean --run r5" },
    { type: "verdict", kind: "tests-failed", exitCode: 3, message: "acceptance exited with code 3", durationMs: 5000, runId: "r5" },
  ]);
  assert.match(out, /\n  Environment kept for debugging: project todo-release-r5\. Remove it with: slipway clean --run r5\n  url: nginx 80\/tcp → http:\/\/127\.0\.0\.1:49153\n/);
  assert.doesNotMatch(out, /url \| /);
});
