/** Parity of attached `up`: the attached services' output, the exit code, and what is left. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertSame, failed, KnownList, outputLines as lines, ParityProjects, skipReason } from "./harness.ts";

const known = new KnownList([]);

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
