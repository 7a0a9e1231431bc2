/**
 * Container output arrives in frames cut wherever the container's writes or the engine's buffers
 * fell, so a line, or a single UTF-8 character, can span frames, and stdout and stderr interleave.
 * Each stream therefore keeps its own decoder and its own partial line.
 */
import { StringDecoder } from "node:string_decoder";
import type { DemuxedFrame, StreamName } from "./demux.ts";

export interface LogLine {
  stream: StreamName;
  /** The line without its terminator ("\n" or "\r\n"). A lone "\r" is kept: it is content. */
  line: string;
}

interface StreamState {
  decoder: StringDecoder;
  pending: string;
  /** When the pending text started, so that end() flushes partial lines in arrival order. */
  since: number;
}

export class LineSplitter {
  readonly #onLine: (line: LogLine) => void;
  readonly #streams = new Map<StreamName, StreamState>();
  #sequence = 0;

  constructor(onLine: (line: LogLine) => void) {
    this.#onLine = onLine;
  }

  push(frame: DemuxedFrame): void {
    const state = this.#state(frame.stream);
    const text = state.decoder.write(frame.data);
    if (text.length === 0) return;
    if (state.pending.length === 0) state.since = this.#sequence++;
    // Only the new text is searched, so a long line that arrives in many pieces stays linear.
    let start = 0;
    let newline = text.indexOf("\n");
    if (newline === -1) {
      state.pending += text;
      return;
    }
    let head = state.pending + text.slice(0, newline);
    state.pending = "";
    for (;;) {
      this.#onLine({ stream: frame.stream, line: head.endsWith("\r") ? head.slice(0, -1) : head });
      start = newline + 1;
      newline = text.indexOf("\n", start);
      if (newline === -1) break;
      head = text.slice(start, newline);
    }
    state.pending = text.slice(start);
    if (state.pending.length > 0) state.since = this.#sequence++;
  }

  /** Emits each stream's unterminated last line, if any. Bytes of an incomplete UTF-8 character become U+FFFD. */
  end(): void {
    const rest = [...this.#streams].map(([stream, state]) => ({ stream, state, text: state.pending + state.decoder.end() }));
    rest.sort((a, b) => a.state.since - b.state.since);
    for (const { stream, state, text } of rest) {
      state.pending = "";
      if (text.length > 0) this.#onLine({ stream, line: text });
    }
  }

  #state(stream: StreamName): StreamState {
    let state = this.#streams.get(stream);
    if (state === undefined) {
      state = { decoder: new StringDecoder("utf8"), pending: "", since: 0 };
      this.#streams.set(stream, state);
    }
    return state;
  }
}

/** Turns demultiplexed frames into lines per stream, for log rendering and log-message readiness checks. */
export async function* splitLines(frames: AsyncIterable<DemuxedFrame>): AsyncGenerator<LogLine, void, undefined> {
  let ready: LogLine[] = [];
  const splitter = new LineSplitter((line) => ready.push(line));
  for await (const frame of frames) {
    splitter.push(frame);
    if (ready.length > 0) {
      const batch = ready;
      ready = [];
      yield* batch;
    }
  }
  splitter.end();
  yield* ready;
}
