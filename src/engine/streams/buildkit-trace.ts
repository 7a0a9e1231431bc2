/**
 * BuildKit's progress, as `POST /build?version=2` streams it: `{"id":"moby.buildkit.trace",
 * "aux":"<base64>"}` messages, each a protobuf `moby.buildkit.v1.StatusResponse`
 * (buildkit api/services/control/control.proto). We decode the three fields progress needs by
 * hand (a few varints and length-delimited fields; a protobuf library would be the larger part of
 * the bundle for this) and turn them into the plain lines `docker build --progress=plain` prints,
 * so every renderer shows a BuildKit build as it shows a classic one: line by line.
 *
 *   StatusResponse { repeated Vertex vertexes = 1; repeated VertexStatus statuses = 2;
 *                    repeated VertexLog logs = 3; … }
 *   Vertex         { string digest = 1; repeated string inputs = 2; string name = 3; bool cached = 4;
 *                    Timestamp started = 5; Timestamp completed = 6; string error = 7; … }
 *   VertexLog      { string vertex = 1; Timestamp timestamp = 2; int64 stream = 3; bytes msg = 4; }
 *   Timestamp      { int64 seconds = 1; int32 nanos = 2; }
 */

import { ProtoReader as Reader } from "./protobuf.ts";

export interface TraceVertex {
  digest: string;
  name: string;
  cached: boolean;
  /** Milliseconds since the epoch. */
  started?: number;
  completed?: number;
  error?: string;
}

export interface TraceLog {
  vertex: string;
  /** 1 stdout, 2 stderr. */
  stream: number;
  data: Uint8Array;
}

export interface TraceStatus {
  vertexes: TraceVertex[];
  logs: TraceLog[];
}

function timestamp(bytes: Uint8Array): number {
  let seconds = 0;
  let nanos = 0;
  const r = new Reader(bytes);
  r.fields((field, wire) => {
    if (wire !== 0) return false;
    if (field === 1) seconds = r.varint();
    else if (field === 2) nanos = r.varint();
    else return false;
    return true;
  });
  return seconds * 1000 + Math.floor(nanos / 1e6);
}

function vertex(bytes: Uint8Array): TraceVertex {
  const v: TraceVertex = { digest: "", name: "", cached: false };
  const r = new Reader(bytes);
  r.fields((field, wire) => {
    if (field === 1 && wire === 2) v.digest = r.string();
    else if (field === 3 && wire === 2) v.name = r.string();
    else if (field === 4 && wire === 0) v.cached = r.varint() !== 0;
    else if (field === 5 && wire === 2) v.started = timestamp(r.bytes());
    else if (field === 6 && wire === 2) v.completed = timestamp(r.bytes());
    else if (field === 7 && wire === 2) v.error = r.string();
    else return false;
    return true;
  });
  return v;
}

function log(bytes: Uint8Array): TraceLog {
  const l: TraceLog = { vertex: "", stream: 1, data: new Uint8Array(0) };
  const r = new Reader(bytes);
  r.fields((field, wire) => {
    if (field === 1 && wire === 2) l.vertex = r.string();
    else if (field === 3 && wire === 0) l.stream = r.varint();
    else if (field === 4 && wire === 2) l.data = r.bytes();
    else return false;
    return true;
  });
  return l;
}

/** Decodes one `moby.buildkit.trace` aux payload (base64 of a StatusResponse). Throws on malformed bytes. */
export function decodeTrace(base64: string): TraceStatus {
  const status: TraceStatus = { vertexes: [], logs: [] };
  const r = new Reader(Buffer.from(base64, "base64"));
  r.fields((field, wire) => {
    if (wire !== 2) return false;
    if (field === 1) status.vertexes.push(vertex(r.bytes()));
    else if (field === 3) status.logs.push(log(r.bytes()));
    else return false;
    return true;
  });
  return status;
}

/**
 * Turns a build's trace messages into plain progress lines, numbering steps in the order they
 * appear (`#3 [build 4/5] RUN npx tsc`, `#3 DONE 3.4s`, `#3 CACHED`, `#3 ERROR: …`), with each
 * step's output prefixed by its number. Stateful: one per build.
 */
export class TraceLines {
  readonly #numbers = new Map<string, number>();
  readonly #announced = new Set<string>();
  /** Steps sent before they start. */
  readonly #pending = new Set<string>();
  readonly #finished = new Set<string>();
  /** A step's output may arrive split mid-line. */
  readonly #partial = new Map<string, string>();
  readonly #decoders = new Map<string, InstanceType<typeof TextDecoder>>();

  #number(digest: string): number {
    let n = this.#numbers.get(digest);
    if (n === undefined) {
      n = this.#numbers.size + 1;
      this.#numbers.set(digest, n);
      this.#pending.delete(digest);
    }
    return n;
  }

  /** Steps finished (done, cached or failed) of all the build has announced so far: the graph is sent up front. */
  get counts(): { finished: number; total: number } {
    return { finished: this.#finished.size, total: this.#numbers.size + this.#pending.size };
  }

  /**
   * The lines one trace payload adds. A payload may carry a step's end and its last output
   * together: the output is written first, and a last line without a newline is flushed with the
   * end (a failing `printf … && exit 3` otherwise lost its output whenever the two came as one).
   */
  lines(status: TraceStatus): string[] {
    const out: string[] = [];
    const ends: { digest: string; n: number; line: string }[] = [];
    for (const v of status.vertexes) {
      // A step is numbered when it starts (or turns out cached), as `--progress=plain` does.
      if (!this.#announced.has(v.digest)) {
        // A step cancelled before it started comes with `completed` or `error` and no `started`.
        if (v.started === undefined && v.completed === undefined && !v.cached && !v.error) {
          if (!this.#numbers.has(v.digest)) this.#pending.add(v.digest);
          continue;
        }
        this.#announced.add(v.digest);
        out.push(`#${this.#number(v.digest)} ${v.name}`);
      }
      const n = this.#number(v.digest);
      if (this.#finished.has(v.digest)) continue;
      if (v.error) {
        this.#finished.add(v.digest);
        ends.push({ digest: v.digest, n, line: `#${n} ERROR: ${v.error}` });
      } else if (v.cached) {
        this.#finished.add(v.digest);
        ends.push({ digest: v.digest, n, line: `#${n} CACHED` });
      } else if (v.completed !== undefined) {
        this.#finished.add(v.digest);
        const seconds = v.started !== undefined ? ` ${((v.completed - v.started) / 1000).toFixed(1)}s` : "";
        ends.push({ digest: v.digest, n, line: `#${n} DONE${seconds}` });
      }
    }
    for (const l of status.logs) {
      const n = this.#number(l.vertex);
      // One streaming decoder per step: a character split between two chunks stays whole.
      let decoder = this.#decoders.get(l.vertex);
      if (!decoder) this.#decoders.set(l.vertex, (decoder = new TextDecoder()));
      const text = (this.#partial.get(l.vertex) ?? "") + decoder.decode(l.data, { stream: true });
      const parts = text.split(/\r?\n/);
      this.#partial.set(l.vertex, parts.pop()!);
      for (const line of parts) if (line.trim()) out.push(`#${n} ${line}`);
      // Output of a step that already ended has nothing more to wait for.
      if (this.#finished.has(l.vertex) && !ends.some((e) => e.digest === l.vertex)) out.push(...this.#flush(l.vertex, n));
    }
    for (const end of ends) out.push(...this.#flush(end.digest, end.n), end.line);
    return out;
  }

  #flush(digest: string, n: number): string[] {
    const rest = this.#partial.get(digest);
    this.#partial.delete(digest);
    return rest?.trim() ? [`#${n} ${rest}`] : [];
  }
}
