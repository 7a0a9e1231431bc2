import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { isSlipwayError } from "../errors/index.ts";
import { dateVersion, readVersionFile, versionProblem } from "./version.ts";

test("dateVersion: the UTC date, then .2, .3 … past the taken ones of that day", () => {
  const now = new Date("2026-12-06T23:30:00-05:00"); // 04:30 on the 7th in UTC
  assert.equal(dateVersion(now, []), "20261207");
  assert.equal(dateVersion(now, ["20261206", "20261206.2"]), "20261207");
  assert.equal(dateVersion(now, ["20261207"]), "20261207.2");
  assert.equal(dateVersion(now, ["20261207", "20261207.2", "20261207.3"]), "20261207.4");
  // A gap is not filled out of order: .2 is free, so it is next.
  assert.equal(dateVersion(now, ["20261207", "20261207.3"]), "20261207.2");
});

test("versionProblem: what a tag can end with", () => {
  for (const ok of ["3", "2026.1", "20261207.2", "v1_rc-1", "a".repeat(123)]) assert.equal(versionProblem(ok), undefined, ok);
  assert.match(versionProblem("")!, /empty/);
  assert.match(versionProblem("a".repeat(124))!, /at most 123/);
  for (const bad of ["1 2", "1/2", "1:2", "ü", "1+build"]) assert.match(versionProblem(bad)!, /letters, digits/, bad);
});

async function dirWith(t: { after(fn: () => Promise<void>): void }, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-base-version-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

test("readVersionFile: the first line, trimmed; the rest of the file is free text", async (t) => {
  const dir = await dirWith(t, { BASE_VERSION: "  7 \r\nbumped for openssl\n" });
  assert.equal(await readVersionFile(dir, "BASE_VERSION"), "7");
});

test("readVersionFile: a missing file or a bad first line is a config error naming the file", async (t) => {
  const dir = await dirWith(t, { BAD: "1 2\n", EMPTY: "\n2\n" });
  for (const [file, code, message] of [
    ["NOPE", "BASE_VERSION_FILE", /NOPE cannot be read: it does not exist/],
    ["BAD", "BASE_VERSION_INVALID", /first line of BAD is not a base version \("1 2"\)/],
    ["EMPTY", "BASE_VERSION_INVALID", /empty/],
  ] as const) {
    await assert.rejects(readVersionFile(dir, file), (err: unknown) => {
      assert.ok(isSlipwayError(err));
      assert.equal(err.code, code);
      assert.equal(err.kind, "config");
      assert.match(err.message, message);
      assert.ok(err.hint);
      return true;
    });
  }
});
