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
  // The reader of stdout went away (`slipway compose logs -f | head`): the command stops as on
  // Ctrl-C (what it started is torn down) and ends quietly, as a program killed by SIGPIPE does —
  // never with an EPIPE stack trace.
  let readerGone = false;
  io.stdout.on("error", () => {
    if (readerGone) return;
    readerGone = true;
    interrupts.abort(new Error("stdout was closed"));
  });
  const program = buildProgram(io, interrupts.signal);
  try {
    await program.command.parseAsync(argv);
    if (readerGone) return ExitCode.ok;
    return interrupts.signal.aborted ? ExitCode.cancelled : program.exitCode();
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err);
    if (interrupts.signal.aborted && isAbortError(err)) return readerGone ? ExitCode.ok : ExitCode.cancelled;
    const error = toSlipwayError(err);
    io.stderr.write(renderError(error, io.err));
    return error.exitCode;
  } finally {
    interrupts.dispose();
  }
}

// Not a top-level await: the published bundle is CommonJS (see loader.ts).
void main(process.argv).then((code) => {
  process.exitCode = code;
});
