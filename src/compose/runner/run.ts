/**
 * `run`: a one-off container of a service, attached, after its dependencies are up and ready.
 * The wait for its exit is registered before it starts, so even an auto-removed container that
 * exits at once reports its exit code; that code is returned exactly. Detached (`run -d`), it is
 * started and left running.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { CancelledError, SlipwayError } from "../../errors/index.ts";
import { demuxStream, type StreamName } from "../../engine/streams/demux.ts";
import type { Mount } from "../../engine/types.ts";
import { ImageResolver, type PullPolicy } from "../../images/image-resolver.ts";
import { createFrom, type ComposeContext } from "./context.ts";
import { teardownSignal } from "../../run/lifetimes.ts";
import { LABEL_PREFIX, Label, type Lifetime } from "../../run/labels.ts";
import { parsePortSpec, parseVolumeSpec, shellSplit, type PortSpec, type VolumeSpec } from "../load/formats.ts";
import type { Project } from "../model/index.ts";
import { serviceConfigHash } from "./config-hash.ts";
import { buildContainerSpec, type ContainerSpec, type OneOffOverrides } from "./container-spec.ts";
import { imageRef } from "./images-phase.ts";
import { runSession, type InteractiveIo } from "./interactive.ts";
import { oneoffContainerName, volumeName } from "./names.ts";
import { checkServices, composeUp } from "./up.ts";
import type { ReadyCondition } from "../../readiness/wait-ready.ts";

/** What `run`'s flags add to the one-off beyond the service's own keys (compose v2's runOptions.apply). */
export interface RunFlags {
  /** `-v`: mounts beside the service's volumes; a bind's source already absolute. */
  volumes?: VolumeSpec[];
  /** `-p`: the ports published instead of the service's. */
  publish?: PortSpec[];
  /** `-l`: labels beside the service's (never over compose's or Slipway's own). */
  labels?: Record<string, string>;
  capAdd?: string[];
  capDrop?: string[];
  /**
   * `--use-aliases`: true gives the one-off the service's network aliases; false none, as compose
   * v2 does without the flag (a one-off of `db` must not take `db`'s traffic). Unset keeps the
   * aliases, for the pipeline's runs.
   */
  useAliases?: boolean;
}

export interface RunOptions extends OneOffOverrides, RunFlags {
  /** `-i` (compose's default, not with -d): this input is the one-off's stdin, closed when it ends. */
  interactive?: InteractiveIo;
  /** Remove the container when it exits (`--rm`). */
  rm?: boolean;
  /** Do not start dependencies (`--no-deps`). */
  noDeps?: boolean;
  /** Start it and return at once, leaving it running (`-d`); with `rm`, the engine removes it when it exits. */
  detach?: boolean;
  /** `--build`: build the images first; as `up`'s. */
  build?: "always" | "never" | "missing";
  /** `--pull`: the pull policy for the one-off's and its dependencies' images. */
  pull?: PullPolicy;
  /** `--remove-orphans`: remove containers of services no longer in the file. */
  removeOrphans?: boolean;
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
  /** The container's own exit code; 0 for a detached run (it is still running). */
  exitCode: number;
  id: string;
  name: string;
}

function usage(message: string, hint: string): SlipwayError {
  return new SlipwayError(message, { code: "USAGE", kind: "usage", hint });
}

/**
 * `-e KEY=VALUE` (or `--build-arg`) sets; `-e KEY` takes KEY from `env` and is left out when it is
 * not set there, as compose v2 resolves it.
 */
export function parseAssignments(values: readonly string[], env: Record<string, string | undefined>, flag: "-e" | "--build-arg"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of values) {
    const eq = kv.indexOf("=");
    if (eq === 0) throw usage(`Invalid ${flag} ${JSON.stringify(kv)}: the name is empty`, `Write ${flag} KEY=VALUE, or ${flag} KEY to pass KEY from this environment.`);
    if (eq > 0) out[kv.slice(0, eq)] = kv.slice(eq + 1);
    else if (env[kv] !== undefined) out[kv] = env[kv]!;
  }
  return out;
}

/** `-l KEY=VALUE`: compose v2 refuses a label without `=`. */
export function parseLabelFlags(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of values) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw usage(`Invalid label ${JSON.stringify(kv)}: label must be set as KEY=VALUE`, "Write -l KEY=VALUE.");
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/** `--entrypoint "sh -c"` is split as a shell would (compose v2 uses shellwords), so it may hold arguments. */
export function parseEntrypointFlag(value: string): string[] {
  const parsed = shellSplit(value);
  if (!parsed.ok) throw usage(`Invalid --entrypoint ${JSON.stringify(value)}: ${parsed.message}`, "Quote the entrypoint as a shell would.");
  return parsed.value;
}

/**
 * `-v` in the service short syntax; a relative bind source is taken from `projectDir`, as the
 * file's own `./` paths are (docker compose 2.26 hands it to the engine as a volume name and fails).
 */
export function parseVolumeFlags(values: readonly string[], projectDir: string, home?: string): VolumeSpec[] {
  return values.map((v) => {
    const parsed = parseVolumeSpec(v);
    if (!parsed.ok) throw usage(`Invalid -v ${JSON.stringify(v)}: ${parsed.message}`, "Write -v [SOURCE:]TARGET[:ro], SOURCE a host path or a volume name.");
    const spec = parsed.value;
    if (spec.type !== "bind" || spec.source === undefined) return spec;
    const source = home !== undefined && (spec.source === "~" || spec.source.startsWith("~/")) ? path.join(home, spec.source.slice(1)) : spec.source;
    return { ...spec, source: path.resolve(projectDir, source) };
  });
}

/** `-p [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`, each publishing one or a range of ports. */
export function parsePublishFlags(values: readonly string[]): PortSpec[] {
  return values.flatMap((p) => {
    const parsed = parsePortSpec(p);
    if (!parsed.ok) throw usage(`Invalid -p ${JSON.stringify(p)}: ${parsed.message}`, "Write -p [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL].");
    return parsed.value;
  });
}

const ownLabel = (key: string) => key.startsWith("com.docker.compose.") || key.startsWith(LABEL_PREFIX);

function runMount(project: Project, v: VolumeSpec): { bind?: string; mount?: Mount } {
  if (v.type === "bind") return { bind: `${v.source}:${v.target}:${[v.read_only ? "ro" : "rw", v.selinux, v.propagation].filter(Boolean).join(",")}` };
  if (v.source === undefined) return { mount: { Type: "volume", Target: v.target, ReadOnly: v.read_only, ...(v.nocopy ? { VolumeOptions: { NoCopy: true } } : {}) } };
  // A volume of the file is the project's; any other name is the engine's volume of that name, as compose v2 mounts it.
  const source = project.volumes[v.source] ? volumeName(project, v.source) : v.source;
  return { mount: { Type: "volume", Source: source, Target: v.target, ReadOnly: v.read_only, ...(v.nocopy ? { VolumeOptions: { NoCopy: true } } : {}) } };
}

/** The one-off's spec with what `run`'s flags add (pure): mounts, published ports, labels, capabilities, aliases, auto-removal. */
export function withRunFlags(spec: ContainerSpec, project: Project, flags: RunFlags & { autoRemove?: boolean }): ContainerSpec {
  const body = structuredClone(spec.body);
  const host = (body.HostConfig ??= {});
  for (const v of flags.volumes ?? []) {
    const { bind, mount } = runMount(project, v);
    if (bind) host.Binds = [...(host.Binds ?? []), bind];
    if (mount) host.Mounts = [...(host.Mounts ?? []), mount];
  }
  if (flags.publish?.length) {
    const bindings: NonNullable<typeof host.PortBindings> = {};
    const exposed = { ...body.ExposedPorts };
    for (const p of flags.publish) {
      const key = `${p.target}/${p.protocol}`;
      exposed[key] = {};
      (bindings[key] ??= [])!.push({ HostPort: p.published ?? "", ...(p.host_ip ? { HostIp: p.host_ip } : {}) });
    }
    body.ExposedPorts = exposed;
    host.PortBindings = bindings;
  }
  if (flags.labels) {
    const mine = Object.fromEntries(Object.entries(body.Labels ?? {}).filter(([k]) => ownLabel(k)));
    body.Labels = { ...body.Labels, ...flags.labels, ...mine };
  }
  if (flags.capAdd?.length) host.CapAdd = [...(host.CapAdd ?? []), ...flags.capAdd];
  if (flags.capDrop?.length) host.CapDrop = [...(host.CapDrop ?? []), ...flags.capDrop];
  if (flags.autoRemove) host.AutoRemove = true;
  let connectAfterCreate = spec.connectAfterCreate;
  if (flags.useAliases === false) {
    // As compose v2: a one-off answers to its own name only, not the service's or its aliases.
    const own = [spec.name];
    for (const endpoint of Object.values(body.NetworkingConfig?.EndpointsConfig ?? {})) if (endpoint.Aliases) endpoint.Aliases = own;
    connectAfterCreate = connectAfterCreate.map((a) => ({ ...a, endpoint: { ...a.endpoint, Aliases: own } }));
  }
  return { ...spec, body, connectAfterCreate };
}

/** A one-off that takes input (`-i`): stdin open, and closed once the input ends. */
function withInput(spec: ContainerSpec, input: boolean): ContainerSpec {
  if (!input) return spec;
  return { ...spec, body: { ...spec.body, AttachStdin: true, OpenStdin: true, StdinOnce: true } };
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
  if (opts.publish?.length && opts.servicePorts) throw usage("--service-ports and --publish are incompatible", "Publish the service's ports with --service-ports, or the ones you name with -p, not both.");
  const interactive = opts.detach ? undefined : opts.interactive;
  // compose v2's slug: 64 hex digits, of which the name takes 12.
  const slug = randomBytes(32).toString("hex");
  const name = opts.name ?? oneoffContainerName(project.name, serviceName, slug.slice(0, 12));
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
      ...(opts.build ? { build: opts.build } : {}),
      ...(opts.pull ? { pull: opts.pull } : {}),
      ...(opts.removeOrphans ? { removeOrphans: true } : {}),
      oneoff: {
        service: serviceName,
        name,
        spec: (imageId) =>
          (spec = withInput(withRunFlags(
            buildContainerSpec({
              project,
              service,
              index: 1,
              name,
              image: createFrom(ctx, imageId, imageRef(project, service)),
              ...(imageId ? { imageId } : {}),
              configHash: serviceConfigHash(service, imageId),
              runLabels,
              apiVersion: ctx.engine.apiVersion,
              oneoff: { ...opts, slug },
            }),
            project,
            { ...opts, ...(opts.detach && opts.rm ? { autoRemove: true } : {}) },
          ), !!interactive)),
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
  if (opts.detach) {
    try {
      await ctx.engine.containers.start(id, { signal: ctx.signal });
    } catch (err) {
      await ctx.engine.containers.remove(id, { force: true, volumes: true, signal: teardownSignal("containerMs") }).catch(() => undefined);
      if (ctx.signal.aborted) throw new CancelledError(`run of ${serviceName} cancelled`, err);
      throw err;
    }
    return { exitCode: 0, id, name };
  }
  try {
    if (interactive) {
      // Attached (input and output) before the start: nothing it writes or reads can be missed.
      const socket = await ctx.engine.containers.attachInteractive(id, { signal: ctx.signal });
      const wait = await ctx.engine.containers.wait(id, { condition: "next-exit", signal: ctx.signal });
      const start = ctx.engine.containers.start(id, { signal: ctx.signal });
      start.catch(() => undefined);
      await runSession(
        socket,
        interactive,
        {
          tty: !!spec.body.Tty,
          ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
          resize: (size) => ctx.engine.containers.resize(id, size),
          signal: ctx.signal,
        },
        start,
      );
      await start;
      const result = await wait.result;
      if (result.Error?.Message) throw new SlipwayError(`Waiting for ${name} failed: ${result.Error.Message}`, { code: "WAIT_FAILED", kind: "engine" });
      return { exitCode: result.StatusCode, id, name };
    }
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
