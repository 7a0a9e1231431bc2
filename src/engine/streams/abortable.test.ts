import { test } from "node:test";
import assert from "node:assert/strict";
import { abortable, throwIfCancelled, untilAborted } from "./abortable.ts";
import { CancelledError } from "../../errors/index.ts";

function counting(values: number[], fail?: Error): { source: AsyncGenerator<number>; state: { closed: boolean } } {
  const state = { closed: false };
  async function* source(): AsyncGenerator<number> {
    try {
      yield* values;
      if (fail !== undefined) throw fail;
    } finally {
      state.closed = true;
    }
  }
  return { source: source(), state };
}

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

test("passes everything through, with or without a signal", async () => {
  assert.deepEqual(await all(abortable(counting([1, 2, 3]).source)), [1, 2, 3]);
  assert.deepEqual(await all(abortable(counting([1, 2, 3]).source, new AbortController().signal)), [1, 2, 3]);
});

test("closes the source when the consumer leaves early", async () => {
  const { source, state } = counting([1, 2, 3]);
  for await (const value of abortable(source, new AbortController().signal)) if (value === 1) break;
  assert.equal(state.closed, true);
});

test("passes the source's error through unchanged", async () => {
  const failure = new Error("boom");
  await assert.rejects(all(abortable(counting([1], failure).source, new AbortController().signal)), (e: unknown) => e === failure);
});

test("carries the abort reason as the cause", async () => {
  const controller = new AbortController();
  controller.abort(new Error("Ctrl-C"));
  const error = await all(abortable(counting([1]).source, controller.signal)).then(
    () => assert.fail("should reject"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof CancelledError);
  assert.equal((error.cause as Error).message, "Ctrl-C");
  assert.throws(() => throwIfCancelled(controller.signal), CancelledError);
  assert.doesNotThrow(() => throwIfCancelled(undefined));
});

test("an already-aborted signal: cancelled at once, and the source is closed without being read", async () => {
  let reads = 0;
  let closed = false;
  const source: AsyncIterable<number> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => (reads++, { done: false, value: 1 }),
      return: async () => ((closed = true), { done: true, value: undefined }),
    }),
  };
  await assert.rejects(all(abortable(source, AbortSignal.abort())), CancelledError);
  assert.equal(reads, 0);
  assert.equal(closed, true, "an HTTP body left open would hold its connection");
});

test("untilAborted: one caller stops waiting on its signal; the shared work and its other waiters go on", async () => {
  let finish!: (v: string) => void;
  const shared = new Promise<string>((resolve) => (finish = resolve));
  const mine = new AbortController();
  const first = untilAborted(shared, mine.signal);
  const second = untilAborted(shared, new AbortController().signal);
  mine.abort();
  await assert.rejects(first, CancelledError);
  finish("done");
  assert.equal(await second, "done");
  await assert.rejects(untilAborted(shared, AbortSignal.abort()), CancelledError);
  assert.equal(await untilAborted(shared, undefined), "done");
});
