/**
 * observe → plan → execute (docker compose v2's convergence). `planUp` and `planDown` are pure:
 * they compare the desired project with one snapshot of what exists and return operations,
 * each with its dependencies and its cause. The executor runs them without deciding anything.
 */
import { SlipwayError } from "../../errors/index.ts";
import type { Project, Service } from "../model/index.ts";
import { namespaceServices, volumesFromService } from "../model/index.ts";
import type { ContainerSpec } from "./container-spec.ts";
import { networkName, serviceContainerName, volumeName } from "./names.ts";
import type { ObservedContainer, ObservedProject } from "./observe.ts";
import type { NetworkCreateBody, VolumeCreateBody } from "../../engine/types.ts";

export type Operation =
  | { kind: "network.create"; id: string; deps: string[]; cause: string; key: string; body: NetworkCreateBody }
  | { kind: "volume.create"; id: string; deps: string[]; cause: string; key: string; body: VolumeCreateBody }
  /** `kill`: force-remove at once, without a graceful stop first. */
  | { kind: "container.remove"; id: string; deps: string[]; cause: string; container: ObservedContainer; stopTimeout?: number; kill?: boolean }
  | { kind: "container.create"; id: string; deps: string[]; cause: string; service: string; index: number; spec: ContainerSpec }
  /** `containerId`: the container's id when it exists already (not created by this plan). */
  | { kind: "container.start"; id: string; deps: string[]; cause: string; service: string; index: number; name: string; containerId?: string }
  /** Graceful: SIGTERM (or the image's stop signal), killed after `stopTimeout` seconds. */
  | { kind: "container.stop"; id: string; deps: string[]; cause: string; container: ObservedContainer; stopTimeout?: number }
  | { kind: "container.kill"; id: string; deps: string[]; cause: string; container: ObservedContainer }
  /** Stop and start again, in place (a dependency with `restart: true` was recreated). */
  | { kind: "container.restart"; id: string; deps: string[]; cause: string; service: string; name: string; stopTimeout?: number }
  | {
      kind: "service.ready";
      id: string;
      deps: string[];
      cause: string;
      service: string;
      condition: "service_started" | "service_healthy" | "service_completed_successfully";
      containers: string[];
    }
  /** By id: names can be ambiguous when a racing client made two networks of one name. */
  | { kind: "network.remove"; id: string; deps: string[]; cause: string; name: string; networkId: string }
  | { kind: "volume.remove"; id: string; deps: string[]; cause: string; name: string };

export type Plan = Operation[];

/** What `up` wants for one replica: the spec (built by the caller, pure) and its hash. */
export interface DesiredContainer {
  service: string;
  index: number;
  spec: ContainerSpec;
  configHash: string;
}

export interface UpPlanInput {
  project: Project;
  /** Services to bring up (dependencies included by the caller). */
  services: string[];
  desired: DesiredContainer[];
  observed: ObservedProject;
  /** Project-level labels for networks and volumes. */
  resourceLabels: Record<string, string>;
  /** Wait for every service to be ready (`up --wait`), not only those others depend on. */
  waitAll: boolean;
  /** Recreate every container even if unchanged (`--force-recreate`). */
  forceRecreate?: boolean;
  /**
   * Per service, when to recreate a container that exists: `force` (`--always-recreate-deps` for
   * dependencies), `never` (`--no-recreate`); otherwise when its config hash changed.
   */
  recreate?: Record<string, "force" | "never">;
  /** Create only (`--no-start`): no starts, no readiness gates. */
  noStart?: boolean;
  /** Seconds a container being replaced or removed gets to stop (`-t`), over its stop_grace_period. */
  timeout?: number;
  /** Anonymous volumes of containers that may be recreated, by name: their replacements keep them (unless `-V`). */
  inherit?: ReadonlyMap<string, readonly InheritedVolume[]>;
  /** Remove containers of services no longer in the file. */
  removeOrphans?: boolean;
  /** Services whose networks and volumes must exist, without containers (a one-off's own). */
  infraFor?: string[];
  /** Extra readiness gates, e.g. the dependencies of a one-off `run` container. */
  gates?: Record<string, "service_started" | "service_healthy" | "service_completed_successfully">;
  /** A one-off container (`run`) to create beside the dependencies; its caller starts it. */
  oneoff?: { service: string; spec: ContainerSpec };
  /** Containers (by name) this run already started: found exited (a one-shot done), they are not run again. */
  startedThisRun?: ReadonlySet<string>;
}

const NS_PER_S = 1_000_000_000;

export function stopTimeoutSeconds(project: Project, service: string): number | undefined {
  const grace = project.services[service]?.stop_grace_period;
  return grace === undefined ? undefined : Math.ceil(grace / NS_PER_S);
}

type Condition = "service_started" | "service_healthy" | "service_completed_successfully";

/** Services whose first container this one joins: `service:x` namespaces and volumes_from. */
function sharedContainerServices(service: Service): string[] {
  const refs = namespaceServices(service);
  for (const from of service.volumes_from) {
    const target = volumesFromService(from);
    if (target) refs.push(target);
  }
  return refs;
}

function dependsOnConditions(project: Project, service: string): Record<string, Condition> {
  return Object.fromEntries(Object.entries(project.services[service]?.depends_on ?? {}).map(([dep, d]) => [dep, d.condition]));
}

/** An anonymous volume a container being replaced has: its replacement mounts it at the same place. */
export interface InheritedVolume {
  name: string;
  target: string;
  readOnly: boolean;
}

/** Anonymous volumes get a random 64-hex name from the engine. */
const ANONYMOUS_VOLUME = /^[0-9a-f]{64}$/;

/** The anonymous volumes among a container's mounts (inspect's `Mounts`). */
export function anonymousVolumes(mounts: readonly { Type: string; Name?: string; Destination: string; RW: boolean }[]): InheritedVolume[] {
  return mounts.filter((m) => m.Type === "volume" && m.Name && ANONYMOUS_VOLUME.test(m.Name)).map((m) => ({ name: m.Name!, target: m.Destination, readOnly: !m.RW }));
}

/**
 * The spec of a replacement that keeps the replaced container's anonymous volumes, as compose v2
 * does unless `-V` (pkg/compose/create.go, buildContainerVolumes): a file's anonymous volume at the
 * same target gets the old volume as its source; an image's VOLUME (no mount of the file there)
 * gets it mounted. Targets the file mounts something else on keep that.
 */
export function inheritVolumes(spec: ContainerSpec, volumes: readonly InheritedVolume[]): ContainerSpec {
  const host = spec.body.HostConfig ?? {};
  const mounts = [...(host.Mounts ?? [])];
  const taken = new Set([...mounts.filter((m) => m.Source || m.Type !== "volume").map((m) => m.Target), ...(host.Binds ?? []).map((b) => b.split(":")[1] ?? ""), ...Object.keys(host.Tmpfs ?? {})]);
  let changed = false;
  for (const v of volumes) {
    if (taken.has(v.target)) continue;
    const at = mounts.findIndex((m) => m.Type === "volume" && !m.Source && m.Target === v.target);
    if (at >= 0) mounts[at] = { ...mounts[at]!, Source: v.name };
    else mounts.push({ Type: "volume", Source: v.name, Target: v.target, ReadOnly: v.readOnly });
    changed = true;
  }
  if (!changed) return spec;
  return { ...spec, body: { ...spec.body, HostConfig: { ...host, Mounts: mounts } } };
}

function mustRecreate(input: UpPlanInput, d: DesiredContainer, existing: ObservedContainer): boolean {
  const policy = input.recreate?.[d.service];
  if (policy === "never") return false;
  return input.forceRecreate || policy === "force" || existing.configHash !== d.configHash;
}

/** Which replicas of a service `up` keeps, adds and removes to have `expected` of them. */
export interface ReplicaPlan {
  /** Replica numbers wanted after `up`: those kept, then those added. */
  indexes: number[];
  /** Numbers of new replicas. */
  added: number[];
  /** Existing replicas that go. */
  removed: ObservedContainer[];
}

/**
 * compose v2's scaling (pkg/compose/convergence.go): to scale down, replicas whose config changed
 * go first, then the highest numbers, so the lowest up-to-date numbers stay; new replicas take the
 * numbers after the highest existing one (a gap left by a removed replica is not filled).
 * `existing` are the service's containers (one-offs excluded); `obsolete` tells which would be recreated.
 */
export function planReplicas(expected: number, existing: readonly ObservedContainer[], obsolete: (c: ObservedContainer) => boolean): ReplicaPlan {
  const ranked = [...existing].sort((a, b) => Number(obsolete(a)) - Number(obsolete(b)) || a.index - b.index);
  const kept = ranked.slice(0, expected);
  const removed = ranked.slice(expected);
  const next = Math.max(0, ...existing.map((c) => c.index)) + 1;
  const added = Array.from({ length: Math.max(0, expected - kept.length) }, (_, i) => next + i);
  return { indexes: [...kept.map((c) => c.index).sort((a, b) => a - b), ...added], added, removed };
}

export function planUp(input: UpPlanInput): Plan {
  const { project, observed } = input;
  const ops: Operation[] = [];
  const selected = new Set(input.services);

  const networksNeeded = new Set<string>();
  const volumesNeeded = new Set<string>();
  for (const name of new Set([...selected, ...(input.infraFor ?? [])])) {
    const s = project.services[name]!;
    if (!s.network_mode) Object.keys(s.networks).forEach((n) => networksNeeded.add(n));
    for (const v of s.volumes) if (v.type === "volume" && v.source) volumesNeeded.add(v.source);
  }

  for (const key of [...networksNeeded].sort()) {
    const net = project.networks[key];
    const name = networkName(project, key);
    if (net?.external) continue;
    if (observed.networks.some((n) => n.Name === name)) continue;
    const body: NetworkCreateBody = {
      Name: name,
      Labels: { ...(net?.labels ?? {}), ...input.resourceLabels, "com.docker.compose.network": key },
      CheckDuplicate: true,
    };
    if (net?.driver) body.Driver = net.driver;
    if (net?.internal) body.Internal = true;
    if (net?.attachable) body.Attachable = true;
    if (net?.enable_ipv6) body.EnableIPv6 = true;
    if (net && Object.keys(net.driver_opts).length) body.Options = net.driver_opts;
    if (net?.ipam) {
      body.IPAM = {
        ...(net.ipam.driver ? { Driver: net.ipam.driver } : {}),
        Config: net.ipam.config.map((c) => ({
          ...(c.subnet ? { Subnet: c.subnet } : {}),
          ...(c.ip_range ? { IPRange: c.ip_range } : {}),
          ...(c.gateway ? { Gateway: c.gateway } : {}),
          ...(Object.keys(c.aux_addresses).length ? { AuxiliaryAddresses: c.aux_addresses } : {}),
        })),
        Options: net.ipam.options,
      };
    }
    ops.push({ kind: "network.create", id: `network:${key}`, deps: [], cause: `create network ${name}: none exists`, key, body });
  }

  for (const key of [...volumesNeeded].sort()) {
    const vol = project.volumes[key];
    const name = volumeName(project, key);
    if (vol?.external) continue;
    if (observed.volumes.some((v) => v.Name === name)) continue;
    const body: VolumeCreateBody = {
      Name: name,
      Labels: { ...(vol?.labels ?? {}), ...input.resourceLabels, "com.docker.compose.volume": key },
    };
    if (vol?.driver) body.Driver = vol.driver;
    if (vol && Object.keys(vol.driver_opts).length) body.DriverOpts = vol.driver_opts;
    ops.push({ kind: "volume.create", id: `volume:${key}`, deps: [], cause: `create volume ${name}: none exists`, key, body });
  }

  const createdNetworkOps = new Set(ops.filter((o) => o.kind === "network.create").map((o) => o.id));
  const createdVolumeOps = new Set(ops.filter((o) => o.kind === "volume.create").map((o) => o.id));
  const infraDepsOf = (name: string): string[] => {
    const service = project.services[name]!;
    return [
      ...(service.network_mode ? [] : Object.keys(service.networks).map((n) => `network:${n}`).filter((id) => createdNetworkOps.has(id))),
      ...service.volumes.filter((v) => v.type === "volume" && v.source).map((v) => `volume:${v.source}`).filter((id) => createdVolumeOps.has(id)),
    ];
  };
  const startIds = new Map<string, string[]>();
  const recreated = new Set<string>();
  const untouched: { d: DesiredContainer; existing: ObservedContainer }[] = [];
  const readyContainers = new Map<string, string[]>();

  // Orphans: containers of this project whose service is gone from the file.
  if (input.removeOrphans) {
    for (const c of observed.containers) {
      if (!c.oneoff && !project.services[c.service]) {
        ops.push({ kind: "container.remove", id: `remove:${c.name}`, deps: [], cause: `remove ${c.name}: orphan, service ${c.service} is not in the project`, container: c });
      }
    }
  }

  for (const d of input.desired) {
    if (!selected.has(d.service)) continue;
    const service = project.services[d.service]!;
    const existing = observed.containers.find((c) => !c.oneoff && c.service === d.service && c.index === d.index);
    const infraDeps = infraDepsOf(service.name);
    const depReady = Object.keys(service.depends_on)
      .filter((dep) => selected.has(dep))
      .map((dep) => `ready:${dep}`);
    const startId = `start:${d.spec.name}`;
    let needsStart = true;
    let cause = "";
    if (!existing) {
      ops.push({ kind: "container.create", id: `create:${d.spec.name}`, deps: infraDeps, cause: `create ${d.spec.name}: none exists`, service: d.service, index: d.index, spec: d.spec });
      cause = `start ${d.spec.name}: just created`;
    } else if (mustRecreate(input, d, existing)) {
      const why = input.forceRecreate ? "--force-recreate" : input.recreate?.[d.service] === "force" ? "--always-recreate-deps" : "config hash changed";
      const stopTimeout = input.timeout ?? stopTimeoutSeconds(project, d.service);
      ops.push({
        kind: "container.remove",
        id: `remove:${existing.name}`,
        deps: [],
        cause: `remove ${existing.name}: ${why}`,
        container: existing,
        ...(stopTimeout !== undefined ? { stopTimeout } : {}),
      });
      const kept = input.inherit?.get(existing.name) ?? [];
      const spec = kept.length ? inheritVolumes(d.spec, kept) : d.spec;
      const keeping = spec === d.spec ? "" : `, keeping its anonymous volume${kept.length > 1 ? "s" : ""}`;
      ops.push({ kind: "container.create", id: `create:${d.spec.name}`, deps: [...infraDeps, `remove:${existing.name}`], cause: `recreate ${d.spec.name}: ${why}${keeping}`, service: d.service, index: d.index, spec });
      recreated.add(d.service);
      cause = `start ${d.spec.name}: recreated`;
    } else if (existing.state !== "running" && !input.startedThisRun?.has(existing.name)) {
      cause = `start ${d.spec.name}: exists unchanged but is ${existing.state}`;
    } else {
      needsStart = false;
      if (existing.state === "running") untouched.push({ d, existing });
    }
    if (needsStart && !input.noStart) {
      const createDep = ops.some((o) => o.id === `create:${d.spec.name}`) ? [`create:${d.spec.name}`] : [];
      const containerId = createDep.length === 0 && existing ? { containerId: existing.id } : {};
      ops.push({ kind: "container.start", id: startId, deps: [...createDep, ...depReady], cause, service: d.service, index: d.index, name: d.spec.name, ...containerId });
      startIds.set(d.service, [...(startIds.get(d.service) ?? []), startId]);
    }
    readyContainers.set(d.service, [...(readyContainers.get(d.service) ?? []), d.spec.name]);
  }

  // Scaled down (`--scale`, or fewer replicas in the file): the replicas no longer wanted go.
  const wanted = new Set(input.desired.filter((d) => selected.has(d.service)).map((d) => `${d.service}\0${d.index}`));
  for (const c of observed.containers) {
    if (c.oneoff || !selected.has(c.service) || wanted.has(`${c.service}\0${c.index}`) || !project.services[c.service]) continue;
    const count = input.desired.filter((d) => d.service === c.service).length;
    const stopTimeout = input.timeout ?? stopTimeoutSeconds(project, c.service);
    ops.push({ kind: "container.remove", id: `remove:${c.name}`, deps: [], cause: `remove ${c.name}: ${c.service} scaled to ${count}`, container: c, ...(stopTimeout !== undefined ? { stopTimeout } : {}) });
  }

  if (input.oneoff) {
    const { service, spec } = input.oneoff;
    const taken = input.desired.find((d) => d.spec.name === spec.name) ?? observed.containers.find((c) => c.name === spec.name);
    if (taken) {
      throw new SlipwayError(`Container name ${spec.name} is already used by a container of service ${taken.service} in project ${project.name}`, {
        code: "CONTAINER_NAME_IN_USE",
        kind: "usage",
        hint: "Choose another --name, or leave it out for a generated one.",
      });
    }
    ops.push({ kind: "container.create", id: `create:${spec.name}`, deps: infraDepsOf(service), cause: `create one-off ${spec.name}`, service, index: 1, spec });
  }

  const createIds = new Set(ops.filter((o) => o.kind === "container.create").map((o) => o.id));
  for (const op of ops) {
    if (op.kind !== "container.create") continue;
    // A container whose dependency takes time to get ready (healthy, or completed) is created after
    // that dependency's start: its create then overlaps the wait instead of competing with the start.
    for (const [dep, condition] of Object.entries(dependsOnConditions(project, op.service))) {
      if (condition === "service_started" || !selected.has(dep)) continue;
      op.deps.push(...(startIds.get(dep) ?? []));
    }
    // A container sharing another service's namespace or volumes needs that container to exist.
    for (const ref of sharedContainerServices(project.services[op.service]!)) {
      const id = `create:${serviceContainerName(project, ref)}`;
      if (createIds.has(id) && id !== op.id) op.deps.push(id);
    }
  }

  // A readiness gate for every service someone waits on (or all, with --wait).
  for (const name of input.noStart ? [] : selected) {
    const waiters = Object.values(project.services).filter((s) => selected.has(s.name) && name in s.depends_on);
    const conditions = new Set(waiters.map((w) => w.depends_on[name]!.condition));
    const gate = input.gates?.[name];
    if (gate) conditions.add(gate);
    const service = project.services[name]!;
    const hasHealthcheck = !!service.healthcheck?.test && !service.healthcheck.disable;
    let condition: "service_started" | "service_healthy" | "service_completed_successfully" | undefined;
    if (conditions.has("service_completed_successfully")) condition = "service_completed_successfully";
    else if (conditions.has("service_healthy")) condition = "service_healthy";
    else if (conditions.size > 0) condition = "service_started";
    // --wait means every service healthy when it has a healthcheck, whatever its dependents need.
    if (input.waitAll && (!condition || condition === "service_started")) condition = hasHealthcheck ? "service_healthy" : "service_started";
    if (!condition) continue;
    const by = waiters.length ? waiters.map((w) => w.name).join(", ") : gate ? "the one-off container" : "--wait";
    ops.push({
      kind: "service.ready",
      id: `ready:${name}`,
      deps: startIds.get(name) ?? [],
      cause: `wait for ${name}: ${condition} (needed by ${by})`,
      service: name,
      condition,
      containers: readyContainers.get(name) ?? [],
    });
  }

  // A running container left as it is restarts when a dependency it declares `restart: true` for
  // was recreated (compose-go sets it for `service:` namespaces, volumes_from and links). One that
  // shares the dependency's namespace or volumes is recreated instead: the engine resolved
  // `container:<name>` to the old container's id when it created it, so a restart cannot rejoin.
  const opIds = new Set(ops.map((o) => o.id));
  for (const { d, existing } of input.noStart ? [] : untouched) {
    const service = project.services[d.service]!;
    const because = Object.entries(service.depends_on)
      .filter(([dep, spec]) => spec.restart && recreated.has(dep) && selected.has(dep))
      .map(([dep]) => dep);
    if (because.length === 0) continue;
    const after = because.flatMap((dep) => (opIds.has(`ready:${dep}`) ? [`ready:${dep}`] : (startIds.get(dep) ?? [])));
    const stopTimeout = input.timeout ?? stopTimeoutSeconds(project, d.service);
    const shared = sharedContainerServices(service).filter((ref) => because.includes(ref));
    const why = `${because.join(", ")} recreated (depends_on restart: true)`;
    let id: string;
    if (shared.length > 0) {
      ops.push({ kind: "container.remove", id: `remove:${existing.name}`, deps: [], cause: `remove ${existing.name}: ${why}, and it shares its namespace or volumes`, container: existing, ...(stopTimeout !== undefined ? { stopTimeout } : {}) });
      const createDeps = [`remove:${existing.name}`, ...shared.map((ref) => `create:${serviceContainerName(project, ref)}`).filter((c) => opIds.has(c)), ...infraDepsOf(d.service)];
      ops.push({ kind: "container.create", id: `create:${d.spec.name}`, deps: createDeps, cause: `recreate ${d.spec.name}: ${why}`, service: d.service, index: d.index, spec: d.spec });
      id = `start:${d.spec.name}`;
      ops.push({ kind: "container.start", id, deps: [`create:${d.spec.name}`, ...after], cause: `start ${d.spec.name}: recreated`, service: d.service, index: d.index, name: d.spec.name });
    } else {
      id = `restart:${d.spec.name}`;
      ops.push({ kind: "container.restart", id, deps: after, cause: `restart ${d.spec.name}: ${why}`, service: d.service, name: d.spec.name, ...(stopTimeout !== undefined ? { stopTimeout } : {}) });
    }
    // Whoever waits on this service waits for it to be back.
    const ready = ops.find((o) => o.id === `ready:${d.service}`);
    if (ready) ready.deps.push(id);
  }
  return ops;
}

export interface DownPlanInput {
  /** The project model when a file is at hand (stop grace periods); `down -p X` works without. */
  project?: Project;
  observed: ObservedProject;
  removeVolumes: boolean;
  /** Stop timeout override in seconds (`down -t`). */
  timeout?: number;
  /**
   * A throwaway environment whose evidence is already kept (a pipeline stage's): every container
   * is force-removed at once (killed, no graceful stop, no dependency order).
   */
  kill?: boolean;
}

/** Services a container's service depends on, from compose's depends_on label ("db:service_healthy:false,…"). */
export function labelDependencies(c: ObservedContainer): string[] {
  const value = c.labels["com.docker.compose.depends_on"] ?? "";
  return value.split(",").map((entry) => entry.split(":")[0]!).filter(Boolean);
}

/** Containers first (dependents before their dependencies), then networks, then volumes with -v. */
export function planDown(input: DownPlanInput): Plan {
  const { project, observed } = input;
  const ops: Operation[] = [];
  for (const c of observed.containers) {
    // Stop a service only after those that depend on it, as compose does. The labels carry the
    // graph, so this works for a project whose file we do not have.
    const deps = c.oneoff
      ? []
      : observed.containers
          .filter((other) => !other.oneoff && other.service !== c.service && labelDependencies(other).includes(c.service))
          .map((other) => `remove:${other.name}`);
    const oneoffsOfService = observed.containers.filter((o) => o.oneoff && o.service !== c.service).map((o) => `remove:${o.name}`);
    const stopTimeout = input.timeout ?? (project ? stopTimeoutSeconds(project, c.service) : undefined);
    if (input.kill) {
      ops.push({ kind: "container.remove", id: `remove:${c.name}`, deps: [], cause: `remove ${c.name}: throwaway environment, killed`, container: c, kill: true });
      continue;
    }
    ops.push({
      kind: "container.remove",
      id: `remove:${c.name}`,
      deps: c.oneoff ? [] : [...new Set([...deps, ...oneoffsOfService])],
      cause: `remove ${c.name}: project going down`,
      container: c,
      ...(stopTimeout !== undefined ? { stopTimeout } : {}),
    });
  }
  const allRemovals = ops.map((o) => o.id);
  for (const n of observed.networks) {
    ops.push({ kind: "network.remove", id: `network-remove:${n.Id}`, deps: allRemovals, cause: `remove network ${n.Name}`, name: n.Name, networkId: n.Id });
  }
  if (input.removeVolumes) {
    for (const v of observed.volumes) {
      ops.push({ kind: "volume.remove", id: `volume-remove:${v.Name}`, deps: allRemovals, cause: `remove volume ${v.Name} (-v)`, name: v.Name });
    }
  }
  return ops;
}

export interface StopPlanInput {
  /** The project model when at hand (stop grace periods). */
  project?: Project;
  /** The containers to stop; those not running are left alone. */
  containers: readonly ObservedContainer[];
  /** Seconds before the kill (`-t`), over each service's stop_grace_period. */
  timeout?: number;
  /** Kill at once, all together (a second Ctrl-C). */
  kill?: boolean;
  /** Why, for each step's cause (e.g. "Ctrl-C", "a container exited"). */
  reason: string;
}

const stoppable = (c: ObservedContainer) => c.state === "running" || c.state === "restarting" || c.state === "paused";

/** Stop (or kill) running containers, dependents before what they depend on, as compose stops them. */
export function planStop(input: StopPlanInput): Plan {
  const running = input.containers.filter(stoppable);
  if (input.kill) {
    return running.map((c) => ({ kind: "container.kill", id: `kill:${c.name}`, deps: [], cause: `kill ${c.name}: ${input.reason}`, container: c }));
  }
  return running.map((c) => {
    const dependents = c.oneoff ? [] : running.filter((o) => !o.oneoff && o.service !== c.service && labelDependencies(o).includes(c.service)).map((o) => `stop:${o.name}`);
    const stopTimeout = input.timeout ?? (input.project ? stopTimeoutSeconds(input.project, c.service) : undefined);
    return { kind: "container.stop", id: `stop:${c.name}`, deps: dependents, cause: `stop ${c.name}: ${input.reason}`, container: c, ...(stopTimeout !== undefined ? { stopTimeout } : {}) };
  });
}

/** A plan as numbered lines, each with its cause and what it waits for (compose plans and deploy plans alike). */
export function formatPlan(plan: readonly { cause: string; deps: readonly string[] }[]): string {
  if (plan.length === 0) return "nothing to do: everything is up to date\n";
  return plan.map((op, i) => `${String(i + 1).padStart(3)}. ${op.cause}${op.deps.length ? `  (after ${op.deps.join(", ")})` : ""}`).join("\n") + "\n";
}
