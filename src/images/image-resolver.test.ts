import { test } from "node:test";
import assert from "node:assert/strict";
import { pullInterval } from "./image-resolver.ts";

test("pullInterval: daily, weekly and every_<duration>; undefined for the other policies and for nonsense", () => {
  assert.equal(pullInterval("daily"), 86_400_000);
  assert.equal(pullInterval("weekly"), 7 * 86_400_000);
  assert.equal(pullInterval("every_12h"), 12 * 3_600_000);
  assert.equal(pullInterval("every_1h30m"), 5_400_000);
  assert.equal(pullInterval("every_2d"), 2 * 86_400_000);
  for (const p of ["missing", "always", "every_", "every_5x", "every_3hx"]) assert.equal(pullInterval(p), undefined, p);
});
