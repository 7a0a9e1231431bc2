import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createStyle } from "../ui/style.ts";
import type { CliIo } from "./io.ts";
import { renderer } from "./context.ts";

function terminal(): { io: CliIo; output: () => string } {
  let text = "";
  const stdout = Object.assign(new Writable({ write: (chunk, _enc, done) => ((text += String(chunk)), done()) }), { isTTY: true });
  return { io: { env: {}, cwd: "/", stdout, stderr: stdout, out: createStyle(false), err: createStyle(false) }, output: () => text };
}

test("slipway test on a terminal: a live progress line by default, plain lines with --output plain", () => {
  const progress = { type: "progress", task: "pull node:20-slim", status: "Downloading", id: "layer", current: 5, total: 10, time: 0 } as const;
  const live = terminal();
  renderer(live.io, "pipeline")!(progress);
  assert.match(live.output(), /\r\u001b\[2K/);
  const plain = terminal();
  renderer(plain.io, "pipeline-log")!(progress);
  assert.equal(plain.output(), "");
});
