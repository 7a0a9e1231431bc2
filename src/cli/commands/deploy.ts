/**
 * `slipway deploy --target NAME`: slipway.yml's target onto its swarm as one stack (docs/deploy.md).
 * Prints the plan with its causes (`--dry-run`), or carries it out and watches the rollout to a
 * verdict; `--remove` takes the stack down.
 */
import { Command } from "commander";
import { loadProject } from "../../compose/load/index.ts";
import { formatPlan } from "../../compose/runner/plan.ts";
import { loadPipelineConfig } from "../../config/load-pipeline-config.ts";
import { applyPlan, observeStack } from "../../deploy/apply.ts";
import { checkStack, deployStack } from "../../deploy/deploy.ts";
import { planRemoval } from "../../deploy/plan.ts";
import type { Locate } from "../../deploy/stack-model.ts";
import type { RegistryAuth } from "../../engine/index.ts";
import { SlipwayError } from "../../errors/index.ts";
import { FileRecordStore } from "../../history/record-store.ts";
import { UNKNOWN_COMMIT } from "../../images/revision.ts";
import { readGitState } from "../../tags/git-state.ts";
import { formatVersion, parseVersion } from "../../tags/semver.ts";
import { definedEnv } from "../../pipeline/pipeline.ts";
import { engineAuth, findCredential } from "../../registry/credentials.ts";
import { parseReference } from "../../registry/reference.ts";
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
      let locate: Locate | undefined;
      const project = await loadProject({ workingDir: dir, files: target.compose, profiles: target.profiles, projectName: target.stack, env, onLocate: (l) => (locate = l) });
      // What the file alone says is refused before any engine is asked.
      checkStack({ project, stack: target.stack, ...(locate ? { locate } : {}), allowFailureActionContinue: target.allow_failure_action_continue });
      await using ctx = await openRunContext(targetIo, signal);
      // Credentials for each image's registry, found as the docker CLI finds them (never printed).
      const auths = new Map<string, RegistryAuth>();
      for (const registry of new Set(Object.values(project.services).flatMap((s) => (s.image ? [parseReference(s.image).registry] : [])))) {
        const credential = await findCredential(registry, { env: io.env, signal }).catch(() => undefined);
        if (credential) auths.set(registry, engineAuth(credential, registry));
      }
      // Which deploy this is: in the services' labels on the swarm, and in the deployment record.
      const git = await readGitState(dir).catch(() => undefined);
      const version = git?.tagsAtHead.map((t) => parseVersion(t)).find((v) => v !== undefined);
      const started = Date.now();
      const meta = { commit: git?.commit ?? UNKNOWN_COMMIT, ...(version ? { version: formatVersion(version) } : {}), runId: ctx.owner.runId, at: new Date(started).toISOString() };
      const store = new FileRecordStore(dir);
      const result = await deployStack(
        { engine: ctx.engine, events: ctx.events, signal, meta },
        {
          onOutcome: async (o) => {
            if (o.outcome !== "refused" && !o.plan?.steps.length && o.services.length === 0 && !o.message) return; // nothing was done
            const changed = new Map<string, "created" | "updated">();
            for (const st of o.plan?.steps ?? []) if (st.kind === "service.create" || st.kind === "service.update") changed.set(st.service.spec.Name, st.kind === "service.create" ? "created" : "updated");
            const outcomes = new Map(o.services.map((sv) => [sv.name, sv]));
            await store.put("deployments", {
              id: `${ctx.owner.runId}-${flags.target}`.replace(/[^A-Za-z0-9._-]/g, "-"),
              at: meta.at,
              runId: ctx.owner.runId,
              target: flags.target,
              stack: target.stack,
              commit: meta.commit,
              ...(meta.version ? { version: meta.version } : {}),
              by: `${io.env["USER"] ?? io.env["LOGNAME"] ?? "unknown"}@${ctx.owner.host}`,
              services: o.model.services.map((d) => {
                const sv = outcomes.get(d.spec.Name);
                return {
                  service: d.service,
                  name: d.spec.Name,
                  image: d.spec.TaskTemplate.ContainerSpec.Image,
                  specHash: d.hash,
                  change: changed.get(d.spec.Name) ?? "unchanged",
                  ...(sv ? { outcome: sv.judgement.outcome === "in-progress" ? "timed-out" : sv.judgement.outcome, durationMs: sv.durationMs } : {}),
                };
              }),
              outcome: o.outcome,
              durationMs: Date.now() - started,
              ...(o.message ? { message: o.message } : {}),
            });
          },
          project,
          stack: target.stack,
          ...(locate ? { locate } : {}),
          prune: !!(o.prune ?? target.prune),
          allowFailureActionContinue: target.allow_failure_action_continue,
          ...(o.dryRun ? { dryRun: true } : {}),
          timeoutMs: target.timeout,
          registryAuth: (registry) => auths.get(registry),
        },
      );
      if (o.dryRun) {
        io.stdout.write(formatPlan(result.plan.steps));
        if (result.plan.unchanged.length) io.stdout.write(`unchanged: ${result.plan.unchanged.join(", ")}\n`);
        return;
      }
      for (const s of result.services) io.stdout.write(`${s.name}: ${s.judgement.outcome} (${s.judgement.detail}) in ${(s.durationMs / 1000).toFixed(1)} s\n`);
      io.stdout.write(result.plan.steps.length ? `stack ${target.stack} deployed: every service converged\n` : `stack ${target.stack}: nothing to do, every service is up to date\n`);
    });
}
