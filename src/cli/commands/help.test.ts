import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { buildProgram } from "../program.ts";
import { renderPipelineDocs } from "../../config/docs.ts";
import { createStyle } from "../../ui/style.ts";
import type { CliIo } from "../io.ts";

/** Runs `slipway ARGS` in-process; what it wrote to stdout. */
async function run(args: string[]): Promise<string> {
  let out = "";
  const stdout = new PassThrough();
  stdout.on("data", (d) => (out += d));
  const io: CliIo = { env: {}, cwd: process.cwd(), stdout, stderr: new PassThrough(), out: createStyle(false), err: createStyle(false) };
  await buildProgram(io, new AbortController().signal).command.parseAsync(["node", "slipway", ...args]);
  return out;
}

test("`slipway help config` prints the slipway.yml reference rendered from the schema (docs/config.md's text)", async () => {
  const out = await run(["help", "config"]);
  assert.equal(out, renderPipelineDocs());
  assert.match(out, /^## slipway\.yml\.environments$/m);
});

test("`slipway help` lists the commands and the config topic; `slipway help COMMAND` is that command's help", async () => {
  const out = await run(["help"]);
  assert.match(out, /^ {2}init \[options\]/m);
  assert.match(out, /^ {2}help \[topic\]/m);
  assert.match(out, /^ {2}slipway help config +the slipway\.yml reference/m);
  assert.match(await run(["help", "init"]), /^Usage: slipway init \[options\]/);
});

test("`slipway help` of an unknown name is a usage error that lists what it knows", async () => {
  await assert.rejects(run(["help", "confg"]), (err: Error & { code?: string; exitCode?: number; hint?: string }) => {
    assert.equal(err.code, "USAGE");
    assert.equal(err.exitCode, 2);
    assert.match(err.hint ?? "", /config/);
    return true;
  });
});
