/**
 * `run` and `exec` holding the command's input, as compose does by default (-i): plain input whose
 * end closes the command's stdin, and a pseudo-terminal kept at the caller's terminal size.
 * Against the real engine; each test has its own project and run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { composeExec } from "../../../src/compose/runner/exec.ts";
import type { InteractiveIo } from "../../../src/compose/runner/interactive.ts";
import { composeRun } from "../../../src/compose/runner/run.ts";
import { composeUp } from "../../../src/compose/runner/up.ts";
import { projectFromYaml } from "../../../src/compose/runner/test-support.ts";
import { testContext, uniqueProject } from "../../support/run-context.ts";

const TIMEOUT = { timeout: 120_000 };
const yaml = `
services:
  app: { image: busybox:latest, init: true, command: ["sleep", "300"] }
`;

function collect(): { onOutput: (stream: string, data: Buffer) => void; text: (stream?: string) => string } {
  const seen: { stream: string; data: Buffer }[] = [];
  return {
    onOutput: (stream, data) => void seen.push({ stream, data }),
    text: (stream) => Buffer.concat(seen.filter((s) => stream === undefined || s.stream === stream).map((s) => s.data)).toString(),
  };
}

test("exec with input: the command reads it to its end, and its exit code and streams come back", TIMEOUT, async () => {
  await using ctx = await testContext();
  const name = uniqueProject("exec-in");
  const project = await projectFromYaml(yaml, name);
  await composeUp(ctx, project, { lifetime: "ephemeral" });
  const out = collect();
  const code = await composeExec(ctx.engine, name, "app", ["sh", "-c", "cat; echo done >&2; exit 6"], {
    interactive: { stdin: Readable.from([Buffer.from("one\n"), Buffer.from("two\n")]) },
    onOutput: out.onOutput,
  });
  assert.equal(code, 6);
  assert.equal(out.text("stdout"), "one\ntwo\n");
  assert.equal(out.text("stderr"), "done\n");
});

test("exec with a TTY: a terminal of the caller's size, input echoed, output raw on stdout", TIMEOUT, async () => {
  await using ctx = await testContext();
  const name = uniqueProject("exec-tty");
  const project = await projectFromYaml(yaml, name);
  await composeUp(ctx, project, { lifetime: "ephemeral" });
  const stdin = new PassThrough();
  let resized: (() => void) | undefined;
  const io: InteractiveIo = { stdin, size: () => ({ rows: 33, cols: 111 }), onResize: (listener) => ((resized = listener), () => (resized = undefined)) };
  const out = collect();
  // The size arrives just after the start: the shell waits for it, then reads a line.
  const script = 'tty; until [ "$(stty size 2>/dev/null)" = "33 111" ]; do sleep 0.05; done; echo sized; read line; echo "got $line"; exit 4';
  const running = composeExec(ctx.engine, name, "app", ["sh", "-c", script], { interactive: io, tty: true, onOutput: out.onOutput });
  // Typed once the shell says it has the size (the terminal echoes what it gets).
  while (!out.text().includes("sized")) await new Promise((r) => setTimeout(r, 50));
  assert.ok(resized, "it follows the terminal's size");
  stdin.write("hello\r");
  assert.equal(await running, 4);
  const text = out.text();
  assert.match(text, /^\/dev\/pts\/\d+\r\n/);
  assert.match(text, /got hello/);
  assert.equal(out.text("stderr"), "", "a TTY has one stream");
  assert.equal(resized, undefined, "the resize listener is removed at the end");
});

test("run with input: a one-off whose stdin is the input, closed at its end; --rm leaves nothing", TIMEOUT, async () => {
  await using ctx = await testContext();
  const name = uniqueProject("run-in");
  const project = await projectFromYaml(yaml, name);
  const out = collect();
  const result = await composeRun(ctx, project, "app", {
    lifetime: "ephemeral",
    rm: true,
    command: ["sh", "-c", "wc -c; exit 3"],
    interactive: { stdin: Readable.from([Buffer.alloc(100_000, 120)]) },
    onOutput: out.onOutput,
  });
  assert.equal(result.exitCode, 3);
  assert.equal(out.text("stdout").trim(), "100000");
  assert.equal(await ctx.engine.containers.find(result.id), undefined, "removed");
});
