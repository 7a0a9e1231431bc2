/**
 * Slipway's `--json` events as a benchmark reads them: parsed from a run's stdout, the verdict checked,
 * and every time placed on the run's clock (ms since the process was spawned).
 */
import type { ProcessResult } from "./process-run.ts";
import { tail } from "./process-run.ts";

/** The fields of Slipway's events the benchmarks read (times in ms since the epoch). */
export interface SlipwayEvent {
  type: string;
  time: number;
  step?: string;
  stage?: string;
  service?: string;
  note?: string;
  project?: string;
  kind?: string;
  exitCode?: number;
  message?: string;
}

export interface StepSpan {
  step: string;
  startMs: number;
  endMs: number;
}

export class SlipwayRun {
  readonly events: SlipwayEvent[] = [];

  constructor(readonly result: ProcessResult) {
    for (const line of result.lines) {
      if (line.stream !== "stdout" || !line.text.startsWith("{")) continue;
      try {
        this.events.push(JSON.parse(line.text) as SlipwayEvent);
      } catch {
        // Not an event line.
      }
    }
  }

  /** Throws unless the run exited 0 with a passing verdict: a fast failure is not a result. */
  assertPassed(peer: string): void {
    const verdict = this.events.findLast((e) => e.type === "verdict");
    if (this.result.exitCode !== 0 || verdict?.kind !== "passed") {
      throw new Error(`${peer}: exit ${this.result.exitCode}, verdict ${verdict?.kind ?? "none"}: ${verdict?.message ?? ""}\n${tail(this.result)}`);
    }
  }

  /** ms since spawn of an event; NaN for a missing one, which phase lists leave out. */
  rel(e: SlipwayEvent | undefined): number {
    return e ? e.time - this.result.spawnedAt : Number.NaN;
  }

  first(pred: (e: SlipwayEvent) => boolean): SlipwayEvent | undefined {
    return this.events.find(pred);
  }

  last(pred: (e: SlipwayEvent) => boolean): SlipwayEvent | undefined {
    return this.events.findLast(pred);
  }

  /** Every step with its start and end, ms since spawn, in the order they ended. */
  steps(): StepSpan[] {
    const starts = new Map<string, number>();
    const spans: StepSpan[] = [];
    for (const e of this.events) {
      if (e.type === "step.start" && e.step) starts.set(e.step, this.rel(e));
      if (e.type === "step.end" && e.step) spans.push({ step: e.step, startMs: starts.get(e.step) ?? Number.NaN, endMs: this.rel(e) });
    }
    return spans;
  }
}
