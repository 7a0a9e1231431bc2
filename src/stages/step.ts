/**
 * A step: a unit of work inside a stage (building one image, say). It first tells its status —
 * whether its work is needed, and why — so unchanged work (an image build whose context,
 * arguments and bases are the same) is skipped, then runs. A step stopped because the run or a
 * sibling step gave up is reported as cancelled, not as failed.
 */
import type { RunContext } from "../run/context.ts";

export type StepStatus<O> = { state: "needed"; reason: string } | { state: "unchanged"; reason: string; result: O };

export interface Step<I, O> {
  readonly name: string;
  status(ctx: RunContext, input: I): Promise<StepStatus<O>>;
  run(ctx: RunContext, input: I): Promise<O>;
}

/** Status, then run when needed; each step reported as events. */
export async function runStep<I, O>(ctx: RunContext, step: Step<I, O>, input: I): Promise<{ result: O; skipped: boolean }> {
  const started = ctx.clock.now();
  ctx.events.emit({ type: "step.start", step: step.name });
  try {
    const status = await step.status(ctx, input);
    if (status.state === "unchanged") {
      ctx.events.emit({ type: "step.end", step: step.name, ok: true, durationMs: ctx.clock.now() - started, note: `unchanged: ${status.reason}` });
      return { result: status.result, skipped: true };
    }
    const result = await step.run(ctx, input);
    ctx.events.emit({ type: "step.end", step: step.name, ok: true, durationMs: ctx.clock.now() - started });
    return { result, skipped: false };
  } catch (err) {
    if (ctx.signal.aborted) ctx.events.emit({ type: "step.end", step: step.name, ok: false, cancelled: true, durationMs: ctx.clock.now() - started, error: "cancelled" });
    else ctx.events.emit({ type: "step.end", step: step.name, ok: false, durationMs: ctx.clock.now() - started, error: err instanceof Error ? err.message.split("\n")[0]! : String(err) });
    throw err;
  }
}

/** A step whose work is always needed (tagging, pushing): reported like any other. */
export function task<O>(name: string, run: (ctx: RunContext) => Promise<O>): Step<void, O> {
  return { name, status: async () => ({ state: "needed", reason: "" }), run: (ctx) => run(ctx) };
}
