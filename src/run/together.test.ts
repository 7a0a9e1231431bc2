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
  // Order, not speed: run one after the other, a piece would finish before the next one started.
  const log: string[] = [];
  const piece = <T>(name: string, value: T) => async (s: AbortSignal) => {
    log.push(`${name} started`);
    await sleep(10, s);
    log.push(`${name} finished`);
    return value;
  };
  const [a, b] = await together(new AbortController().signal, piece("a", "a"), piece("b", 2));
  assert.equal(a, "a");
  assert.equal(b, 2);
  assert.deepEqual(log.slice(0, 2).sort(), ["a started", "b started"], `both started before either finished: ${log.join(", ")}`);
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
