/** `slipway test`: the test stage of slipway.yml, with a verdict you can trust. */
import { Command, Option } from "commander";
import { definedEnv, loadPipeline, runPipeline } from "../../pipeline/pipeline.ts";
import { newRunId } from "../../run/identity.ts";
import { fromError } from "../../run/verdict.ts";
import { SlipwayError } from "../../errors/index.ts";
import { jsonRenderer } from "../../ui/json-renderer.ts";
import { openRunContext, type OutputMode } from "../context.ts";
import type { CliIo } from "../io.ts";

export function testCommand(io: CliIo, signal: AbortSignal, setExit: (code: number) => void): Command {
  return new Command("test")
    .description("build the test images, bring the test environment up, run the tests, copy reports out, tear down")
    .option("-c, --config <file>", "pipeline file (default: slipway.yml here or in a parent folder)")
    .option("-e, --environment <name>", "environment of slipway.yml to test", "test")
    // `--stage` was this option's first name: a stage is a step of the workflow, not an environment.
    .addOption(new Option("--stage <name>", "alias of --environment").hideHelp())
    .option("--keep", "leave a failed environment up for debugging (prints how to remove it)")
    .option("--json", "one JSON event per line on stdout (schema-versioned); the last one is the verdict")
    .option("-q, --quiet", "print only the verdict")
    .addOption(new Option("--output <mode>", "output style").choices(["auto", "plain", "json", "quiet"]).default("auto"))
    .action(async (o: { config?: string; environment: string; stage?: string; keep?: boolean; json?: boolean; quiet?: boolean; output: string }) => {
      const mode: OutputMode = o.json || o.output === "json" ? "json" : o.quiet || o.output === "quiet" ? "quiet" : o.output === "plain" ? "pipeline-log" : "pipeline";
      const started = Date.now();
      // The run's id exists before anything can fail: every verdict carries it.
      const runId = newRunId();
      try {
        const pipeline = await loadPipeline({ cwd: io.cwd, ...(o.config ? { file: o.config } : {}) });
        await using ctx = await openRunContext(io, signal, mode, runId);
        const result = await runPipeline(pipeline, { context: ctx, stages: ["test"], environment: o.stage ?? o.environment, env: definedEnv(io.env), ...(o.keep ? { keep: true } : {}) });
        setExit(result.verdict.exitCode);
      } catch (err) {
        // Before the run could start (bad slipway.yml, no engine): machines still get a verdict
        // as the last JSON event; the error itself is rendered once, at the edge.
        if (mode === "json" && err instanceof SlipwayError) {
          const verdict = fromError(err);
          jsonRenderer((line) => void io.stdout.write(line))({ type: "verdict", kind: verdict.kind, exitCode: verdict.exitCode, message: verdict.message, durationMs: Date.now() - started, runId, ...(verdict.hint ? { hint: verdict.hint } : {}), time: Date.now() });
        }
        throw err;
      }
    });
}
