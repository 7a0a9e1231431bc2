import { test } from "node:test";
import assert from "node:assert/strict";
import { runDag } from "./dag.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("runs in dependency order, independent nodes in parallel", async () => {
  const log: string[] = [];
  let concurrent = 0;
  let peak = 0;
  await runDag(
    [
      { id: "a", deps: [] },
      { id: "b", deps: [] },
      { id: "c", deps: ["a", "b"] },
      { id: "d", deps: ["c"] },
    ],
    async (n) => {
      concurrent++;
      peak = Math.max(peak, concurrent);
      log.push(`start ${n.id}`);
      await tick(5);
      log.push(`end ${n.id}`);
      concurrent--;
    },
    new AbortController().signal,
  );
  assert.equal(peak, 2);
  assert.ok(log.indexOf("start c") > log.indexOf("end a"));
  assert.ok(log.indexOf("start c") > log.indexOf("end b"));
  assert.ok(log.indexOf("start d") > log.indexOf("end c"));
});

test("fails fast: nothing new starts after a failure, in-flight work is aborted", async () => {
  const started: string[] = [];
  let abortedSeen = false;
  await assert.rejects(
    runDag(
      [
        { id: "fail", deps: [] },
        { id: "slow", deps: [] },
        { id: "after", deps: ["fail"] },
      ],
      async (n, signal) => {
        started.push(n.id);
        if (n.id === "fail") throw new Error("boom");
        if (n.id === "slow") {
          await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
          abortedSeen = signal.aborted;
        }
      },
      new AbortController().signal,
    ),
    /boom/,
  );
  assert.ok(!started.includes("after"));
  assert.ok(abortedSeen);
});

test("respects a concurrency limit", async () => {
  let concurrent = 0;
  let peak = 0;
  await runDag(
    Array.from({ length: 10 }, (_, i) => ({ id: String(i), deps: [] })),
    async () => {
      concurrent++;
      peak = Math.max(peak, concurrent);
      await tick(2);
      concurrent--;
    },
    new AbortController().signal,
    3,
  );
  assert.equal(peak, 3);
});

test("an aborted signal stops the run with a cancellation", async () => {
  const controller = new AbortController();
  const p = runDag(
    [
      { id: "a", deps: [] },
      { id: "b", deps: ["a"] },
    ],
    async (n, signal) => {
      if (n.id === "a") {
        controller.abort();
        await tick(1);
        void signal;
      } else assert.fail("b must not run");
    },
    controller.signal,
  );
  await assert.rejects(p, /Cancelled/);
});

test("deps outside the node set are ignored; cycles are reported", async () => {
  await runDag([{ id: "a", deps: ["elsewhere"] }], async () => {}, new AbortController().signal);
  await assert.rejects(
    runDag([{ id: "a", deps: ["b"] }, { id: "b", deps: ["a"] }], async () => {}, new AbortController().signal),
    /cycle/,
  );
});
