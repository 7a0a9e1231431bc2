/**
 * `slipway lock status|release --target NAME`: the stack's deploy lock (docs/deploy.md, "Deploy
 * lock"), as the swarm holds it. `status` says who holds it, doing what, since and until when;
 * `release` removes it — someone else's live lock only with `--force`, for a deploy you are sure
 * is not running (a lock left by a killed deploy also expires on its own).
 */
import { Command } from "commander";
import { isPidAlive } from "../../cleanup/owner.ts";
import { loadPipelineConfig } from "../../config/load-pipeline-config.ts";
import { describeLock, isExpired, lockJson, readLock, releaseRefusal, removeLock, swarmClock } from "../../deploy/lock.ts";
import { SlipwayError } from "../../errors/index.ts";
import { openRunContext } from "../context.ts";
import type { CliIo } from "../io.ts";
import { deployer, findTarget, targetIo } from "./deploy.ts";

interface LockFlags {
  target: string;
  config?: string;
  json?: boolean;
  force?: boolean;
}

export function lockCommand(io: CliIo, signal: AbortSignal): Command {
  const command = new Command("lock").description("the deploy lock of a target's stack: who holds it (status), or remove it (release)");
  const open = async (o: LockFlags) => {
    const { config } = await loadPipelineConfig({ cwd: io.cwd, ...(o.config ? { file: o.config } : {}) });
    const target = findTarget(config.targets, o.target);
    const ctx = await openRunContext(targetIo(io, target), signal);
    const clock = await swarmClock(ctx.engine, signal).catch(async (err: unknown) => {
      await ctx[Symbol.asyncDispose]();
      throw err;
    });
    return { ctx, stack: target.stack, clock };
  };
  command.addCommand(
    new Command("status")
      .description("who holds the stack's deploy lock, for what, since and until when")
      .requiredOption("--target <name>", "the target (slipway.yml's `targets:`)")
      .option("--json", "print it as JSON")
      .option("-c, --config <file>", "slipway.yml to read", undefined)
      .action(async (o: LockFlags) => {
        const { ctx, stack, clock } = await open(o);
        await using _ctx = ctx;
        const lock = await readLock(ctx.engine, stack, signal);
        const now = clock.now();
        if (o.json) return void io.stdout.write(`${JSON.stringify(lockJson(lock, stack, now), null, 2)}\n`);
        if (!lock) return void io.stdout.write(`stack ${stack}: not locked\n`);
        const state = lock.takenOver ? `expired, being taken over by run ${lock.takenOver}` : isExpired(lock, now) ? "expired (the next deploy takes it over)" : "locked";
        io.stdout.write(`stack ${stack}: ${state}: ${describeLock(lock, now)}\n`);
      }),
  );
  command.addCommand(
    new Command("release")
      .description("remove the stack's deploy lock: one you hold whose deploy is gone, an expired one, or anyone's with --force")
      .requiredOption("--target <name>", "the target (slipway.yml's `targets:`)")
      .option("--force", "remove it even when someone else holds it: only when you are sure no deploy of the stack runs")
      .option("-c, --config <file>", "slipway.yml to read", undefined)
      .action(async (o: LockFlags) => {
        const { ctx, stack, clock } = await open(o);
        await using _ctx = ctx;
        const lock = await readLock(ctx.engine, stack, signal);
        if (!lock) return void io.stdout.write(`stack ${stack}: not locked; nothing to release\n`);
        const now = clock.now();
        const refusal = o.force ? undefined : releaseRefusal(lock, { holder: deployer(io, ctx.owner.host), host: ctx.owner.host, isPidAlive }, now);
        if (refusal) {
          throw new SlipwayError(`The deploy lock of stack ${stack} was not released: ${refusal}. It is ${describeLock(lock, now)}`, {
            code: "DEPLOY_LOCKED",
            kind: "deploy-locked",
            hint: `If you are sure no deploy of ${stack} is running, \`slipway lock release --target ${o.target} --force\`; else wait for it${lock.expires ? ` (it expires at ${lock.expires} unless its holder renews it)` : ""}.`,
          });
        }
        // By its ID: a lock someone took meanwhile is another object, and stays.
        await removeLock(ctx.engine, lock, signal);
        io.stdout.write(`stack ${stack}: released the lock of ${describeLock(lock, now)}\n`);
      }),
  );
  return command;
}
