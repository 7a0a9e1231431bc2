/**
 * What `slipway test` and `slipway ci` share: the output options, loading slipway.yml, the run's
 * context, the pipeline run through the library facade, and a verdict as the last JSON event even
 * when the run could not start (bad slipway.yml, no engine) — with the run's id, which exists first.
 */
import { Command, Option } from "commander";
import { SlipwayError } from "../../errors/index.ts";
import { definedEnv, loadPipeline, runPipeline, type PipelineResult, type RunPipelineOptions } from "../../pipeline/pipeline.ts";
import type { LoadedPipelineConfig } from "../../config/load-pipeline-config.ts";
import { newRunId } from "../../run/identity.ts";
import { fromError } from "../../run/verdict.ts";
import { jsonRenderer } from "../../ui/json-renderer.ts";
import { openRunContext, type OutputMode } from "../context.ts";
import type { CliIo } from "../io.ts";

export interface OutputFlags {
  config?: string;
  keep?: boolean;
  json?: boolean;
  quiet?: boolean;
  output: string;
}

/** The options every pipeline command has. */
export function withRunOptions(command: Command): Command {
  return command
    .option("-c, --config <file>", "pipeline file (default: slipway.yml here or in a parent folder)")
    .option("--keep", "leave a failed environment up for debugging (prints how to remove it)")
    .option("--json", "one JSON event per line on stdout (schema-versioned); the last one is the verdict")
    .option("-q, --quiet", "print only the verdict")
    .addOption(new Option("--output <mode>", "output style").choices(["auto", "plain", "json", "quiet"]).default("auto"));
}

export function outputMode(o: OutputFlags): OutputMode {
  return o.json || o.output === "json" ? "json" : o.quiet || o.output === "quiet" ? "quiet" : o.output === "plain" ? "pipeline-log" : "pipeline";
}

export async function runPipelineCommand(
  io: CliIo,
  signal: AbortSignal,
  o: OutputFlags,
  options: (pipeline: LoadedPipelineConfig) => Omit<RunPipelineOptions, "context" | "env" | "keep">,
): Promise<PipelineResult> {
  const mode = outputMode(o);
  const started = Date.now();
  const runId = newRunId();
  try {
    const pipeline = await loadPipeline({ cwd: io.cwd, ...(o.config ? { file: o.config } : {}) });
    // What the command line and the file alone refuse is refused before any engine is asked.
    const chosen = options(pipeline);
    await using ctx = await openRunContext(io, signal, mode, runId);
    return await runPipeline(pipeline, { ...chosen, context: ctx, env: definedEnv(io.env), ...(o.keep ? { keep: true } : {}) });
  } catch (err) {
    // Before the run could start: machines still get a verdict as the last JSON event; the error
    // itself is rendered once, at the edge.
    if (mode === "json" && err instanceof SlipwayError) {
      const verdict = fromError(err);
      jsonRenderer((line) => void io.stdout.write(line))({ type: "verdict", kind: verdict.kind, exitCode: verdict.exitCode, message: verdict.message, durationMs: Date.now() - started, runId, ...(verdict.hint ? { hint: verdict.hint } : {}), time: Date.now() });
    }
    throw err;
  }
}
