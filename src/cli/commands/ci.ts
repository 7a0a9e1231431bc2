/**
 * `slipway ci`: the pipeline's stages in one run — test → build → release → acceptance → tag →
 * publish → deploy — with one
 * summary, one evidence folder, one `--json` stream and one verdict. The facts a CI job reads next
 * (verdict, run id, the accepted images) are also written where the CI reads them.
 */
import { Command, Option } from "commander";
import { SlipwayError } from "../../errors/index.ts";
import { pipelineStageNames } from "../../pipeline/pipeline.ts";
import { STAGE_NAMES, type StageName } from "../../stages/stage.ts";
import { writeCiOutputs } from "../ci-outputs.ts";
import type { CliIo } from "../io.ts";
import { lockWaitOption } from "./deploy.ts";
import { runPipelineCommand, withRunOptions, type OutputFlags } from "./pipeline-run.ts";

export function ciCommand(io: CliIo, signal: AbortSignal, setExit: (code: number) => void): Command {
  return withRunOptions(
    new Command("ci")
      .description("run the pipeline's stages in one run: test → build → release → acceptance → tag → publish → deploy")
      .addOption(new Option("--from <stage>", "start at this stage (what earlier stages left is taken as it is)").choices([...STAGE_NAMES]))
      .addOption(new Option("--until <stage>", "stop after this stage").choices([...STAGE_NAMES]))
      .option("--target <name>", "deploy to this target of slipway.yml after publish (repeatable; instead of `stages.deploy.targets`)", (v: string, prev: string[] = []) => [...prev, v])
      .option("--lock-wait <duration>", "when another deploy holds a target's lock, wait up to this long for it (e.g. 10m) instead of failing at once (exit 13)", lockWaitOption),
  ).action(async (o: OutputFlags & { from?: StageName; until?: StageName; target?: string[]; lockWait?: number }) => {
    const result = await runPipelineCommand(io, signal, o, (pipeline) => {
      for (const name of o.target ?? []) {
        if (!pipeline.config.targets[name]) {
          const known = Object.keys(pipeline.config.targets);
          throw new SlipwayError(`--target ${name}: slipway.yml has no target ${JSON.stringify(name)}`, {
            code: "NO_SUCH_TARGET",
            kind: "config",
            hint: known.length ? `Its targets: ${known.join(", ")}.` : "Add one under `targets:` (docs/deploy.md).",
          });
        }
      }
      const named = pipelineStageNames(pipeline);
      const stages = o.target?.length && !named.includes("deploy") ? [...named, "deploy" as const] : named;
      // Nothing to run is no success: a run with no stage would pass without having tested anything.
      if (stages.length === 0) {
        throw new SlipwayError("slipway.yml gives `slipway ci` nothing to run: no `environments.test`, no release (`environments.release` with `images:`), no `stages:`", {
          code: "NO_STAGES",
          kind: "config",
          hint: "Add an environment for the tests (`slipway init` writes one), or run `slipway deploy --target NAME` for a file that only has targets.",
        });
      }
      return {
        stages,
        command: "ci",
        ...(pipeline.config.prune.after_ci ? { prune: true } : {}),
        ...(o.target?.length || o.lockWait ? { deploy: { ...(o.target?.length ? { targets: o.target } : {}), ...(o.lockWait ? { lockWaitMs: o.lockWait } : {}) } } : {}),
        ...(o.from ? { from: o.from } : {}),
        ...(o.until ? { until: o.until } : {}),
      };
    });
    await writeCiOutputs(io.env, result);
    setExit(result.verdict.exitCode);
  });
}
