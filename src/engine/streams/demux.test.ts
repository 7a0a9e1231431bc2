import { test } from "node:test";
import assert from "node:assert/strict";
import { Demuxer, DemuxError, demuxStream, type DemuxedFrame } from "./demux.ts";
import { CancelledError, InternalError } from "../../errors/index.ts";

function frame(type: number, payload: string | Buffer): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

interface Plain {
  stream: string;
  text: string;
}

function plain(frames: DemuxedFrame[]): Plain[] {
  return frames.map((f) => ({ stream: f.stream, text: f.data.toString("latin1") }));
}

function demuxAll(chunks: Uint8Array[]): DemuxedFrame[] {
  const out: DemuxedFrame[] = [];
  const demuxer = new Demuxer((f) => out.push(f));
  for (const chunk of chunks) demuxer.push(chunk);
  demuxer.end();
  return out;
}

function chunksOf(buffer: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += size) chunks.push(buffer.subarray(i, i + size));
  return chunks;
}

async function* source(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

async function collect(frames: AsyncIterable<DemuxedFrame>): Promise<DemuxedFrame[]> {
  const out: DemuxedFrame[] = [];
  for await (const f of frames) out.push(f);
  return out;
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail("expected an error");
}

const sample = Buffer.concat([
  frame(1, "hello stdout\n"),
  frame(2, "oops on stderr\n"),
  frame(1, ""),
  frame(0, "typed on stdin"),
  frame(2, Buffer.from([0xe6, 0x97, 0xa5, 0x00, 0xff])),
  frame(1, "x".repeat(300)),
  frame(2, ""),
]);
const expected: Plain[] = [
  { stream: "stdout", text: "hello stdout\n" },
  { stream: "stderr", text: "oops on stderr\n" },
  { stream: "stdout", text: "" },
  { stream: "stdin", text: "typed on stdin" },
  { stream: "stderr", text: Buffer.from([0xe6, 0x97, 0xa5, 0x00, 0xff]).toString("latin1") },
  { stream: "stdout", text: "x".repeat(300) },
  { stream: "stderr", text: "" },
];

test("demuxes whole frames from a single chunk", () => {
  assert.deepEqual(plain(demuxAll([sample])), expected);
});

test("gives identical output when the input is split in two at every byte position", () => {
  for (let i = 0; i <= sample.length; i++) {
    const got = plain(demuxAll([sample.subarray(0, i), sample.subarray(i)]));
    assert.deepEqual(got, expected, `split at ${i}`);
  }
});

test("gives identical output when the input is split in three at every pair of positions", () => {
  const small = Buffer.concat([frame(1, "ab"), frame(2, ""), frame(1, "cde")]);
  const want = plain(demuxAll([small]));
  for (let i = 0; i <= small.length; i++) {
    for (let j = i; j <= small.length; j++) {
      const got = plain(demuxAll([small.subarray(0, i), small.subarray(i, j), small.subarray(j)]));
      assert.deepEqual(got, want, `split at ${i}, ${j}`);
    }
  }
});

test("gives identical output from 1-byte chunks and from every chunk size up to 64", () => {
  assert.deepEqual(plain(demuxAll(chunksOf(sample, 1))), expected);
  for (let size = 2; size <= 64; size++) assert.deepEqual(plain(demuxAll(chunksOf(sample, size))), expected, `size ${size}`);
});

test("accepts plain Uint8Array chunks, not only Buffers", () => {
  const copy = new Uint8Array(sample);
  const views = [copy.subarray(0, 5), copy.subarray(5, 40), copy.subarray(40)];
  assert.deepEqual(plain(demuxAll(views)), expected);
});

test("handles a stream made only of empty frames, and an empty stream", () => {
  const empties = Buffer.concat([frame(1, ""), frame(2, ""), frame(1, "")]);
  assert.deepEqual(plain(demuxAll(chunksOf(empties, 3))), [
    { stream: "stdout", text: "" },
    { stream: "stderr", text: "" },
    { stream: "stdout", text: "" },
  ]);
  assert.deepEqual(demuxAll([]), []);
  assert.deepEqual(demuxAll([Buffer.alloc(0)]), []);
});

test("reassembles large frames split across many chunks", () => {
  const big = Buffer.alloc(5 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
  const input = Buffer.concat([frame(1, "before"), frame(2, big), frame(1, "after")]);
  const got = demuxAll(chunksOf(input, 65536));
  assert.equal(got.length, 3);
  assert.equal(got[1]?.stream, "stderr");
  assert.ok(got[1]?.data.equals(big));
  assert.equal(got[2]?.data.toString(), "after");
});

test("copies nothing for a payload inside one chunk and copies a split payload once", () => {
  const input = Buffer.concat([frame(1, "inside"), frame(2, "spans the boundary")]);
  const cut = 8 + 6 + 8 + 4;
  const first = Buffer.from(input.subarray(0, cut));
  const second = Buffer.from(input.subarray(cut));
  const got = demuxAll([first, second]);
  assert.equal(got[0]?.data.buffer, first.buffer, "payload inside one chunk is a view of it");
  assert.equal(got[0]?.data.byteOffset, first.byteOffset + 8);
  first.fill(0);
  second.fill(0);
  assert.equal(got[1]?.data.toString(), "spans the boundary", "a split payload is its own copy");
});

test("keeps the order of interleaved stdout and stderr frames", () => {
  const parts: Buffer[] = [];
  const want: Plain[] = [];
  for (let i = 0; i < 500; i++) {
    const type = i % 3 === 0 ? 2 : 1;
    const text = `line ${i} `.repeat(i % 7);
    parts.push(frame(type, text));
    want.push({ stream: type === 2 ? "stderr" : "stdout", text });
  }
  const input = Buffer.concat(parts);
  for (const size of [1, 7, 8, 9, 100, 4096]) assert.deepEqual(plain(demuxAll(chunksOf(input, size))), want, `size ${size}`);
});

test("rejects a stream type above 3 with a clear error naming the byte offset", () => {
  const input = Buffer.concat([frame(1, "ok"), frame(7, "bad")]);
  const out: DemuxedFrame[] = [];
  const demuxer = new Demuxer((f) => out.push(f));
  const error = caught(() => demuxer.push(input));
  assert.ok(error instanceof DemuxError);
  assert.equal(error.code, "DEMUX_BAD_HEADER");
  assert.equal(error.kind, "engine");
  assert.match(error.message, /at byte 10/);
  assert.match(error.message, /\[07 00 00 00 00 00 00 03\]/);
  assert.match(error.hint ?? "", /TTY/);
  assert.deepEqual(plain(out), [{ stream: "stdout", text: "ok" }], "frames before the bad header are delivered");
  assert.equal(caught(() => demuxer.push(Buffer.from("more"))), error, "stays failed");
});

test("rejects raw TTY output, whose padding bytes are not zero", () => {
  const error = caught(() => demuxAll([Buffer.from("\x01hello world, this is a TTY\n")]));
  assert.ok(error instanceof DemuxError);
  assert.equal(error.code, "DEMUX_BAD_HEADER");
});

test("detects a bad header even when it arrives one byte at a time", () => {
  const input = Buffer.concat([frame(2, "fine"), Buffer.from([9, 0, 0, 0, 0, 0, 0, 1, 0x41])]);
  const error = caught(() => demuxAll(chunksOf(input, 1)));
  assert.ok(error instanceof DemuxError);
  assert.match(error.message, /at byte 12/);
});

test("turns a daemon system-error frame (type 3) into an engine error carrying its text", () => {
  const error = caught(() => demuxAll(chunksOf(Buffer.concat([frame(1, "a"), frame(3, "log driver failed\n")]), 5)));
  assert.ok(error instanceof DemuxError);
  assert.equal(error.code, "ENGINE_STREAM_ERROR");
  assert.match(error.message, /log driver failed$/);
  const empty = caught(() => demuxAll([frame(3, "")]));
  assert.ok(empty instanceof DemuxError);
  assert.match(empty.message, /unknown error/);
});

test("a stream cut inside a payload fails with DEMUX_TRUNCATED and drops the partial frame", () => {
  const input = Buffer.concat([frame(1, "whole"), frame(2, "half of this")]);
  const out: DemuxedFrame[] = [];
  const demuxer = new Demuxer((f) => out.push(f));
  demuxer.push(input.subarray(0, input.length - 4));
  const error = caught(() => demuxer.end());
  assert.ok(error instanceof DemuxError);
  assert.equal(error.code, "DEMUX_TRUNCATED");
  assert.match(error.message, /stderr frame \(8 of 12 bytes received\)/);
  assert.deepEqual(plain(out), [{ stream: "stdout", text: "whole" }]);
});

test("a stream cut inside a header fails with DEMUX_TRUNCATED", () => {
  const input = Buffer.concat([frame(1, "whole"), frame(1, "next")]);
  for (let cut = 14; cut < 13 + 8; cut++) {
    const error = caught(() => demuxAll([input.subarray(0, cut)]));
    assert.ok(error instanceof DemuxError, `cut at ${cut}`);
    assert.equal(error.code, "DEMUX_TRUNCATED");
    assert.match(error.message, new RegExp(`frame header \\(${cut - 13} of 8 bytes`));
  }
});

test("refuses use after end()", () => {
  const demuxer = new Demuxer(() => {});
  demuxer.end();
  const error = caught(() => demuxer.push(frame(1, "late")));
  assert.ok(error instanceof InternalError);
});

test("demuxStream yields the same frames for any chunking of the source", async () => {
  for (const size of [1, 3, 8, 13, 1024]) {
    assert.deepEqual(plain(await collect(demuxStream(source(chunksOf(sample, size))))), expected);
  }
});

test("demuxStream yields frames that precede a bad header, then throws", async () => {
  const got: DemuxedFrame[] = [];
  await assert.rejects(async () => {
    for await (const f of demuxStream(source([Buffer.concat([frame(1, "first"), frame(2, "second"), frame(5, "x")])]))) {
      got.push(f);
    }
  }, (e: unknown) => e instanceof DemuxError && e.code === "DEMUX_BAD_HEADER");
  assert.deepEqual(plain(got), [
    { stream: "stdout", text: "first" },
    { stream: "stderr", text: "second" },
  ]);
});

test("demuxStream reports a truncated source", async () => {
  await assert.rejects(collect(demuxStream(source([frame(1, "abcdef").subarray(0, 10)]))), /ended in the middle of a stdout frame/);
});

test("breaking out of demuxStream closes the source", async () => {
  let closed = false;
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) yield frame(1, "tick");
    } finally {
      closed = true;
    }
  }
  let seen = 0;
  for await (const _ of demuxStream(body())) if (++seen === 3) break;
  assert.equal(closed, true);
});

test("demuxStream stops at once on abort, even while the source is stalled", async () => {
  const controller = new AbortController();
  let returned = false;
  const stalled: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      let sent = false;
      return {
        next: () => {
          if (!sent) {
            sent = true;
            return Promise.resolve({ done: false, value: frame(1, "only") });
          }
          return new Promise<IteratorResult<Uint8Array>>(() => {});
        },
        return: () => {
          returned = true;
          return Promise.resolve({ done: true, value: undefined });
        },
      };
    },
  };
  const got: DemuxedFrame[] = [];
  const run = (async () => {
    for await (const f of demuxStream(stalled, { signal: controller.signal })) {
      got.push(f);
      setTimeout(() => controller.abort(), 5);
    }
  })();
  await assert.rejects(run, (e: unknown) => e instanceof CancelledError);
  assert.equal(got.length, 1);
  assert.equal(returned, true, "the source is closed");
});

test("demuxStream rejects at once with an already aborted signal", async () => {
  await assert.rejects(collect(demuxStream(source([sample]), { signal: AbortSignal.abort() })), CancelledError);
});
