import { test } from "node:test";
import assert from "node:assert/strict";
import { entryParts, symlinkOnPath, symlinkTargetProblem } from "./archive-paths.ts";

test("entryParts drops empty and '.' components", () => {
  assert.deepEqual(entryParts("a/b/c"), { ok: true, parts: ["a", "b", "c"] });
  assert.deepEqual(entryParts("./a//b/./c/"), { ok: true, parts: ["a", "b", "c"] });
  assert.deepEqual(entryParts("./"), { ok: true, parts: [] });
  assert.deepEqual(entryParts("..."), { ok: true, parts: ["..."] }, "three dots is a plain name");
  assert.deepEqual(entryParts("a\\b"), { ok: true, parts: ["a\\b"] }, "a backslash is a plain character on POSIX");
});

test("entryParts refuses absolute names, '..' anywhere and NUL bytes", () => {
  for (const name of ["/etc/passwd", "//etc", "../x", "a/../b", "a/b/../../..", "a/..", "x\0y"]) {
    assert.equal(entryParts(name).ok, false, name);
  }
});

test("entryParts refuses Windows path syntax on Windows only", () => {
  for (const name of ["a\\..\\..\\x", "C:x", "c:/windows"]) {
    assert.equal(entryParts(name, "win32").ok, false, name);
    assert.equal(entryParts(name, "linux").ok, true, name);
  }
});

test("symlinkTargetProblem accepts targets that stay inside", () => {
  assert.equal(symlinkTargetProblem(["a"], "b"), undefined);
  assert.equal(symlinkTargetProblem(["a"], "."), undefined);
  assert.equal(symlinkTargetProblem(["d", "l"], ".."), undefined);
  assert.equal(symlinkTargetProblem(["d", "e", "l"], "../../x/./y"), undefined);
  assert.equal(symlinkTargetProblem(["d", "l"], "x/../../y"), undefined);
});

test("symlinkTargetProblem refuses absolute, escaping, empty and Windows-syntax targets", () => {
  assert.match(symlinkTargetProblem(["a"], "/etc") ?? "", /absolute/);
  assert.match(symlinkTargetProblem(["a"], "..") ?? "", /outside/);
  assert.match(symlinkTargetProblem(["d", "l"], "../..") ?? "", /outside/);
  assert.match(symlinkTargetProblem(["d", "l"], "x/../../../y") ?? "", /outside/);
  assert.match(symlinkTargetProblem(["a"], "") ?? "", /empty/);
  assert.match(symlinkTargetProblem(["a"], "x\0") ?? "", /NUL/);
  assert.match(symlinkTargetProblem(["a"], "..\\..", "win32") ?? "", /backslash/);
});

test("symlinkOnPath finds the first symlink among a path's parents, not the path itself", () => {
  const links = new Set(["a", "b/c"]);
  assert.equal(symlinkOnPath(["a", "x"], links), "a");
  assert.equal(symlinkOnPath(["b", "c", "d", "e"], links), "b/c");
  assert.equal(symlinkOnPath(["a"], links), undefined);
  assert.equal(symlinkOnPath(["b", "x"], links), undefined);
});
