/**
 * `slipway rollback --target NAME [RELEASE]`: the target's stack back to a release the swarm
 * recorded (docs/deploy.md, "Rollback"), supervised like a deploy, with the same verdicts; the
 * deployment record says which release it went back to.
 */
import { Command } from "commander";
import { formatPlan } from "../../compose/runner/plan.ts";
import { loadPipelineConfig } from "../../config/load-pipeline-config.ts";
import { describeRelease, rollbackStack } from "../../deploy/rollback.ts";
import { acquireLock } from "../../deploy/lock.ts";
import { deploymentEntry } from "../../deploy/target.ts";
import { FileRecordStore } from "../../history/record-store.ts";
import { engineAuth, findCredential } from "../../registry/credentials.ts";
import { openRunContext } from "../context.ts";
import { deployer, findTarget, lockWaitOption, targetIo } from "./deploy.ts";
import type { CliIo } from "../io.ts";

export function rollbackCommand(io: CliIo, signal: AbortSignal): Command {
  return new Command("rollback")
    .description("roll a target's stack back to a release the swarm recorded (default: the newest that converged before the one running); exits 0 only when every service converged")
    .argument("[release]", "a run id, commit or version (`slipway releases --target NAME` lists them)")
    .requiredOption("--target <name>", "the target (slipway.yml's `targets:`)")
    .option("--dry-run", "print the release chosen and the plan; change nothing")
    .option("--lock-wait <duration>", "when a deploy or rollback holds the stack's lock, wait up to this long for it (e.g. 10m) instead of failing at once (exit 13)", lockWaitOption)
    .option("-c, --config <file>", "slipway.yml to read", undefined)
    .action(async (wanted: string | undefined, o: { target: string; dryRun?: boolean; lockWait?: number; config?: string }) => {
      const { config, dir } = await loadPipelineConfig({ cwd: io.cwd, ...(o.config ? { file: o.config } : {}) });
      const target = findTarget(config.targets, o.target);
      await using ctx = await openRunContext(targetIo(io, target), signal);
      // One deploy or rollback of a stack at a time (a dry run changes nothing and takes none).
      await using _lock = o.dryRun
        ? undefined
        : await acquireLock(
            { engine: ctx.engine, events: ctx.events, signal },
            {
              stack: target.stack,
              holder: { holder: deployer(io, ctx.owner.host), pid: process.pid, runId: ctx.owner.runId },
              operation: "rollback",
              message: `target ${o.target}, rollback${wanted ? ` to ${wanted}` : ""}`,
              ...(target.lock_expiry !== undefined ? { expiryMs: target.lock_expiry } : {}),
              ...(o.lockWait ? { waitMs: o.lockWait } : {}),
              target: o.target,
            },
          );
      const store = new FileRecordStore(dir);
      const started = Date.now();
      const at = new Date(started).toISOString();
      const result = await rollbackStack(
        { engine: ctx.engine, events: ctx.events, signal },
        {
          stack: target.stack,
          ...(wanted !== undefined ? { release: wanted } : {}),
          ...(o.dryRun ? { dryRun: true } : {}),
          timeoutMs: target.timeout,
          findAuth: async (registry) => {
            const credential = await findCredential(registry, { env: io.env, signal }).catch(() => undefined);
            return credential ? engineAuth(credential, registry) : undefined;
          },
          onOutcome: async (outcome, release) => {
            // Recorded as this command's run, with the release's commit and version, and which release it went to.
            await store.put("deployments", {
              ...deploymentEntry(outcome, { target: o.target, stack: target.stack, meta: { commit: release.commit, ...(release.version ? { version: release.version } : {}), runId: ctx.owner.runId, at }, by: deployer(io, ctx.owner.host), durationMs: Date.now() - started }),
              rollbackTo: release.runId,
            });
          },
        },
      );
      io.stdout.write(`${o.dryRun ? "would roll back" : "rolled back"} ${target.stack} to ${describeRelease(result.release)}: ${result.reason}\n`);
      if (o.dryRun) {
        io.stdout.write(formatPlan(result.plan.steps));
        if (result.plan.unchanged.length) io.stdout.write(`unchanged: ${result.plan.unchanged.join(", ")}\n`);
        return;
      }
      for (const s of result.services) io.stdout.write(`${s.name}: ${s.judgement.outcome} (${s.judgement.detail}) in ${(s.durationMs / 1000).toFixed(1)} s\n`);
      io.stdout.write(result.plan.steps.length ? `stack ${target.stack} rolled back: every service converged\n` : `stack ${target.stack}: already at that release, nothing to do\n`);
    });
}
