/**
 * Ctrl-C at the edge: the first SIGINT/SIGTERM aborts the run's signal, so work drains and tears
 * down, then the process exits 130; a second one exits at once.
 */
import { setMaxListeners } from "node:events";
import { ExitCode } from "../errors/index.ts";

export interface Interrupts {
  signal: AbortSignal;
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
      controller.abort(new Error(`interrupted by ${name}`));
    } else {
      process.exit(ExitCode.cancelled);
    }
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
