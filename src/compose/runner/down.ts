/**
 * `down`: containers (dependents first) → networks → volumes with -v, then the services' images
 * with `--rmi`: `local` removes the images compose names itself (`<project>-<service>`, for a
 * service without `image:`), `all` those and every image a service names.
 */
import { EngineApiError } from "../../engine/index.ts";
import { ComposeLabel } from "../../run/labels.ts";
import type { ComposeContext } from "./context.ts";
import type { Project } from "../model/index.ts";
import { executePlan } from "./execute.ts";
import { builtImageName } from "./names.ts";
import { observeProject, projectFilter, type ObservedProject } from "./observe.ts";
import { planDown, type Plan } from "./plan.ts";

export type RmiMode = "local" | "all";

export interface DownOptions {
  project?: Project;
  removeVolumes?: boolean;
  /** Seconds to wait for a graceful stop before the kill. */
  timeout?: number;
  /** `--rmi`: also remove the services' images. */
  rmi?: RmiMode;
  /**
   * `--remove-orphans`. Containers of services no longer in the file go anyway (the project's
   * networks could not be removed while they are attached); this also takes their images with `--rmi`.
   */
  removeOrphans?: boolean;
  dryRun?: boolean;
  /** Teardown must finish even when the run was cancelled: pass a signal that is not the run's. */
  signal?: AbortSignal;
}

export interface ImageRemoval {
  ref: string;
  cause: string;
}

export interface DownResult {
  plan: Plan;
  /** Images `--rmi` removes (present when planned), after the containers. */
  images: ImageRemoval[];
}

/** A service as `--rmi` sees it: the image it names, if it names one. */
export interface ServiceImage {
  service: string;
  /** `image:` as written (or as the container was created from); undefined when compose names it. */
  image?: string;
}

/** `busybox` and `busybox:latest` are one image. */
function canonicalRef(ref: string): string {
  if (ref.includes("@")) return ref;
  const lastSlash = ref.lastIndexOf("/");
  return ref.slice(lastSlash + 1).includes(":") ? ref : `${ref}:latest`;
}

/** Pure: which images `down --rmi` removes, with why. Presence in the engine is the caller's to check. */
export function planImageRemovals(projectName: string, services: ServiceImage[], mode: RmiMode): ImageRemoval[] {
  const out = new Map<string, ImageRemoval>();
  for (const { service, image } of [...services].sort((a, b) => a.service.localeCompare(b.service))) {
    const ref = image ?? builtImageName(projectName, service);
    const key = canonicalRef(ref);
    if (out.has(key)) continue;
    if (image === undefined) out.set(key, { ref, cause: `remove image ${ref} (--rmi ${mode}): ${service}'s image, named by compose` });
    else if (mode === "all") out.set(key, { ref, cause: `remove image ${ref} (--rmi all): named by ${service}` });
  }
  return [...out.values()];
}

const imageId = /^(sha256:)?[0-9a-f]{12,64}$/;

/**
 * Without a file, the image each service's containers were made from: Slipway writes the
 * service's `image:` in compose's image label (empty when compose names it); docker compose
 * writes a digest there and creates from the reference, which the engine keeps.
 */
export function serviceImagesFromContainers(projectName: string, containers: { service: string; labels: Record<string, string>; createdFrom: string }[]): ServiceImage[] {
  const out = new Map<string, ServiceImage>();
  for (const c of containers) {
    if (out.has(c.service)) continue;
    const label = c.labels[ComposeLabel.image];
    const ref = label && !imageId.test(label) ? label : label === "" || imageId.test(c.createdFrom) ? undefined : c.createdFrom;
    // compose creates from the name it gave the image it built: that one is not named by the service.
    const named = ref !== undefined && canonicalRef(ref) !== canonicalRef(builtImageName(projectName, c.service)) ? ref : undefined;
    out.set(c.service, { service: c.service, ...(named ? { image: named } : {}) });
  }
  return [...out.values()];
}

async function serviceImages(ctx: ComposeContext, projectName: string, observed: ObservedProject, opts: DownOptions, signal: AbortSignal): Promise<ServiceImage[]> {
  const fromContainers = async () => {
    const listed = await ctx.engine.containers.list({ all: true, filters: projectFilter(projectName), signal });
    return serviceImagesFromContainers(projectName, listed.filter((c) => c.Labels[ComposeLabel.oneoff]?.toLowerCase() !== "true").map((c) => ({ service: c.Labels[ComposeLabel.service] ?? "", labels: c.Labels, createdFrom: c.Image })));
  };
  if (!opts.project) return fromContainers();
  const declared: ServiceImage[] = Object.values(opts.project.services).map((s) => ({ service: s.name, ...(s.image ? { image: s.image } : {}) }));
  if (!opts.removeOrphans || !observed.containers.some((c) => !opts.project!.services[c.service])) return declared;
  return [...declared, ...(await fromContainers()).filter((s) => !opts.project!.services[s.service])];
}

export async function composeDown(ctx: ComposeContext, projectName: string, opts: DownOptions = {}): Promise<DownResult> {
  const signal = opts.signal ?? ctx.signal;
  const observed = await observeProject(ctx.engine, projectName, signal);
  const plan = planDown({
    observed,
    removeVolumes: opts.removeVolumes ?? false,
    ...(opts.project ? { project: opts.project } : {}),
    ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
  });
  let images: ImageRemoval[] = [];
  if (opts.rmi) {
    // Read before the containers go: without a file, they are what says which images are the project's.
    const candidates = planImageRemovals(projectName, await serviceImages(ctx, projectName, observed, opts, signal), opts.rmi);
    const present = await Promise.all(candidates.map((c) => ctx.engine.images.find(c.ref, { signal })));
    images = candidates.filter((_, i) => present[i]);
  }
  if (opts.dryRun) return { plan, images };
  await executePlan(plan, { engine: ctx.engine, signal, events: ctx.events, removeVolumes: opts.removeVolumes ?? false, ...(ctx.parallel !== undefined ? { parallel: ctx.parallel } : {}) });
  // One after another: two names of one image removed at once race in the engine (the second
  // resolves the name to an ID the first has just deleted: "unrecognized image ID").
  for (const image of images) await removeImage(ctx, image, signal);
  return { plan, images };
}

/** An image another container still uses stays, with a warning, as compose leaves it. */
async function removeImage(ctx: ComposeContext, image: ImageRemoval, signal: AbortSignal): Promise<void> {
  const step = `rmi:${image.ref}`;
  const started = performance.now();
  ctx.events.emit({ type: "step.start", step, cause: image.cause });
  try {
    await ctx.engine.images.remove(image.ref, { signal });
    ctx.events.emit({ type: "step.end", step, ok: true, durationMs: performance.now() - started });
  } catch (err) {
    // Gone already (another name of the same image took it): what --rmi asked for.
    if (err instanceof EngineApiError && /unrecognized image ID/i.test(err.message)) {
      ctx.events.emit({ type: "step.end", step, ok: true, durationMs: performance.now() - started, note: "already removed" });
      return;
    }
    if (err instanceof EngineApiError && err.status === 409) {
      ctx.events.emit({ type: "step.end", step, ok: true, durationMs: performance.now() - started, note: "still in use" });
      ctx.events.emit({ type: "warning", message: `image ${image.ref} is still in use by another container: left in place` });
      return;
    }
    ctx.events.emit({ type: "step.end", step, ok: false, durationMs: performance.now() - started, error: err instanceof Error ? err.message.split("\n")[0]! : String(err) });
    throw err;
  }
}
