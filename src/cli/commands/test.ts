/** `slipway test`: the test stage of slipway.yml, with a verdict you can trust. */
import { Command, Option } from "commander";
import { runPipelineCommand, withRunOptions, type OutputFlags } from "./pipeline-run.ts";
import type { CliIo } from "../io.ts";

export function testCommand(io: CliIo, signal: AbortSignal, setExit: (code: number) => void): Command {
  return withRunOptions(
    new Command("test")
      .description("build the test images, bring the test environment up, run the tests, copy reports out, tear down")
      .option("-e, --environment <name>", "environment of slipway.yml to test", "test")
      // `--stage` was this option's first name: a stage is a step of the workflow, not an environment.
      .addOption(new Option("--stage <name>", "alias of --environment").hideHelp()),
  ).action(async (o: OutputFlags & { environment: string; stage?: string }) => {
    const result = await runPipelineCommand(io, signal, o, () => ({ stages: ["test"], environment: o.stage ?? o.environment }));
    setExit(result.verdict.exitCode);
  });
}
