/**
 * `docker-compose …` command lines (docker-compose v1's), run by `slipway compose` (installed by
 * `slipway install docker-compose`; the shim runs `slipway docker-compose "$@"`). v1's global
 * options are compose v2's plus docker's connection options (`-H`, `--context`, TLS), which
 * become the docker variables, and a few with no effect here (`--verbose`, `--log-level`,
 * `--skip-hostname-check`).
 *
 * Where v1 and v2 differ on a command Makefiles rely on, the v1 meaning is kept: `ps` lists stopped
 * containers too (v1 had no `--all`; compose v2 lists only running ones), so that seed 001's
 * `docker cp $(docker-compose ps -q test):/reports .` finds the test container after it exited.
 * `-v`/`--version` is `version`.
 */
import { Command } from "commander";
import type { CliIo } from "../io.ts";
import { applyDockerEnv, DOCKER_OPTIONS, dockerEnv, splitOption, usage } from "./docker-cli-plugin.ts";

/** v1's own global options (docker-compose 1.29 --help) that `slipway compose` takes as they are. */
const COMPOSE_OPTIONS: Record<string, boolean> = {
  "-f": true,
  "--file": true,
  "-p": true,
  "--project-name": true,
  "--profile": true,
  "--project-directory": true,
  "--env-file": true,
  "--ansi": true,
  "--no-ansi": false,
  "--compatibility": false,
};
/** v1 options that change nothing in Slipway, with whether a value follows. */
const IGNORED_OPTIONS: Record<string, boolean> = { "--verbose": false, "--log-level": true, "--skip-hostname-check": false };

export interface V1Invocation {
  env: Record<string, string | undefined>;
  composeArgs: string[];
}

/** A v1 command line as `slipway compose` arguments. Pure. */
export function translateV1(args: readonly string[]): V1Invocation {
  const given: Record<string, string | true> = {};
  const out: string[] = [];
  let i = 0;
  for (; i < args.length && args[i]!.startsWith("-"); i++) {
    const arg = args[i]!;
    if (arg === "--") {
      i++;
      break;
    }
    if (arg === "-v" || arg === "--version") return { env: dockerEnv(given), composeArgs: [...out, "version"] };
    const { flag, inline } = splitOption(arg);
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw usage(`docker-compose's ${flag} needs a value`, "Run `slipway compose --help` for the options.");
      return v;
    };
    if (flag in COMPOSE_OPTIONS) out.push(...(COMPOSE_OPTIONS[flag] ? [flag, value()] : [arg]));
    else if (flag in IGNORED_OPTIONS) {
      if (IGNORED_OPTIONS[flag]) value();
    } else if (DOCKER_OPTIONS[flag]) {
      const option = DOCKER_OPTIONS[flag]!;
      given[option.name] = option.value ? value() : true;
    } else out.push(arg); // slipway compose names what it does not know
  }
  const rest = args.slice(i);
  if (rest[0] === "ps" && !rest.slice(1).some((a) => a === "-a" || a === "--all")) rest.splice(1, 0, "--all");
  return { env: dockerEnv(given), composeArgs: [...out, ...rest] };
}

export function dockerComposeV1Command(io: CliIo): Command {
  return new Command("docker-compose")
    .description("docker-compose (v1) command lines, run by slipway compose (slipway install docker-compose)")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .passThroughOptions()
    .argument("[args...]")
    .action(async (args: string[], _o, cmd: Command) => {
      const invocation = translateV1(args);
      applyDockerEnv(io, invocation.env);
      await cmd.parent!.parseAsync(["compose", ...invocation.composeArgs], { from: "user" });
    });
}
