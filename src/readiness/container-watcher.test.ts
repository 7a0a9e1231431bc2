import { test } from "node:test";
import assert from "node:assert/strict";
import { RESUBSCRIBE_LIMIT, resubscribeDelayMs, resumeSince } from "./container-watcher.ts";

test("resubscription back-off doubles up to its cap, and the attempts are bounded", () => {
  const delays = Array.from({ length: RESUBSCRIBE_LIMIT }, (_, i) => resubscribeDelayMs(i + 1));
  assert.deepEqual(delays, [200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  assert.deepEqual([1, 2, 3].map((n) => resubscribeDelayMs(n, { limit: 3, initialDelayMs: 1, maxDelayMs: 2 })), [1, 2, 2]);
});

test("a resubscription resumes from the last event seen (engine clock), else from a second before subscribing", () => {
  assert.equal(resumeSince(1_700_000_000_123_456_789, 0), 1_700_000_000.123);
  assert.equal(resumeSince(undefined, 1_700_000_000_500), 1_699_999_999.5);
  // As the Engine API's `since` query value: seconds with a fraction.
  assert.equal(String(resumeSince(1_700_000_000_123_456_789, 0)), "1700000000.123");
});
