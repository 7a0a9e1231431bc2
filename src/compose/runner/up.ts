/**
 * `up`: images first (build or pull, once per run), then converge containers to the file:
 * observe → plan → execute, with readiness gates from depends_on (and for all services with --wait).
 */
import { SlipwayError } from "../../errors/index.ts";
import { ComposeLabel } from "../../run/labels.ts";
import type { Lifetime } from "../../run/labels.ts";
import { ImageResolver, type PullPolicy } from "../../images/image-resolver.ts";
import { ContainerWatcher } from "../../readiness/container-watcher.ts";
import type { ComposeContext } from "./context.ts";
import type { Project } from "../model/index.ts";
import { serviceConfigHash } from "./config-hash.ts";
import { buildContainerSpec, type ContainerSpec } from "./container-spec.ts";
import { executePlan } from "./execute.ts";
import { withDependencies } from "./graph.ts";
import { executeImages, imageRef, planImages, type ImageStep } from "./images-phase.ts";
import { serviceContainerName } from "./names.ts";
import { observeProject } from "./observe.ts";
import { planUp, type DesiredContainer, type Plan } from "./plan.ts";

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

export async function composeUp(ctx: ComposeContext, project: Project, opts: UpOptions): Promise<UpResult> {
  const requested = opts.services ?? Object.keys(project.services);
  checkServices(project, requested);
  const services = withDependencies(project, requested);
  const resolver = opts.images ?? new ImageResolver(ctx.engine, ctx.events, ctx.signal);
  const oneoff = opts.oneoff;
  const imageServices = [...new Set([...services, ...(oneoff ? [oneoff.service] : [])])].filter((s) => !opts.prebuilt?.has(s));

  // What is independent happens at once: the local image lookups (one per reference), the snapshot
  // of what exists, and — when anything will be waited on — the event subscription, which must be
  // live before anything starts so that no exit or health change can be missed.
  let watching = !opts.dryRun && mayWaitForReadiness(project, services, opts)
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
    const imageIds = opts.dryRun ? new Map<string, string>() : await executeImages(project, imageSteps, resolver, ctx.signal, ctx.events);
    for (const [service, id] of opts.prebuilt ?? []) imageIds.set(service, id);

    const desired: DesiredContainer[] = [];
    const containers = new Map<string, string[]>();
    for (const name of services) {
      const service = project.services[name]!;
      const imageId = imageIds.get(name) ?? imageRef(project, service);
      const configHash = serviceConfigHash(service, imageIds.get(name));
      for (let index = 1; index <= replicas(project, name); index++) {
        const cname = serviceContainerName(project, name, index);
        const spec = buildContainerSpec({ project, service, index, name: cname, image: imageId, configHash, runLabels, apiVersion: ctx.engine.apiVersion });
        desired.push({ service: name, index, spec, configHash });
        containers.set(name, [...(containers.get(name) ?? []), cname]);
      }
    }

    const plan = planUp({
      project,
      services,
      desired,
      observed,
      resourceLabels: { ...runLabels, [ComposeLabel.project]: project.name },
      waitAll: opts.wait ?? false,
      ...(opts.forceRecreate ? { forceRecreate: true } : {}),
      ...(opts.removeOrphans ? { removeOrphans: true } : {}),
      ...(opts.gates ? { gates: opts.gates } : {}),
      ...(opts.infraFor ? { infraFor: opts.infraFor } : {}),
      ...(opts.startedThisRun ? { startedThisRun: opts.startedThisRun } : {}),
      ...(oneoff ? { oneoff: { service: oneoff.service, spec: oneoff.spec(imageIds.get(oneoff.service)) } } : {}),
    });
    if (opts.dryRun) return { imageSteps, plan, containers, imageIds };

    // The plan decides: a gate the guess above did not foresee still gets its subscription.
    if (!watching && plan.some((op) => op.kind === "service.ready")) watching = ContainerWatcher.start(ctx.engine, [`${ComposeLabel.project}=${project.name}`], ctx.signal);
    const watcher = await watching;
    await executePlan(plan, {
      engine: ctx.engine,
      signal: ctx.signal,
      events: ctx.events,
      ...(watcher ? { watcher } : {}),
      ...(opts.readyTimeoutMs !== undefined ? { readyTimeoutMs: opts.readyTimeoutMs } : {}),
      ...(oneoff ? { onCreated: (name: string, id: string) => { if (name === oneoff.name) opts.onOneOffCreated?.(id); } } : {}),
    });
    return { imageSteps, plan, containers, imageIds };
  } finally {
    await watching?.then((w) => w.close(), () => undefined);
  }
}
