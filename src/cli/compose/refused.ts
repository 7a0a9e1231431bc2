/**
 * docker compose v2 (2.26) commands and global flags Slipway does not have, refused by name
 * (exit 2) with what to run instead, rather than "unknown command": a Makefile written for
 * `docker compose` that uses one of them learns why at once.
 */
import { Option, type Command } from "commander";
import { usageError } from "./shared.ts";

interface Refusal {
  /** The subcommand (`alpha publish` is under `alpha`). */
  name: string;
  why: string;
  instead: string;
}

export const REFUSED_COMMANDS: readonly Refusal[] = [
  {
    name: "watch",
    why: "Slipway does not watch files",
    instead: "After a change, rebuild and recreate what changed with `slipway compose up -d --build`.",
  },
  {
    name: "attach",
    why: "Slipway does not attach a terminal to a running container",
    instead: "Follow its output with `slipway compose logs -f SERVICE`, or run a command in it with `slipway compose exec SERVICE COMMAND`.",
  },
  {
    name: "stats",
    why: "Slipway does not stream resource statistics",
    instead: "Use the engine's own: `docker stats $(slipway compose ps -q)`.",
  },
  {
    name: "scale",
    why: "Slipway has no separate scale command",
    instead: "Set the number of containers with `slipway compose up -d --scale SERVICE=N`, or `deploy.replicas` in the file.",
  },
  {
    name: "alpha",
    why: "Slipway has none of docker compose's experimental commands (alpha publish, alpha viz)",
    instead: "Push the services' images with `slipway compose push` (a release: `slipway publish`); see the order services start in with `slipway compose --dry-run up`.",
  },
];

/** Global flags of compose v2 that Slipway refuses, with why. */
export const REFUSED_GLOBAL_FLAGS: readonly Refusal[] = [
  {
    name: "--compatibility",
    why: "Slipway names containers as compose v2 does (PROJECT-SERVICE-1), not as docker-compose v1 did (PROJECT_SERVICE_1)",
    instead: "Drop --compatibility; scripts that need a container's name can ask `slipway compose ps -q SERVICE`.",
  },
];

function refuse(r: Refusal, what: string): never {
  throw usageError(`${what} is not supported: ${r.why}`, r.instead);
}

export function registerRefused(compose: Command): void {
  for (const r of REFUSED_COMMANDS) {
    compose
      .command(r.name, { hidden: true })
      .description(`not supported: ${r.instead}`)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .argument("[args...]")
      .action(() => refuse(r, `slipway compose ${r.name}`));
  }
  for (const r of REFUSED_GLOBAL_FLAGS) {
    const option = new Option(r.name, `not supported: ${r.why}`).hideHelp();
    compose.addOption(option);
    compose.hook("preSubcommand", (cmd) => {
      if (cmd.getOptionValue(option.attributeName()) !== undefined) refuse(r, r.name);
    });
  }
}
