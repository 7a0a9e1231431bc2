/**
 * An interactive session with a process in a container, as compose's `run` and `exec` hold one
 * by default (`-i`): the caller's input forwarded on the upgraded connection, its end closing
 * the process's stdin; the output demultiplexed, or raw with a TTY; the TTY kept at the
 * terminal's size. It ends when the engine ends the connection: the process has exited.
 */
import type { Duplex, Readable } from "node:stream";
import { Demuxer, type StreamName } from "../../engine/streams/demux.ts";

export interface InteractiveIo {
  /** Forwarded to the process's stdin; its end closes that stdin. */
  stdin: Readable;
  /** A TTY session's terminal size, now. */
  size?: () => { rows: number; cols: number } | undefined;
  /** Calls `listener` when the terminal's size changes; returns how to stop. */
  onResize?: (listener: () => void) => () => void;
}

export interface SessionOptions {
  tty: boolean;
  onOutput?: (stream: StreamName, data: Buffer) => void;
  /** Sets the process's terminal size (the engine's resize call for the exec or container). */
  resize?: (size: { rows: number; cols: number }) => Promise<void>;
  signal?: AbortSignal;
}

/**
 * Moves input in and output out until the engine ends the connection; `started` resolves once
 * the process runs (a container's start comes after its attach), when the TTY gets its size.
 */
export async function runSession(socket: Duplex, io: InteractiveIo, opts: SessionOptions, started: Promise<void> = Promise.resolve()): Promise<void> {
  const output = opts.onOutput ?? (() => undefined);
  const demuxer = opts.tty ? undefined : new Demuxer((frame) => output(frame.stream, frame.data));
  const forward = (chunk: Buffer) => {
    if (!socket.write(chunk)) {
      io.stdin.pause();
      socket.once("drain", () => io.stdin.resume());
    }
  };
  // End of input: a half-close, so the process sees EOF and its output still comes back.
  const endInput = () => void socket.end();
  const resize = () => {
    const size = io.size?.();
    if (size && opts.resize) void opts.resize(size).catch(() => undefined);
  };
  let stopResizing: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      socket.on("data", (chunk: Buffer) => {
        try {
          if (demuxer) demuxer.push(chunk);
          else output("stdout", chunk);
        } catch (err) {
          reject(err);
        }
      });
      socket.once("end", () => resolve());
      socket.once("close", () => resolve());
      socket.once("error", reject);
      opts.signal?.addEventListener("abort", () => resolve(), { once: true });
      io.stdin.on("data", forward);
      io.stdin.once("end", endInput);
      io.stdin.resume();
      void started.then(() => {
        if (!opts.tty) return;
        resize();
        stopResizing = io.onResize?.(resize);
      }, reject);
    });
    demuxer?.end();
  } finally {
    stopResizing?.();
    io.stdin.off("data", forward);
    io.stdin.off("end", endInput);
    io.stdin.pause();
    socket.destroy();
  }
}
