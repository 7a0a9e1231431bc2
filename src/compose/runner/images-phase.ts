/**
 * Before containers: every selected service gets an image id, by building or by pulling (once per
 * run). Planned first (pure, printable with --dry-run), then carried out in parallel. Also what
 * `compose pull` and `compose push` do to the services' images, with compose v2's choice of which.
 */
import type { Project, Service } from "../model/index.ts";
import type { ImageResolver, PullPolicy } from "../../images/image-resolver.ts";
import { ComposeLabel } from "../../run/labels.ts";
import { builtImageName } from "./names.ts";
import { runDag } from "./dag.ts";
import { serviceBuildRequest, type BuildOverrides } from "./build-request.ts";
import type { EventBus } from "../../events/index.ts";
import type { Engine, RegistryAuth } from "../../engine/index.ts";
import { splitImageRef } from "../../engine/index.ts";
import { SlipwayError } from "../../errors/index.ts";
import { parseReference } from "../../registry/reference.ts";

export type ImageStep =
  | { kind: "build"; id: string; deps: string[]; service: string; tag: string; cause: string; overrides?: BuildOverrides }
  | { kind: "pull"; id: string; deps: string[]; services: string[]; ref: string; policy: PullPolicy; cause: string; platform?: string };

export function imageRef(project: Project, service: Service): string {
  return service.image ?? builtImageName(project.name, service.name);
}

export interface ImagePlanInput {
  project: Project;
  services: string[];
  /** References already present in the engine. */
  present: Set<string>;
  /** `--build`: build even when the image exists; `--no-build`: never. */
  build?: "always" | "never" | "missing";
  pull?: PullPolicy;
  /** `compose build`'s flags, for every build step. */
  buildOverrides?: BuildOverrides;
}

export function planImages(input: ImagePlanInput): ImageStep[] {
  const steps: ImageStep[] = [];
  const pulls = new Map<string, Extract<ImageStep, { kind: "pull" }>>();
  for (const name of input.services) {
    const service = input.project.services[name]!;
    const ref = imageRef(input.project, service);
    const policy = (input.pull ?? service.pull_policy ?? "missing") as PullPolicy;
    if (service.build && input.build !== "never" && policy !== "never") {
      const present = input.present.has(ref);
      if (input.build === "always" || policy === "build" || !present) {
        steps.push({
          kind: "build",
          id: `build:${name}`,
          deps: [],
          service: name,
          tag: ref,
          cause: `build ${ref} for ${name}: ${input.build === "always" || policy === "build" ? "build requested" : "image not present"}`,
          ...(input.buildOverrides ? { overrides: input.buildOverrides } : {}),
        });
        continue;
      }
    }
    const existing = pulls.get(ref);
    if (existing) {
      existing.services.push(name);
      continue;
    }
    const step: Extract<ImageStep, { kind: "pull" }> = {
      kind: "pull",
      id: `pull:${ref}`,
      deps: [],
      services: [name],
      ref,
      policy,
      ...(service.platform ? { platform: service.platform } : {}),
      cause: policy === "always" ? `pull ${ref}: pull_policy always` : input.present.has(ref) ? `use ${ref}: present` : `pull ${ref}: not present`,
    };
    pulls.set(ref, step);
    steps.push(step);
  }
  return steps;
}

/** Runs the image steps; returns the image id per service. */
export async function executeImages(
  project: Project,
  steps: ImageStep[],
  resolver: ImageResolver,
  signal: AbortSignal,
  events: EventBus,
  /** At most this many builds and pulls at once (`--parallel`). */
  limit = Infinity,
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  await runDag(
    steps,
    async (step, stepSignal) => {
      if (step.kind === "build") {
        const built = serviceBuildRequest(project, step.service, [step.tag], step.overrides);
        // As compose v2 labels the images it builds: the project and service they belong to.
        const request = { ...built, labels: { ...built.labels, [ComposeLabel.project]: project.name, [ComposeLabel.service]: step.service } };
        events.emit({ type: "step.start", step: step.id, cause: step.cause });
        const started = performance.now();
        const id = await resolver.build(request, stepSignal);
        events.emit({ type: "step.end", step: step.id, ok: true, durationMs: performance.now() - started });
        ids.set(step.service, id);
      } else {
        const id = await resolver.ensure(step.ref, step.policy, stepSignal, step.platform);
        for (const s of step.services) ids.set(s, id);
      }
    },
    signal,
    limit,
  );
  return ids;
}

/** A service `compose pull` or `push` leaves alone, and why (compose v2 prints "Skipped"). */
export interface SkippedImage {
  service: string;
  reason: string;
}

export interface PullTarget {
  ref: string;
  /** Every selected service of this image (pulled once). */
  services: string[];
  /** A service of it can be built: a failed pull says to build it instead. */
  buildable: boolean;
  platform?: string;
}

export interface PullPlanInput {
  project: Project;
  services: string[];
  /** References already present in the engine (for pull_policy missing). */
  present: ReadonlySet<string>;
  /** `--policy`: over every service's pull_policy. */
  policy?: "missing" | "always";
  /** `--ignore-buildable`. */
  ignoreBuildable?: boolean;
}

/**
 * What `compose pull` pulls (pure), as compose v2 2.26 chooses: every selected service with an
 * `image:` (also one that can be built), unless its pull_policy is never or build, or is missing /
 * if_not_present and the image is here.
 */
export function planPulls(input: PullPlanInput): { pulls: PullTarget[]; skipped: SkippedImage[] } {
  const pulls = new Map<string, PullTarget>();
  const skipped: SkippedImage[] = [];
  for (const name of input.services) {
    const service = input.project.services[name]!;
    if (!service.image) {
      skipped.push({ service: name, reason: "no image to be pulled" });
      continue;
    }
    const policy = input.policy ?? service.pull_policy;
    if (policy === "never" || policy === "build") {
      skipped.push({ service: name, reason: `pull_policy is ${policy}` });
      continue;
    }
    if ((policy === "missing" || policy === "if_not_present") && input.present.has(service.image)) {
      skipped.push({ service: name, reason: "image is already present locally" });
      continue;
    }
    if (service.build && input.ignoreBuildable) {
      skipped.push({ service: name, reason: "image can be built" });
      continue;
    }
    const existing = pulls.get(service.image);
    if (existing) {
      existing.services.push(name);
      existing.buildable ||= !!service.build;
      continue;
    }
    pulls.set(service.image, { ref: service.image, services: [name], buildable: !!service.build, ...(service.platform ? { platform: service.platform } : {}) });
  }
  return { pulls: [...pulls.values()], skipped };
}

/** What could not be pulled or pushed, with the registry's error. */
export interface ImageFailure {
  ref: string;
  services: string[];
  error: SlipwayError;
}

function asSlipwayError(err: unknown, code: string, what: string): SlipwayError {
  if (err instanceof SlipwayError) return err;
  return new SlipwayError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { code, kind: "registry", cause: err });
}

export interface RegistryOptions {
  /** The engine's X-Registry-Auth for a registry (host[:port], `docker.io` for Docker Hub). */
  credentials: (registry: string) => Promise<RegistryAuth>;
  events: EventBus;
  signal: AbortSignal;
}

/** Emits the step's start and end around `work`; a failure is returned, cancellation thrown. */
async function imageStep(opts: RegistryOptions, step: string, code: string, target: { ref: string; services: string[] }, work: () => Promise<void>): Promise<ImageFailure | undefined> {
  const started = performance.now();
  opts.events.emit({ type: "step.start", step });
  try {
    await work();
    opts.events.emit({ type: "step.end", step, ok: true, durationMs: performance.now() - started });
    return undefined;
  } catch (err) {
    if (opts.signal.aborted) throw err;
    // Its error is the caller's to report (a warning, or the command's error): not twice.
    opts.events.emit({ type: "step.end", step, ok: false, durationMs: performance.now() - started });
    return { ref: target.ref, services: target.services, error: asSlipwayError(err, code, step) };
  }
}

const failed = (results: (ImageFailure | undefined)[]) => results.filter((f): f is ImageFailure => f !== undefined);

/**
 * Pulls every target at once, with the registry's credentials (as `docker compose pull` does). A
 * failure never stops the others: all are returned, and the caller decides (`--ignore-pull-failures`).
 */
export async function pullImages(engine: Engine, targets: readonly PullTarget[], opts: RegistryOptions): Promise<ImageFailure[]> {
  const pull = async (t: PullTarget) => {
    const auth = await opts.credentials(parseReference(t.ref).registry);
    await engine.images.pull(t.ref, { auth, signal: opts.signal, ...(t.platform ? { platform: t.platform } : {}) });
  };
  return failed(await Promise.all(targets.map((t) => imageStep(opts, `pull ${t.ref}`, "PULL_FAILED", t, () => pull(t)))));
}

export interface PushTarget {
  ref: string;
  service: string;
}

/**
 * What `compose push` pushes (pure), as compose v2 2.26 does: a service's `image:` and its
 * `build.tags`, only when the service is built here (has `build:`) and names its image.
 */
export function planPushes(project: Project, services: readonly string[]): { pushes: PushTarget[]; skipped: SkippedImage[] } {
  const pushes: PushTarget[] = [];
  const skipped: SkippedImage[] = [];
  for (const name of services) {
    const service = project.services[name]!;
    if (!service.build || !service.image) {
      skipped.push({ service: name, reason: service.build ? "no image: name to push to" : "not built here (no build section)" });
      continue;
    }
    for (const ref of [service.image, ...service.build.tags]) pushes.push({ ref: withTag(ref), service: name });
  }
  return { pushes, skipped };
}

/** `repo` is pushed as `repo:latest`: the engine would push every tag of the repository otherwise. */
export function withTag(ref: string): string {
  const parts = splitImageRef(ref);
  return parts.tag === undefined && parts.digest === undefined ? `${ref}:latest` : ref;
}

/** Pushes every target at once through the engine, with the registry's credentials; failures are returned, as for pulls. */
export async function pushImages(engine: Engine, targets: readonly PushTarget[], opts: RegistryOptions): Promise<ImageFailure[]> {
  const push = async (t: PushTarget) => {
    const auth = await opts.credentials(parseReference(t.ref).registry);
    if (!(await engine.images.find(t.ref, { signal: opts.signal }))) {
      throw new SlipwayError(`No local image is tagged ${t.ref}`, { code: "IMAGE_MISSING", kind: "config", hint: `Build it first: \`slipway compose build ${t.service}\`.` });
    }
    await engine.images.push(t.ref, { auth, signal: opts.signal });
  };
  return failed(await Promise.all(targets.map((t) => imageStep(opts, `push ${t.ref}`, "PUSH_FAILED", { ref: t.ref, services: [t.service] }, () => push(t)))));
}
