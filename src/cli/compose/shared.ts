/**
 * What every `slipway compose` subcommand shares: the global options as compose v2 names them,
 * loading the project from them, the run context, and the Ctrl-C rule of commands that create
 * (remove what this invocation created, exit 130). Each group of subcommands (up.ts,
 * lifecycle.ts, listing.ts, containers.ts) registers its commands with `register(compose, deps)`.
 */
import { text } from "node:stream/consumers";
import { InvalidArgumentError, Option, type Command } from "commander";
import { teardownRun } from "../../cleanup/teardown-run.ts";
import { formatIssue, loadProject } from "../../compose/load/index.ts";
import type { Project } from "../../compose/model/index.ts";
import type { ComposeContext } from "../../compose/runner/context.ts";
import { CancelledError, SlipwayError } from "../../errors/index.ts";
import { definedEnv } from "../../pipeline/pipeline.ts";
import type { RunContext } from "../../run/context.ts";
import { createStyle } from "../../ui/style.ts";
import { openRunContext, type OutputMode } from "../context.ts";
import type { CliIo } from "../io.ts";

export const PROGRESS_MODES = ["auto", "tty", "plain", "json", "quiet"] as const;
export const ANSI_MODES = ["never", "always", "auto"] as const;

/** compose v2's global options, with the COMPOSE_* variables that stand in for them already applied. */
export interface GlobalOptions {
  /** `-f`, in order; `-` is the standard input. */
  file?: string[];
  projectName?: string;
  projectDirectory?: string;
  /** `--env-file`, else COMPOSE_ENV_FILES (comma-separated). */
  envFile?: string[];
  profile?: string[];
  progress?: (typeof PROGRESS_MODES)[number];
  /** `--ansi`, else COMPOSE_ANSI; `--no-ansi` (deprecated in compose v2) is `never`. */
  ansi?: (typeof ANSI_MODES)[number];
  /** `--parallel`, else COMPOSE_PARALLEL_LIMIT: at most this many engine operations at once; -1 is no limit. */
  parallel?: number;
  dryRun?: boolean;
  /** Slipway's own: events as JSON lines (as `--progress json`). */
  json?: boolean;
}

export interface ComposeDeps {
  /** The terminal and environment, styled as `--ansi` asks once the command line is parsed. */
  readonly io: CliIo;
  signal: AbortSignal;
  setExit: (code: number) => void;
  /** The global options (given before the subcommand; --dry-run also after it, as compose v2 takes it). */
  globals(cmd: Command): GlobalOptions;
  /** The project from the global options; `services` selects (and enables their profiles). */
  load(opts: GlobalOptions, services?: string[]): Promise<Project>;
  /** The project's name: `-p`, else the file's (loading it only when needed). */
  projectName(opts: GlobalOptions): Promise<string>;
  /** A run context for compose commands: containers from images' names, `--parallel` as given. */
  context(opts: GlobalOptions): Promise<RunContext & ComposeContext & AsyncDisposable>;
  /** Runs `work`; on Ctrl-C removes what this invocation created (its run label) and throws CancelledError (exit 130). */
  cancellable(ctx: RunContext, work: () => Promise<void>): Promise<void>;
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A command line Slipway will not run (exit 2), with what to run instead. */
export function usageError(message: string, hint: string): SlipwayError {
  return new SlipwayError(message, { code: "USAGE", kind: "usage", hint });
}

function parallelLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || (n < 1 && n !== -1)) throw new InvalidArgumentError("Expected a positive whole number, or -1 for no limit.");
  return n;
}

/** The global options, as compose v2 (2.26) defines them on `compose` itself. */
function globalOptions(): Option[] {
  return [
    new Option("-f, --file <file>", "compose file (repeatable, merged in order; - is the standard input)").argParser(collect),
    new Option("-p, --project-name <name>", "project name"),
    new Option("--project-directory <dir>", "project directory (default: the first file's folder)"),
    new Option("--workdir <dir>", "deprecated: --project-directory").hideHelp(),
    new Option("--env-file <file>", "env file for interpolation (repeatable; default COMPOSE_ENV_FILES, else .env)").argParser(collect),
    new Option("--profile <profile>", "enable a profile (repeatable; default COMPOSE_PROFILES)").argParser(collect),
    new Option("--progress <mode>", "progress output").choices(PROGRESS_MODES),
    new Option("--ansi <when>", "when to print ANSI control characters (default COMPOSE_ANSI, else auto)").choices(ANSI_MODES),
    new Option("--no-ansi", "deprecated: --ansi never").hideHelp(),
    new Option("--parallel <n>", "at most this many engine operations at once, -1 for no limit (default COMPOSE_PARALLEL_LIMIT)").argParser(parallelLimit),
    dryRunOption(),
    new Option("--json", "print events as JSON lines (as --progress json)"),
  ];
}

function dryRunOption(): Option {
  return new Option("--dry-run", "print the plan, each step with its cause, and change nothing");
}

export function addGlobalOptions(compose: Command): void {
  for (const option of globalOptions()) compose.addOption(option);
}

/**
 * compose v2's one global flag that also goes after the subcommand (its only persistent flag in
 * 2.26: `config -p x` is refused there, `config --dry-run` is not): given to every subcommand
 * registered by then that has no --dry-run of its own.
 */
export function acceptDryRunAfterSubcommands(compose: Command): void {
  for (const sub of compose.commands) if (!sub.options.some((o) => o.long === "--dry-run")) sub.addOption(dryRunOption().hideHelp());
}

/** The compose command of a subcommand (or itself). */
function composeOf(cmd: Command): Command {
  let c: Command = cmd;
  while (c.parent && c.name() !== "compose") c = c.parent;
  return c;
}

/** The global options of `cmd`'s invocation, with the COMPOSE_* variables compose v2 2.26 reads for them. */
export function readGlobals(cmd: Command, env: Record<string, string | undefined>): GlobalOptions {
  const v = composeOf(cmd).opts() as Record<string, unknown>;
  const out: GlobalOptions = {};
  if (v["file"]) out.file = v["file"] as string[];
  if (v["projectName"] !== undefined) out.projectName = v["projectName"] as string;
  const dir = (v["projectDirectory"] ?? v["workdir"]) as string | undefined;
  if (dir !== undefined) out.projectDirectory = dir;
  const envFiles = (v["envFile"] as string[] | undefined) ?? env["COMPOSE_ENV_FILES"]?.split(",").filter((f) => f !== "");
  if (envFiles?.length) out.envFile = envFiles;
  if (v["profile"]) out.profile = v["profile"] as string[];
  if (v["progress"] !== undefined) out.progress = v["progress"] as GlobalOptions["progress"] & string;
  const ansi = v["ansi"] === false ? "never" : ((v["ansi"] as string | undefined) ?? env["COMPOSE_ANSI"]);
  if (ansi !== undefined && ansi !== "") {
    if (!(ANSI_MODES as readonly string[]).includes(ansi)) throw usageError(`COMPOSE_ANSI=${ansi} is not one of ${ANSI_MODES.join(", ")}`, "Fix or unset COMPOSE_ANSI.");
    out.ansi = ansi as GlobalOptions["ansi"] & string;
  }
  const limit = env["COMPOSE_PARALLEL_LIMIT"];
  if (v["parallel"] !== undefined) out.parallel = v["parallel"] as number;
  else if (limit) {
    try {
      out.parallel = parallelLimit(limit);
    } catch {
      throw usageError(`COMPOSE_PARALLEL_LIMIT=${limit} is not a positive whole number or -1`, "Fix or unset COMPOSE_PARALLEL_LIMIT.");
    }
  }
  if (v["dryRun"] || (cmd !== composeOf(cmd) && cmd.getOptionValue("dryRun"))) out.dryRun = true;
  if (v["json"]) out.json = true;
  return out;
}

/** The renderer a compose command's events go to. */
export function outputMode(opts: GlobalOptions): OutputMode {
  if (opts.json || opts.progress === "json") return "json";
  return opts.progress === "quiet" ? "quiet" : "plain";
}

/** `io` with colour as `--ansi` says (auto: the terminal and NO_COLOR decide, as before). */
export function styledIo(io: CliIo, ansi: GlobalOptions["ansi"]): CliIo {
  if (ansi === undefined || ansi === "auto") return io;
  const style = createStyle(ansi === "always");
  return { ...io, out: style, err: style };
}

export interface ComposeDepsControl {
  deps: ComposeDeps;
  /** Called once the command line is parsed, before the subcommand's action: applies `--ansi`. */
  begin(cmd: Command): void;
}

export function composeDeps(io: CliIo, signal: AbortSignal, setExit: (code: number) => void): ComposeDepsControl {
  let current = io;
  // `-f -`: read once, whichever of load/projectName asks first.
  let stdin: Promise<string> | undefined;
  const readStdin = () => (stdin ??= text(process.stdin));
  const load = (opts: GlobalOptions, services: string[] = []): Promise<Project> =>
    loadProject({
      workingDir: current.cwd,
      env: definedEnv(current.env),
      ...(opts.file ? { files: opts.file } : {}),
      ...(opts.file?.includes("-") ? { stdin: readStdin } : {}),
      ...(opts.projectName ? { projectName: opts.projectName } : {}),
      ...(opts.projectDirectory ? { projectDir: opts.projectDirectory } : {}),
      ...(opts.envFile ? { envFiles: opts.envFile } : {}),
      ...(opts.profile ? { profiles: opts.profile } : {}),
      services,
      onWarning: (w) => void current.stderr.write(`${current.err.yellow("warning")}: ${formatIssue(w)}\n`),
    });
  const deps: ComposeDeps = {
    get io() {
      return current;
    },
    signal,
    setExit,
    globals: (cmd) => readGlobals(cmd, current.env),
    load,
    projectName: async (opts) => opts.projectName ?? (await load(opts)).name,
    // Containers from images' names, as docker compose creates them; `--parallel` bounds every engine operation.
    context: async (opts) => Object.assign(await openRunContext(current, signal, outputMode(opts)), { createFrom: "name" as const, ...(opts.parallel !== undefined ? { parallel: opts.parallel } : {}) }),
    async cancellable(ctx, work) {
      try {
        await work();
      } catch (err) {
        if (!signal.aborted) throw err;
        current.stderr.write(`${current.err.yellow("cancelled")}: removing what this run created…\n`);
        await teardownRun(ctx.engine, ctx.events, ctx.owner.runId, { timeout: 3 });
        throw new CancelledError("Cancelled", err);
      }
    },
  };
  return {
    deps,
    begin(cmd) {
      current = styledIo(io, readGlobals(cmd, io.env).ansi);
    },
  };
}
