import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { COMPOSE_COLOURS, LogLines, colourFor, displayName, linePrefix, prefixWidth, type LogSink } from "./log-lines.ts";

/** A stream that records what it is given; `full` makes it ask for a drain. */
class Recorder extends EventEmitter implements LogSink {
  chunks: Buffer[] = [];
  full = false;
  write(chunk: Buffer): boolean {
    this.chunks.push(Buffer.from(chunk));
    return !this.full;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

function mux(opts: { colour?: boolean; prefix?: boolean; splitStderr?: boolean } = {}) {
  const stdout = new Recorder();
  const stderr = new Recorder();
  const lines = new LogLines({ stdout, stderr, colour: opts.colour ?? false, prefix: opts.prefix ?? true, splitStderr: opts.splitStderr ?? false });
  return { stdout, stderr, lines };
}

test("prefixes are padded as compose pads them: the longest name plus one, then ' | '", () => {
  assert.equal(prefixWidth(["web-1", "longer-service-name-1", "test-1"]), 22);
  assert.equal(linePrefix("web-1", 22, undefined), "web-1                  | ");
  assert.equal(linePrefix("longer-service-name-1", 22, undefined), "longer-service-name-1  | ");
  assert.equal(linePrefix("a-1", prefixWidth(["a-1", "b-1"]), undefined), "a-1  | ");
});

test("colours: compose's rainbow in registration order, the prefix and its bar inside, reset after", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 10].map(colourFor), ["36", "33", "32", "35", "34", "36;1", "36"]);
  assert.equal(COMPOSE_COLOURS.length, 10);
  assert.equal(linePrefix("web-1", 6, "32"), "\u001b[32mweb-1  | \u001b[0m");
});

test("display names drop the project, as compose shows them", () => {
  assert.equal(displayName("demo-web-1", "demo"), "web-1");
  assert.equal(displayName("custom-name", "demo"), "custom-name");
});

test("whole lines, each prefixed; a line cut across frames waits for its end; plain without colour", () => {
  const { stdout, lines } = mux();
  lines.align(["web-1", "db-1"]);
  const web = lines.container("web-1");
  const db = lines.container("db-1");
  web.write("stdout", Buffer.from("one\ntw"));
  db.write("stdout", Buffer.from("ready\n"));
  web.write("stdout", Buffer.from("o\nthree"));
  web.end();
  lines.flush();
  assert.equal(stdout.text(), "web-1  | one\ndb-1   | ready\nweb-1  | two\nweb-1  | three\n");
  assert.ok(!stdout.text().includes("\u001b"), "no escape codes when colour is off");
});

test("stderr lines: to stderr for attached up, to stdout for logs; each stream keeps its own partial line", () => {
  const split = mux({ splitStderr: true });
  const a = split.lines.container("a-1");
  a.write("stdout", Buffer.from("out "));
  a.write("stderr", Buffer.from("err\n"));
  a.write("stdout", Buffer.from("line\n"));
  split.lines.flush();
  assert.equal(split.stdout.text(), "a-1  | out line\n");
  assert.equal(split.stderr.text(), "a-1  | err\n");

  const joined = mux();
  const b = joined.lines.container("b-1");
  b.write("stderr", Buffer.from("err\n"));
  joined.lines.flush();
  assert.equal(joined.stdout.text(), "b-1  | err\n");
  assert.equal(joined.stderr.text(), "");
});

test("colour on: each container's prefix in its colour; status lines in it too; --no-log-prefix prints lines alone", () => {
  const { stdout, lines } = mux({ colour: true });
  lines.container("a-1").write("stdout", Buffer.from("x\n"));
  lines.container("b-1").write("stdout", Buffer.from("y\n"));
  lines.status("b-1", "exited with code 3");
  lines.flush();
  assert.equal(stdout.text(), "\u001b[36ma-1  | \u001b[0mx\n\u001b[33mb-1  | \u001b[0my\n\u001b[33mb-1 exited with code 3\u001b[0m\n");

  const bare = mux({ prefix: false });
  bare.lines.container("a-1").write("stdout", Buffer.from("x\ny\n"));
  bare.lines.flush();
  assert.equal(bare.stdout.text(), "x\ny\n");
});

test("a later container widens every prefix", () => {
  const { stdout, lines } = mux();
  lines.container("a-1").write("stdout", Buffer.from("x\n"));
  lines.container("longer-1").write("stdout", Buffer.from("y\n"));
  lines.container("a-1").write("stdout", Buffer.from("z\n"));
  lines.flush();
  assert.equal(stdout.text(), "a-1  | x\nlonger-1  | y\na-1       | z\n");
});

test("many lines leave in few writes, and a full stream is waited for", async () => {
  const { stdout, lines } = mux();
  const web = lines.container("web-1");
  const chunk = Buffer.from("a log line of some length\n".repeat(1000));
  for (let i = 0; i < 100; i++) web.write("stdout", chunk);
  lines.flush();
  const written = stdout.text();
  assert.equal(written.split("\n").length - 1, 100_000);
  assert.ok(written.startsWith("web-1  | a log line of some length\nweb-1  | a log"));
  assert.ok(stdout.chunks.length < 100, `${stdout.chunks.length} writes for 100 000 lines`);

  stdout.full = true;
  web.write("stdout", chunk);
  lines.flush();
  const full = web.drained();
  assert.ok(full, "a stream that asked for a drain holds everyone back");
  stdout.full = false;
  stdout.emit("drain");
  await full;
  assert.equal(web.drained(), undefined);
});

test("muted: nothing more is printed", () => {
  const { stdout, lines } = mux();
  const a = lines.container("a-1");
  a.write("stdout", Buffer.from("before\n"));
  lines.mute();
  a.write("stdout", Buffer.from("after\n"));
  lines.flush();
  assert.equal(stdout.text(), "a-1  | before\n");
});

test("a flush is scheduled once the I/O callbacks are done: lines are not left in the buffer", async () => {
  const { stdout, lines } = mux();
  lines.container("a-1").write("stdout", Buffer.from("x\n"));
  assert.equal(stdout.text(), "");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stdout.text(), "a-1  | x\n");
});
