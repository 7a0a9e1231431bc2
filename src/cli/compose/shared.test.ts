import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Command } from "commander";
import { acceptDryRunAfterSubcommands, addGlobalOptions, outputMode, readGlobals, styledIo, type GlobalOptions } from "./shared.ts";
import { createStyle } from "../../ui/style.ts";
import type { CliIo } from "../io.ts";

/** Parses `compose ARGS` with the global options and one subcommand, `sub`; the globals as the subcommand reads them. */
function globals(args: string[], env: Record<string, string> = {}): GlobalOptions {
  const compose = new Command("compose").exitOverride().enablePositionalOptions().configureOutput({ writeErr: () => undefined });
  addGlobalOptions(compose);
  let seen: GlobalOptions | undefined;
  compose.command("sub").action((_o, cmd: Command) => void (seen = readGlobals(cmd, env)));
  acceptDryRunAfterSubcommands(compose);
  compose.parse(args, { from: "user" });
  return seen!;
}

describe("compose v2's global options", () => {
  it("collects the repeatable ones in order", () => {
    assert.deepEqual(globals(["-f", "a.yml", "-f", "-", "--env-file", "x", "--env-file", "y", "--profile", "p", "--profile", "q", "sub"]), {
      file: ["a.yml", "-"],
      envFile: ["x", "y"],
      profile: ["p", "q"],
    });
  });

  it("COMPOSE_ENV_FILES (comma-separated), COMPOSE_ANSI and COMPOSE_PARALLEL_LIMIT stand in for their flags, which win", () => {
    const env = { COMPOSE_ENV_FILES: "a.env,b.env", COMPOSE_ANSI: "never", COMPOSE_PARALLEL_LIMIT: "4" };
    assert.deepEqual(globals(["sub"], env), { envFile: ["a.env", "b.env"], ansi: "never", parallel: 4 });
    assert.deepEqual(globals(["--env-file", "c.env", "--ansi", "always", "--parallel", "-1", "sub"], env), { envFile: ["c.env"], ansi: "always", parallel: -1 });
  });

  it("takes the deprecated spellings: --no-ansi is --ansi never, --workdir is --project-directory", () => {
    assert.deepEqual(globals(["--no-ansi", "--workdir", "sub-dir", "sub"]), { ansi: "never", projectDirectory: "sub-dir" });
  });

  it("takes --dry-run after the subcommand too, and nothing else there", () => {
    assert.deepEqual(globals(["sub", "--dry-run"]), { dryRun: true });
    assert.throws(() => globals(["sub", "-p", "x"]), /unknown option '-p'/);
  });

  it("refuses values it cannot use, naming them", () => {
    assert.throws(() => globals(["--progress", "loud", "sub"]), /loud/);
    assert.throws(() => globals(["--ansi", "sometimes", "sub"]), /sometimes/);
    assert.throws(() => globals(["--parallel", "0", "sub"]), /--parallel/);
    assert.throws(() => globals(["sub"], { COMPOSE_ANSI: "sometimes" }), (e: Error & { exitCode?: number }) => /COMPOSE_ANSI=sometimes/.test(e.message) && e.exitCode === 2);
    assert.throws(() => globals(["sub"], { COMPOSE_PARALLEL_LIMIT: "many" }), /COMPOSE_PARALLEL_LIMIT=many/);
  });

  it("--progress and --json choose the renderer", () => {
    assert.equal(outputMode({}), "plain");
    assert.equal(outputMode({ progress: "tty" }), "plain");
    assert.equal(outputMode({ progress: "json" }), "json");
    assert.equal(outputMode({ json: true }), "json");
    assert.equal(outputMode({ progress: "quiet" }), "quiet");
  });

  it("--ansi always or never decides colour over the terminal's own", () => {
    const io = { env: {}, cwd: "/", out: createStyle(false), err: createStyle(true) } as unknown as CliIo;
    assert.equal(styledIo(io, "auto"), io);
    assert.deepEqual([styledIo(io, "always").out.enabled, styledIo(io, "always").err.enabled], [true, true]);
    assert.deepEqual([styledIo(io, "never").out.enabled, styledIo(io, "never").err.enabled], [false, false]);
  });
});
