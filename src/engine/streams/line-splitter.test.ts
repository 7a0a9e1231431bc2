import { test } from "node:test";
import assert from "node:assert/strict";
import { LineSplitter, splitLines, type LogLine } from "./line-splitter.ts";
import { demuxStream, type DemuxedFrame, type StreamName } from "./demux.ts";

function f(stream: StreamName, data: string | Buffer): DemuxedFrame {
  return { stream, data: typeof data === "string" ? Buffer.from(data) : data };
}

function lines(frames: DemuxedFrame[]): LogLine[] {
  const out: LogLine[] = [];
  const splitter = new LineSplitter((l) => out.push(l));
  for (const frame of frames) splitter.push(frame);
  splitter.end();
  return out;
}

const out = (line: string): LogLine => ({ stream: "stdout", line });
const err = (line: string): LogLine => ({ stream: "stderr", line });

test("splits on \\n and \\r\\n and keeps empty lines", () => {
  assert.deepEqual(lines([f("stdout", "a\nb\r\n\nc\r\n")]), [out("a"), out("b"), out(""), out("c")]);
});

test("joins a line spread over several frames", () => {
  assert.deepEqual(lines([f("stdout", "hel"), f("stdout", "lo wo"), f("stdout", "rld\nnext\n")]), [out("hello world"), out("next")]);
});

test("handles \\r\\n split across frames", () => {
  assert.deepEqual(lines([f("stdout", "one\r"), f("stdout", "\ntwo\r"), f("stdout", "\n")]), [out("one"), out("two")]);
});

test("keeps a lone \\r, which is content (progress bars), not a terminator", () => {
  assert.deepEqual(lines([f("stdout", "10%\r20%\r30%\n")]), [out("10%\r20%\r30%")]);
});

test("emits an unterminated last line at end", () => {
  assert.deepEqual(lines([f("stdout", "first\nlast without newline")]), [out("first"), out("last without newline")]);
  assert.deepEqual(lines([f("stdout", "ends cleanly\n")]), [out("ends cleanly")]);
  assert.deepEqual(lines([]), []);
});

test("keeps a partial line per stream while streams interleave", () => {
  const got = lines([f("stdout", "out-"), f("stderr", "err-"), f("stdout", "line\n"), f("stderr", "line\nerr2"), f("stdout", "tail")]);
  assert.deepEqual(got, [out("out-line"), err("err-line"), err("err2"), out("tail")]);
});

test("flushes unterminated lines at end in the order they started", () => {
  assert.deepEqual(lines([f("stderr", "e"), f("stdout", "o")]), [err("e"), out("o")]);
  assert.deepEqual(lines([f("stdout", "o"), f("stderr", "e")]), [out("o"), err("e")]);
  assert.deepEqual(lines([f("stdout", "done\no"), f("stderr", "e"), f("stdout", "o")]), [out("done"), out("oo"), err("e")]);
});

test("decodes UTF-8 characters split across frames at every byte, per stream", () => {
  for (const text of ["é", "日本", "😀", "a😀b日本é"]) {
    const bytes = Buffer.from(`${text}\n`);
    for (let i = 0; i <= bytes.length; i++) {
      // An interleaved stderr frame between the halves must not disturb stdout's decoder.
      const got = lines([f("stdout", bytes.subarray(0, i)), f("stderr", Buffer.from("日本")), f("stdout", bytes.subarray(i)), f("stderr", Buffer.from("\n"))]);
      assert.deepEqual(got, [out(text), err("日本")], `${text} split at ${i}`);
    }
    const oneByOne = [...bytes].map((b) => f("stdout", Buffer.from([b])));
    assert.deepEqual(lines(oneByOne), [out(text)], `${text} byte by byte`);
  }
});

test("replaces an incomplete UTF-8 character left at end with U+FFFD", () => {
  assert.deepEqual(lines([f("stdout", Buffer.from([0x61, 0xe6, 0x97]))]), [out("a\ufffd")]);
});

test("splitLines works end to end on a demultiplexed body", async () => {
  const frame = (type: number, text: string): Buffer => {
    const data = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = type;
    header.writeUInt32BE(data.length, 4);
    return Buffer.concat([header, data]);
  };
  const body = Buffer.concat([frame(1, "starting ✓\r\nlisten"), frame(2, "warn: x\n"), frame(1, "ing on :80\n"), frame(1, "bye")]);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < body.length; i += 3) yield body.subarray(i, i + 3);
  }
  const got: LogLine[] = [];
  for await (const line of splitLines(demuxStream(chunks()))) got.push(line);
  assert.deepEqual(got, [out("starting ✓"), err("warn: x"), out("listening on :80"), out("bye")]);
});

test("splitLines stays linear for one huge line arriving in many pieces", async () => {
  const piece = Buffer.from("x".repeat(1000));
  async function* frames(): AsyncGenerator<DemuxedFrame> {
    for (let i = 0; i < 20_000; i++) yield { stream: "stdout", data: piece };
    yield { stream: "stdout", data: Buffer.from("\n") };
  }
  const got: LogLine[] = [];
  for await (const line of splitLines(frames())) got.push(line);
  assert.equal(got.length, 1);
  assert.equal(got[0]?.line.length, 20_000_000);
});
