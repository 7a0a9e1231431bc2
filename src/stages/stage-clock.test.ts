import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import type { RunContext } from "../run/context.ts";
import { StageClock } from "./stage-clock.ts";

const context = (signal: AbortSignal) => ({ signal }) as unknown as RunContext;

test("the stage's timeout aborts the stage's signal, not the run's, and says it expired", async () => {
  const run = new AbortController();
  using clock = new StageClock(context(run.signal), 1);
  await once(clock.signal, "abort");
  assert.equal(clock.expired, true);
  assert.equal(run.signal.aborted, false);
});

test("Ctrl-C aborts the stage's signal too, and is not an expiry", () => {
  const run = new AbortController();
  using clock = new StageClock(context(run.signal), 60_000);
  run.abort();
  assert.equal(clock.signal.aborted, true);
  assert.equal(clock.expired, false);
});

test("stopped, it never fires", async () => {
  const run = new AbortController();
  const clock = new StageClock(context(run.signal), 1);
  clock.stop();
  // A timer that fires later than the stopped one would have: the stage's signal stays untouched.
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(clock.signal.aborted, false);
});
