/**
 * Four CI jobs on one engine: four copies of the example, four concurrent `slipway test` runs.
 * Unique project names per run mean they never collide; all pass.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, rm, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot, slipway } from "../support.ts";

test("four concurrent runs from four copies of the example all pass", async () => {
  const root = await mkdtemp(path.join(tmpdir(), "slipway-ci-jobs-"));
  try {
    const example = path.join(repoRoot, "examples/todobackend");
    const copies = await Promise.all(
      [1, 2, 3, 4].map(async (i) => {
        const dir = path.join(root, `job-${i}`);
        await cp(example, dir, { recursive: true, filter: (src) => !/(node_modules|\.slipway|reports)$/.test(src) });
        return dir;
      }),
    );
    const runs = copies.map((cwd) => slipway(["test", "--quiet"], { cwd }));
    const codes = await Promise.all(runs.map((r) => r.exit));
    assert.deepEqual(codes, [0, 0, 0, 0], runs.map((r) => r.stdout() + r.stderr()).join("\n---\n"));
    for (const dir of copies) assert.deepEqual((await readdir(path.join(dir, "reports/test"))).sort(), ["integration.xml", "unit.xml"]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
