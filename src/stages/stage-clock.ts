/**
 * A stage's own clock: its timeout aborts the stage's work (not the run), and is told apart from
 * Ctrl-C, which aborts the run's signal. `stop()` when the work is over (evidence and teardown have
 * clocks of their own); disposal stops it too.
 */
import { setMaxListeners } from "node:events";
import type { RunContext } from "../run/context.ts";

export class StageClock implements Disposable {
  /** The run's context with the stage's signal: aborted by Ctrl-C or by the stage's timeout. */
  readonly ctx: RunContext;
  readonly #timeout = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #run: AbortSignal;

  constructor(ctx: RunContext, timeoutMs: number) {
    this.#run = ctx.signal;
    this.#timer = setTimeout(() => this.#timeout.abort(), timeoutMs);
    const signal = AbortSignal.any([ctx.signal, this.#timeout.signal]);
    setMaxListeners(0, signal);
    this.ctx = { ...ctx, signal };
  }

  get signal(): AbortSignal {
    return this.ctx.signal;
  }

  /** The stage ran out of time (and the run itself was not cancelled). */
  get expired(): boolean {
    return this.#timeout.signal.aborted && !this.#run.aborted;
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  [Symbol.dispose](): void {
    this.stop();
  }
}
