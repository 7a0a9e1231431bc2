import { Command, CommanderError } from "commander";
import { ExitCode, SlipwayError } from "../errors/index.ts";
import { cleanCommand } from "./commands/clean.ts";
import { pruneCommand } from "./commands/prune.ts";
import { composeCommand } from "./compose/index.ts";
import { installCommand } from "./commands/install.ts";
import { dockerCliPluginCommand } from "./commands/docker-cli-plugin.ts";
import { dockerComposeV1Command } from "./commands/docker-compose-v1.ts";
import { initCommand } from "./commands/init.ts";
import { testCommand } from "./commands/test.ts";
import { ciCommand } from "./commands/ci.ts";
import { doctorCommand } from "./commands/doctor.ts";
import { loginCommand, logoutCommand } from "./commands/login.ts";
import { tagsCommand } from "./commands/tags.ts";
import { buildtagCommand, publishCommand, tagCommand } from "./commands/publish.ts";
import { baseCommand } from "./commands/base.ts";
import { deployCommand } from "./commands/deploy.ts";
import { lockCommand } from "./commands/lock.ts";
import { rollbackCommand } from "./commands/rollback.ts";
import { releasesCommand, versionCommand } from "./commands/releases.ts";
import { helpCommand, topicsHelp } from "./commands/help.ts";
import type { CliIo } from "./io.ts";
import { slipwayVersion } from "../run/version.ts";

export interface Program {
  command: Command;
  /** The exit code a command asked for (commands that succeed leave it at 0). */
  exitCode(): number;
}

export function buildProgram(io: CliIo, signal: AbortSignal): Program {
  let exitCode: number = ExitCode.ok;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const program = new Command("slipway")
    .description("Test, build, release, tag, publish and deploy Docker applications — the same way on a laptop and in CI.")
    .version(slipwayVersion(), "-V, --version")
    .showHelpAfterError()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride()
    // Options belong to the command they follow: `slipway compose run app node --version` is node's --version.
    .enablePositionalOptions()
    .helpCommand(false)
    .addHelpText("after", topicsHelp());
  program.addCommand(doctorCommand(io, signal, setExit));
  program.addCommand(initCommand(io));
  program.addCommand(testCommand(io, signal, setExit));
  program.addCommand(ciCommand(io, signal, setExit));
  program.addCommand(cleanCommand(io, signal));
  program.addCommand(pruneCommand(io, signal));
  program.addCommand(loginCommand(io, signal));
  program.addCommand(logoutCommand(io, signal));
  program.addCommand(tagsCommand(io, signal));
  program.addCommand(tagCommand(io, signal, setExit));
  program.addCommand(buildtagCommand(io, signal, setExit));
  program.addCommand(publishCommand(io, signal, setExit));
  program.addCommand(baseCommand(io, signal));
  program.addCommand(deployCommand(io, signal));
  program.addCommand(lockCommand(io, signal));
  program.addCommand(rollbackCommand(io, signal));
  program.addCommand(releasesCommand(io, signal));
  program.addCommand(versionCommand(io, signal));
  program.addCommand(composeCommand(io, signal, setExit));
  program.addCommand(installCommand(io));
  program.addCommand(dockerCliPluginCommand(io), { hidden: true });
  program.addCommand(dockerComposeV1Command(io), { hidden: true });
  program.addCommand(helpCommand(io, program));
  // addCommand copies no settings: without this, a subcommand's usage error (an unknown option, a
  // missing required one, a bad value) was commander's own process.exit(1), not exit 2, and its
  // message went past the CLI's output.
  const inherit = (command: Command): void => {
    for (const sub of command.commands) {
      sub.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
      inherit(sub);
    }
  };
  inherit(program);
  return { command: program, exitCode: () => exitCode };
}

/** Commander's own exits (help, version, usage errors) as our exit codes. */
export function commanderExit(err: CommanderError): number {
  if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") {
    return ExitCode.ok;
  }
  return ExitCode.usage;
}

export function usageError(message: string): SlipwayError {
  return new SlipwayError(message, { code: "USAGE", kind: "usage", hint: "Run `slipway --help`." });
}
