/**
 * The protobuf wire format, as much as the engine's BuildKit messages need: reading varints and
 * length-delimited fields (skipping the rest), and writing the same. A protobuf library would be
 * the larger part of the bundle for the handful of fields read here (buildkit-trace.ts) and
 * answered (buildkit-session.ts).
 */

/** A protobuf wire-format reader over one message's bytes. */
export class ProtoReader {
  readonly #bytes: Uint8Array;
  #at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  get done(): boolean {
    return this.#at >= this.#bytes.length;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.#at >= this.#bytes.length) throw new Error("protobuf: truncated varint");
      const byte = this.#bytes[this.#at++]!;
      // Beyond 2^53 precision is lost; the fields read as numbers here (seconds, nanos, stream) are small.
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new Error("protobuf: varint too long");
    }
  }

  bytes(): Uint8Array {
    const length = this.varint();
    const end = this.#at + length;
    if (end > this.#bytes.length) throw new Error("protobuf: truncated field");
    const out = this.#bytes.subarray(this.#at, end);
    this.#at = end;
    return out;
  }

  string(): string {
    return new TextDecoder().decode(this.bytes());
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.#at += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.#at += 4;
    else throw new Error(`protobuf: unsupported wire type ${wireType}`);
    if (this.#at > this.#bytes.length) throw new Error("protobuf: truncated field");
  }

  /** Each field of the message: its number and wire type; the callback reads it or returns false to skip it. */
  fields(read: (field: number, wireType: number) => boolean): void {
    while (!this.done) {
      const key = this.varint();
      const field = Math.floor(key / 8);
      const wireType = key & 7;
      if (!read(field, wireType)) this.skip(wireType);
    }
  }
}


/** Varint bytes of a non-negative integer below 2^53. */
export function encodeVarint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A length-delimited field (string, bytes, embedded message). */
export function bytesField(field: number, body: Uint8Array | string): Uint8Array {
  const b = typeof body === "string" ? new TextEncoder().encode(body) : body;
  return Uint8Array.from([...encodeVarint(field * 8 + 2), ...encodeVarint(b.length), ...b]);
}

/** A varint field (int32/int64/bool/enum). */
export function varintField(field: number, n: number): Uint8Array {
  return Uint8Array.from([...encodeVarint(field * 8), ...encodeVarint(n)]);
}
