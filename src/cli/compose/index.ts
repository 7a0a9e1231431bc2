/**
 * `slipway compose`: standard compose files, run by Slipway over the Engine API, with compose v2's
 * command line. The global options are compose's (shared.ts); each group of subcommands is in its
 * own file; what Slipway does not have is refused by name (refused.ts).
 */
import { Command } from "commander";
import type { CliIo } from "../io.ts";
import { registerContainers } from "./containers.ts";
import { registerLifecycle } from "./lifecycle.ts";
import { registerListing } from "./listing.ts";
import { registerLogs } from "./logs.ts";
import { registerRefused } from "./refused.ts";
import { acceptDryRunAfterSubcommands, addGlobalOptions, composeDeps } from "./shared.ts";
import { registerUp } from "./up.ts";

export function composeCommand(io: CliIo, signal: AbortSignal, setExit: (code: number) => void): Command {
  const compose = new Command("compose")
    .description("run standard compose files over the Engine API, as docker compose v2 does (no docker compose needed)")
    // Set before the subcommands are added, which copy them: usage errors (unknown subcommand or
    // flag, named in the message) end in exit 2 through main, not in commander's own exit 1.
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    // As in compose v2, global options go before the subcommand (`config -p x` is refused), and
    // subcommands may pass what follows their arguments through (`run app ls -f` is ls's -f).
    .enablePositionalOptions();
  addGlobalOptions(compose);
  const { deps, begin } = composeDeps(io, signal, setExit);
  registerUp(compose, deps);
  registerLifecycle(compose, deps);
  registerListing(compose, deps);
  registerContainers(compose, deps);
  registerLogs(compose, deps);
  acceptDryRunAfterSubcommands(compose);
  registerRefused(compose);
  compose.hook("preAction", (_compose, action) => begin(action));
  return compose;
}
