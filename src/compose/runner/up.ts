/**
 * `up`: images first (build or pull, once per run), then converge containers to the file:
 * observe → plan → execute, with readiness gates from depends_on (and for all services with --wait).
 */
import { SlipwayError } from "../../errors/index.ts";
import { EventBus } from "../../events/index.ts";
import { ComposeLabel } from "../../run/labels.ts";
import type { Lifetime } from "../../run/labels.ts";
import { ImageResolver, type PullPolicy } from "../../images/image-resolver.ts";
import { ContainerWatcher } from "../../readiness/container-watcher.ts";
import { concurrency, createFrom, type ComposeContext } from "./context.ts";
import type { Project } from "../model/index.ts";
import { serviceConfigHash } from "./config-hash.ts";
import { buildContainerSpec, type ContainerSpec } from "./container-spec.ts";
import { executePlan, type ExecuteContext } from "./execute.ts";
import { withDependencies } from "./graph.ts";
import { executeImages, imageRef, planImages, type ImageStep } from "./images-phase.ts";
import { serviceContainerName } from "./names.ts";
import { observeProject, type ObservedContainer } from "./observe.ts";
import { anonymousVolumes, planReplicas, planUp, type DesiredContainer, type InheritedVolume, type Plan } from "./plan.ts";

export interface UpOptions {
  /** Services asked for (their dependencies come too); all when empty. */
  services?: string[];
  /** Wait until every service is running/healthy (`--wait`). */
  wait?: boolean;
  dryRun?: boolean;
  forceRecreate?: boolean;
  build?: "always" | "never" | "missing";
  pull?: PullPolicy;
  removeOrphans?: boolean;
  lifetime: Lifetime;
  readyTimeoutMs?: number;
  /** Services whose networks and volumes must exist, without starting them (a one-off's own). */
  infraFor?: string[];
  /** Readiness gates beyond depends_on (a one-off container's dependencies). */
  gates?: Record<string, "service_started" | "service_healthy" | "service_completed_successfully">;
  /** Shared by the stages of one run, so each image is pulled once per run. */
  images?: ImageResolver;
  /** Image ids already built or chosen by the caller (a pipeline's build step), by service. */
  prebuilt?: Map<string, string>;
  /** A one-off container to create beside the dependencies (not started here). */
  oneoff?: OneOffRequest;
  /** Called as soon as the one-off exists (before the dependencies are ready). */
  onOneOffCreated?: (id: string) => void;
  /** Containers (by name) this run already started, e.g. while images built: not started twice. */
  startedThisRun?: ReadonlySet<string>;
  /** Only the services asked for, not their dependencies (`--no-deps`). */
  noDeps?: boolean;
  /** Replicas per service, over the file's (`--scale web=3`). */
  scale?: Record<string, number>;
  /** Create the containers without starting them (`--no-start`). */
  noStart?: boolean;
  /** Leave existing containers as they are, even when their config changed (`--no-recreate`). */
  noRecreate?: boolean;
  /** Recreate the dependencies of the services asked for, even unchanged (`--always-recreate-deps`). */
  alwaysRecreateDeps?: boolean;
  /** Seconds a replaced or removed container gets to stop (`-t`), over stop_grace_period. */
  timeout?: number;
  /** Recreated containers get new anonymous volumes, not their predecessors' (`-V`). */
  renewAnonVolumes?: boolean;
  /** No pull progress events (`--quiet-pull`). */
  quietPull?: boolean;
  /**
   * A watcher the caller subscribes (attached `up` follows exits with it too); it may still be
   * subscribing: it is awaited before anything starts, beside the first reads.
   */
  watcher?: Promise<ContainerWatcher>;
  /** Awaited before each container starts (attached `up` attaches to its output then). */
  beforeStart?: ExecuteContext["beforeStart"];
  /** Called with the plan and the containers it wants, before anything is carried out. */
  onPlanned?: (planned: { plan: Plan; containers: Map<string, string[]> }) => void;
}

export interface UpResult {
  imageSteps: ImageStep[];
  plan: Plan;
  /** Container names per service. */
  containers: Map<string, string[]>;
  imageIds: Map<string, string>;
}

export function checkServices(project: Project, names: string[]): void {
  for (const name of names) {
    if (!project.services[name]) {
      const hint = project.disabledServices[name]
        ? `Service ${name} has profiles ${project.disabledServices[name]!.profiles.join(", ")}: enable one with --profile.`
        : `Services in this project: ${Object.keys(project.services).join(", ") || "none"}.`;
      throw new SlipwayError(`No such service: ${name}`, { code: "NO_SUCH_SERVICE", kind: "config", hint });
    }
  }
}

export function replicas(project: Project, service: string): number {
  const s = project.services[service]!;
  return s.deploy?.replicas ?? s.scale ?? 1;
}

/** A one-off container (`run`) created in the same plan as its dependencies, started by the caller. */
export interface OneOffRequest {
  service: string;
  name: string;
  /** The container spec, once the one-off's image id is known (undefined: its reference as written). */
  spec: (imageId: string | undefined) => ContainerSpec;
}

/**
 * Whether the plan will likely contain readiness gates, so the event subscription can open beside
 * the first reads. Only a guess for speed: the plan itself decides (see composeUp).
 */
function mayWaitForReadiness(project: Project, services: string[], opts: UpOptions): boolean {
  if (opts.wait || (opts.gates && Object.keys(opts.gates).length > 0)) return true;
  const selected = new Set(services);
  return services.some((name) => Object.keys(project.services[name]!.depends_on).some((dep) => selected.has(dep)));
}

async function inheritedVolumes(ctx: ComposeContext, containers: readonly ObservedContainer[]): Promise<Map<string, InheritedVolume[]>> {
  const found = await Promise.all(
    containers.map(async (c) => [c.name, anonymousVolumes((await ctx.engine.containers.find(c.id, { signal: ctx.signal }))?.Mounts ?? [])] as const),
  );
  return new Map(found.filter(([, volumes]) => volumes.length > 0));
}

/** Pull progress left out (`--quiet-pull`); everything else goes on to `events`. */
function withoutProgress(events: EventBus): EventBus {
  const quiet = new EventBus();
  quiet.on(({ time: _time, ...event }) => {
    if (event.type !== "progress") events.emit(event);
  });
  return quiet;
}

/** When to recreate an existing container, per service, from --no-recreate and --always-recreate-deps. */
export function recreatePolicy(requested: readonly string[], services: readonly string[], opts: Pick<UpOptions, "noRecreate" | "alwaysRecreateDeps" | "services">): Record<string, "force" | "never"> {
  if (opts.noRecreate) return Object.fromEntries(services.map((s) => [s, "never" as const]));
  if (!opts.alwaysRecreateDeps || !opts.services?.length) return {};
  return Object.fromEntries(services.filter((s) => !requested.includes(s)).map((s) => [s, "force" as const]));
}

export async function composeUp(ctx: ComposeContext, project: Project, opts: UpOptions): Promise<UpResult> {
  const requested = opts.services ?? Object.keys(project.services);
  checkServices(project, requested);
  checkServices(project, Object.keys(opts.scale ?? {}));
  const services = opts.noDeps ? [...requested] : withDependencies(project, requested);
  const resolver = opts.images ?? new ImageResolver(ctx.engine, opts.quietPull ? withoutProgress(ctx.events) : ctx.events, ctx.signal);
  const recreate = recreatePolicy(requested, services, opts);
  const oneoff = opts.oneoff;
  const imageServices = [...new Set([...services, ...(oneoff ? [oneoff.service] : [])])].filter((s) => !opts.prebuilt?.has(s));

  // What is independent happens at once: the local image lookups (one per reference), the snapshot
  // of what exists, and — when anything will be waited on — the event subscription, which must be
  // live before anything starts so that no exit or health change can be missed.
  const given = opts.watcher;
  let watching = given ? given : !opts.dryRun && mayWaitForReadiness(project, services, opts)
    ? ContainerWatcher.start(ctx.engine, [`${ComposeLabel.project}=${project.name}`], ctx.signal)
    : undefined;
  // Failing on its own while the reads below are in flight must not be an unhandled rejection:
  // it is awaited (and thrown) before anything starts.
  watching?.catch(() => undefined);
  try {
    const present = new Set<string>();
    const [observed] = await Promise.all([
      observeProject(ctx.engine, project.name, ctx.signal),
      ...imageServices.map(async (name) => {
        const ref = imageRef(project, project.services[name]!);
        if (await resolver.lookup(ref, ctx.signal)) present.add(ref);
      }),
    ]);
    const imageSteps = planImages({
      project,
      services: imageServices,
      present,
      ...(opts.build ? { build: opts.build } : {}),
      ...(opts.pull ? { pull: opts.pull } : {}),
    });

    const runLabels = ctx.labels(opts.lifetime);
    const imageIds = opts.dryRun ? new Map<string, string>() : await executeImages(project, imageSteps, resolver, ctx.signal, ctx.events, concurrency(ctx));
    for (const [service, id] of opts.prebuilt ?? []) imageIds.set(service, id);

    const desired: DesiredContainer[] = [];
    const containers = new Map<string, string[]>();
    const recreating: ObservedContainer[] = [];
    for (const name of services) {
      const service = project.services[name]!;
      const resolved = imageIds.get(name);
      const image = createFrom(ctx, resolved, imageRef(project, service));
      const configHash = serviceConfigHash(service, resolved);
      const expected = opts.scale?.[name] ?? replicas(project, name);
      if (service.container_name && expected > 1) {
        throw new SlipwayError(`Service ${name} has container_name ${service.container_name}: it cannot have ${expected} containers, whose names must differ`, {
          code: "SCALE_WITH_CONTAINER_NAME",
          kind: "config",
          hint: `Remove container_name from ${name}, or run one replica of it.`,
        });
      }
      const existing = observed.containers.filter((c) => !c.oneoff && c.service === name);
      const obsolete = (c: ObservedContainer) => recreate[name] !== "never" && (!!opts.forceRecreate || recreate[name] === "force" || c.configHash !== configHash);
      const replicaPlan = planReplicas(expected, existing, obsolete);
      recreating.push(...existing.filter((c) => obsolete(c) && replicaPlan.indexes.includes(c.index)));
      for (const index of replicaPlan.indexes) {
        const cname = serviceContainerName(project, name, index);
        const spec = buildContainerSpec({ project, service, index, name: cname, image, ...(resolved ? { imageId: resolved } : {}), configHash, runLabels, apiVersion: ctx.engine.apiVersion });
        desired.push({ service: name, index, spec, configHash });
        containers.set(name, [...(containers.get(name) ?? []), cname]);
      }
    }

    // What a recreated container's replacement keeps: one inspect per container being replaced.
    const inherit = opts.renewAnonVolumes ? undefined : await inheritedVolumes(ctx, recreating);
    const plan = planUp({
      project,
      services,
      desired,
      observed,
      resourceLabels: { ...runLabels, [ComposeLabel.project]: project.name },
      waitAll: opts.wait ?? false,
      ...(opts.forceRecreate ? { forceRecreate: true } : {}),
      ...(Object.keys(recreate).length ? { recreate } : {}),
      ...(opts.noStart ? { noStart: true } : {}),
      ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
      ...(inherit?.size ? { inherit } : {}),
      ...(opts.removeOrphans ? { removeOrphans: true } : {}),
      ...(opts.gates ? { gates: opts.gates } : {}),
      ...(opts.infraFor ? { infraFor: opts.infraFor } : {}),
      ...(opts.startedThisRun ? { startedThisRun: opts.startedThisRun } : {}),
      ...(oneoff ? { oneoff: { service: oneoff.service, spec: oneoff.spec(imageIds.get(oneoff.service)) } } : {}),
    });
    if (opts.dryRun) return { imageSteps, plan, containers, imageIds };
    opts.onPlanned?.({ plan, containers });

    // The plan decides: a gate the guess above did not foresee still gets its subscription.
    if (!watching && plan.some((op) => op.kind === "service.ready")) watching = ContainerWatcher.start(ctx.engine, [`${ComposeLabel.project}=${project.name}`], ctx.signal);
    const watcher = await watching;
    await executePlan(plan, {
      engine: ctx.engine,
      ...(ctx.parallel !== undefined ? { parallel: ctx.parallel } : {}),
      signal: ctx.signal,
      events: ctx.events,
      ...(watcher ? { watcher } : {}),
      ...(opts.readyTimeoutMs !== undefined ? { readyTimeoutMs: opts.readyTimeoutMs } : {}),
      ...(oneoff ? { onCreated: (name: string, id: string) => { if (name === oneoff.name) opts.onOneOffCreated?.(id); } } : {}),
      ...(opts.beforeStart ? { beforeStart: opts.beforeStart } : {}),
    });
    return { imageSteps, plan, containers, imageIds };
  } finally {
    // A watcher the caller gave is the caller's to close.
    if (!given) await watching?.then((w) => w.close(), () => undefined);
  }
}
