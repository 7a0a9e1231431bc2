import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { OUTCOMES, exitCodeForKind, verdictExitCode, verdictKindFor, type ErrorKind } from "./outcomes.ts";

const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");

test("every row of the outcome table is one kind, one verdict kind and one code, none shared", () => {
  for (const key of ["kind", "verdict", "exitCode"] as const) {
    assert.equal(new Set(OUTCOMES.map((o) => o[key])).size, OUTCOMES.length, `${key} is unique`);
  }
  for (const row of OUTCOMES) {
    assert.equal(verdictExitCode(row.verdict), row.exitCode);
    if (row.kind === "ok") continue;
    assert.equal(exitCodeForKind(row.kind as ErrorKind), row.exitCode);
    assert.equal(verdictKindFor(row.kind as ErrorKind), row.verdict);
  }
});

test("README's exit-code table is the outcome table", () => {
  const section = readme.slice(readme.indexOf("## Exit codes"));
  const rows = [...section.matchAll(/^\|\s*(\d+)\s*\|\s*(.+?)\s*\|$/gm)].map((m) => [Number(m[1]), m[2]]);
  assert.deepEqual(rows, OUTCOMES.map((o) => [o.exitCode, o.meaning]));
});

test("README names every verdict kind with its code", () => {
  const section = readme.slice(readme.indexOf("Every run ends with a verdict"));
  for (const row of OUTCOMES) {
    const code = row.verdict === "tests-failed" ? "the" : String(row.exitCode);
    assert.match(section, new RegExp(`\`${row.verdict}\` \\(${code}`), row.verdict);
  }
});
