/**
 * `slipway deploy --target NAME`: slipway.yml's target onto its swarm as one stack (docs/deploy.md).
 * Prints the plan with its causes (`--dry-run`), or carries it out and watches the rollout to a
 * verdict; `--remove` takes the stack down. Both hold the stack's deploy lock while they change it
 * (`--lock-wait` waits for another's).
 */
import { Command, InvalidArgumentError } from "commander";
import { formatPlan } from "../../compose/runner/plan.ts";
import { loadPipelineConfig } from "../../config/load-pipeline-config.ts";
import { applyPlan, observeStack } from "../../deploy/apply.ts";
import { planRemoval } from "../../deploy/plan.ts";
import { acquireLock } from "../../deploy/lock.ts";
import { deployTarget, describeDeploy, loadTarget } from "../../deploy/target.ts";
import type { TargetConfig } from "../../config/pipeline-schema.ts";
import { targetEnv } from "../../engine/index.ts";
import { SlipwayError } from "../../errors/index.ts";
import { FileRecordStore } from "../../history/record-store.ts";
import { definedEnv } from "../../pipeline/pipeline.ts";
import { parseDuration } from "../../yaml/duration.ts";
import { openRunContext } from "../context.ts";
import type { CliIo } from "../io.ts";

interface DeployFlags {
  target: string;
  dryRun?: boolean;
  prune?: boolean;
  remove?: boolean;
  config?: string;
  lockWait?: number;
  lockMessage?: string;
}

/** A target of slipway.yml by name, or the error that lists the ones it has. */
export function findTarget(targets: Record<string, TargetConfig>, name: string): TargetConfig {
  const target = targets[name];
  if (target) return target;
  const known = Object.keys(targets);
  throw new SlipwayError(`slipway.yml has no target ${JSON.stringify(name)}`, {
    code: "NO_SUCH_TARGET",
    kind: "config",
    hint: known.length ? `Its targets: ${known.join(", ")}.` : "Add one under `targets:` (docs/deploy.md).",
  });
}

/** The engine of the target's manager: its `endpoint`, else the one the docker CLI would use. */
export function targetIo(io: CliIo, target: TargetConfig): CliIo {
  return { ...io, env: targetEnv(io.env, target.endpoint) };
}

/** Who deploys, as the lock and the records say it: user@host. */
export function deployer(io: CliIo, host: string): string {
  return `${io.env["USER"] ?? io.env["LOGNAME"] ?? "unknown"}@${host}`;
}

/** `--lock-wait 2m` in ms (a usage error, exit 2, for anything but a duration). */
export function lockWaitOption(value: string): number {
  const parsed = parseDuration(value);
  if (!parsed.ok || parsed.value < 0) throw new InvalidArgumentError("a duration such as 90s or 10m");
  return Math.round(parsed.value / 1e6);
}

export function deployCommand(io: CliIo, signal: AbortSignal): Command {
  return new Command("deploy")
    .description("deploy a target of slipway.yml to Docker Swarm as a stack; exits 0 only when every service converged")
    .requiredOption("--target <name>", "the target (slipway.yml's `targets:`)")
    .option("--dry-run", "print the plan with each step's cause; change nothing")
    .option("--prune", "also remove the stack's services, networks, secrets and configs that left the compose files")
    .option("--remove", "take the stack down: its services, then its networks, secrets and configs")
    .option("--lock-wait <duration>", "when another deploy holds the stack's lock, wait up to this long for it (e.g. 10m) instead of failing at once (exit 13)", lockWaitOption)
    .option("--lock-message <text>", "what the stack's lock says this deploy is (default: the target, commit and version)")
    .option("-c, --config <file>", "slipway.yml to read", undefined)
    .action(async (flags: DeployFlags) => {
      const o = flags;
      const { config, dir } = await loadPipelineConfig({ cwd: io.cwd, ...(o.config ? { file: o.config } : {}) });
      const target = findTarget(config.targets, o.target);
      const env = definedEnv(io.env);
      if (o.remove) {
        await using ctx = await openRunContext(targetIo(io, target), signal);
        if (o.dryRun) return void io.stdout.write(formatPlan(planRemoval(target.stack, await observeStack(ctx.engine, target.stack, signal))));
        await using _lock = await acquireLock(ctx, {
          stack: target.stack,
          holder: { holder: deployer(io, ctx.owner.host), pid: process.pid, runId: ctx.owner.runId },
          operation: "remove",
          message: o.lockMessage ?? `slipway deploy --target ${o.target} --remove`,
          ...(target.lock_expiry !== undefined ? { expiryMs: target.lock_expiry } : {}),
          ...(o.lockWait ? { waitMs: o.lockWait } : {}),
          target: o.target,
        });
        const steps = planRemoval(target.stack, await observeStack(ctx.engine, target.stack, signal));
        await applyPlan({ engine: ctx.engine, events: ctx.events, signal }, undefined, steps);
        io.stdout.write(`removed stack ${target.stack} (${steps.length} object(s))\n`);
        return;
      }
      // What the files alone say is refused before any engine is asked.
      const loaded = await loadTarget(dir, o.target, target, env);
      await using ctx = await openRunContext(targetIo(io, target), signal);
      const result = await deployTarget({ engine: ctx.engine, events: ctx.events, signal }, loaded, {
        dir,
        env: io.env,
        store: new FileRecordStore(dir),
        runId: ctx.owner.runId,
        by: deployer(io, ctx.owner.host),
        pid: process.pid,
        ...(o.dryRun ? { dryRun: true } : {}),
        ...(o.prune !== undefined ? { prune: o.prune } : {}),
        ...(o.lockWait ? { lockWaitMs: o.lockWait } : {}),
        ...(o.lockMessage ? { lockMessage: o.lockMessage } : {}),
      });
      if (o.dryRun) {
        io.stdout.write(formatPlan(result.plan.steps));
        if (result.plan.unchanged.length) io.stdout.write(`unchanged: ${result.plan.unchanged.join(", ")}\n`);
        return;
      }
      io.stdout.write(describeDeploy(target.stack, result).map((l) => `${l}\n`).join(""));
    });
}
