import type { EventEmitter } from "node:events";

/** Resolves when a writable sink can take more ("drain"), or is gone ("close"). */
export function drained(sink: EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      sink.off("drain", done);
      sink.off("close", done);
      resolve();
    };
    sink.on("drain", done);
    sink.on("close", done);
  });
}
