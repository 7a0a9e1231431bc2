/**
 * `run`: a one-off container of a service, attached, after its dependencies are up and ready.
 * The wait for its exit is registered before it starts, so even an auto-removed container that
 * exits at once reports its exit code; that code is returned exactly.
 */
import { randomBytes } from "node:crypto";
import { CancelledError, SlipwayError } from "../../errors/index.ts";
import { demuxStream, type StreamName } from "../../engine/streams/demux.ts";
import { ImageResolver } from "../../images/image-resolver.ts";
import { labelsFor, type RunContext } from "../../pipeline/run-context.ts";
import type { Lifetime } from "../../labels/labels.ts";
import type { Project } from "../model/index.ts";
import { serviceConfigHash } from "./config-hash.ts";
import { buildContainerSpec, type OneOffOverrides } from "./container-spec.ts";
import { executePlan } from "./execute.ts";
import { executeImages, planImages, imageRef } from "./images-phase.ts";
import { oneoffContainerName } from "./names.ts";
import { checkServices, composeUp } from "./up.ts";

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
  /** Called once the container exists (for cleanup on a second Ctrl-C, evidence…). */
  onCreated?: (id: string, name: string) => void;
}

export interface RunResult {
  exitCode: number;
  id: string;
  name: string;
}

export async function composeRun(ctx: RunContext, project: Project, serviceName: string, opts: RunOptions): Promise<RunResult> {
  checkServices(project, [serviceName]);
  const service = project.services[serviceName]!;
  const images = opts.images ?? new ImageResolver(ctx.engine, ctx.events);

  const deps = opts.noDeps ? [] : Object.keys(service.depends_on).filter((d) => project.services[d]);
  const gates = Object.fromEntries(deps.map((d) => [d, service.depends_on[d]!.condition]));
  const [, imageIds] = await Promise.all([
    // Dependencies up and ready, and the one-off's own networks and volumes in place.
    composeUp(ctx, project, { services: deps, infraFor: [serviceName], lifetime: opts.lifetime, images, gates, ...(opts.prebuilt ? { prebuilt: opts.prebuilt } : {}), ...(opts.readyTimeoutMs !== undefined ? { readyTimeoutMs: opts.readyTimeoutMs } : {}) }),
    (async () => {
      const prebuilt = opts.prebuilt?.get(serviceName);
      if (prebuilt) return new Map([[serviceName, prebuilt]]);
      const present = new Set<string>();
      const ref = imageRef(project, service);
      if (await ctx.engine.images.find(ref, { signal: ctx.signal })) present.add(ref);
      return executeImages(project, planImages({ project, services: [serviceName], present }), images, ctx.signal, ctx.events);
    })(),
  ]);

  const name = opts.name ?? oneoffContainerName(project.name, serviceName, randomBytes(4).toString("hex"));
  const imageId = imageIds.get(serviceName) ?? imageRef(project, service);
  const spec = buildContainerSpec({
    project,
    service,
    index: 1,
    name,
    image: imageId,
    configHash: serviceConfigHash(service, imageIds.get(serviceName)),
    runLabels: labelsFor(ctx, opts.lifetime),
    apiVersion: ctx.engine.apiVersion,
    oneoff: opts,
  });
  const { created } = await executePlan(
    [{ kind: "container.create", id: `create:${name}`, deps: [], cause: `create one-off ${name}`, service: serviceName, index: 1, spec }],
    { engine: ctx.engine, signal: ctx.signal, events: ctx.events },
  );
  const id = created.get(name)!;
  opts.onCreated?.(id, name);
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
      await ctx.engine.containers.remove(id, { force: true, volumes: true }).catch(() => undefined);
    }
  }
}
