/**
 * Independent pieces of one step, run at once: all succeed, or the first failure aborts the others
 * (through the signal each receives) and is thrown once every piece has settled — so nothing is
 * still running, half-done, when the caller's cleanup begins.
 */
import { setMaxListeners } from "node:events";

type Tasks<T extends readonly unknown[]> = { [K in keyof T]: (signal: AbortSignal) => Promise<T[K]> };

export async function together<T extends readonly unknown[]>(signal: AbortSignal, ...tasks: Tasks<T>): Promise<T> {
  const controller = new AbortController();
  const combined = AbortSignal.any([signal, controller.signal]);
  setMaxListeners(0, combined);
  let failure: { error: unknown } | undefined;
  const settled = await Promise.allSettled(
    tasks.map((task) =>
      (async () => {
        combined.throwIfAborted();
        return task(combined);
      })().catch((error: unknown) => {
          if (!failure) {
            failure = { error };
            controller.abort();
          }
          throw error;
        }),
    ),
  );
  if (failure) throw failure.error;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
