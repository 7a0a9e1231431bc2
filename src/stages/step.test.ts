import { test } from "node:test";
import assert from "node:assert/strict";
import { EventBus, type SlipwayEvent } from "../events/index.ts";
import type { RunContext } from "../run/context.ts";
import { runStage, type Stage } from "./step.ts";

// runStage uses only events and the clock of the context.
function context(): { ctx: RunContext; seen: SlipwayEvent[] } {
  const events = new EventBus(() => 0);
  const seen: SlipwayEvent[] = [];
  events.on((e) => seen.push(e));
  return { ctx: { events, clock: { now: () => 0 } } as unknown as RunContext, seen };
}

const stage = (state: "needed" | "unchanged", run: () => Promise<string>): Stage<void, string> => ({
  name: "build app",
  status: async () => (state === "unchanged" ? { state, reason: "same context", result: "old" } : { state, reason: "new" }),
  run,
});

test("unchanged: run is skipped, the earlier result reused, the reason reported", async () => {
  const { ctx, seen } = context();
  let ran = false;
  const out = await runStage(ctx, stage("unchanged", async () => ((ran = true), "new")), undefined);
  assert.deepEqual(out, { result: "old", skipped: true });
  assert.equal(ran, false);
  assert.deepEqual(seen.at(-1), { type: "step.end", step: "build app", ok: true, durationMs: 0, note: "unchanged: same context", time: 0 });
});

test("needed: it runs; a failure is reported and rethrown", async () => {
  const { ctx, seen } = context();
  assert.deepEqual(await runStage(ctx, stage("needed", async () => "new"), undefined), { result: "new", skipped: false });
  await assert.rejects(runStage(ctx, stage("needed", async () => Promise.reject(new Error("boom\nmore"))), undefined), /boom/);
  assert.equal((seen.at(-1) as { error?: string }).error, "boom");
});
