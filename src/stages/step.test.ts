import { test } from "node:test";
import assert from "node:assert/strict";
import { EventBus, type SlipwayEvent } from "../events/index.ts";
import type { RunContext } from "../run/context.ts";
import { runStep, type Step } from "./step.ts";

// runStep uses only events and the clock of the context.
function context(signal: AbortSignal = new AbortController().signal): { ctx: RunContext; seen: SlipwayEvent[] } {
  const events = new EventBus(() => 0);
  const seen: SlipwayEvent[] = [];
  events.on((e) => seen.push(e));
  return { ctx: { events, signal, clock: { now: () => 0 } } as unknown as RunContext, seen };
}

const step = (state: "needed" | "unchanged", run: () => Promise<string>): Step<void, string> => ({
  name: "build app",
  status: async () => (state === "unchanged" ? { state, reason: "same context", result: "old" } : { state, reason: "new" }),
  run,
});

test("unchanged: run is skipped, the earlier result reused, the reason reported", async () => {
  const { ctx, seen } = context();
  let ran = false;
  const out = await runStep(ctx, step("unchanged", async () => ((ran = true), "new")), undefined);
  assert.deepEqual(out, { result: "old", skipped: true });
  assert.equal(ran, false);
  assert.deepEqual(seen.at(-1), { type: "step.end", step: "build app", ok: true, durationMs: 0, note: "unchanged: same context", time: 0 });
});

test("needed: it runs; a failure is reported and rethrown", async () => {
  const { ctx, seen } = context();
  assert.deepEqual(await runStep(ctx, step("needed", async () => "new"), undefined), { result: "new", skipped: false });
  await assert.rejects(runStep(ctx, step("needed", async () => Promise.reject(new Error("boom\nmore"))), undefined), /boom/);
  assert.equal((seen.at(-1) as { error?: string }).error, "boom");
});

test("a step stopped by its signal (the run, or a sibling step that failed) is cancelled, not failed", async () => {
  const controller = new AbortController();
  const { ctx, seen } = context(controller.signal);
  await assert.rejects(
    runStep(ctx, step("needed", async () => {
      controller.abort();
      throw new Error("The operation was aborted");
    }), undefined),
  );
  assert.deepEqual(seen.at(-1), { type: "step.end", step: "build app", ok: false, cancelled: true, durationMs: 0, error: "cancelled", time: 0 });
});
