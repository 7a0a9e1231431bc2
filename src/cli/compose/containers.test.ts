/**
 * The command lines of `run`, `exec`, `cp`, `build`, `pull` and `push` as compose v2 reads them:
 * what goes to the command and what to the subcommand, what Slipway refuses (exit 2, with what to do
 * instead). Only --dry-run and refusals here: nothing reaches an engine.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PassThrough } from "node:stream";
import { CommanderError } from "commander";
import { SlipwayError } from "../../errors/index.ts";
import { createStyle } from "../../ui/style.ts";
import type { CliIo } from "../io.ts";
import { buildProgram, commanderExit } from "../program.ts";

async function run(args: string[], cwd = "/work/here"): Promise<{ out: string; err: string }> {
  let out = "";
  let err = "";
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  const io: CliIo = { env: {}, cwd, stdout, stderr, out: createStyle(false), err: createStyle(false) };
  await buildProgram(io, new AbortController().signal).command.parseAsync(["node", "slipway", "compose", ...args]);
  return { out, err };
}

const usage = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof SlipwayError, String(e));
  assert.equal(e.exitCode, 2);
  assert.match(e.message, pattern);
  assert.ok(e.hint, "says what to do instead");
  return true;
};

describe("compose run/exec/cp/build/pull/push command lines", () => {
  it("exec: options before SERVICE are exec's, everything after it is the command's (even -p, -f, --help)", async () => {
    const { out } = await run(["-p", "demo", "--dry-run", "exec", "-d", "--index", "2", "-e", "A=1", "app", "ls", "-la", "-p", "-f", "--help"]);
    assert.equal(out, '  -  exec ["ls","-la","-p","-f","--help"] in demo-app-2, detached\n');
  });

  it("--dry-run after the subcommand counts, as in compose v2", async () => {
    const { out } = await run(["-p", "late", "exec", "--dry-run", "app", "true"]);
    assert.equal(out, '  -  exec ["true"] in late-app-1\n');
  });

  it("cp: SERVICE:PATH on one side; a host path is made absolute from where slipway runs, its trailing / kept", async () => {
    assert.equal((await run(["-p", "demo", "--dry-run", "cp", "app:/srv/site", "out/"])).out, "  -  copy app:/srv/site to /work/here/out/\n");
    assert.equal((await run(["-p", "demo", "--dry-run", "cp", "./a:b", "app:/tmp"])).out, "  -  copy /work/here/a:b to app:/tmp\n");
    assert.equal((await run(["-p", "demo", "--dry-run", "cp", "-", "app:/tmp"])).out, "  -  copy - to app:/tmp\n");
    await assert.rejects(run(["-p", "demo", "cp", "a:/x", "b:/y"]), usage(/between services is not supported/));
    await assert.rejects(run(["-p", "demo", "cp", "x", "y"]), usage(/names a service/));
  });

  it("what Slipway does not do is refused by name, with what to do instead", async () => {
    await assert.rejects(run(["-p", "demo", "build", "--ssh", "default"]), usage(/build --ssh is not supported: Slipway does not forward an ssh agent/));
    await assert.rejects(run(["-p", "demo", "build", "--builder", "mybuilder"]), usage(/build --builder is not supported/));
  });

  it("an unknown flag is a usage error (exit 2) naming it, with the near one when there is one", async () => {
    for (const [args, pattern] of [
      [["run", "--servce-ports", "app"], /unknown option '--servce-ports'\n?.*Did you mean --service-ports\?/s],
      [["pull", "--ignore-pull-failure"], /unknown option '--ignore-pull-failure'\n?.*Did you mean --ignore-pull-failures\?/s],
      [["push", "--frobnicate"], /unknown option '--frobnicate'/],
    ] as const) {
      const thrown = await run([...args]).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(thrown instanceof CommanderError, `${args.join(" ")}: ${String(thrown)}`);
      assert.equal(commanderExit(thrown), 2);
      assert.match(thrown.message, pattern);
    }
  });

  it("run: --service-ports and --publish together are refused before anything runs", async () => {
    // The file is read first (the service must exist): a project from an inline file.
    const { mkdtemp, writeFile, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const dir = await mkdtemp(path.join(tmpdir(), "slipway-cli-run-"));
    try {
      await writeFile(path.join(dir, "compose.yaml"), "services:\n  app:\n    image: busybox\n");
      await assert.rejects(run(["run", "-P", "-p", "80", "app", "true"], dir), usage(/--service-ports and --publish are incompatible/));
      await assert.rejects(run(["run", "-l", "nolabel", "app", "true"], dir), usage(/label must be set as KEY=VALUE/));
      await assert.rejects(run(["run", "-v", ":/x", "app", "true"], dir), usage(/Invalid -v/));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
