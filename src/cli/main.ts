#!/usr/bin/env node
/**
 * The edge: reads argv, env and the terminal, handles Ctrl-C, renders errors once and maps
 * them to documented exit codes (README, "Exit codes"). Nothing below cli/ does any of this.
 */
import "./process-tuning.ts";
import { CommanderError } from "commander";
import { ExitCode, isAbortError } from "../errors/index.ts";
import { renderError, toSlipwayError } from "../ui/error-renderer.ts";
import { processIo } from "./io.ts";
import { buildProgram, commanderExit } from "./program.ts";
import { handleInterrupts } from "./signals.ts";

async function main(argv: string[]): Promise<number> {
  const io = processIo();
  const interrupts = handleInterrupts((name) => {
    io.stderr.write(`\n${io.err.yellow(`${name} received: stopping and cleaning up (press Ctrl-C again to exit at once)`)}\n`);
  });
  const program = buildProgram(io, interrupts.signal);
  try {
    await program.command.parseAsync(argv);
    return interrupts.signal.aborted ? ExitCode.cancelled : program.exitCode();
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err);
    if (interrupts.signal.aborted && isAbortError(err)) return ExitCode.cancelled;
    const error = toSlipwayError(err);
    io.stderr.write(renderError(error, io.err));
    return error.exitCode;
  } finally {
    interrupts.dispose();
  }
}

process.exitCode = await main(process.argv);
