import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { symlinkStaysInside } from "./contained-path.ts";

async function withTree(links: [string, string][], dirs: string[], check: (root: string) => Promise<void>): Promise<void> {
  const base = await mkdtemp(path.join(os.tmpdir(), "slipway-contained-"));
  const root = path.join(base, "root");
  try {
    await mkdir(root);
    for (const dir of dirs) await mkdir(path.join(root, dir), { recursive: true });
    for (const [link, target] of links) await symlink(target, path.join(root, link));
    await check(root);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

test("follows chains of symlinks the way the kernel does", async () => {
  await withTree(
    [
      ["x", "."],
      ["y", "x/.."],
      ["deep", "a/b/c"],
      ["ok", "deep/../../b"],
      ["up", "a/b/c/../.."],
      ["missing", "nothere/../a"],
      ["a/b/c/back", "../../.."],
      ["via", "a/b/c/back/.."],
    ],
    ["a/b/c"],
    async (root) => {
      assert.equal(await symlinkStaysInside(root, ["x"]), true);
      assert.equal(await symlinkStaysInside(root, ["y"]), false, "x/.. is the root's parent");
      assert.equal(await symlinkStaysInside(root, ["ok"]), true, "a/b/c/../../b is a/b");
      assert.equal(await symlinkStaysInside(root, ["up"]), true);
      assert.equal(await symlinkStaysInside(root, ["missing"]), true, "missing components are lexical");
      assert.equal(await symlinkStaysInside(root, ["a", "b", "c", "back"]), true, "back is the root itself");
      assert.equal(await symlinkStaysInside(root, ["via"]), false, "back/.. leaves the root");
    },
  );
});

test("refuses absolute targets anywhere in the chain, and loops", async () => {
  await withTree(
    [
      ["abs", "/tmp"],
      ["to-abs", "abs/x"],
      ["l1", "l2"],
      ["l2", "l1"],
    ],
    [],
    async (root) => {
      assert.equal(await symlinkStaysInside(root, ["abs"]), false);
      assert.equal(await symlinkStaysInside(root, ["to-abs"]), false);
      assert.equal(await symlinkStaysInside(root, ["l1"]), false);
    },
  );
});
