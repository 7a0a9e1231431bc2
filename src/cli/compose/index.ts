/**
 * `slipway compose`: standard compose files, run by Slipway over the Engine API, with compose v2's
 * command line. The global options are compose's; each group of subcommands is in its own file.
 */
import { Command, Option } from "commander";
import type { CliIo } from "../io.ts";
import { registerContainers } from "./containers.ts";
import { registerLifecycle } from "./lifecycle.ts";
import { registerListing } from "./listing.ts";
import { collect, composeDeps } from "./shared.ts";
import { registerUp } from "./up.ts";

export function composeCommand(io: CliIo, signal: AbortSignal, setExit: (code: number) => void): Command {
  const compose = new Command("compose")
    .description("run standard compose files over the Engine API (no docker compose needed)")
    .option("-f, --file <file>", "compose file (repeatable; merged in order)", collect)
    .option("-p, --project-name <name>", "project name")
    .option("--project-directory <dir>", "project directory (default: the first file's folder)")
    .option("--env-file <file>", "env file for interpolation (repeatable)", collect)
    .option("--profile <profile>", "enable a profile (repeatable)", collect)
    .option("--dry-run", "print the plan, each step with its cause, and change nothing")
    .option("--json", "print events as JSON lines");
  const deps = composeDeps(io, signal, setExit);
  registerUp(compose, deps);
  registerLifecycle(compose, deps);
  registerListing(compose, deps);
  registerContainers(compose, deps);
  return compose;
}
