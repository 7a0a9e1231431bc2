import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decodeTrace, TraceLines } from "./buildkit-trace.ts";
import { bytesField, varintField } from "./protobuf.ts";

// The `aux` payloads of every moby.buildkit.trace message of one real build on Engine 20.10.24
// (`POST /build?version=2&nocache=1` of: FROM busybox:latest / RUN echo hello-out && echo
// err-line >&2 / RUN sh -c "echo failing-now; exit 3"), one per line.
const recorded = readFileSync(new URL("./testdata/buildkit-trace-failing-run.b64", import.meta.url), "utf8").trim().split("\n");

test("a recorded failing build reads as plain progress: steps numbered as they start, output, DONE, CACHED, ERROR", () => {
  const lines = new TraceLines();
  const out = recorded.flatMap((payload) => lines.lines(decodeTrace(payload)));
  assert.deepEqual(out, [
    "#1 [internal] load remote build context",
    "#1 DONE 0.0s",
    "#2 copy /context /",
    "#2 DONE 0.1s",
    "#3 [internal] load metadata for docker.io/library/busybox:latest",
    "#3 DONE 0.0s",
    "#4 [1/3] FROM docker.io/library/busybox:latest",
    "#4 CACHED",
    "#5 [2/3] RUN echo hello-out && echo err-line >&2",
    "#5 hello-out",
    "#5 err-line",
    "#5 DONE 0.3s",
    "#6 [3/3] RUN sh -c \"echo failing-now; exit 3\"",
    "#6 failing-now",
    "#6 ERROR: executor failed running [/bin/sh -c sh -c \"echo failing-now; exit 3\"]: exit code: 3",
  ]);
  assert.deepEqual(lines.counts, { finished: 6, total: 6 });
});

test("counts never run ahead: finished ≤ total after every payload, the steps sent before they start included", () => {
  const all = new TraceLines();
  const seen: { finished: number; total: number }[] = [];
  for (const payload of recorded) {
    all.lines(decodeTrace(payload));
    assert.ok(all.counts.finished <= all.counts.total, JSON.stringify(all.counts));
    seen.push(all.counts);
  }
  assert.ok(seen.some((c) => c.total - c.finished >= 2), `mid-build, steps known before they ran: ${JSON.stringify(seen)}`);
});

test("decodeTrace reads vertexes with their times and logs with their stream", () => {
  const all = recorded.map(decodeTrace);
  const run = all.flatMap((s) => s.vertexes).find((v) => v.name.startsWith("[2/3] RUN") && v.completed !== undefined)!;
  assert.match(run.digest, /^sha256:[0-9a-f]{64}$/);
  assert.ok(run.started! > Date.UTC(2020, 0) && run.completed! >= run.started!, "timestamps in ms since the epoch");
  const logs = all.flatMap((s) => s.logs).filter((l) => l.vertex === run.digest);
  assert.deepEqual(logs.map((l) => [l.stream, new TextDecoder().decode(l.data).trim()]).sort(), [[1, "hello-out"], [2, "err-line"]]);
});

const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const stamp = (ms: number) => concat(varintField(1, Math.floor(ms / 1000)), varintField(2, (ms % 1000) * 1e6));
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

test("output split mid-line is joined; unknown fields (statuses, warnings, fixed64) are skipped", () => {
  const digest = "sha256:" + "a".repeat(64);
  const vertex = (extra: Uint8Array) => bytesField(1, concat(bytesField(1, digest), bytesField(3, "[1/1] RUN make"), bytesField(5, stamp(1_700_000_000_500)), extra));
  const log = (text: string) => bytesField(3, concat(bytesField(1, digest), varintField(3, 1), bytesField(4, text)));
  const unknown = concat(bytesField(2, "a status"), Uint8Array.from([0x29, 1, 2, 3, 4, 5, 6, 7, 8]), bytesField(4, "a warning"));
  const lines = new TraceLines();
  assert.deepEqual(lines.lines(decodeTrace(b64(concat(vertex(new Uint8Array()), unknown, log("compil"))))), ["#1 [1/1] RUN make"]);
  assert.deepEqual(lines.lines(decodeTrace(b64(log("ing\nlinking\npart")))), ["#1 compiling", "#1 linking"]);
  assert.deepEqual(lines.lines(decodeTrace(b64(vertex(bytesField(6, stamp(1_700_000_002_000)))))), ["#1 part", "#1 DONE 1.5s"]);
  // A finished step reported again adds nothing.
  assert.deepEqual(lines.lines(decodeTrace(b64(vertex(bytesField(6, stamp(1_700_000_002_000)))))), []);
});

test("malformed payloads throw instead of yielding garbage", () => {
  assert.throws(() => decodeTrace(b64(Uint8Array.from([0x0a, 0x05, 0x01]))), /truncated/);
  assert.throws(() => decodeTrace(b64(Uint8Array.from([0x0b]))), /wire type/);
});

test("a step cancelled before it started still reads as an ERROR; a character split between chunks stays whole", () => {
  const a = "sha256:" + "b".repeat(64);
  const b = "sha256:" + "c".repeat(64);
  const lines = new TraceLines();
  // Both steps sent up front, not started.
  const announce = concat(bytesField(1, concat(bytesField(1, a), bytesField(3, "[1/2] RUN one"))), bytesField(1, concat(bytesField(1, b), bytesField(3, "[2/2] RUN two"))));
  assert.deepEqual(lines.lines(decodeTrace(b64(announce))), []);
  assert.deepEqual(lines.counts, { finished: 0, total: 2 });
  const euro = new TextEncoder().encode("€ ok\n");
  const started = bytesField(1, concat(bytesField(1, a), bytesField(3, "[1/2] RUN one"), bytesField(5, stamp(1_700_000_000_000))));
  const log = (bytes: Uint8Array) => bytesField(3, concat(bytesField(1, a), varintField(3, 1), bytesField(4, bytes)));
  assert.deepEqual(lines.lines(decodeTrace(b64(concat(started, log(euro.subarray(0, 2)))))), ["#1 [1/2] RUN one"]);
  assert.deepEqual(lines.lines(decodeTrace(b64(log(euro.subarray(2))))), ["#1 € ok"]);
  assert.deepEqual(lines.counts, { finished: 0, total: 2 }, "a step numbered by its output is not counted twice");
  const cancelled = bytesField(1, concat(bytesField(1, b), bytesField(3, "[2/2] RUN two"), bytesField(6, stamp(1_700_000_001_000)), bytesField(7, "context canceled")));
  assert.deepEqual(lines.lines(decodeTrace(b64(cancelled))), ["#2 [2/2] RUN two", "#2 ERROR: context canceled"]);
  assert.deepEqual(lines.counts, { finished: 1, total: 2 });
});

test("a step's end and its last output in one payload: the output, even without a newline, comes before the end", () => {
  const digest = "sha256:" + "d".repeat(64);
  const vertex = (extra: Uint8Array) => bytesField(1, concat(bytesField(1, digest), bytesField(3, "[1/1] RUN printf out && exit 3"), bytesField(5, stamp(1_700_000_000_000)), extra));
  const log = (text: string) => bytesField(3, concat(bytesField(1, digest), varintField(3, 1), bytesField(4, text)));
  const lines = new TraceLines();
  assert.deepEqual(lines.lines(decodeTrace(b64(vertex(new Uint8Array())))), ["#1 [1/1] RUN printf out && exit 3"]);
  const failed = vertex(concat(bytesField(6, stamp(1_700_000_001_000)), bytesField(7, "exit code: 3")));
  assert.deepEqual(lines.lines(decodeTrace(b64(concat(failed, log("first\nslipway-build-output"))))), ["#1 first", "#1 slipway-build-output", "#1 ERROR: exit code: 3"]);
  // Output that arrives after its step ended is written at once, not held for a newline that never comes.
  assert.deepEqual(lines.lines(decodeTrace(b64(log("late")))), ["#1 late"]);
});
