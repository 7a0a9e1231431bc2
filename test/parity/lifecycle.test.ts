/**
 * Parity of the commands that change the state of a project's containers: create, start, stop,
 * restart, kill, pause, unpause, rm, wait; each step compared on what both tools leave.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertSame, failed, KnownList, ParityProjects, skipReason } from "./harness.ts";

/** Each step and its exit code; `gone`: it leaves no container to compare. */
const STEPS: { args: string[]; code: number; gone?: true }[] = [
  { args: ["create"], code: 0 },
  { args: ["start"], code: 0 },
  { args: ["stop", "web"], code: 0 },
  { args: ["start", "web"], code: 0 },
  { args: ["restart", "db"], code: 0 },
  { args: ["pause", "worker"], code: 0 },
  { args: ["unpause", "worker"], code: 0 },
  { args: ["kill", "worker"], code: 0 },
  { args: ["rm", "-f", "worker"], code: 0 },
  { args: ["stop"], code: 0 },
  { args: ["rm", "-f"], code: 0, gone: true },
];

const known = new KnownList([]);

describe("lifecycle commands", { skip: skipReason }, () => {
  test("create, start, stop, start, restart, pause, unpause, kill, rm, stop, rm -f: the same codes and containers after each", async () => {
    await using p = await ParityProjects.open("app", "lifecycle");
    for (const step of STEPS) {
      const what = step.args.join(" ");
      const r = await p.both(step.args);
      assert.deepEqual([r.docker.code, r.slipway.code], [step.code, step.code], `${what}\n${failed(r)}`);
      assertSame(await p.state(), known, what);
      known.assertSeen(what);
    }
  });

  test("wait: the exit code of the service's container; nothing running to wait for: both refuse", async () => {
    await using p = await ParityProjects.open("app", "wait");
    const up = await p.both(["up", "-d", "countdown"]);
    assert.deepEqual([up.docker.code, up.slipway.code], [0, 0], failed(up));
    const wait = await p.both(["wait", "countdown"]);
    assert.deepEqual([wait.docker.code, wait.slipway.code], [4, 4], failed(wait));
    const none = await p.both(["wait", "countdown"]);
    assert.deepEqual({ docker: none.docker.code, slipway: none.slipway.code }, { docker: 1, slipway: 2 }, failed(none));
  });
});
