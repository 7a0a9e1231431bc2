import { test } from "node:test";
import assert from "node:assert/strict";
import { readJUnit, summarize, type TestCaseResult } from "./junit.ts";

function parseJUnit(text: string): TestCaseResult[] {
  const doc = readJUnit(text);
  assert.equal(doc.kind, "junit", JSON.stringify(doc));
  return doc.kind === "junit" ? doc.cases : [];
}

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

test("a JUnit document without tests is zero tests", () => {
  assert.equal(parseJUnit(`<testsuites/>`).length, 0);
  assert.equal(parseJUnit(`\uFEFF<?xml version="1.0"?>\n<!-- none ran -->\n<testsuite name="x" tests="0">\n</testsuite>`).length, 0);
});

test("a 0-byte file (a cancelled mocha run) is unreadable, not zero tests", () => {
  assert.deepEqual(readJUnit(""), { kind: "unreadable", reason: "empty file" });
  assert.deepEqual(readJUnit(" \n\t\n"), { kind: "unreadable", reason: "empty file" });
});

test("an HTML page is not XML, with the line that says so", () => {
  const doc = readJUnit(`<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>502</title></head><body>Bad gateway<br></body></html>`);
  assert.equal(doc.kind, "unreadable");
  assert.match(doc.kind === "unreadable" ? doc.reason : "", /^not XML, line 2: .+$/);
});

test("text and a report cut off mid-write are not XML", () => {
  assert.match(JSON.stringify(readJUnit("Error: reporter crashed")), /not XML/);
  assert.match(JSON.stringify(readJUnit(`<testsuites><testsuite name="a"><testcase name="t"/>`)), /not XML/);
});

test("well-formed XML with another root is other XML, named by its root", () => {
  assert.deepEqual(readJUnit(`<?xml version="1.0"?>\n<coverage line-rate="0.9"><packages/></coverage>`), { kind: "other-xml", root: "coverage" });
  assert.deepEqual(readJUnit(`<html><body><p>report</p></body></html>`), { kind: "other-xml", root: "html" });
});

test("failure messages decode hex, decimal and the five named character references once", () => {
  const [c] = parseJUnit(
    `<testsuite name="s"><testcase name="t &#x22;q&#x22;"><failure message="Timeout: ensure &#x22;done()&#x22; is called; &#34;dec&#34; &lt;b&gt; &amp; &apos;x&apos; &quot;y&quot;&#10;second line &amp;lt;kept&amp;gt; &amp;#34;"/></testcase></testsuite>`,
  );
  assert.equal(c!.name, `t "q"`);
  assert.equal(c!.message, `Timeout: ensure "done()" is called; "dec" <b> & 'x' "y"\nsecond line &lt;kept&gt; &#34;`);
});

test("failure text decodes references; CDATA stays as written", () => {
  const cases = parseJUnit(
    `<testsuite><testcase name="a"><failure>expected &#x22;a&#x22; &amp;amp;</failure></testcase><testcase name="b"><error><![CDATA[raw &#34; <tag>]]></error></testcase></testsuite>`,
  );
  assert.deepEqual(cases.map((c) => c.message), [`expected "a" &amp;`, `raw &#34; <tag>`]);
});
