/**
 * The stage contract. A stage first tells its status — whether its work is needed, and why — so
 * unchanged work (an image build whose context, arguments and bases are the same) is skipped,
 * then runs. A test stage is never "unchanged": tests always run.
 */
import type { RunContext } from "../run/context.ts";

export type StageStatus<O> = { state: "needed"; reason: string } | { state: "unchanged"; reason: string; result: O };

export interface Stage<I, O> {
  readonly name: string;
  status(ctx: RunContext, input: I): Promise<StageStatus<O>>;
  run(ctx: RunContext, input: I): Promise<O>;
}

/** Status, then run when needed; each step reported as events. */
export async function runStage<I, O>(ctx: RunContext, stage: Stage<I, O>, input: I): Promise<{ result: O; skipped: boolean }> {
  const started = ctx.clock.now();
  ctx.events.emit({ type: "step.start", step: stage.name });
  try {
    const status = await stage.status(ctx, input);
    if (status.state === "unchanged") {
      ctx.events.emit({ type: "step.end", step: stage.name, ok: true, durationMs: ctx.clock.now() - started, note: `unchanged: ${status.reason}` });
      return { result: status.result, skipped: true };
    }
    const result = await stage.run(ctx, input);
    ctx.events.emit({ type: "step.end", step: stage.name, ok: true, durationMs: ctx.clock.now() - started });
    return { result, skipped: false };
  } catch (err) {
    ctx.events.emit({ type: "step.end", step: stage.name, ok: false, durationMs: ctx.clock.now() - started, error: err instanceof Error ? err.message.split("\n")[0]! : String(err) });
    throw err;
  }
}
