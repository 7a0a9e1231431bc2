/** Parity of attached `up`: the attached services' output, the exit code, and what is left. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertSame, KnownList, ParityProjects, skipReason, type Pair, type ToolResult } from "./harness.ts";

const known = new KnownList([]);
const failed = (r: Pair<ToolResult>) => `docker: ${r.docker.stderr}\nslipway: ${r.slipway.stderr}`;
/** As in logs.test.ts: ANSI erases, prefix padding and the order in which containers' lines interleave aside. */
const lines = (out: string) =>
  out
    .replace(/\u001b\[[0-9;]*[A-Za-z]/g, "")
    .split("\n")
    .filter(Boolean)
    .map((l) => l.replace(/^(\S+) +\| /, "$1 | "))
    .sort();

describe("attached up", { skip: skipReason }, () => {
  test("up SERVICE: its dependencies started, its output attached until it exits, exit 0", async () => {
    await using p = await ParityProjects.open("app", "attached");
    const r = await p.both(["up", "migrate"]);
    assert.deepEqual([r.docker.code, r.slipway.code], [0, 0], failed(r));
    assert.deepEqual(lines(r.slipway.stdout), lines(r.docker.stdout));
    assertSame(await p.state(), known, "up migrate");
    known.assertSeen("up migrate");
  });

  test("up --exit-code-from: that container's code; what it attached stopped", async () => {
    await using p = await ParityProjects.open("app", "exit-code-from");
    const r = await p.both(["up", "--exit-code-from", "countdown", "countdown"]);
    assert.deepEqual([r.docker.code, r.slipway.code], [4, 4], failed(r));
    assert.deepEqual(lines(r.slipway.stdout), lines(r.docker.stdout));
    assertSame(await p.state(), known, "up --exit-code-from");
    known.assertSeen("up --exit-code-from");
  });
});
