import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { firstLine, porcelainPaths, runGit } from "./git.ts";

test("porcelainPaths: a rename's origin is its own field, not a path; nothing is nothing", () => {
  assert.deepEqual(porcelainPaths("R  new name.txt\0old name.txt\0?? x\0"), ["new name.txt", "x"]);
  assert.deepEqual(porcelainPaths("C  copy.txt\0orig.txt\0 M a/b.txt\0"), ["copy.txt", "a/b.txt"]);
  assert.deepEqual(porcelainPaths(""), []);
});

test("runGit tells a git that could not start from git's own refusal", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-git-"));
  try {
    const refused = await runGit(dir, ["rev-parse", "--git-dir"]);
    assert.equal(refused.ok, false);
    assert.equal(refused.spawnError, undefined, "git ran, and said no");
    assert.match(firstLine(refused.stderr), /not a git repository/);
    const missing = await runGit(dir, ["--version"], { binary: path.join(dir, "no-such-git") });
    assert.equal(missing.spawnError?.code, "ENOENT");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
