/**
 * Parity of compose v2's global options and the COMPOSE_* variables, seen through `config`: the
 * same command line gives the same project in both tools (files, stdin, env files, profiles,
 * project name and directory, options after the subcommand, the deprecated spellings). Then the
 * command lines both refuse, with Slipway's documented exit codes where compose has its own.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { assertSame, fixture, KnownList, runTool, skipReason, TOOLS, type Pair, type ToolResult } from "./harness.ts";

const dir = fixture("globals");
const known = new KnownList([
  {
    what: "deprecated spellings: --no-ansi, --workdir",
    path: ["services", "app", "environment", "FROM_ENV_FILE"],
    kind: "deliberate",
    reason: "--workdir (deprecated) is --project-directory in every respect in Slipway; compose 2.26 still reads .env from the working directory with it.",
  },
]);

async function both(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}): Promise<Pair<ToolResult>> {
  const [docker, slipway] = await Promise.all(TOOLS.map((t) => runTool(t, args, { cwd: dir, ...opts })));
  return { docker: docker!, slipway: slipway! };
}

interface Case {
  label: string;
  args: string[];
  env?: Record<string, string>;
  stdin?: string;
}

const CASES: Case[] = [
  { label: "-f twice: merged in order", args: ["-f", "compose.yaml", "-f", "override.yaml", "-p", "g", "config"] },
  { label: "-f - reads the file from the standard input", args: ["-f", "-", "-p", "g", "config"], stdin: readFileSync(path.join(dir, "compose.yaml"), "utf8") },
  { label: "-f - then a file", args: ["-f", "-", "-f", "override.yaml", "-p", "g", "config"], stdin: readFileSync(path.join(dir, "compose.yaml"), "utf8") },
  { label: "--env-file twice: the later one wins", args: ["--env-file", "a.env", "--env-file", "b.env", "-p", "g", "config"] },
  { label: "COMPOSE_ENV_FILES", args: ["-p", "g", "config"], env: { COMPOSE_ENV_FILES: "a.env,b.env" } },
  { label: "--env-file beats COMPOSE_ENV_FILES", args: ["--env-file", "b.env", "-p", "g", "config"], env: { COMPOSE_ENV_FILES: "a.env" } },
  { label: "--profile", args: ["--profile", "debug", "-p", "g", "config"] },
  { label: "COMPOSE_PROFILES", args: ["-p", "g", "config"], env: { COMPOSE_PROFILES: "debug" } },
  { label: "COMPOSE_FILE", args: ["-p", "g", "config"], env: { COMPOSE_FILE: "compose.yaml:override.yaml" } },
  { label: "COMPOSE_PROJECT_NAME", args: ["config"], env: { COMPOSE_PROJECT_NAME: "fromenv" } },
  { label: "-p beats COMPOSE_PROJECT_NAME", args: ["-p", "g", "config"], env: { COMPOSE_PROJECT_NAME: "fromenv" } },
  { label: "no -p: the project directory's name", args: ["config"] },
  { label: "--project-directory: .env and relative paths from there", args: ["--project-directory", "sub", "-f", "compose.yaml", "config"] },
  { label: "--dry-run after the subcommand (compose v2's one global flag that goes there)", args: ["-p", "g", "config", "--dry-run"] },
  { label: "--progress, --ansi, --parallel, --dry-run change nothing in config", args: ["--progress", "quiet", "--ansi", "never", "--parallel", "2", "--dry-run", "-p", "g", "config"] },
  { label: "deprecated spellings: --no-ansi, --workdir", args: ["--no-ansi", "--workdir", "sub", "-f", "compose.yaml", "config"] },
];

describe("global options", { skip: skipReason }, () => {

  for (const c of CASES) {
    test(c.label, async () => {
      const r = await both(c.args, c);
      assert.deepEqual([r.docker.code, r.slipway.code], [0, 0], `docker: ${r.docker.stderr}\nslipway: ${r.slipway.stderr}`);
      assertSame({ docker: parse(r.docker.stdout), slipway: parse(r.slipway.stdout) }, known, c.label);
      known.assertSeen(c.label);
    });
  }

  test("the deliberate differences are explained in docs/compose-differences.md", () => known.assertDocumented());

  /**
   * compose 2.26 exits 14 (no compose file), 15 (an invalid one), 16 (unknown command or flag) and
   * 1 for the rest; Slipway exits with its documented codes (README, "Exit codes"). Both name what
   * is wrong.
   */
  const REFUSED: { label: string; args: string[]; docker: number; slipway: number; names: string }[] = [
    { label: "a compose file that does not exist", args: ["-f", "missing.yaml", "config"], docker: 14, slipway: 3, names: "missing.yaml" },
    { label: "an unknown subcommand", args: ["-p", "g", "frobnicate"], docker: 16, slipway: 2, names: "frobnicate" },
    { label: "an unknown global flag", args: ["--frobnicate", "config"], docker: 16, slipway: 2, names: "--frobnicate" },
    { label: "an unknown flag of a subcommand", args: ["config", "--frobnicate"], docker: 16, slipway: 2, names: "--frobnicate" },
    { label: "a global option after the subcommand", args: ["config", "-p", "g"], docker: 16, slipway: 2, names: "-p" },
    { label: "an unknown --progress mode", args: ["--progress", "loud", "config"], docker: 1, slipway: 2, names: "loud" },
    { label: "a service that does not exist", args: ["-p", "g", "config", "nosuch"], docker: 1, slipway: 3, names: "nosuch" },
  ];
  for (const c of REFUSED) {
    test(`refused by both: ${c.label}`, async () => {
      const r = await both(c.args);
      assert.deepEqual({ docker: r.docker.code, slipway: r.slipway.code }, { docker: c.docker, slipway: c.slipway }, `docker: ${r.docker.stderr}\nslipway: ${r.slipway.stderr}`);
      assert.match(r.slipway.stderr, new RegExp(c.names.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")));
    });
  }
});
