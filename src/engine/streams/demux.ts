/**
 * Docker multiplexes a non-TTY container's stdout and stderr into one HTTP body for attach and
 * logs: each frame is an 8-byte header [stream type, 0, 0, 0, uint32 BE payload size] followed by
 * the payload (Engine API, "ContainerAttach"; moby's pkg/stdcopy writes it).
 *
 * We parse it ourselves because docker-modem's demuxer re-copies its whole pending buffer for every
 * frame (`Buffer.from(buffer.slice(end))`), which is quadratic: 55 MB of logs took 19.8 s there
 * against 146 ms for a linear parser. Here every input byte is looked at once and copied at most
 * once: a payload that lies inside one chunk is handed out as a view of that chunk, and only a
 * payload split across chunks is assembled, with a single copy, when its last byte arrives.
 */
import { InternalError, SlipwayError } from "../../errors/index.ts";
import { abortable } from "./abortable.ts";

export type StreamName = "stdin" | "stdout" | "stderr";

export interface DemuxedFrame {
  stream: StreamName;
  /**
   * The frame's payload. It may be a view into a chunk passed to `push`, so it is only valid as
   * long as the producer does not reuse that chunk's memory (Node's sockets and undici never do).
   */
  data: Buffer;
}

/** The multiplexed stream is broken or reported a daemon-side failure. */
export class DemuxError extends SlipwayError {}

const HEADER_SIZE = 8;
const STREAM_NAMES: readonly StreamName[] = ["stdin", "stdout", "stderr"];
/**
 * moby's stdcopy.Systemerr: the daemon failed while streaming and put the error text in the
 * payload (moby pkg/stdcopy). The reference client turns it into an error, and so do we.
 */
const SYSTEM_ERROR = 3;

const TTY_HINT =
  "A container started with a TTY (Config.Tty) sends raw output, not multiplexed frames: read its attach or logs body as is.";

/**
 * Push-style demuxer: feed it chunks as they arrive, get whole frames through `onFrame`.
 * After it throws once it stays failed, since the framing can no longer be trusted.
 */
export class Demuxer {
  readonly #onFrame: (frame: DemuxedFrame) => void;
  readonly #header = Buffer.alloc(HEADER_SIZE);
  #headerFill = 0;
  /** Stream type of the frame being assembled, or -1 while reading a header. */
  #type = -1;
  #size = 0;
  #remaining = 0;
  #parts: Buffer[] = [];
  /** Bytes consumed so far: positions in errors help tell a TTY stream from a cut connection. */
  #offset = 0;
  #failure: DemuxError | undefined;
  #ended = false;

  constructor(onFrame: (frame: DemuxedFrame) => void) {
    this.#onFrame = onFrame;
  }

  push(chunk: Uint8Array): void {
    this.#assertUsable();
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let at = 0;
    while (at < buffer.length) {
      at = this.#type === -1 ? this.#readHeader(buffer, at) : this.#readPayload(buffer, at);
    }
  }

  /**
   * Declares the end of input. A stream cut inside a header or a payload throws DEMUX_TRUNCATED
   * and the partial frame is dropped: the engine only closes a body between frames, so a cut
   * frame means the connection failed, and half a log line presented as whole would mislead.
   */
  end(): void {
    this.#assertUsable();
    this.#ended = true;
    if (this.#type !== -1) {
      const received = this.#size - this.#remaining;
      this.#fail(
        `The container output stream ended in the middle of a ${this.#streamLabel()} frame ` +
          `(${received} of ${this.#size} bytes received).`,
        "DEMUX_TRUNCATED",
        { stream: this.#streamLabel(), expected: this.#size, received, offset: this.#offset },
        "The connection to the engine was cut; retry, and check the engine's health if it happens again.",
      );
    }
    if (this.#headerFill !== 0) {
      this.#fail(
        `The container output stream ended in the middle of a frame header (${this.#headerFill} of ${HEADER_SIZE} bytes received).`,
        "DEMUX_TRUNCATED",
        { received: this.#headerFill, offset: this.#offset },
        "The connection to the engine was cut; retry, and check the engine's health if it happens again.",
      );
    }
  }

  #readHeader(buffer: Buffer, at: number): number {
    if (this.#headerFill === 0 && buffer.length - at >= HEADER_SIZE) {
      this.#startFrame(buffer, at);
      return at + HEADER_SIZE;
    }
    const take = Math.min(HEADER_SIZE - this.#headerFill, buffer.length - at);
    buffer.copy(this.#header, this.#headerFill, at, at + take);
    this.#headerFill += take;
    if (this.#headerFill === HEADER_SIZE) {
      this.#headerFill = 0;
      this.#startFrame(this.#header, 0);
    }
    return at + take;
  }

  #startFrame(header: Buffer, at: number): void {
    const type = header[at] ?? 0;
    // Bytes 1-3 are always zero in a multiplexed stream; anything else is raw (TTY) output or garbage.
    const padded = header[at + 1] === 0 && header[at + 2] === 0 && header[at + 3] === 0;
    if (type > SYSTEM_ERROR || !padded) {
      const bytes = [...header.subarray(at, at + HEADER_SIZE)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
      this.#fail(
        `Malformed frame header in the container output stream at byte ${this.#offset}: [${bytes}] ` +
          `(expected stream type 0, 1 or 2 followed by three zero bytes).`,
        "DEMUX_BAD_HEADER",
        { offset: this.#offset, header: bytes },
        TTY_HINT,
      );
    }
    this.#offset += HEADER_SIZE;
    this.#type = type;
    this.#size = header.readUInt32BE(at + 4);
    this.#remaining = this.#size;
    if (this.#size === 0) this.#finishFrame(Buffer.alloc(0));
  }

  #readPayload(buffer: Buffer, at: number): number {
    const take = Math.min(this.#remaining, buffer.length - at);
    const piece = buffer.subarray(at, at + take);
    this.#remaining -= take;
    this.#offset += take;
    if (this.#remaining > 0) {
      this.#parts.push(piece);
      return at + take;
    }
    let payload = piece;
    if (this.#parts.length > 0) {
      this.#parts.push(piece);
      payload = Buffer.concat(this.#parts, this.#size);
      this.#parts = [];
    }
    this.#finishFrame(payload);
    return at + take;
  }

  #finishFrame(data: Buffer): void {
    if (this.#type === SYSTEM_ERROR) this.#daemonError(data);
    const stream = STREAM_NAMES[this.#type] ?? "stdout";
    this.#type = -1;
    this.#onFrame({ stream, data });
  }

  #daemonError(payload: Buffer): never {
    const text = payload.toString("utf8").trim() || "unknown error";
    return this.#fail(`The engine reported an error while streaming container output: ${text}`, "ENGINE_STREAM_ERROR", {
      offset: this.#offset,
    });
  }

  #streamLabel(): string {
    return this.#type === SYSTEM_ERROR ? "system-error" : (STREAM_NAMES[this.#type] ?? "unknown");
  }

  #assertUsable(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#ended) throw new InternalError("Demuxer used after end()");
  }

  #fail(message: string, code: string, details: Record<string, unknown>, hint?: string): never {
    this.#failure = new DemuxError(message, { code, kind: "engine", details, ...(hint === undefined ? {} : { hint }) });
    throw this.#failure;
  }
}

export interface DemuxOptions {
  signal?: AbortSignal | undefined;
}

/**
 * Pull-style demuxer over an HTTP body (or any chunk source): `for await (const frame of
 * demuxStream(body))`. Leaving the loop early closes the source. Throws DemuxError for a
 * malformed or truncated stream (after the frames that preceded the fault), CancelledError on abort.
 */
export function demuxStream(source: AsyncIterable<Uint8Array>, options: DemuxOptions = {}): AsyncIterableIterator<DemuxedFrame> {
  return new DemuxIterator(abortable(source, options.signal)[Symbol.asyncIterator]());
}

/**
 * Written out rather than as an async generator: a generator pays for a suspension per yielded
 * frame, which halved throughput on log-sized frames (bench/demux-throughput.ts).
 */
class DemuxIterator implements AsyncIterableIterator<DemuxedFrame> {
  readonly #source: AsyncIterator<Uint8Array>;
  readonly #demuxer: Demuxer;
  #ready: DemuxedFrame[] = [];
  #next = 0;
  #finished = false;
  #failure: DemuxError | undefined;

  constructor(source: AsyncIterator<Uint8Array>) {
    this.#source = source;
    this.#demuxer = new Demuxer((frame) => this.#ready.push(frame));
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<DemuxedFrame> {
    return this;
  }

  async next(): Promise<IteratorResult<DemuxedFrame, undefined>> {
    for (;;) {
      const frame = this.#ready[this.#next];
      if (frame !== undefined) {
        this.#next++;
        return { done: false, value: frame };
      }
      if (this.#failure !== undefined) {
        const failure = this.#failure;
        this.#failure = undefined;
        throw failure;
      }
      if (this.#finished) return { done: true, value: undefined };
      this.#ready = [];
      this.#next = 0;
      await this.#pull();
    }
  }

  async return(): Promise<IteratorResult<DemuxedFrame, undefined>> {
    if (!this.#finished) {
      this.#finished = true;
      await this.#source.return?.();
    }
    return { done: true, value: undefined };
  }

  async #pull(): Promise<void> {
    let result: IteratorResult<Uint8Array>;
    try {
      result = await this.#source.next();
    } catch (error) {
      this.#finished = true;
      throw error;
    }
    if (result.done === true) {
      this.#finished = true;
      this.#demuxer.end();
      return;
    }
    try {
      this.#demuxer.push(result.value);
    } catch (error) {
      if (!(error instanceof DemuxError)) throw error;
      // Frames completed before the fault are real output: they are handed out first.
      this.#failure = error;
      this.#finished = true;
      void this.#source.return?.()?.catch(() => {});
    }
  }
}
