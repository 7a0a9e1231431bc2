import { test } from "node:test";
import assert from "node:assert/strict";
import { CancelledError } from "../errors/index.ts";
import { DEFAULT_BACKOFF, backoffDelay, backoffSchedule, parseRetryAfter, withRetries, type Settled } from "./retry.ts";

test("the backoff doubles from 0.25 s, ±20 % at random", () => {
  assert.deepEqual(backoffSchedule(4, () => 0.5), [250, 500, 1000]);
  assert.deepEqual(backoffSchedule(4, () => 0), [200, 400, 800]);
  assert.deepEqual(backoffSchedule(4, () => 0.999999), [300, 600, 1200]);
  assert.deepEqual(backoffSchedule(1), [], "one attempt: no wait");
  assert.equal(backoffDelay(20, () => 0.5), DEFAULT_BACKOFF.maxMs, "capped");
  assert.deepEqual(backoffSchedule(3, () => 0.5, { ...DEFAULT_BACKOFF, baseMs: 10 }), [10, 20]);
});

test("Retry-After: seconds or an HTTP date; unreadable is undefined", () => {
  const now = Date.parse("2026-12-05T12:00:00Z");
  assert.equal(parseRetryAfter("3", now), 3000);
  assert.equal(parseRetryAfter(["7"], now), 7000);
  assert.equal(parseRetryAfter("Sat, 05 Dec 2026 12:00:10 GMT", now), 10_000);
  assert.equal(parseRetryAfter("Sat, 05 Dec 2026 11:00:00 GMT", now), 0, "in the past: at once");
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  assert.equal(parseRetryAfter("", now), undefined);
});

const fast = { baseMs: 1, maxMs: 1000 };
const retryErrors = (o: Settled<unknown>) => (o.ok ? undefined : { reason: "error" });

test("withRetries: tries until the outcome is final, and says how many attempts it took", async () => {
  let n = 0;
  const result = await withRetries({ attempts: 4, backoff: fast }, async () => {
    if (++n < 3) throw new Error(`failure ${n}`);
    return "ok";
  }, retryErrors);
  assert.deepEqual(result, { value: "ok", attempts: 3 });
});

test("withRetries: the attempts spent, the last outcome is returned or thrown as it is", async () => {
  let n = 0;
  await assert.rejects(
    withRetries({ attempts: 3, backoff: fast }, async () => {
      throw new Error(`failure ${++n}`);
    }, retryErrors),
    /failure 3/,
  );
  assert.equal(n, 3);
  const statuses = [503, 503, 503];
  const last = await withRetries({ attempts: 3, backoff: fast }, async () => statuses.shift()!, (o) => (o.ok && o.value >= 500 ? { reason: "5xx" } : undefined));
  assert.deepEqual(last, { value: 503, attempts: 3 });
});

test("withRetries: an outcome without advice is final at once", async () => {
  let n = 0;
  await assert.rejects(withRetries({ attempts: 4, backoff: fast }, async () => {
    n++;
    throw new Error("a 4xx");
  }, () => undefined), /a 4xx/);
  assert.equal(n, 1);
});

test("withRetries: waits the backoff, or longer when the server asks for it", async () => {
  const waits: number[] = [];
  let n = 0;
  await withRetries(
    { attempts: 3, backoff: { baseMs: 2, maxMs: 1000 }, random: () => 0.5, onRetry: (r) => waits.push(r.waitMs) },
    async () => ++n,
    (o) => (o.ok && o.value === 1 ? { reason: "429", retryAfterMs: 30 } : o.ok && o.value === 2 ? { reason: "503" } : undefined),
  );
  assert.deepEqual(waits, [30, 4]);
});

test("withRetries: an aborted signal ends the wait with CancelledError", async () => {
  const controller = new AbortController();
  let n = 0;
  const running = withRetries({ attempts: 5, backoff: { baseMs: 60_000, maxMs: 60_000 }, signal: controller.signal }, async () => {
    n++;
    throw new Error("dropped");
  }, retryErrors);
  setImmediate(() => controller.abort());
  await assert.rejects(running, CancelledError);
  assert.equal(n, 1);
});
