/**
 * `slipway rollback`: a whole stack back to a release the swarm recorded (release-record.ts) —
 * every service's spec and digest, the networks, the secret and config generations it used — by
 * default the newest that converged before the one running. Read from the swarm's own configs,
 * so it works from any machine that reaches a manager. Checked before anything changes (the
 * release's images still in their registries, its secrets and configs still on the swarm), then
 * carried out and supervised exactly as a deploy, with the same verdicts.
 */
import { SlipwayError } from "../errors/index.ts";
import { parseReference } from "../registry/reference.ts";
import { observeStack, type DeployContext } from "./apply.ts";
import { rollOut, type DeployOutcome, type DeployStackResult } from "./deploy.ts";
import { planDeploy } from "./plan.ts";
import { chooseRelease, listReleases, readRelease, runningRelease, type ReleaseSummary } from "./release-record.ts";
import type { StackModel } from "./stack-model.ts";
import type { RegistryAuth } from "../engine/index.ts";

export interface RollbackOptions {
  stack: string;
  /** A run id, commit or version (or a unique prefix of a run id or commit); default: the newest converged release before the one running. */
  release?: string;
  dryRun?: boolean;
  timeoutMs: number;
  intervalMs?: number;
  startMs?: number;
  /** Finds the credentials for a registry (as the docker CLI finds them), for the check of the release's images and the nodes' pulls. */
  findAuth?: (registry: string) => Promise<RegistryAuth | undefined>;
  onOutcome?: (o: DeployOutcome, release: ReleaseSummary) => Promise<void>;
}

export interface RollbackResult extends DeployStackResult {
  release: ReleaseSummary;
  /** Why this release. */
  reason: string;
}

export function describeRelease(r: ReleaseSummary): string {
  return `run ${r.runId} (commit ${r.commit.slice(0, 12)}${r.version ? `, ${r.version}` : ""}, deployed ${r.at})`;
}

export async function rollbackStack(ctx: DeployContext, opts: RollbackOptions): Promise<RollbackResult> {
  const { engine, signal } = ctx;
  const [observed, releases] = await Promise.all([observeStack(engine, opts.stack, signal), listReleases(engine, opts.stack, signal)]);
  const running = runningRelease(observed.services);
  const { release, reason } = chooseRelease(releases, running, opts.release);
  if (!release) {
    throw new SlipwayError(`Cannot roll ${opts.stack} back: ${reason}`, {
      code: "NO_RELEASE",
      kind: "usage",
      hint: releases.length ? `Its releases: ${releases.slice(0, 5).map((r) => `${r.runId} (${r.outcome})`).join(", ")}. Name one, or deploy again.` : "Releases are recorded by `slipway deploy` (version 0.1 on); nothing was changed.",
    });
  }
  const record = await readRelease(engine, release, signal);
  ctx.events.emit({ type: "log", level: "info", message: `rolling ${opts.stack} back to ${describeRelease(release)}: ${reason}` });

  const auths = new Map<string, RegistryAuth>();
  for (const registry of new Set(record.services.map((s) => parseReference(s.spec.TaskTemplate.ContainerSpec.Image).registry))) {
    const auth = await opts.findAuth?.(registry);
    if (auth) auths.set(registry, auth);
  }
  const registryAuth = (registry: string) => auths.get(registry);
  // Its images must still be where the release pulled them from: else nodes could not start it.
  await Promise.all(
    record.services.map(async (s) => {
      const image = s.spec.TaskTemplate.ContainerSpec.Image;
      const credentials = registryAuth(parseReference(image).registry);
      await engine.images.distribution(image, { signal, ...(credentials ? { auth: credentials } : {}) }).catch((err: unknown) => {
        if (signal.aborted) throw err;
        throw new SlipwayError(`Cannot roll ${opts.stack} back to ${describeRelease(release)}: the image of ${s.service}, ${image}, is gone from its registry (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`, {
          code: "RELEASE_IMAGE_GONE",
          kind: "registry",
          hint: "Nothing was changed on the swarm. Roll back to another release (`slipway releases --target T`), or publish that commit again.",
        });
      });
    }),
  );

  // Secrets and configs are taken as the release used them: never created by a rollback.
  const model: StackModel = {
    stack: record.stack,
    services: record.services,
    networks: record.networks,
    secrets: record.secrets.map((o) => ({ ...o, external: true, source: undefined })),
    configs: record.configs.map((o) => ({ ...o, external: true, source: undefined })),
    warnings: [],
    errors: [],
  };
  const plan = planDeploy(model, observed);
  if (plan.errors.length) {
    throw new SlipwayError(`Cannot roll ${opts.stack} back to ${describeRelease(release)}: it uses what the swarm no longer has:\n${plan.errors.map((e) => `  ${e.path}: ${e.message}`).join("\n")}`, {
      code: "RELEASE_INCOMPLETE",
      kind: "config",
      hint: "Nothing was changed on the swarm. Roll back to a later release, or deploy again.",
    });
  }
  if (opts.dryRun) return { model, plan, services: [], outcome: "planned", release, reason };
  // The services carry the release's own labels again: the swarm says which release runs.
  const result = await rollOut(
    { ...ctx, meta: record.meta, registryAuth },
    {
      project: undefined,
      stack: opts.stack,
      model,
      plan,
      observed,
      what: "rollback",
      timeoutMs: opts.timeoutMs,
      ...(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}),
      ...(opts.startMs !== undefined ? { startMs: opts.startMs } : {}),
      ...(opts.onOutcome ? { onOutcome: (o: DeployOutcome) => opts.onOutcome!(o, release) } : {}),
    },
  );
  return { ...result, release, reason };
}
