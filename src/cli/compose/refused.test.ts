import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PassThrough } from "node:stream";
import { CommanderError } from "commander";
import { createStyle } from "../../ui/style.ts";
import type { CliIo } from "../io.ts";
import { buildProgram, commanderExit } from "../program.ts";
import { REFUSED_COMMANDS } from "./refused.ts";

async function run(args: string[]): Promise<{ err: string }> {
  let err = "";
  const stderr = new PassThrough();
  stderr.on("data", (d) => (err += d));
  const io: CliIo = { env: {}, cwd: process.cwd(), stdout: new PassThrough(), stderr, out: createStyle(false), err: createStyle(false) };
  await buildProgram(io, new AbortController().signal).command.parseAsync(["node", "slipway", ...args]);
  return { err };
}

describe("what slipway compose refuses", () => {
  for (const r of REFUSED_COMMANDS) {
    it(`\`compose ${r.name}\`: refused by name (exit 2), saying what to run instead`, async () => {
      await assert.rejects(run(["compose", r.name, "web", "--some-flag"]), (e: Error & { exitCode?: number; hint?: string }) => {
        assert.equal(e.exitCode, 2);
        assert.match(e.message, new RegExp(`slipway compose ${r.name} is not supported`));
        assert.match(e.hint ?? "", /slipway compose|docker stats/);
        return true;
      });
    });
  }

  it("`--compatibility`: refused by name", async () => {
    await assert.rejects(run(["compose", "--compatibility", "ps"]), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /--compatibility is not supported/.test(e.message));
  });

  it("an unknown subcommand or flag: a usage error (exit 2) naming it", async () => {
    for (const [args, name] of [
      [["compose", "frobnicate"], "'frobnicate'"],
      [["compose", "--frobnicate", "config"], "'--frobnicate'"],
      [["compose", "config", "--frobnicate"], "'--frobnicate'"],
    ] as const) {
      let thrown: unknown;
      const { err } = await run([...args]).catch((e: unknown) => ((thrown = e), { err: "" }));
      assert.ok(thrown instanceof CommanderError, `${args.join(" ")}: ${String(thrown)} ${err}`);
      assert.equal(commanderExit(thrown), 2);
      assert.match(thrown.message, new RegExp(name));
    }
  });

  it("an option after a subcommand is the subcommand's, never slipway's own --version", async () => {
    await assert.rejects(run(["compose", "config", "--version"]), (e: Error) => e instanceof CommanderError && /unknown option '--version'/.test(e.message));
  });
});
