/** `slipway test`: the test stage of slipway.yml, with a verdict you can trust. */
import { Command, Option } from "commander";
import { loadPipelineConfig } from "../../config/load-pipeline-config.ts";
import { runTestPipeline } from "../../pipeline/run-test-pipeline.ts";
import { createRunContext, type OutputMode } from "../context.ts";
import type { CliIo } from "../io.ts";

function envRecord(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

export function testCommand(io: CliIo, signal: AbortSignal, setExit: (code: number) => void): Command {
  return new Command("test")
    .description("build the test images, bring the test environment up, run the tests, copy reports out, tear down")
    .option("-c, --config <file>", "pipeline file (default: slipway.yml here or in a parent folder)")
    .option("--stage <name>", "environment of slipway.yml to test", "test")
    .option("--keep", "leave a failed environment up for debugging (prints how to remove it)")
    .option("--json", "one JSON event per line on stdout (schema-versioned); the last one is the verdict")
    .option("-q, --quiet", "print only the verdict")
    .addOption(new Option("--output <mode>", "output style").choices(["auto", "plain", "json", "quiet"]).default("auto"))
    .action(async (o: { config?: string; stage: string; keep?: boolean; json?: boolean; quiet?: boolean; output: string }) => {
      const pipeline = await loadPipelineConfig({ cwd: io.cwd, ...(o.config ? { file: o.config } : {}) });
      const mode: OutputMode = o.json || o.output === "json" ? "json" : o.quiet || o.output === "quiet" ? "quiet" : "pipeline";
      await using ctx = await createRunContext(io, signal, mode);
      const result = await runTestPipeline(ctx, { pipeline, env: envRecord(io.env), stage: o.stage, ...(o.keep ? { keep: true } : {}) });
      setExit(result.verdict.exitCode);
    });
}
