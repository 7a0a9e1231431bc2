/**
 * One deploy target of slipway.yml carried out: its compose files read as `slipway compose` reads
 * them and checked before any engine is asked (`loadTarget`), then deployed as a stack under the
 * stack's deploy lock (lock.ts), recorded in the record store and in the swarm's own labels
 * (`deployTarget`). `slipway deploy` and the pipeline's deploy stage are its two callers, so both
 * lock, deploy, pin and record alike.
 */
import { loadProject } from "../compose/load/index.ts";
import type { Project } from "../compose/model/project.ts";
import type { Engine, RegistryAuth } from "../engine/index.ts";
import type { EventBus } from "../events/index.ts";
import type { DeploymentEntry, RecordStore } from "../history/record-store.ts";
import { UNKNOWN_COMMIT } from "../images/revision.ts";
import type { Healthcheck } from "../compose/model/service.ts";
import { RegistryClient } from "../registry/client.ts";
import { NO_CREDENTIAL, engineAuth, findCredential } from "../registry/credentials.ts";
import type { RegistryCredential } from "../registry/types.ts";
import { insecureRegistry } from "../registry/insecure.ts";
import { parseReference } from "../registry/reference.ts";
import { readGitState } from "../tags/git-state.ts";
import { formatVersion, parseVersion } from "../tags/semver.ts";
import type { DeployMeta } from "./apply.ts";
import { checkStack, deployStack, type DeployOutcome, type DeployStackResult } from "./deploy.ts";
import { acquireLock, describeLock, isExpired, readLock, swarmClock } from "./lock.ts";
import { publishedFor, type PublishedImage } from "./published.ts";
import type { Locate } from "./stack-model.ts";

/** A target as slipway.yml's `targets:` holds it. */
export interface TargetSettings {
  stack: string;
  compose: readonly string[];
  profiles: readonly string[];
  endpoint?: string | undefined;
  prune: boolean;
  timeout: number;
  allow_failure_action_continue: boolean;
  /** How long the stack's deploy lock lives without a renewal (ms; lock.ts's default when absent). */
  lock_expiry?: number | undefined;
}

export interface LoadedTarget {
  name: string;
  settings: TargetSettings;
  project: Project;
  locate?: Locate;
}

/** Reads the target's compose files and refuses, before any engine is asked, what the files alone show cannot be deployed safely. */
export async function loadTarget(dir: string, name: string, settings: TargetSettings, env: Record<string, string>): Promise<LoadedTarget> {
  let locate: Locate | undefined;
  const project = await loadProject({ workingDir: dir, files: [...settings.compose], profiles: [...settings.profiles], projectName: settings.stack, env, onLocate: (l) => (locate = l) });
  checkStack({ project, stack: settings.stack, ...(locate ? { locate } : {}), allowFailureActionContinue: settings.allow_failure_action_continue });
  return { name, settings, project, ...(locate ? { locate } : {}) };
}

export interface DeployTargetOptions {
  /** The folder of slipway.yml: its git state says which commit and version is deployed. */
  dir: string;
  /** Where credentials are found, as the docker CLI finds them. */
  env: Record<string, string | undefined>;
  store: RecordStore;
  runId: string;
  /** Who deploys: user@host. */
  by: string;
  /**
   * The release to run (see deployStack): this run's publishes. Absent: the newest publish of each
   * image recorded for the checkout's commit, if any (the release CI published for it).
   */
  published?: readonly PublishedImage[];
  dryRun?: boolean;
  /** Overrides the target's `prune`. */
  prune?: boolean;
  /** How long to wait for the stack's deploy lock when another deploy holds it (ms); absent: fail at once (exit 13). */
  lockWaitMs?: number;
  /** What the lock says this deploy is, instead of its commit and version. */
  lockMessage?: string;
  /** The deploying process's id, in the lock (the CLI's own). */
  pid?: number;
  /** Test hooks: ms between two looks at the rollout, ms allowed for a task's start. */
  intervalMs?: number;
  startMs?: number;
}

/**
 * Deploys a loaded target on `engine` (its manager) and writes the deployment record, whatever the
 * outcome. The stack's deploy lock is held from before the swarm is observed until the verdict (a
 * dry run takes none, and says who holds it); a lock held by another deploy is DEPLOY_LOCKED (exit
 * 13) before anything is resolved or changed, unless `lockWaitMs` lets it wait.
 */
export async function deployTarget(ctx: { engine: Engine; events: EventBus; signal: AbortSignal }, target: LoadedTarget, opts: DeployTargetOptions): Promise<DeployStackResult> {
  const { settings } = target;
  // Which deploy this is: in the lock, the services' labels on the swarm, and the deployment record.
  const git = await readGitState(opts.dir, { signal: ctx.signal }).catch(() => undefined);
  const version = git?.tagsAtHead.map((t) => parseVersion(t)).find((v) => v !== undefined);
  if (opts.dryRun) {
    const held = await readLock(ctx.engine, settings.stack, ctx.signal);
    if (held) {
      const now = (await swarmClock(ctx.engine, ctx.signal)).now();
      ctx.events.emit({
        type: "warning",
        message: isExpired(held, now)
          ? `stack ${settings.stack} has an expired deploy lock (a deploy would take it over): ${describeLock(held, now)}`
          : `stack ${settings.stack} is locked by ${describeLock(held, now)}: a deploy now would fail (exit 13), or wait for it with --lock-wait`,
      });
    }
    return deployLocked(ctx, target, opts, git?.commit, version ? formatVersion(version) : undefined);
  }
  const message = opts.lockMessage ?? `target ${target.name}, commit ${git?.commit ? git.commit.slice(0, 7) : "unknown"}${version ? ` (${formatVersion(version)})` : ""}`;
  await using _lock = await acquireLock(ctx, {
    stack: settings.stack,
    holder: { holder: opts.by, pid: opts.pid ?? process.pid, runId: opts.runId },
    operation: "deploy",
    message,
    ...(settings.lock_expiry !== undefined ? { expiryMs: settings.lock_expiry } : {}),
    ...(opts.lockWaitMs ? { waitMs: opts.lockWaitMs } : {}),
    target: target.name,
  });
  // Awaited here: the lock is released when this function is left, and must outlive the rollout.
  return await deployLocked(ctx, target, opts, git?.commit, version ? formatVersion(version) : undefined);
}

/** The deploy itself, once the lock is held (or for a dry run, which needs none). */
async function deployLocked(ctx: { engine: Engine; events: EventBus; signal: AbortSignal }, target: LoadedTarget, opts: DeployTargetOptions, commit: string | undefined, version: string | undefined): Promise<DeployStackResult> {
  const { project, settings } = target;
  // Credentials for each image's registry, found as the docker CLI finds them (never printed).
  const auths = new Map<string, RegistryAuth>();
  const credentials = new Map<string, RegistryCredential>();
  for (const registry of new Set(Object.values(project.services).flatMap((s) => (s.image ? [parseReference(s.image).registry] : [])))) {
    const credential = await findCredential(registry, { env: opts.env, signal: ctx.signal }).catch(() => undefined);
    if (credential) {
      credentials.set(registry, credential);
      auths.set(registry, engineAuth(credential, registry));
    }
  }
  await using images = imageConfigReader(ctx, credentials);
  const started = Date.now();
  const meta: DeployMeta = { commit: commit ?? UNKNOWN_COMMIT, ...(version ? { version } : {}), runId: opts.runId, at: new Date(started).toISOString() };
  const published = opts.published ?? (commit ? publishedFor(await opts.store.list("publishes"), commit) : []);
  return deployStack(
    { ...ctx, meta },
    {
      project,
      stack: settings.stack,
      ...(target.locate ? { locate: target.locate } : {}),
      prune: opts.prune ?? settings.prune,
      allowFailureActionContinue: settings.allow_failure_action_continue,
      ...(opts.dryRun ? { dryRun: true } : {}),
      timeoutMs: settings.timeout,
      published,
      ...(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}),
      ...(opts.startMs !== undefined ? { startMs: opts.startMs } : {}),
      registryAuth: (registry) => auths.get(registry),
      imageHealthcheck: (ref) => images.healthcheck(ref),
      onOutcome: async (o) => {
        if (o.outcome !== "refused" && !o.plan?.steps.length && o.services.length === 0 && !o.message) return; // nothing was done
        await opts.store.put("deployments", deploymentEntry(o, { target: target.name, stack: settings.stack, meta, by: opts.by, durationMs: Date.now() - started }));
      },
    },
  );
}

/**
 * Reads images' configs from their registries, one client per registry, as the manager reaches
 * them (plain HTTP where its engine allows it): for the HEALTHCHECK of a service's image.
 */
function imageConfigReader(ctx: { engine: Engine; signal: AbortSignal }, credentials: ReadonlyMap<string, RegistryCredential>) {
  const clients = new Map<string, Promise<RegistryClient>>();
  let registryConfig: ReturnType<Engine["system"]["info"]> | undefined;
  return {
    async healthcheck(ref: string): Promise<Healthcheck | undefined> {
      const { registry, repository, digest, tag } = parseReference(ref);
      let client = clients.get(registry);
      if (!client) {
        registryConfig ??= ctx.engine.system.info({ signal: ctx.signal });
        const credential = credentials.get(registry) ?? NO_CREDENTIAL;
        client = registryConfig.then((info) => RegistryClient.connect({ registry, credential, insecure: insecureRegistry(registry, info.RegistryConfig), signal: ctx.signal }));
        clients.set(registry, client);
      }
      const h = (await (await client).imageConfig(repository, digest ?? tag ?? "latest"))?.healthcheck;
      if (!h || h.test[0] === "NONE") return undefined;
      return {
        test: h.test,
        disable: false,
        ...(h.intervalNs !== undefined ? { interval: h.intervalNs } : {}),
        ...(h.timeoutNs !== undefined ? { timeout: h.timeoutNs } : {}),
        ...(h.startPeriodNs !== undefined ? { start_period: h.startPeriodNs } : {}),
        ...(h.retries !== undefined ? { retries: h.retries } : {}),
      };
    },
    async [Symbol.asyncDispose]() {
      await Promise.all([...clients.values()].map((c) => c.then((x) => x.close(), () => undefined)));
    },
  };
}

/** The deployment record of one deploy's outcome. */
export function deploymentEntry(o: DeployOutcome, facts: { target: string; stack: string; meta: DeployMeta; by: string; durationMs: number }): DeploymentEntry {
  const changed = new Map<string, "created" | "updated">();
  for (const st of o.plan?.steps ?? []) if (st.kind === "service.create" || st.kind === "service.update") changed.set(st.service.spec.Name, st.kind === "service.create" ? "created" : "updated");
  const outcomes = new Map(o.services.map((sv) => [sv.name, sv]));
  return {
    id: `${facts.meta.runId}-${facts.target}`.replace(/[^A-Za-z0-9._-]/g, "-"),
    at: facts.meta.at,
    runId: facts.meta.runId,
    target: facts.target,
    stack: facts.stack,
    commit: facts.meta.commit,
    ...(facts.meta.version ? { version: facts.meta.version } : {}),
    by: facts.by,
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
    durationMs: facts.durationMs,
    ...(o.message ? { message: o.message } : {}),
  };
}

/** What a deploy says when it ends well: a line per service, then the stack's. */
export function describeDeploy(stack: string, result: DeployStackResult): string[] {
  return [
    ...result.services.map((s) => `${s.name}: ${s.judgement.outcome} (${s.judgement.detail}) in ${(s.durationMs / 1000).toFixed(1)} s`),
    result.plan.steps.length ? `stack ${stack} deployed: every service converged` : `stack ${stack}: nothing to do, every service is up to date`,
  ];
}
