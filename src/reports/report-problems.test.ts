import { test } from "node:test";
import assert from "node:assert/strict";
import type { CopiedReports, ReportSpec } from "./copy-reports.ts";
import { reportProblems } from "./report-problems.ts";

const copied = (more: Partial<CopiedReports>): CopiedReports => ({ dir: "/r/test", missing: [], files: [], unreadable: [], ...more });
const reports: ReportSpec = { path: "/app/reports", junit: true, required: true };
const optional: ReportSpec = { path: "/app/extra", junit: true, required: false };

test("all reports read: nothing fails the run", () => {
  assert.deepEqual(reportProblems([reports], copied({ files: ["unit.xml"] }), "test"), { missing: [], unreadable: [], failsRun: false });
});

test("an unreadable JUnit file of a required report fails the run, saying which file and why", () => {
  const p = reportProblems([reports], copied({ unreadable: [{ file: "mocha.xml", reason: "empty file", report: "/app/reports" }] }), "test");
  assert.equal(p.failsRun, true);
  assert.deepEqual(p.unreadable, [{ file: "mocha.xml", reason: "empty file", required: true }]);
  assert.equal(p.message, "Required JUnit reports from test are unreadable: mocha.xml (empty file)");
  assert.match(p.hint!, /junit: false/);
});

test("an unreadable file of a report that is not required is shown but does not fail the run", () => {
  const p = reportProblems([reports, optional], copied({ unreadable: [{ file: "extra/e2e.xml", reason: "not XML, line 1: x", report: "/app/extra" }] }), "test");
  assert.deepEqual(p, { missing: [], unreadable: [{ file: "extra/e2e.xml", reason: "not XML, line 1: x", required: false }], failsRun: false });
});

test("missing and unreadable together: one message, both hints", () => {
  const p = reportProblems(
    [reports, { path: "/app/junit.xml", junit: true, required: true }],
    copied({ missing: ["/app/reports"], unreadable: [{ file: "junit.xml/junit.xml", reason: "not JUnit, root element <html> instead of <testsuites> or <testsuite>", report: "/app/junit.xml" }] }),
    "test",
  );
  assert.equal(p.failsRun, true);
  assert.equal(p.message, "Required reports not found in test: /app/reports; Required JUnit reports from test are unreadable: junit.xml/junit.xml (not JUnit, root element <html> instead of <testsuites> or <testsuite>)");
  assert.match(p.hint!, /environments\.\*\.reports/);
  assert.match(p.hint!, /junit: false/);
});

test("missing alone keeps the message the stage has always given", () => {
  const p = reportProblems([reports], copied({ missing: ["/app/reports"] }), "test");
  assert.equal(p.message, "Required reports not found in test: /app/reports");
  assert.equal(p.hint, "Check environments.*.reports paths in slipway.yml and where the tests write their reports.");
});
