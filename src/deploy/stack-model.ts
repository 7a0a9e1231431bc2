/**
 * A compose project as a Swarm stack: the services, networks, secrets and configs `slipway
 * deploy` converges a swarm to, computed from Slipway's own loaded project (so `.env`,
 * interpolation, `extends`, `include` and profiles mean what they mean in `slipway compose`).
 * Pure: no engine, no registry. Images come in already pinned by digest; keys that mean nothing
 * to Swarm come out as warnings with their place in the file, never silently dropped.
 *
 * Names follow `docker stack deploy` (`<stack>_<service>`, `<stack>_<network>`, the
 * com.docker.stack.namespace label), so `docker service ls` and `docker stack ps` read a stack
 * Slipway deployed. Each desired object carries a hash of its normalized spec in a label: the
 * plan compares hashes, so an unchanged service is never touched.
 */
import { createHash } from "node:crypto";
import type { FileObject, Project } from "../compose/model/project.ts";
import type { Healthcheck, Service, UpdateConfig } from "../compose/model/service.ts";

/** Labels Slipway reads back from the swarm. */
export const StackLabel = {
  /** docker stack's own: which stack an object belongs to. */
  namespace: "com.docker.stack.namespace",
  /** The hash of the object's desired spec (without this label). */
  specHash: "dev.slipway.deploy.spec-hash",
  /** The compose service a swarm service was made from. */
  service: "dev.slipway.deploy.service",
  /** Which deploy set the service's spec: the commit, its version, the run and when (not in the hash: a deploy that changes nothing else leaves them as they were). */
  commit: "dev.slipway.deploy.commit",
  version: "dev.slipway.deploy.version",
  run: "dev.slipway.deploy.run",
  at: "dev.slipway.deploy.at",
  /** On a secret or config Slipway created: the sha256 of its content, and the compose key whose generation it is. */
  contentHash: "dev.slipway.content-hash",
  objectKey: "dev.slipway.object-key",
} as const;

export interface Place {
  file?: string;
  line?: number;
  column?: number;
}

/** Where a key path of the merged compose tree was written (the loader's locator), when known. */
export type Locate = (keys: readonly string[]) => Place | undefined;

export interface StackIssue {
  /** `services.web.build` */
  path: string;
  message: string;
  place?: Place;
}

export interface SwarmHealthcheck {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

export interface SwarmMount {
  Type: "bind" | "volume" | "tmpfs";
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface FileReference {
  File: { Name: string; UID: string; GID: string; Mode: number };
  /** The swarm object's name; its ID is looked up when the plan is carried out. */
  Name: string;
}

export interface SwarmUpdateConfig {
  Parallelism: number;
  Delay?: number;
  FailureAction: "pause" | "continue" | "rollback";
  Monitor?: number;
  MaxFailureRatio?: number;
  Order: "stop-first" | "start-first";
}

export interface DesiredServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: {
      Image: string;
      Labels: Record<string, string>;
      Command?: string[];
      Args?: string[];
      Env?: string[];
      Dir?: string;
      User?: string;
      Hostname?: string;
      Init?: boolean;
      TTY?: boolean;
      OpenStdin?: boolean;
      ReadOnly?: boolean;
      StopSignal?: string;
      StopGracePeriod?: number;
      Healthcheck?: SwarmHealthcheck;
      Mounts?: SwarmMount[];
      Hosts?: string[];
      DNSConfig?: { Nameservers?: string[]; Search?: string[]; Options?: string[] };
      Sysctls?: Record<string, string>;
      CapabilityAdd?: string[];
      CapabilityDrop?: string[];
      Groups?: string[];
      Secrets?: FileReference[];
      Configs?: FileReference[];
    };
    Resources?: { Limits?: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number }; Reservations?: { NanoCPUs?: number; MemoryBytes?: number } };
    RestartPolicy?: { Condition: "none" | "on-failure" | "any"; Delay?: number; MaxAttempts?: number; Window?: number };
    Placement?: { Constraints?: string[]; Preferences?: { Spread: { SpreadDescriptor: string } }[]; MaxReplicas?: number };
    Networks?: { Target: string; Aliases: string[] }[];
    LogDriver?: { Name: string; Options?: Record<string, string> };
  };
  Mode: { Replicated: { Replicas: number } } | { Global: Record<string, never> } | { ReplicatedJob: { MaxConcurrent?: number; TotalCompletions?: number } } | { GlobalJob: Record<string, never> };
  UpdateConfig: SwarmUpdateConfig;
  RollbackConfig: SwarmUpdateConfig;
  EndpointSpec: { Mode: "vip" | "dnsrr"; Ports?: { Protocol: "tcp" | "udp" | "sctp"; TargetPort: number; PublishedPort?: number; PublishMode: "ingress" | "host" }[] };
}

export interface DesiredService {
  /** The compose service. */
  service: string;
  spec: DesiredServiceSpec;
  hash: string;
  /** The healthcheck's worst case before a task is judged unhealthy (start period + interval × retries), in ns; undefined without one. */
  healthWorstCaseNs?: number;
}

export interface DesiredNetwork {
  key: string;
  name: string;
  external: boolean;
  driver: string;
  attachable: boolean;
  internal: boolean;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
  hash: string;
}

export interface DesiredFileObject {
  kind: "secret" | "config";
  key: string;
  /** The swarm object's name: `<stack>_<key>`, or `name:` as written. */
  name: string;
  external: boolean;
  /** Where its content comes from (read when the plan is carried out, never kept here). */
  source: { file: string } | { environment: string } | { content: string } | undefined;
  labels: Record<string, string>;
}

export interface StackModel {
  stack: string;
  services: DesiredService[];
  networks: DesiredNetwork[];
  secrets: DesiredFileObject[];
  configs: DesiredFileObject[];
  warnings: StackIssue[];
  /** What makes a deploy impossible (an image not pinned, a key Swarm cannot do): never deployed. */
  errors: StackIssue[];
}

export interface StackModelInput {
  project: Project;
  stack: string;
  /** Each service's image pinned by digest (`registry/repo@sha256:…`), by compose service. */
  images: ReadonlyMap<string, string>;
  /** The HEALTHCHECK of the images of services whose file has none: the swarm runs it, so the monitor waits for it. */
  imageHealthchecks?: ReadonlyMap<string, Healthcheck>;
  /**
   * The sha256 of each secret's and config's content, by `secret:KEY` / `config:KEY`. Swarm objects
   * cannot change, so one Slipway names is named by its content (`<stack>_<key>_<hash>`): new
   * content is a new generation, and the services move to it in the same update.
   */
  contentHashes?: ReadonlyMap<string, string>;
  locate?: Locate;
}

const NS_PER_S = 1_000_000_000;
/** Swarm's healthcheck defaults (the engine's), for the worst case when the file leaves them out. */
const HEALTH_DEFAULTS = { interval: 30 * NS_PER_S, retries: 3, startPeriod: 0 };

/**
 * Keys of a service that Swarm has no use for, with what to do instead. Each one written is a
 * warning at its line: `docker stack deploy` drops them silently.
 */
const IGNORED_KEYS: Record<string, string> = {
  build: "Swarm runs published images: the deploy uses the release's digest, not a build",
  depends_on: "Swarm starts services independently: make each wait for what it needs (a healthcheck, retries)",
  container_name: "Swarm names its tasks itself",
  links: "use the service's name on a shared network",
  external_links: "use a shared network",
  network_mode: "Swarm services attach to networks; host and none are networks named host and none",
  volumes_from: "Swarm has no volumes_from: mount the volume in each service",
  ipc: "Swarm has no ipc namespace sharing",
  pid: "Swarm has no pid namespace sharing",
  uts: "Swarm has no uts namespace sharing",
  devices: "Swarm services cannot map devices",
  privileged: "Swarm services cannot run privileged",
  security_opt: "Swarm services take no security_opt",
  cgroup_parent: "Swarm services take no cgroup_parent",
  userns_mode: "Swarm services take no userns_mode",
  shm_size: "Swarm services take no shm_size: mount a tmpfs at /dev/shm",
  tmpfs: "use a tmpfs volume (volumes: - type: tmpfs)",
  mac_address: "Swarm assigns addresses",
  pull_policy: "Swarm pulls the pinned digest on each node",
  platform: "use deploy.placement.constraints (node.platform.arch)",
  cpu_shares: "use deploy.resources",
  cpu_quota: "use deploy.resources",
  cpu_period: "use deploy.resources",
  cpuset: "use deploy.resources",
  cpus: "use deploy.resources.limits.cpus",
  mem_limit: "use deploy.resources.limits.memory",
  mem_reservation: "use deploy.resources.reservations.memory",
  memswap_limit: "Swarm has no swap limit",
  oom_kill_disable: "Swarm has no oom_kill_disable",
  oom_score_adj: "Swarm has no oom_score_adj",
  storage_opt: "Swarm has no storage_opt",
  blkio_config: "Swarm has no blkio limits",
  runtime: "Swarm uses each node's default runtime",
  isolation: "Swarm uses each node's default isolation",
};

/** Canonical JSON: keys sorted at every level, so equal specs hash equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

export function specHash(value: unknown): string {
  return createHash("sha256").update(canonical(value)).digest("hex");
}

const pinned = (ref: string) => /@sha256:[0-9a-f]{64}$/.test(ref);

function healthcheck(h: Healthcheck | undefined): SwarmHealthcheck | undefined {
  if (!h) return undefined;
  if (h.disable) return { Test: ["NONE"] };
  const out: SwarmHealthcheck = {};
  if (h.test) out.Test = h.test;
  if (h.interval !== undefined) out.Interval = h.interval;
  if (h.timeout !== undefined) out.Timeout = h.timeout;
  if (h.retries !== undefined) out.Retries = h.retries;
  if (h.start_period !== undefined) out.StartPeriod = h.start_period;
  return out;
}

/** How long a task may take to be judged unhealthy at worst: start period + interval × retries. */
export function healthWorstCase(h: Healthcheck | undefined): number | undefined {
  if (!h || h.disable || !h.test || h.test[0] === "NONE") return undefined;
  return (h.start_period ?? HEALTH_DEFAULTS.startPeriod) + (h.interval ?? HEALTH_DEFAULTS.interval) * (h.retries ?? HEALTH_DEFAULTS.retries);
}

function updateConfig(c: UpdateConfig | undefined, worstCase: number | undefined): SwarmUpdateConfig {
  const order = c?.order === "start-first" ? "start-first" : "stop-first";
  const failure = c?.failure_action === "pause" || c?.failure_action === "continue" ? c.failure_action : "rollback";
  const out: SwarmUpdateConfig = { Parallelism: c?.parallelism ?? 1, FailureAction: failure, Order: order };
  if (c?.delay !== undefined) out.Delay = c.delay;
  // Unset, the monitor lasts until a task could have been judged unhealthy (and one interval more):
  // Swarm's 5 s default would call an update good before its healthcheck had said anything.
  const monitor = c?.monitor ?? (worstCase !== undefined ? worstCase + NS_PER_S : undefined);
  if (monitor !== undefined) out.Monitor = monitor;
  if (c?.max_failure_ratio !== undefined) out.MaxFailureRatio = c.max_failure_ratio;
  return out;
}

function restartPolicy(s: Service): DesiredServiceSpec["TaskTemplate"]["RestartPolicy"] {
  const p = s.deploy?.restart_policy;
  if (p) {
    const condition = p.condition === "none" || p.condition === "on-failure" ? p.condition : "any";
    return { Condition: condition, ...(p.delay !== undefined ? { Delay: p.delay } : {}), ...(p.max_attempts !== undefined ? { MaxAttempts: p.max_attempts } : {}), ...(p.window !== undefined ? { Window: p.window } : {}) };
  }
  // As docker stack converts `restart:` when deploy.restart_policy is unset.
  if (!s.restart) return undefined;
  if (s.restart === "no") return { Condition: "none" };
  if (s.restart.startsWith("on-failure")) {
    const [, n] = s.restart.split(":");
    return { Condition: "on-failure", ...(n ? { MaxAttempts: Number(n) } : {}) };
  }
  return { Condition: "any" };
}

function mode(s: Service): DesiredServiceSpec["Mode"] {
  switch (s.deploy?.mode) {
    case "global":
      return { Global: {} };
    case "global-job":
      return { GlobalJob: {} };
    case "replicated-job":
      return { ReplicatedJob: { TotalCompletions: s.deploy.replicas ?? 1 } };
    default:
      return { Replicated: { Replicas: s.deploy?.replicas ?? s.scale ?? 1 } };
  }
}

const nano = (cpus: number | undefined) => (cpus === undefined ? undefined : Math.round(cpus * NS_PER_S));

function resources(s: Service): DesiredServiceSpec["TaskTemplate"]["Resources"] {
  const r = s.deploy?.resources;
  if (!r?.limits && !r?.reservations) return undefined;
  const out: NonNullable<DesiredServiceSpec["TaskTemplate"]["Resources"]> = {};
  if (r.limits) out.Limits = { ...(r.limits.cpus !== undefined ? { NanoCPUs: nano(r.limits.cpus)! } : {}), ...(r.limits.memory !== undefined ? { MemoryBytes: r.limits.memory } : {}), ...(r.limits.pids !== undefined ? { Pids: r.limits.pids } : {}) };
  if (r.reservations) out.Reservations = { ...(r.reservations.cpus !== undefined ? { NanoCPUs: nano(r.reservations.cpus)! } : {}), ...(r.reservations.memory !== undefined ? { MemoryBytes: r.reservations.memory } : {}) };
  return out;
}

/** The swarm name of a top-level object: `name:` as written (external or named), else `<stack>_<key>`. */
function objectName(stack: string, key: string, declared: { name: string; external: boolean } | undefined, project: Project): string {
  if (!declared) return `${stack}_${key}`;
  // The loader names undeclared-name objects `<project>_<key>`: that default becomes the stack's.
  const projectDefault = `${project.name}_${key}`;
  return declared.external || declared.name !== projectDefault ? declared.name : `${stack}_${key}`;
}

/** Hex characters of the content hash in a generation's name. */
const GENERATION_HASH = 12;

/**
 * A secret's or config's swarm name: as objectName names it, and — when Slipway names it (not
 * external, no `name:` written) and knows its content — with the content's hash appended: a
 * generation. Within Swarm's 64 characters (the key is cut, never the hash).
 */
function fileObjectName(stack: string, kind: "secret" | "config", key: string, declared: FileObject | undefined, project: Project, hashes: ReadonlyMap<string, string> | undefined): string {
  const base = objectName(stack, key, declared, project);
  const hash = hashes?.get(`${kind}:${key}`);
  if (!hash || declared?.external || base !== `${stack}_${key}`) return base;
  const suffix = `_${hash.slice(0, GENERATION_HASH)}`;
  return `${base.slice(0, 64 - suffix.length)}${suffix}`;
}

function fileReferences(stack: string, project: Project, kind: "secret" | "config", mounts: Service["secrets"], hashes: ReadonlyMap<string, string> | undefined): FileReference[] {
  const declared = kind === "secret" ? project.secrets : project.configs;
  return mounts.map((m) => {
    const target = m.target ?? (kind === "secret" ? m.source : `/${m.source}`);
    return {
      File: { Name: target, UID: m.uid ?? "0", GID: m.gid ?? "0", Mode: m.mode ?? 0o444 },
      Name: fileObjectName(stack, kind, m.source, declared[m.source], project, hashes),
    };
  });
}

function fileObjects(stack: string, project: Project, kind: "secret" | "config", hashes: ReadonlyMap<string, string> | undefined): DesiredFileObject[] {
  const declared: Record<string, FileObject> = kind === "secret" ? project.secrets : project.configs;
  return Object.entries(declared)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, o]) => {
      const hash = o.external ? undefined : hashes?.get(`${kind}:${key}`);
      return {
        kind,
        key,
        name: fileObjectName(stack, kind, key, o, project, hashes),
        external: o.external,
        source: o.file !== undefined ? { file: o.file } : o.environment !== undefined ? { environment: o.environment } : o.content !== undefined ? { content: o.content } : undefined,
        labels: { ...o.labels, [StackLabel.namespace]: stack, ...(hash ? { [StackLabel.contentHash]: hash, [StackLabel.objectKey]: key } : {}) },
      };
    });
}

export function buildStackModel(input: StackModelInput): StackModel {
  const { project, stack } = input;
  const warnings: StackIssue[] = [];
  const errors: StackIssue[] = [];
  const at = (keys: string[]) => input.locate?.(keys);
  const issue = (list: StackIssue[], keys: string[], message: string) => {
    const place = at(keys);
    list.push({ path: keys.join("."), message, ...(place ? { place } : {}) });
  };

  const networks: DesiredNetwork[] = Object.entries(project.networks)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => {
      const desired = {
        key,
        name: objectName(stack, key, n, project),
        external: n.external,
        driver: n.driver ?? "overlay",
        attachable: n.attachable,
        internal: n.internal,
        driverOpts: n.driver_opts,
        labels: { ...n.labels, [StackLabel.namespace]: stack },
      };
      return { ...desired, hash: specHash(desired) };
    });
  const networkName = new Map(networks.map((n) => [n.key, n.name]));

  const services: DesiredService[] = [];
  for (const [name, s] of Object.entries(project.services).sort(([a], [b]) => a.localeCompare(b))) {
    const keys = ["services", name];
    for (const [key, why] of Object.entries(IGNORED_KEYS)) {
      const value = (s as unknown as Record<string, unknown>)[key];
      const written = Array.isArray(value) ? value.length > 0 : value && typeof value === "object" ? Object.keys(value).length > 0 : value !== undefined && value !== false;
      if (written) issue(warnings, [...keys, key], `${key} means nothing to Swarm and is ignored: ${why}`);
    }
    for (const p of s.ports) if (p.host_ip) issue(warnings, [...keys, "ports"], `port ${p.target}: Swarm publishes on every address; host_ip ${p.host_ip} is ignored`);
    const image = input.images.get(name) ?? (s.image && pinned(s.image) ? s.image : undefined);
    if (!image) {
      issue(errors, [...keys, "image"], `service ${name}: its image ${s.image ?? "(none)"} is not pinned by digest; a deploy runs the published release's digests, never a tag that can move`);
      continue;
    }
    const worstCase = healthWorstCase(s.healthcheck ?? input.imageHealthchecks?.get(name));
    const labels = { ...s.labels, [StackLabel.namespace]: stack };
    const env = Object.entries(s.environment)
      .filter((e): e is [string, string] => e[1] !== null)
      .map(([k, v]) => `${k}=${v}`)
      .sort();
    const mounts: SwarmMount[] = s.volumes.map((v) => {
      if (v.type === "volume") {
        const vol = v.source ? project.volumes[v.source] : undefined;
        const source = v.source ? objectName(stack, v.source, vol, project) : undefined;
        const options: NonNullable<SwarmMount["VolumeOptions"]> = {};
        if (v.volume?.nocopy) options.NoCopy = true;
        if (vol) options.Labels = { ...vol.labels, [StackLabel.namespace]: stack };
        if (vol?.driver) options.DriverConfig = { Name: vol.driver, ...(Object.keys(vol.driver_opts).length ? { Options: vol.driver_opts } : {}) };
        return { Type: "volume", ...(source ? { Source: source } : {}), Target: v.target, ...(v.read_only ? { ReadOnly: true } : {}), ...(Object.keys(options).length ? { VolumeOptions: options } : {}) };
      }
      if (v.type === "tmpfs") return { Type: "tmpfs", Target: v.target, ...(v.tmpfs ? { TmpfsOptions: { ...(v.tmpfs.size !== undefined ? { SizeBytes: v.tmpfs.size } : {}), ...(v.tmpfs.mode !== undefined ? { Mode: v.tmpfs.mode } : {}) } } : {}) };
      return { Type: "bind", Source: v.source!, Target: v.target, ...(v.read_only ? { ReadOnly: true } : {}) };
    });
    const containerSpec: DesiredServiceSpec["TaskTemplate"]["ContainerSpec"] = { Image: image, Labels: labels };
    if (s.entrypoint) containerSpec.Command = s.entrypoint;
    if (s.command) containerSpec.Args = s.command;
    if (env.length) containerSpec.Env = env;
    if (s.working_dir) containerSpec.Dir = s.working_dir;
    if (s.user) containerSpec.User = s.user;
    if (s.hostname) containerSpec.Hostname = s.hostname;
    if (s.init !== undefined) containerSpec.Init = s.init;
    if (s.tty) containerSpec.TTY = true;
    if (s.stdin_open) containerSpec.OpenStdin = true;
    if (s.read_only) containerSpec.ReadOnly = true;
    if (s.stop_signal) containerSpec.StopSignal = s.stop_signal;
    if (s.stop_grace_period !== undefined) containerSpec.StopGracePeriod = s.stop_grace_period;
    const health = healthcheck(s.healthcheck);
    if (health) containerSpec.Healthcheck = health;
    if (mounts.length) containerSpec.Mounts = mounts;
    // Swarm's hosts are "IP host", compose's "host=IP".
    if (s.extra_hosts.length) containerSpec.Hosts = s.extra_hosts.map((h) => h.split("=").reverse().join(" "));
    if (s.dns.length || s.dns_search.length || s.dns_opt.length) {
      containerSpec.DNSConfig = { ...(s.dns.length ? { Nameservers: s.dns } : {}), ...(s.dns_search.length ? { Search: s.dns_search } : {}), ...(s.dns_opt.length ? { Options: s.dns_opt } : {}) };
    }
    if (Object.keys(s.sysctls).length) containerSpec.Sysctls = s.sysctls;
    if (s.cap_add.length) containerSpec.CapabilityAdd = s.cap_add;
    if (s.cap_drop.length) containerSpec.CapabilityDrop = s.cap_drop;
    if (s.group_add.length) containerSpec.Groups = s.group_add;
    const secrets = fileReferences(stack, project, "secret", s.secrets, input.contentHashes);
    if (secrets.length) containerSpec.Secrets = secrets;
    const configs = fileReferences(stack, project, "config", s.configs, input.contentHashes);
    if (configs.length) containerSpec.Configs = configs;

    const taskTemplate: DesiredServiceSpec["TaskTemplate"] = { ContainerSpec: containerSpec };
    const res = resources(s);
    if (res) taskTemplate.Resources = res;
    const restart = restartPolicy(s);
    if (restart) taskTemplate.RestartPolicy = restart;
    const placement = s.deploy?.placement;
    if (placement && (placement.constraints.length || placement.preferences.length || placement.max_replicas_per_node !== undefined)) {
      taskTemplate.Placement = {
        ...(placement.constraints.length ? { Constraints: placement.constraints } : {}),
        ...(placement.preferences.length ? { Preferences: placement.preferences.map((p) => ({ Spread: { SpreadDescriptor: p.spread } })) } : {}),
        ...(placement.max_replicas_per_node !== undefined ? { MaxReplicas: placement.max_replicas_per_node } : {}),
      };
    }
    const attached = Object.entries(s.networks).sort(([a], [b]) => a.localeCompare(b));
    if (attached.length) {
      taskTemplate.Networks = attached.map(([key, n]) => ({ Target: networkName.get(key) ?? `${stack}_${key}`, Aliases: [...new Set([name, ...(n?.aliases ?? [])])] }));
    }
    if (s.logging?.driver) taskTemplate.LogDriver = { Name: s.logging.driver, ...(Object.keys(s.logging.options).length ? { Options: s.logging.options } : {}) };

    const ports = s.ports.map((p) => ({
      Protocol: p.protocol,
      TargetPort: p.target,
      ...(p.published !== undefined ? { PublishedPort: Number(p.published) } : {}),
      PublishMode: p.mode,
    }));
    for (const p of s.ports) if (p.published?.includes("-")) issue(errors, [...keys, "ports"], `port ${p.target}: Swarm publishes one port, not the range ${p.published}`);
    const spec: DesiredServiceSpec = {
      Name: `${stack}_${name}`,
      Labels: { ...s.deploy?.labels, [StackLabel.namespace]: stack, [StackLabel.service]: name },
      TaskTemplate: taskTemplate,
      Mode: mode(s),
      UpdateConfig: updateConfig(s.deploy?.update_config, worstCase),
      RollbackConfig: updateConfig(s.deploy?.rollback_config, worstCase),
      EndpointSpec: { Mode: s.deploy?.endpoint_mode === "dnsrr" ? "dnsrr" : "vip", ...(ports.length ? { Ports: ports } : {}) },
    };
    const hash = specHash(spec);
    spec.Labels[StackLabel.specHash] = hash;
    services.push({ service: name, spec, hash, ...(worstCase !== undefined ? { healthWorstCaseNs: worstCase } : {}) });
  }
  return { stack, services, networks, secrets: fileObjects(stack, project, "secret", input.contentHashes), configs: fileObjects(stack, project, "config", input.contentHashes), warnings, errors };
}
