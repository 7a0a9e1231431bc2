import { test } from "node:test";
import assert from "node:assert/strict";
import { together } from "./together.ts";

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

test("runs the pieces at once and returns their results in order", async () => {
  const started = performance.now();
  const [a, b] = await together(new AbortController().signal, async (s) => (await sleep(50, s), "a"), async (s) => (await sleep(50, s), 2));
  assert.equal(a, "a");
  assert.equal(b, 2);
  assert.ok(performance.now() - started < 95, "not one after the other");
});

test("the first failure aborts the others and is thrown after all have settled", async () => {
  let otherSettled = false;
  let otherAborted = false;
  await assert.rejects(
    together(
      new AbortController().signal,
      async () => {
        await sleep(10);
        throw new Error("build failed");
      },
      async (s) => {
        try {
          await sleep(5_000, s);
        } catch (err) {
          otherAborted = s.aborted;
          await sleep(20);
          otherSettled = true;
          throw err;
        }
      },
    ),
    /build failed/,
  );
  assert.ok(otherAborted, "the other piece saw the abort");
  assert.ok(otherSettled, "and had settled before the failure was thrown");
});

test("the caller's signal reaches every piece", async () => {
  const caller = new AbortController();
  const run = together(caller.signal, (s) => sleep(5_000, s), (s) => sleep(5_000, s));
  setTimeout(() => caller.abort(new Error("Ctrl-C")), 10);
  await assert.rejects(run, /Ctrl-C/);
});
