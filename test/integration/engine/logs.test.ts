/**
 * Container output through the real engine: the multiplexed body of `logs` and of `attach`,
 * demultiplexed and split into lines, must give back exactly what the container wrote, per stream.
 * The content is chosen to break naive readers: multi-byte UTF-8, a CRLF line, a last line without
 * a newline, thousands of short lines, and a 120 KB line that the engine cuts into 16 KB frames
 * at byte offsets that fall inside multi-byte characters.
 *
 * Engine 20.10's log drivers cannot keep such a line, so `logs` gets it in ASCII and only `attach`
 * (no log driver involved) gets it multi-byte, and must return it exactly:
 * - json-file (the default) stores each 16 KB piece as a JSON string, and the bytes of a
 *   character cut at the boundary become U+FFFD on disk (the same bytes as in
 *   https://github.com/vectordotdev/vector/issues/14644);
 * - local keeps the bytes but drops the newline that ends the long line, so it runs into the
 *   next one (seen on 20.10.24).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Engine } from "../../../src/engine/index.ts";
import { demuxStream, splitLines, type LogLine } from "../../../src/engine/streams/index.ts";
import { readLines, runToExit, tempContainer, useEngine } from "./harness.ts";

let engine: Engine;
useEngine((e) => (engine = e));

const LONG_REPEAT = 20_000;
const SEQ_COUNT = 3_000;

/** The script and the lines it writes; `longUnit` repeated LONG_REPEAT times makes the long line. */
function outputCase(longUnit: string): { script: string; stdout: string[]; stderr: string[] } {
  const script = [
    "echo 'out 1: plain ascii'",
    "echo 'err 1: héllo wörld' >&2",
    "echo 'out 2: 日本語 ✓ 🚀'",
    "echo 'err 2: ünïcödé ≠ ascii' >&2",
    `awk 'BEGIN { s = ""; for (i = 0; i < ${LONG_REPEAT}; i++) s = s "${longUnit}"; print "long:" s }'`,
    "echo 'err 3: after the long line' >&2",
    `seq 1 ${SEQ_COUNT}`,
    "printf 'crlf line\\r\\n'",
    "echo 'err 4: 🚀 last on stderr' >&2",
    "printf 'out 3: no trailing newline'",
  ].join("\n");
  return {
    script,
    stdout: [
      "out 1: plain ascii",
      "out 2: 日本語 ✓ 🚀",
      `long:${longUnit.repeat(LONG_REPEAT)}`,
      ...Array.from({ length: SEQ_COUNT }, (_, i) => String(i + 1)),
      "crlf line",
      "out 3: no trailing newline",
    ],
    stderr: ["err 1: héllo wörld", "err 2: ünïcödé ≠ ascii", "err 3: after the long line", "err 4: 🚀 last on stderr"],
  };
}

/** 1 + 2 + 3 bytes: 16 KiB boundaries fall inside characters. */
const MULTIBYTE = outputCase("añ✓");
/** 6 ASCII bytes: the same frame boundaries, for the log drivers. */
const ASCII = outputCase("abcdef");

/** Line-by-line equality that reports where, not a 120 KB diff. */
function assertLines(actual: string[], expected: string[], stream: string): void {
  assert.equal(actual.length, expected.length, `${stream}: ${actual.length} lines, expected ${expected.length}`);
  actual.forEach((line, i) => {
    const want = expected[i] ?? "";
    if (line === want) return;
    let at = 0;
    while (at < line.length && line[at] === want[at]) at++;
    assert.fail(
      `${stream} line ${i + 1} differs at character ${at} (length ${line.length}, expected ${want.length}): ` +
        `${JSON.stringify(line.slice(Math.max(0, at - 10), at + 10))} vs ${JSON.stringify(want.slice(Math.max(0, at - 10), at + 10))}`,
    );
  });
}

/**
 * Per stream, exactly. The relative order of stdout and stderr is not compared: the engine copies
 * the two pipes in separate goroutines, so their interleaving is not deterministic.
 */
function assertOutput(lines: LogLine[], expected: { stdout: string[]; stderr: string[] }): void {
  assertLines(lines.filter((l) => l.stream === "stdout").map((l) => l.line), expected.stdout, "stdout");
  assertLines(lines.filter((l) => l.stream === "stderr").map((l) => l.line), expected.stderr, "stderr");
  assert.equal(lines.length, expected.stdout.length + expected.stderr.length, "no other stream");
}

test("logs: demuxed and split lines equal what the container wrote", async () => {
  await using ctr = await tempContainer(engine, { Cmd: ["sh", "-c", ASCII.script], HostConfig: { LogConfig: { Type: "json-file" } } }, "logs");
  const registered = await engine.containers.wait(ctr.id, { condition: "next-exit" });
  await engine.containers.start(ctr.id);
  assert.equal((await registered.result).StatusCode, 0);
  assertOutput(await readLines(await engine.containers.logs(ctr.id)), ASCII);
  // follow=true on an exited container ends too, with the same content.
  assertOutput(await readLines(await engine.containers.logs(ctr.id, { follow: true })), ASCII);
});

test("logs: stream selection and tail choose what the engine sends", async () => {
  await using both = await tempContainer(engine, { Cmd: ["sh", "-c", "seq 1 10; echo e >&2"] }, "logsel");
  await using onlyOut = await tempContainer(engine, { Cmd: ["seq", "1", "10"] }, "logtail");
  await Promise.all([both.id, onlyOut.id].map((id) => runToExit(engine, id)));
  const stdoutOnly = await readLines(await engine.containers.logs(both.id, { stderr: false }));
  assert.deepEqual(stdoutOnly.map((l) => `${l.stream}:${l.line}`), Array.from({ length: 10 }, (_, i) => `stdout:${i + 1}`));
  const stderrOnly = await readLines(await engine.containers.logs(both.id, { stdout: false }));
  assert.deepEqual(stderrOnly, [{ stream: "stderr", line: "e" }]);
  // tail counts log entries before the stream selection, so it is checked on a stdout-only container.
  const tail = await readLines(await engine.containers.logs(onlyOut.id, { tail: 3 }));
  assert.deepEqual(tail.map((l) => l.line), ["8", "9", "10"]);
});

test("attach before start sees everything the container writes, and ends when it exits", async () => {
  await using ctr = await tempContainer(
    engine,
    { Cmd: ["sh", "-c", MULTIBYTE.script], AttachStdout: true, AttachStderr: true },
    "attach",
  );
  const attached = await engine.containers.attach(ctr.id);
  const registered = await engine.containers.wait(ctr.id, { condition: "next-exit" });
  const reading = readLines(attached);
  await engine.containers.start(ctr.id);
  const [lines, exit] = await Promise.all([reading, registered.result]);
  assert.equal(exit.StatusCode, 0);
  assertOutput(lines, MULTIBYTE);
});

test("logs follow on a running container streams lines as they are written, and ends at exit", async () => {
  // The container waits for a file the test creates, so the follow is provably live before the end.
  await using ctr = await tempContainer(
    engine,
    { Cmd: ["sh", "-c", "echo before; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo after >&2"] },
    "follow",
  );
  const registered = await engine.containers.wait(ctr.id, { condition: "next-exit" });
  await engine.containers.start(ctr.id);
  const body = await engine.containers.logs(ctr.id, { follow: true });
  const lines = splitLines(demuxStream(body));
  const first = await lines.next();
  assert.deepEqual(first.value, { stream: "stdout", line: "before" });
  const exec = await engine.execs.create(ctr.id, { Cmd: ["touch", "/tmp/go"] });
  const execOut = await engine.execs.start(exec.Id);
  for await (const chunk of execOut) void chunk;
  const rest: LogLine[] = [];
  for await (const line of lines) rest.push(line);
  assert.deepEqual(rest, [{ stream: "stderr", line: "after" }]);
  assert.equal((await registered.result).StatusCode, 0);
});
