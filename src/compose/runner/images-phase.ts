/**
 * Before containers: every selected service gets an image id, by building or by pulling (once per
 * run). Planned first (pure, printable with --dry-run), then carried out in parallel.
 */
import type { Project, Service } from "../model/index.ts";
import type { ImageResolver, PullPolicy } from "../../images/image-resolver.ts";
import { builtImageName } from "./names.ts";
import { runDag } from "./dag.ts";
import { serviceBuildRequest } from "./build-request.ts";
import type { EventBus } from "../../events/index.ts";

export type ImageStep =
  | { kind: "build"; id: string; deps: string[]; service: string; tag: string; cause: string }
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
        steps.push({ kind: "build", id: `build:${name}`, deps: [], service: name, tag: ref, cause: `build ${ref} for ${name}: ${input.build === "always" || policy === "build" ? "build requested" : "image not present"}` });
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
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  await runDag(
    steps,
    async (step, stepSignal) => {
      if (step.kind === "build") {
        const request = serviceBuildRequest(project, step.service, [step.tag]);
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
  );
  return ids;
}
