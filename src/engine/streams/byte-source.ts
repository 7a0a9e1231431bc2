/**
 * A request body that is written into buffers the engine client owns, instead of handed over as
 * fresh ones: a build context of 2 GB is then sent through two 1 MiB buffers, and memory does not
 * grow with its size. (Sent as a stream of fresh buffers, it is garbage V8 collects only every
 * 32–40 MB: the process's memory grew by that much.)
 */

/** Bytes produced on demand into a caller's buffer (a "bring your own buffer" read). */
export interface ByteSource {
  /**
   * Fills `into` from its start with the next bytes and resolves with how many: `into.length`
   * unless the source ends first, 0 once it has ended. Never called again before it resolves;
   * the source must not keep `into` after that.
   */
  read(into: Buffer): Promise<number>;
  /** Releases what the source holds (open files); called by whoever made the source, read to its end or not. */
  close(): Promise<void>;
}

export function isByteSource(value: unknown): value is ByteSource {
  return typeof value === "object" && value !== null && typeof (value as ByteSource).read === "function" && typeof (value as ByteSource).close === "function";
}

/**
 * The source as a request body for undici, in two buffers of `chunkSize` that are filled in turn:
 * the next is filled while one is sent. A buffer is filled again only after undici asked for the
 * chunk after it, which it does once the socket has drained (client-h1's writeIterable waits for
 * `drain` whenever a write returns false, and a write of a chunk larger than the socket's
 * high-water mark always does): by then its bytes are in the kernel. test: byte-source.test.ts
 * sends through a reader slower than the sender and checks every byte, so an undici that asked
 * sooner would fail it.
 */
export async function* borrowedChunks(source: ByteSource, chunkSize = 1024 * 1024): AsyncGenerator<Buffer> {
  const buffers = [Buffer.allocUnsafeSlow(chunkSize), Buffer.allocUnsafeSlow(chunkSize)];
  let turn = 0;
  let filled = await source.read(buffers[0]!);
  while (filled > 0) {
    const current = buffers[turn]!;
    turn = 1 - turn;
    // Filled while `current` is on its way; awaited once undici asks for more.
    const next = filled === chunkSize ? source.read(buffers[turn]!) : Promise.resolve(0);
    next.catch(() => undefined); // awaited below, or abandoned when the request stopped
    yield filled === chunkSize ? current : current.subarray(0, filled);
    filled = await next;
  }
}

/** The source as chunks of fresh buffers, which the reader may keep: for readers other than the engine client. */
export async function* ownedChunks(source: ByteSource, chunkSize = 64 * 1024): AsyncGenerator<Buffer> {
  for (;;) {
    const chunk = Buffer.allocUnsafe(chunkSize);
    const filled = await source.read(chunk);
    if (filled === 0) return;
    yield chunk.subarray(0, filled);
  }
}
