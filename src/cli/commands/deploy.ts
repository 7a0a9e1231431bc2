/**
 * `slipway deploy --target NAME`: slipway.yml's target onto its swarm as one stack (docs/deploy.md).
 * Prints the plan with its causes (`--dry-run`), or carries it out and watches the rollout to a
 * verdict; `--remove` takes the stack down.
 */
import { Command } from "commander";
import { formatPlan } from "../../compose/runner/plan.ts";
import { loadPipelineConfig } from "../../config/load-pipeline-config.ts";
import { applyPlan, observeStack } from "../../deploy/apply.ts";
import { planRemoval } from "../../deploy/plan.ts";
import { deployTarget, describeDeploy, loadTarget } from "../../deploy/target.ts";
import { SlipwayError } from "../../errors/index.ts";
import { FileRecordStore } from "../../history/record-store.ts";
import { definedEnv } from "../../pipeline/pipeline.ts";
import { openRunContext } from "../context.ts";
import type { CliIo } from "../io.ts";

interface DeployFlags {
  target: string;
  dryRun?: boolean;
  prune?: boolean;
  remove?: boolean;
  config?: string;
}

export function deployCommand(io: CliIo, signal: AbortSignal): Command {
  return new Command("deploy")
    .description("deploy a target of slipway.yml to Docker Swarm as a stack; exits 0 only when every service converged")
    .requiredOption("--target <name>", "the target (slipway.yml's `targets:`)")
    .option("--dry-run", "print the plan with each step's cause; change nothing")
    .option("--prune", "also remove the stack's services, networks, secrets and configs that left the compose files")
    .option("--remove", "take the stack down: its services, then its networks, secrets and configs")
    .option("-c, --config <file>", "slipway.yml to read", undefined)
    .action(async (flags: DeployFlags) => {
      const o = flags;
      const { config, dir } = await loadPipelineConfig({ cwd: io.cwd, ...(o.config ? { file: o.config } : {}) });
      const target = config.targets[o.target];
      if (!target) {
        const known = Object.keys(config.targets);
        throw new SlipwayError(`slipway.yml has no target ${JSON.stringify(o.target)}`, {
          code: "NO_SUCH_TARGET",
          kind: "config",
          hint: known.length ? `Its targets: ${known.join(", ")}.` : "Add one under `targets:` (docs/deploy.md).",
        });
      }
      const env = definedEnv(io.env);
      // The target's manager, else the engine the docker CLI would use.
      const targetIo = target.endpoint ? { ...io, env: { ...io.env, DOCKER_HOST: target.endpoint } } : io;
      if (o.remove) {
        await using ctx = await openRunContext(targetIo, signal);
        const steps = planRemoval(target.stack, await observeStack(ctx.engine, target.stack, signal));
        if (o.dryRun) return void io.stdout.write(formatPlan(steps));
        await applyPlan({ engine: ctx.engine, events: ctx.events, signal }, undefined, steps);
        io.stdout.write(`removed stack ${target.stack} (${steps.length} object(s))\n`);
        return;
      }
      // What the files alone say is refused before any engine is asked.
      const loaded = await loadTarget(dir, o.target, target, env);
      await using ctx = await openRunContext(targetIo, signal);
      const result = await deployTarget({ engine: ctx.engine, events: ctx.events, signal }, loaded, {
        dir,
        env: io.env,
        store: new FileRecordStore(dir),
        runId: ctx.owner.runId,
        by: `${io.env["USER"] ?? io.env["LOGNAME"] ?? "unknown"}@${ctx.owner.host}`,
        ...(o.dryRun ? { dryRun: true } : {}),
        ...(o.prune !== undefined ? { prune: o.prune } : {}),
      });
      if (o.dryRun) {
        io.stdout.write(formatPlan(result.plan.steps));
        if (result.plan.unchanged.length) io.stdout.write(`unchanged: ${result.plan.unchanged.join(", ")}\n`);
        return;
      }
      io.stdout.write(describeDeploy(target.stack, result).map((l) => `${l}\n`).join(""));
    });
}
