import assert from "node:assert/strict";
import { test } from "node:test";
import { PassThrough } from "node:stream";
import { CommanderError } from "commander";
import { createStyle } from "../ui/style.ts";
import type { CliIo } from "./io.ts";
import { buildProgram, commanderExit } from "./program.ts";

/** Parses a command line through the real program; what commander would have written to stderr is returned. */
async function usage(args: string[]): Promise<{ error: unknown; err: string }> {
  let err = "";
  const stderr = new PassThrough();
  stderr.on("data", (d) => (err += d));
  const io: CliIo = { env: {}, cwd: process.cwd(), stdout: new PassThrough(), stderr, out: createStyle(false), err: createStyle(false) };
  const error = await buildProgram(io, new AbortController().signal).command.parseAsync(["node", "slipway", ...args]).then(() => undefined, (e: unknown) => e);
  return { error, err };
}

test("a usage error of any subcommand is exit 2 with commander's message on the CLI's stderr, never commander's own process.exit(1)", async () => {
  for (const [args, message] of [
    [["deploy", "--bogus"], /unknown option '--bogus'|required option '--target <name>'/],
    [["deploy"], /required option '--target <name>' not specified/],
    [["deploy", "--target", "t", "--lock-wait", "5x"], /5x/],
    [["ci", "--bogus"], /unknown option '--bogus'/],
    [["ci", "--from", "nope"], /argument 'nope' is invalid/],
    [["test", "--bogus"], /unknown option '--bogus'/],
    [["rollback", "--bogus"], /unknown option '--bogus'|required option/],
    [["lock", "status", "--bogus"], /unknown option '--bogus'|required option/],
    [["releases", "--bogus"], /unknown option '--bogus'/],
  ] as const) {
    const { error, err } = await usage([...args]);
    assert.ok(error instanceof CommanderError, `${args.join(" ")}: ${String(error)}`);
    assert.equal(commanderExit(error), 2, args.join(" "));
    assert.match(err, message, `${args.join(" ")}: its message on the CLI's stderr`);
  }
});
