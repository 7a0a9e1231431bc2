/**
 * What every `slipway compose` subcommand shares: the global options as compose v2 names them,
 * loading the project from them, the run context, and the Ctrl-C rule of commands that create
 * (remove what this invocation created, exit 130). Each group of subcommands (up.ts,
 * lifecycle.ts, listing.ts, containers.ts) registers its commands with `register(compose, deps)`.
 */
import type { Command } from "commander";
import { teardownRun } from "../../cleanup/teardown-run.ts";
import { formatIssue, loadProject } from "../../compose/load/index.ts";
import type { Project } from "../../compose/model/index.ts";
import { CancelledError } from "../../errors/index.ts";
import { definedEnv } from "../../pipeline/pipeline.ts";
import type { RunContext } from "../../run/context.ts";
import { openRunContext } from "../context.ts";
import type { CliIo } from "../io.ts";

/** compose v2's global options. */
export interface GlobalOptions {
  file?: string[];
  projectName?: string;
  projectDirectory?: string;
  envFile?: string[];
  profile?: string[];
  progress?: "auto" | "tty" | "plain" | "json" | "quiet";
  ansi?: "never" | "always" | "auto";
  parallel?: number;
  dryRun?: boolean;
  json?: boolean;
}

export interface ComposeDeps {
  io: CliIo;
  signal: AbortSignal;
  setExit: (code: number) => void;
  /** The command's global options (those given before the subcommand). */
  globals(cmd: Command): GlobalOptions;
  /** The project from the global options; `services` selects (and enables their profiles). */
  load(opts: GlobalOptions, services?: string[]): Promise<Project>;
  /** The project's name: `-p`, else the file's (loading it only when needed). */
  projectName(opts: GlobalOptions): Promise<string>;
  context(opts: GlobalOptions): Promise<RunContext & AsyncDisposable>;
  /** Runs `work`; on Ctrl-C removes what this invocation created (its run label) and throws CancelledError (exit 130). */
  cancellable(ctx: RunContext, work: () => Promise<void>): Promise<void>;
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];

export function composeDeps(io: CliIo, signal: AbortSignal, setExit: (code: number) => void): ComposeDeps {
  const load = (opts: GlobalOptions, services: string[] = []): Promise<Project> =>
    loadProject({
      workingDir: io.cwd,
      env: definedEnv(io.env),
      ...(opts.file ? { files: opts.file } : {}),
      ...(opts.projectName ? { projectName: opts.projectName } : {}),
      ...(opts.projectDirectory ? { projectDir: opts.projectDirectory } : {}),
      ...(opts.envFile ? { envFiles: opts.envFile } : {}),
      ...(opts.profile ? { profiles: opts.profile } : {}),
      services,
      onWarning: (w) => void io.stderr.write(`${io.err.yellow("warning")}: ${formatIssue(w)}\n`),
    });
  return {
    io,
    signal,
    setExit,
    globals: (cmd) => cmd.optsWithGlobals() as GlobalOptions,
    load,
    projectName: async (opts) => opts.projectName ?? (await load(opts)).name,
    context: (opts) => openRunContext(io, signal, opts.json || opts.progress === "json" ? "json" : "plain"),
    async cancellable(ctx, work) {
      try {
        await work();
      } catch (err) {
        if (!signal.aborted) throw err;
        io.stderr.write(`${io.err.yellow("cancelled")}: removing what this run created…\n`);
        await teardownRun(ctx.engine, ctx.events, ctx.owner.runId, { timeout: 3 });
        throw new CancelledError("Cancelled", err);
      }
    },
  };
}
