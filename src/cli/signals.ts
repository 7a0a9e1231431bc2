/**
 * Ctrl-C at the edge: the first SIGINT/SIGTERM aborts the run's signal, so work drains and tears
 * down, then the process exits 130; a second one exits at once, unless the command claimed it
 * (`Interrupted.onSecond`).
 */
import { setMaxListeners } from "node:events";
import { ExitCode } from "../errors/index.ts";

/**
 * The reason the first interrupt aborts the run's signal with. A command with its own use for a
 * second interrupt (compose's attached `up` kills what it is stopping, as docker compose does)
 * claims it with `onSecond`; otherwise the second one exits at once.
 */
export class Interrupted extends Error {
  #second: (() => void) | undefined;

  /** Makes the second interrupt call `handler` instead of exiting; a third one still exits at once. */
  onSecond(handler: () => void): void {
    this.#second = handler;
  }

  takeSecond(): (() => void) | undefined {
    const second = this.#second;
    this.#second = undefined;
    return second;
  }
}

export interface Interrupts {
  signal: AbortSignal;
  /** Stops the run as an interrupt does (its work drains and tears down), without a signal: the reader of stdout went away. */
  abort(reason: Error): void;
  /** Call when the run is over, to stop listening. */
  dispose(): void;
}

export function handleInterrupts(onFirst?: (signalName: string) => void): Interrupts {
  const controller = new AbortController();
  // Every in-flight request of the run listens on it: many at once is normal, not a leak.
  setMaxListeners(0, controller.signal);
  let count = 0;
  const handler = (name: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      onFirst?.(name);
      controller.abort(new Interrupted(`interrupted by ${name}`));
    } else {
      const reason: unknown = controller.signal.reason;
      const second = count === 2 && reason instanceof Interrupted ? reason.takeSecond() : undefined;
      if (second) second();
      else process.exit(ExitCode.cancelled);
    }
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: controller.signal,
    abort(reason) {
      count = Math.max(count, 1);
      if (!controller.signal.aborted) controller.abort(reason);
    },
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
