/** Parity of `up -d` and `down`: exit codes, and what each tool leaves on the engine. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertDocumented, assertSame, IGNORED, KnownList, ParityProjects, skipReason } from "./harness.ts";

const known = new KnownList([]);

const ids = (s: { containers: Record<string, unknown> }) => Object.keys(s.containers).sort();

describe("up -d and down", { skip: skipReason }, () => {

  test("what the harness leaves out as differing by nature is explained in docs/compose-differences.md", () => {
    assertDocumented([IGNORED.version!.reason, IGNORED.configHash!.reason, IGNORED.slipwayLabels!.reason]);
  });

  test("up -d, up -d again, down, down -v: the same codes, containers, networks and volumes", async () => {
    await using p = await ParityProjects.open("app", "up");
    const up = await p.both(["up", "-d"]);
    assert.deepEqual([up.docker.code, up.slipway.code], [0, 0], `${up.docker.stderr}\n${up.slipway.stderr}`);
    const first = await p.state();
    assertSame(first, known, "up -d");
    assert.deepEqual(ids(first.slipway), ["<project>-db-1", "<project>-migrate-1", "<project>-web-1", "<project>-worker-1", "<project>-worker-2"]);

    // Nothing changed: both keep every container (same engine IDs), and say so with exit 0.
    const before = await p.containerIds();
    const again = await p.both(["up", "-d"]);
    assert.deepEqual([again.docker.code, again.slipway.code], [0, 0], `${again.docker.stderr}\n${again.slipway.stderr}`);
    assertSame(await p.state(), known, "up -d again");
    assert.deepEqual(await p.containerIds(), before, "a second up -d recreated containers");

    const down = await p.both(["down"]);
    assert.deepEqual([down.docker.code, down.slipway.code], [0, 0], `${down.docker.stderr}\n${down.slipway.stderr}`);
    const afterDown = await p.state();
    assertSame(afterDown, known, "down");
    assert.deepEqual([Object.keys(afterDown.slipway.containers), Object.keys(afterDown.slipway.networks), Object.keys(afterDown.slipway.volumes)], [[], [], ["<project>_data"]]);

    const downV = await p.both(["down", "-v"]);
    assert.deepEqual([downV.docker.code, downV.slipway.code], [0, 0], `${downV.docker.stderr}\n${downV.slipway.stderr}`);
    const empty = await p.state();
    assertSame(empty, known, "down -v");
    assert.deepEqual(empty.slipway, { containers: {}, networks: {}, volumes: {} });
    known.assertSeen("up -d", "up -d again", "down", "down -v");
  });

  test("up -d when a one-shot dependency fails: both fail (compose 1, Slipway 7) and leave the same containers", async () => {
    await using p = await ParityProjects.open("broken-dependency", "broken");
    const up = await p.both(["up", "-d"]);
    assert.deepEqual({ docker: up.docker.code, slipway: up.slipway.code }, { docker: 1, slipway: 7 }, `${up.docker.stderr}\n${up.slipway.stderr}`);
    assertSame(await p.state(), known, "broken dependency");
    known.assertSeen("broken dependency");
  });
});
