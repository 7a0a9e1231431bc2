/**
 * The log multiplexer of attached `up` and of `logs`: every container's output as lines, each
 * prefixed with the container's name padded as docker compose v2 pads it (`web-1  | `: the longest
 * name plus one, then ` | `), coloured per container in compose's order (cyan, yellow, green,
 * magenta, blue, then their bold variants) when colour is on.
 *
 * It is the hot path of `logs -f`, so it works on bytes: a frame's lines are copied, with their
 * prefix, into one output buffer per stream; nothing is allocated per line except for a line cut
 * across frames, which waits for its end (so that containers' lines never interleave mid-line).
 * The buffers go to stdout/stderr in one write each when full or once the current I/O callbacks
 * are done, and a stream that cannot take more makes every container wait (`drained`).
 */
import type { StreamName } from "../../engine/streams/demux.ts";
import type { ContainerOutput } from "../../compose/runner/logs.ts";

/** compose v2's rainbow (cmd/formatter/colors.go): SGR codes, in the order containers get them. */
export const COMPOSE_COLOURS: readonly string[] = ["36", "33", "32", "35", "34", "36;1", "33;1", "32;1", "35;1", "34;1"];
const RESET = "\u001b[0m";
const NEWLINE = 10;
/** Large enough to carry many lines per write, small enough to stay in cache. */
const BUFFER_SIZE = 64 * 1024;

export interface LogSink {
  write(chunk: Buffer): boolean;
  once(event: "drain" | "close", listener: () => void): unknown;
  removeListener(event: "drain" | "close", listener: () => void): unknown;
}

export interface LogLinesOptions {
  stdout: LogSink;
  stderr: LogSink;
  /** Colour the prefixes (off without a TTY, with NO_COLOR, `--ansi never` or `--no-color`). */
  colour: boolean;
  /** `container  | ` before each line (off with `--no-log-prefix`). */
  prefix: boolean;
  /** Lines a container wrote on stderr go to stderr (attached `up`); otherwise all go to stdout (`logs`, as compose). */
  splitStderr: boolean;
  /** Put the local time of arrival after the prefix (`up --timestamps`; `logs -t` has the engine's instead). */
  timestamps?: boolean;
}

/** compose's prefix width: the longest name, plus one. */
export function prefixWidth(names: Iterable<string>): number {
  let longest = 0;
  for (const name of names) longest = Math.max(longest, name.length);
  return longest + 1;
}

/** The text before each of a container's lines (empty without a prefix). */
export function linePrefix(name: string, width: number, colour: string | undefined): string {
  const text = `${name.padEnd(width)} | `;
  return colour ? `\u001b[${colour}m${text}${RESET}` : text;
}

/** The colour of the `n`th container registered, compose's way (it cycles after ten). */
export function colourFor(n: number): string {
  return COMPOSE_COLOURS[n % COMPOSE_COLOURS.length]!;
}

/** The name compose shows for a container: its name without the project (`demo-web-1` → `web-1`). */
export function displayName(containerName: string, project: string): string {
  return containerName.startsWith(`${project}-`) ? containerName.slice(project.length + 1) : containerName;
}

/** One output stream's buffer: lines are copied in, and it goes out in one write when full or flushed. */
class OutputBuffer {
  readonly #sink: LogSink;
  #buffer = Buffer.allocUnsafe(BUFFER_SIZE);
  #length = 0;
  #waiting: Promise<void> | undefined;

  constructor(sink: LogSink) {
    this.#sink = sink;
  }

  get length(): number {
    return this.#length;
  }

  put(source: Buffer, start: number, end: number): void {
    const size = end - start;
    if (this.#length + size > this.#buffer.length) {
      this.flush();
      if (size > this.#buffer.length) {
        // Larger than a buffer: it goes as is (a copy, since `source` may be a network buffer's view).
        this.#write(Buffer.from(source.subarray(start, end)));
        return;
      }
    }
    source.copy(this.#buffer, this.#length, start, end);
    this.#length += size;
  }

  flush(): void {
    if (this.#length === 0) return;
    let out: Buffer;
    if (this.#length < BUFFER_SIZE / 8) {
      // A few lines (a quiet service): copy them out and keep the big buffer.
      out = Buffer.from(this.#buffer.subarray(0, this.#length));
    } else {
      // The stream keeps what it is given until written: hand the buffer over, take a new one.
      out = this.#buffer.subarray(0, this.#length);
      this.#buffer = Buffer.allocUnsafe(BUFFER_SIZE);
    }
    this.#length = 0;
    this.#write(out);
  }

  #write(chunk: Buffer): void {
    if (!this.#sink.write(chunk) && !this.#waiting) {
      this.#waiting = new Promise((resolve) => {
        const done = () => {
          this.#sink.removeListener("drain", done);
          this.#sink.removeListener("close", done);
          this.#waiting = undefined;
          resolve();
        };
        this.#sink.once("drain", done);
        // A reader that went away never drains: nothing waits for it (the command is being stopped).
        this.#sink.once("close", done);
      });
    }
  }

  /** A promise while the stream has more than it wants. */
  drained(): Promise<void> | undefined {
    return this.#waiting;
  }
}

/** A line cut across frames: its pieces, kept (copied) until its end arrives. */
interface Pending {
  parts: Buffer[];
}

/** One container's receiver: its prefix, and per stream the part of a line still waiting for its end. */
class ContainerLines implements ContainerOutput {
  readonly name: string;
  readonly colour: string | undefined;
  prefix: Buffer = Buffer.alloc(0);
  readonly #mux: LogLines;
  #pendingOut: Pending | undefined;
  #pendingErr: Pending | undefined;

  constructor(mux: LogLines, name: string, colour: string | undefined) {
    this.#mux = mux;
    this.name = name;
    this.colour = colour;
  }

  write(stream: StreamName, data: Buffer): void {
    const err = stream === "stderr";
    const pending = err ? this.#pendingErr : this.#pendingOut;
    const rest = this.#mux.lines(this, err, data, pending);
    if (err) this.#pendingErr = rest;
    else this.#pendingOut = rest;
  }

  drained(): Promise<void> | undefined {
    return this.#mux.drained();
  }

  /** An unterminated last line is still a line (compose prints it too). */
  end(): void {
    for (const err of [false, true]) {
      const pending = err ? this.#pendingErr : this.#pendingOut;
      if (!pending) continue;
      this.#mux.lines(this, err, Buffer.from("\n"), pending);
    }
    this.#pendingOut = undefined;
    this.#pendingErr = undefined;
    this.#mux.schedule();
  }
}

export class LogLines {
  readonly #opts: LogLinesOptions;
  readonly #out: OutputBuffer;
  readonly #err: OutputBuffer;
  readonly #containers = new Map<string, ContainerLines>();
  readonly #names = new Set<string>();
  #width = 0;
  #scheduled = false;
  #muted = false;

  constructor(opts: LogLinesOptions) {
    this.#opts = opts;
    this.#out = new OutputBuffer(opts.stdout);
    this.#err = new OutputBuffer(opts.stderr);
  }

  /** Names to align to before any of them has output (compose pads to every attached container). */
  align(names: Iterable<string>): void {
    let changed = false;
    for (const name of names) {
      if (this.#names.has(name)) continue;
      this.#names.add(name);
      changed = true;
    }
    if (changed) this.#rebuildPrefixes();
  }

  /** The receiver of a container's output, under the name shown in its prefix. */
  container(name: string): ContainerOutput {
    let c = this.#containers.get(name);
    if (!c) {
      c = new ContainerLines(this, name, this.#opts.colour ? colourFor(this.#containers.size) : undefined);
      this.#containers.set(name, c);
      this.#names.add(name);
      this.#rebuildPrefixes();
    }
    return c;
  }

  /** A line about a container, in its colour (`web-1 exited with code 0`), after its output so far. */
  status(name: string, message: string): void {
    const colour = this.#containers.get(name)?.colour;
    this.line(colour ? `\u001b[${colour}m${name} ${message}${RESET}` : `${name} ${message}`);
  }

  /** A line of our own on stdout, in order with the containers' lines (`Attaching to …`). */
  line(text: string): void {
    const bytes = Buffer.from(`${text}\n`);
    this.#out.put(bytes, 0, bytes.length);
    this.schedule();
  }

  /** Drops every line from now on (compose prints nothing more once it stops the containers). */
  mute(): void {
    this.#muted = true;
  }

  /** Writes what is buffered now. */
  flush(): void {
    this.#scheduled = false;
    this.#out.flush();
    this.#err.flush();
  }

  /** A promise while stdout or stderr is full. */
  drained(): Promise<void> | undefined {
    return this.#out.drained() ?? this.#err.drained();
  }

  /** Writes what is buffered, then waits until the streams have taken it. */
  async close(): Promise<void> {
    this.flush();
    for (;;) {
      const full = this.drained();
      if (!full) return;
      await full;
    }
  }

  /** Flushes once the I/O callbacks of this turn are done: many containers' lines go in one write. */
  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      if (this.#scheduled) this.flush();
    });
  }

  /**
   * Copies the whole lines of `data` into the stream's buffer, each after `c`'s prefix; returns
   * the unterminated rest, kept as a copy, joined to `pending` (the part that came before).
   */
  lines(c: ContainerLines, err: boolean, data: Buffer, pending: Pending | undefined): Pending | undefined {
    if (this.#muted) return undefined;
    const out = err && this.#opts.splitStderr ? this.#err : this.#out;
    let start = 0;
    let newline = data.indexOf(NEWLINE);
    if (newline === -1) {
      if (data.length === 0) return pending;
      const kept = Buffer.from(data);
      if (pending) pending.parts.push(kept);
      return pending ?? { parts: [kept] };
    }
    const prefix = c.prefix;
    const stamp = this.#opts.timestamps;
    while (newline !== -1) {
      out.put(prefix, 0, prefix.length);
      if (stamp) {
        const time = Buffer.from(`${new Date().toISOString()} `);
        out.put(time, 0, time.length);
      }
      if (pending) {
        for (const part of pending.parts) out.put(part, 0, part.length);
        pending = undefined;
      }
      out.put(data, start, newline + 1);
      start = newline + 1;
      newline = data.indexOf(NEWLINE, start);
    }
    if (out.length > 0) this.schedule();
    return start < data.length ? { parts: [Buffer.from(data.subarray(start))] } : undefined;
  }

  #rebuildPrefixes(): void {
    this.#width = prefixWidth(this.#names);
    for (const c of this.#containers.values()) {
      c.prefix = this.#opts.prefix ? Buffer.from(linePrefix(c.name, this.#width, c.colour)) : Buffer.alloc(0);
    }
  }
}
