/**
 * Every stream follower takes an AbortSignal. Checking the signal between chunks is not enough: a
 * build step can stay silent for minutes, so a pending read has to lose a race against the abort.
 */
import { CancelledError } from "../../errors/index.ts";

/**
 * Yields what `source` yields until `signal` aborts, then throws a CancelledError at once, even
 * while a read is pending. The source is closed (its `return()` called) on abort, on early exit
 * and on a consumer's error; after an abort that call is not awaited, because a read stuck in a
 * stalled HTTP body may never settle.
 */
export async function* abortable<T>(source: AsyncIterable<T>, signal?: AbortSignal): AsyncGenerator<T, void, undefined> {
  if (signal === undefined) {
    yield* source;
    return;
  }
  const iterator = source[Symbol.asyncIterator]();
  if (signal.aborted) {
    // Nothing will read it: close it now, as an abort mid-read does.
    await iterator.return?.();
    throw cancelled(signal);
  }
  let rejectOnAbort: (e: unknown) => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    rejectOnAbort = reject;
  });
  // The race below handles this rejection; this only stops Node from reporting it when no read is pending.
  aborted.catch(() => {});
  const onAbort = (): void => rejectOnAbort(cancelled(signal));
  signal.addEventListener("abort", onAbort, { once: true });
  let exhausted = false;
  let reading = false;
  try {
    for (;;) {
      let result: IteratorResult<T>;
      reading = true;
      try {
        result = await Promise.race([iterator.next(), aborted]);
      } catch (error) {
        // A source that threw is already finished; only an abort leaves it open.
        exhausted = !(error instanceof CancelledError);
        throw error;
      }
      reading = false;
      if (result.done === true) {
        exhausted = true;
        return;
      }
      yield result.value;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    if (!exhausted) {
      // With no read in flight (the consumer left early) the source can be closed properly.
      if (reading) closeQuietly(iterator);
      else await iterator.return?.().catch(() => undefined);
    }
  }
}

function closeQuietly<T>(iterator: AsyncIterator<T>): void {
  try {
    const closing = iterator.return?.();
    if (closing !== undefined) closing.catch(() => {});
  } catch {
    // Closing is best effort: the caller is already leaving with a more useful error.
  }
}

export function cancelled(signal: AbortSignal): CancelledError {
  return new CancelledError("Cancelled", signal.reason);
}

/**
 * `promise`, or a CancelledError as soon as `signal` aborts — for work shared by several callers:
 * the work itself goes on for the others, only this caller stops waiting.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(cancelled(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** Throws a CancelledError when `signal` has aborted: for checks between steps. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw cancelled(signal);
}
