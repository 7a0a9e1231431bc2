import { test } from "node:test";
import assert from "node:assert/strict";
import { parseJUnit, summarize } from "./junit.ts";

test("node's test runner output: nested suites, failures, skips", () => {
  const xml = `<?xml version="1.0" encoding="utf-8"?>
<testsuites>
  <testsuite name="todo validation" tests="3" failures="1" skipped="1">
    <testcase name="accepts a title" time="0.001" classname="test"/>
    <testcase name="rejects empty" time="0.250" classname="test">
      <failure type="testCodeFailure" message="Expected values to be strictly equal:&#10;&#10;1 !== 2">
[Error [ERR_ASSERTION]: Expected values to be strictly equal:
1 !== 2]
      </failure>
    </testcase>
    <testcase name="later" time="0" classname="test"><skipped type="skipped" message="todo"/></testcase>
  </testsuite>
  <testcase name="top level" time="1.5" classname="test"/>
</testsuites>`;
  const cases = parseJUnit(xml);
  assert.equal(cases.length, 4);
  const s = summarize(cases, ["unit.xml"]);
  assert.deepEqual([s.tests, s.passed, s.failed, s.skipped], [4, 2, 1, 1]);
  assert.equal(s.failures[0]!.name, "rejects empty");
  assert.match(s.failures[0]!.message!, /1 !== 2/);
  assert.equal(s.slowest[0]!.name, "top level");
  assert.ok(Math.abs(s.time - 1.751) < 1e-9);
});

test("a bare <testsuite> with <error> (JUnit/pytest style)", () => {
  const cases = parseJUnit(`<testsuite name="py"><testcase classname="m" name="t1" time="0.1"><error message="boom">trace</error></testcase><testcase classname="m" name="t2"/></testsuite>`);
  assert.deepEqual(cases.map((c) => c.status), ["failed", "passed"]);
  assert.equal(cases[0]!.message, "boom");
});

test("an empty report is zero tests", () => {
  assert.equal(parseJUnit(`<testsuites/>`).length, 0);
});
