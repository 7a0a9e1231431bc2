/**
 * `run`: a one-off container of a service, attached, after its dependencies are up and ready.
 * The wait for its exit is registered before it starts, so even an auto-removed container that
 * exits at once reports its exit code; that code is returned exactly.
 */
import { randomBytes } from "node:crypto";
import { CancelledError, SlipwayError } from "../../errors/index.ts";
import { demuxStream, type StreamName } from "../../engine/streams/demux.ts";
import { ImageResolver } from "../../images/image-resolver.ts";
import type { ComposeContext } from "./context.ts";
import { teardownSignal } from "../../run/lifetimes.ts";
import { Label, type Lifetime } from "../../run/labels.ts";
import type { Project } from "../model/index.ts";
import { serviceConfigHash } from "./config-hash.ts";
import { buildContainerSpec, type ContainerSpec, type OneOffOverrides } from "./container-spec.ts";
import { imageRef } from "./images-phase.ts";
import { oneoffContainerName } from "./names.ts";
import { checkServices, composeUp } from "./up.ts";
import type { ReadyCondition } from "../../readiness/wait-ready.ts";

export interface RunOptions extends OneOffOverrides {
  /** Remove the container when it exits (`--rm`). */
  rm?: boolean;
  /** Do not start dependencies (`--no-deps`). */
  noDeps?: boolean;
  name?: string;
  lifetime: Lifetime;
  readyTimeoutMs?: number;
  images?: ImageResolver;
  /** Image ids already built or chosen by the caller (a pipeline's build step), by service. */
  prebuilt?: Map<string, string>;
  /** Raw output of the container as it arrives. */
  onOutput?: (stream: StreamName, data: Buffer) => void;
  /** Called once the container exists (created while its dependencies get ready). */
  onCreated?: (id: string, name: string) => void;
  /** Called when its dependencies are ready, just before the container starts. */
  onStart?: (id: string, name: string) => void;
  /** Containers (by name) this run already started: not started twice (see UpOptions). */
  startedThisRun?: ReadonlySet<string>;
  /** Readiness gates beyond the service's depends_on (a pipeline's `wait:`); they win over its own condition for the same service. */
  gates?: Record<string, ReadyCondition>;
}

export interface RunResult {
  exitCode: number;
  id: string;
  name: string;
}

/** What a one-off container of `service` waits for: its dependencies (none with --no-deps) and their conditions. */
export function oneoffDependencies(project: Project, service: string, noDeps: boolean): { services: string[]; gates: Record<string, ReadyCondition> } {
  const dependsOn = project.services[service]!.depends_on;
  const services = noDeps ? [] : Object.keys(dependsOn).filter((d) => project.services[d]);
  return { services, gates: Object.fromEntries(services.map((d) => [d, dependsOn[d]!.condition])) };
}

export async function composeRun(ctx: ComposeContext, project: Project, serviceName: string, opts: RunOptions): Promise<RunResult> {
  checkServices(project, [serviceName]);
  const service = project.services[serviceName]!;
  const images = opts.images ?? new ImageResolver(ctx.engine, ctx.events, ctx.signal);

  const own = oneoffDependencies(project, serviceName, opts.noDeps ?? false);
  const gates = { ...own.gates, ...opts.gates };
  const deps = [...new Set([...own.services, ...Object.keys(opts.gates ?? {})])];
  const name = opts.name ?? oneoffContainerName(project.name, serviceName, randomBytes(4).toString("hex"));
  const runLabels = ctx.labels(opts.lifetime);
  let createdId: string | undefined;
  let spec: ContainerSpec | undefined;
  // Dependencies up and ready, the one-off's own networks and volumes in place, and the one-off
  // itself created in the same plan (while its dependencies get ready), not yet started.
  try {
    await composeUp(ctx, project, {
      services: deps,
      infraFor: [serviceName],
      lifetime: opts.lifetime,
      images,
      gates,
      ...(opts.prebuilt ? { prebuilt: opts.prebuilt } : {}),
      ...(opts.readyTimeoutMs !== undefined ? { readyTimeoutMs: opts.readyTimeoutMs } : {}),
      ...(opts.startedThisRun ? { startedThisRun: opts.startedThisRun } : {}),
      oneoff: {
        service: serviceName,
        name,
        spec: (imageId) =>
          (spec = buildContainerSpec({
            project,
            service,
            index: 1,
            name,
            image: imageId ?? imageRef(project, service),
            configHash: serviceConfigHash(service, imageId),
            runLabels,
            apiVersion: ctx.engine.apiVersion,
            oneoff: opts,
          })),
      },
      onOneOffCreated: (id) => {
        createdId = id;
        opts.onCreated?.(id, name);
      },
    });
  } catch (err) {
    // It never ran: remove it, as if it had never been created. By id when its create answered;
    // by name when the create was cut short (e.g. Ctrl-C) and may still have happened — only if
    // the container of that name is this run's. Not the run's signal: it may be aborted.
    const signal = teardownSignal("containerMs");
    // Inspect by name also matches an id prefix: only a container of exactly this name counts.
    const ours = (c: { Name: string; Config: { Labels: Record<string, string> | null } } | undefined) => c?.Name === `/${name}` && c.Config.Labels?.[Label.run] === runLabels[Label.run];
    const id = createdId ?? (await ctx.engine.containers.find(name, { signal }).catch(() => undefined).then((c) => (ours(c) ? c!.Id : undefined)));
    if (id) await ctx.engine.containers.remove(id, { force: true, volumes: true, signal }).catch(() => undefined);
    throw err;
  }
  if (!createdId || !spec) throw new Error(`one-off ${name} was not created by the plan`);
  const id = createdId;
  opts.onStart?.(id, name);
  try {
    // Both registered before start: nothing the container writes or its exit can be missed.
    const output = await ctx.engine.containers.attach(id, { signal: ctx.signal });
    const wait = await ctx.engine.containers.wait(id, { condition: "next-exit", signal: ctx.signal });
    const pump = (async () => {
      if (spec.body.Tty) {
        for await (const chunk of output) opts.onOutput?.("stdout", chunk);
        return;
      }
      for await (const frame of demuxStream(output)) opts.onOutput?.(frame.stream, frame.data);
    })();
    pump.catch(() => undefined);
    await ctx.engine.containers.start(id, { signal: ctx.signal });
    const result = await wait.result;
    // The attach stream ends when the container exits; wait for the last bytes of output.
    await pump.catch(() => undefined);
    if (result.Error?.Message) {
      throw new SlipwayError(`Waiting for ${name} failed: ${result.Error.Message}`, { code: "WAIT_FAILED", kind: "engine" });
    }
    return { exitCode: result.StatusCode, id, name };
  } catch (err) {
    if (ctx.signal.aborted) throw new CancelledError(`run of ${serviceName} cancelled`, err);
    throw err;
  } finally {
    if (opts.rm) {
      // Teardown must happen even when the run was cancelled: not the run's signal.
      await ctx.engine.containers.remove(id, { force: true, volumes: true, signal: teardownSignal("containerMs") }).catch(() => undefined);
    }
  }
}
