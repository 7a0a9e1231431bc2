/**
 * The engine's build, pull and push progress bodies are a sequence of JSON objects, each
 * followed by "\r\n" (moby's streamformatter). moby's own reader is a json.Decoder, which also
 * accepts objects with no separator between them, so when a line does not parse as one value we
 * try it as several concatenated objects before calling it invalid; the common case pays nothing.
 */
import { StringDecoder } from "node:string_decoder";

export type JsonObject = { [key: string]: unknown };

/** Why a line could not be turned into objects. The follower turns this into a user-facing error. */
export interface JsonLineProblem {
  /** 1-based line number in the body. */
  line: number;
  text: string;
  /** True when the body ended in the middle of this line, i.e. the connection was probably cut. */
  atEnd: boolean;
  reason: string;
}

export class JsonLinesParser {
  readonly #onObject: (value: JsonObject) => void;
  readonly #onProblem: (problem: JsonLineProblem) => never;
  readonly #decoder = new StringDecoder("utf8");
  #pending = "";
  #line = 0;

  /** `onProblem` must throw: parsing cannot go on past a line it could not read. */
  constructor(onObject: (value: JsonObject) => void, onProblem: (problem: JsonLineProblem) => never) {
    this.#onObject = onObject;
    this.#onProblem = onProblem;
  }

  push(chunk: Uint8Array): void {
    const text = this.#decoder.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    // Only the new text is searched, so a huge message arriving in small pieces stays linear.
    let newline = text.indexOf("\n");
    if (newline === -1) {
      this.#pending += text;
      return;
    }
    let line = this.#pending + text.slice(0, newline);
    this.#pending = "";
    for (;;) {
      this.#parseLine(line, false);
      const start = newline + 1;
      newline = text.indexOf("\n", start);
      if (newline === -1) {
        this.#pending = text.slice(start);
        return;
      }
      line = text.slice(start, newline);
    }
  }

  end(): void {
    const rest = this.#pending + this.#decoder.end();
    this.#pending = "";
    this.#parseLine(rest, true);
  }

  #parseLine(raw: string, atEnd: boolean): void {
    this.#line++;
    const line = raw.trim();
    if (line.length === 0) return;
    let values: unknown[];
    try {
      values = [JSON.parse(line)];
    } catch (error) {
      const pieces = splitConcatenated(line);
      if (pieces === undefined) this.#problem(line, atEnd, error instanceof Error ? error.message : String(error));
      values = [];
      for (const piece of pieces) {
        try {
          values.push(JSON.parse(piece));
        } catch (inner) {
          this.#problem(line, atEnd, inner instanceof Error ? inner.message : String(inner));
        }
      }
    }
    for (const value of values) {
      if (!isJsonObject(value)) this.#problem(line, atEnd, "not a JSON object");
      this.#onObject(value);
    }
  }

  #problem(text: string, atEnd: boolean, reason: string): never {
    return this.#onProblem({ line: this.#line, text, atEnd, reason });
  }
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Cuts `{"a":1}{"b":2} {"c":3}` into its top-level objects by tracking depth outside strings.
 * Returns undefined when the text is not a run of objects, leaving JSON.parse to describe the problem.
 */
export function splitConcatenated(text: string): string[] | undefined {
  const pieces: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c /* \ */) escaped = true;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (depth === 0) {
      if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) continue;
      if (c !== 0x7b /* { */) return undefined;
      start = i;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b /* [ */) depth++;
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
      if (depth === 0) pieces.push(text.slice(start, i + 1));
    }
  }
  return depth === 0 && pieces.length > 1 ? pieces : undefined;
}
