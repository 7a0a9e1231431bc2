/**
 * Pure: a normalized compose service → an Engine API container-create body (Kamal's "pure
 * builders, thin effects"). Everything that decides what a container looks like is here and is
 * snapshot-tested; the executor only sends it.
 */
import path from "node:path";
import { fileObjectSource, type FileObjectKind, type FileObjectSource } from "../file-objects.ts";
import { ComposeLabel, Label } from "../../run/labels.ts";
import type { ContainerCreateBody, EndpointSettings, HostConfig, Mount } from "../../engine/types.ts";
import { apiAtLeast } from "../../engine/version.ts";
import type { FileMount, Project, Service, ServiceVolume } from "../model/index.ts";
import { namespaceService } from "../model/index.ts";
import { networkName, serviceContainerName, volumeName } from "./names.ts";

export interface OneOffOverrides {
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  user?: string;
  workingDir?: string;
  tty?: boolean;
  /** Publish the service's ports too (`run --service-ports`); off by default, as compose. */
  servicePorts?: boolean;
  /** compose v2's slug: 64 random hex digits, of which a generated name takes the first 12. */
  slug?: string;
}

export interface ContainerSpecInput {
  project: Project;
  service: Service;
  /** Replica number, 1-based. */
  index: number;
  name: string;
  /** What the container is created from (Config.Image): the image's ID, or its name as compose does. */
  image: string;
  /** The image's ID, when resolved (not in a dry run): compose's image label. */
  imageId?: string;
  configHash: string;
  /** Slipway's run labels (run id, owner, lifetime…). */
  runLabels: Record<string, string>;
  apiVersion: string;
  oneoff?: OneOffOverrides;
}

/** A secret or config to copy into the container before start (content not backed by a file). */
export interface FileCopy {
  target: string;
  kind: FileObjectKind;
  name: string;
  /** The value, or a host file read when the container is created (a file-backed one with its own mode or owner). */
  source: FileObjectSource;
  mode: number;
  uid?: string;
  gid?: string;
}

export interface NetworkAttachment {
  network: string;
  endpoint: EndpointSettings;
}

export interface ContainerSpec {
  name: string;
  body: ContainerCreateBody;
  /** Networks to connect after create and before start (API < 1.44 takes one network at create). */
  connectAfterCreate: NetworkAttachment[];
  copies: FileCopy[];
  warnings: string[];
  /** The service's `platform`: the image variant to create from. */
  platform?: string;
}

const NS_PER_S = 1_000_000_000;

export function serviceLabels(input: Pick<ContainerSpecInput, "project" | "service" | "index" | "configHash" | "runLabels" | "oneoff" | "imageId">): Record<string, string> {
  const { project, service } = input;
  return {
    ...service.labels,
    ...input.runLabels,
    [Label.project]: project.name,
    [Label.service]: service.name,
    [Label.configHash]: input.configHash,
    [Label.oneoff]: input.oneoff ? "true" : "false",
    [ComposeLabel.project]: project.name,
    [ComposeLabel.service]: service.name,
    [ComposeLabel.containerNumber]: String(input.index),
    [ComposeLabel.oneoff]: input.oneoff ? "True" : "False",
    [ComposeLabel.configHash]: input.configHash,
    [ComposeLabel.workingDir]: project.workingDir,
    [ComposeLabel.configFiles]: project.configFiles.join(","),
    [ComposeLabel.dependsOn]: Object.entries(service.depends_on)
      .map(([name, d]) => `${name}:${d.condition}:${d.restart}`)
      .join(","),
    // compose v2 records the image's ID here (and compares it to decide on a recreate).
    [ComposeLabel.image]: input.imageId ?? "",
    ...(input.oneoff?.slug ? { [ComposeLabel.slug]: input.oneoff.slug } : {}),
  };
}

/**
 * `deploy.restart_policy` as compose v2 maps it (it wins over `restart` there: none → no,
 * any → always), else `restart`. Neither set: an empty policy, as compose sends it (the engine
 * treats it as "no"; `docker inspect` shows it empty).
 */
function restartPolicy(restart: string | undefined, deploy?: Service["deploy"]): HostConfig["RestartPolicy"] {
  const policy = deploy?.restart_policy;
  if (policy) {
    if (policy.condition === "on-failure") return { Name: "on-failure", MaximumRetryCount: policy.max_attempts ?? 0 };
    if (policy.condition === "any") return { Name: "always" };
    if (policy.condition === "none") return { Name: "no" };
    return { Name: "" };
  }
  if (!restart) return { Name: "" };
  if (restart === "no") return { Name: "no" };
  if (restart.startsWith("on-failure")) {
    const [, retries] = restart.split(":");
    return { Name: "on-failure", MaximumRetryCount: retries ? Number(retries) : 0 };
  }
  return { Name: restart as "always" | "unless-stopped" };
}

function portKey(target: number, protocol: string): string {
  return `${target}/${protocol}`;
}

function mountFor(project: Project, v: ServiceVolume): { mount?: Mount; bind?: string } {
  switch (v.type) {
    case "bind": {
      // Binds (not Mounts) when the host path may be created (the short syntax, or
      // create_host_path: true): the engine creates a missing source for Binds only (Mounts'
      // CreateMountpoint needs API 1.42). A long-syntax bind without it must exist, as in compose.
      // SELinux relabelling exists only in the Binds form (as compose v2 does, it switches).
      if ((v.bind?.create_host_path === true && !v.bind?.propagation) || v.bind?.selinux) {
        const opts = [v.read_only ? "ro" : "rw", v.bind?.selinux, v.bind?.propagation].filter(Boolean).join(",");
        return { bind: `${v.source}:${v.target}:${opts}` };
      }
      const mount: Mount = { Type: "bind", Source: v.source!, Target: v.target, ReadOnly: v.read_only };
      if (v.bind?.propagation) mount.BindOptions = { Propagation: v.bind.propagation };
      return { mount };
    }
    case "volume": {
      const mount: Mount = { Type: "volume", Target: v.target, ReadOnly: v.read_only };
      if (v.source) mount.Source = volumeName(project, v.source);
      const opts = v.volume;
      if (opts && (opts.nocopy !== undefined || opts.subpath || Object.keys(opts.labels ?? {}).length)) {
        mount.VolumeOptions = {};
        if (opts.nocopy !== undefined) mount.VolumeOptions.NoCopy = opts.nocopy;
        if (opts.subpath) mount.VolumeOptions.Subpath = opts.subpath;
        if (opts.labels && Object.keys(opts.labels).length) mount.VolumeOptions.Labels = opts.labels;
      }
      return { mount };
    }
    case "tmpfs": {
      const mount: Mount = { Type: "tmpfs", Target: v.target, ReadOnly: v.read_only };
      if (v.tmpfs?.size !== undefined || v.tmpfs?.mode !== undefined) {
        mount.TmpfsOptions = {};
        if (v.tmpfs.size !== undefined) mount.TmpfsOptions.SizeBytes = v.tmpfs.size;
        if (v.tmpfs.mode !== undefined) mount.TmpfsOptions.Mode = v.tmpfs.mode;
      }
      return { mount };
    }
  }
}

/** Where a secret/config lands: secrets under /run/secrets, configs at /<name>, unless targeted. */
export function fileMountTarget(kind: "secret" | "config", ref: FileMount): string {
  const target = ref.target ?? ref.source;
  if (path.posix.isAbsolute(target)) return target;
  return kind === "secret" ? path.posix.join("/run/secrets", target) : path.posix.join("/", target);
}

function fileMounts(
  project: Project,
  service: Service,
  binds: string[],
  copies: FileCopy[],
): void {
  const each = (kind: "secret" | "config", refs: FileMount[]) => {
    for (const ref of refs) {
      const source = fileObjectSource(project, kind, ref.source, `service ${service.name}`);
      const target = fileMountTarget(kind, ref);
      const owned = ref.uid !== undefined || ref.gid !== undefined || ref.mode !== undefined;
      // A bind mount keeps the host file's owner and mode: one that asks for its own is copied.
      if ("file" in source && !owned) {
        binds.push(`${source.file}:${target}:ro`);
        continue;
      }
      const copy: FileCopy = { target, kind, name: ref.source, source, mode: ref.mode ?? 0o444 };
      if (ref.uid !== undefined) copy.uid = ref.uid;
      if (ref.gid !== undefined) copy.gid = ref.gid;
      copies.push(copy);
    }
  };
  each("secret", service.secrets);
  each("config", service.configs);
}

/** As compose v2: the container's own name, then the service's, then the network's aliases. */
function endpointFor(service: Service, key: string, containerName: string): EndpointSettings {
  const net = service.networks[key];
  const aliases = [containerName, service.name, ...(net?.aliases ?? [])];
  const endpoint: EndpointSettings = { Aliases: [...new Set(aliases)] };
  if (net?.ipv4_address || net?.ipv6_address || net?.link_local_ips.length) {
    endpoint.IPAMConfig = {};
    if (net.ipv4_address) endpoint.IPAMConfig.IPv4Address = net.ipv4_address;
    if (net.ipv6_address) endpoint.IPAMConfig.IPv6Address = net.ipv6_address;
    if (net.link_local_ips.length) endpoint.IPAMConfig.LinkLocalIPs = net.link_local_ips;
  }
  if (net?.mac_address) endpoint.MacAddress = net.mac_address;
  if (net && Object.keys(net.driver_opts).length) endpoint.DriverOpts = net.driver_opts;
  return endpoint;
}

/** Networks in the order compose attaches them: by priority (highest first), then by name. */
export function orderedNetworks(service: Service): string[] {
  return Object.keys(service.networks).sort((a, b) => {
    const pa = service.networks[a]?.priority ?? 0;
    const pb = service.networks[b]?.priority ?? 0;
    return pb - pa || (a < b ? -1 : a > b ? 1 : 0);
  });
}

export function buildContainerSpec(input: ContainerSpecInput): ContainerSpec {
  const { project, service, oneoff } = input;
  const warnings: string[] = [];
  const binds: string[] = [];
  const mounts: Mount[] = [];
  const copies: FileCopy[] = [];

  for (const v of service.volumes) {
    const { mount, bind } = mountFor(project, v);
    if (mount) mounts.push(mount);
    if (bind) binds.push(bind);
  }
  fileMounts(project, service, binds, copies);

  const environment: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.environment)) if (v !== null) environment[k] = v;
  Object.assign(environment, oneoff?.environment);

  const exposed: Record<string, Record<string, never>> = {};
  const portBindings: Record<string, { HostIp?: string; HostPort?: string }[]> = {};
  for (const e of service.expose) {
    const [ports = "", proto = "tcp"] = e.split("/");
    const [from, to = from] = ports.split("-").map(Number);
    for (let port = from!; port <= to!; port++) exposed[portKey(port, proto)] = {};
  }
  const publish = !oneoff || oneoff.servicePorts;
  if (publish) {
    for (const p of service.ports) {
      const key = portKey(p.target, p.protocol);
      exposed[key] = {};
      const binding: { HostIp?: string; HostPort?: string } = { HostPort: p.published ?? "" };
      if (p.host_ip) binding.HostIp = p.host_ip;
      (portBindings[key] ??= []).push(binding);
    }
  }

  const hostConfig: HostConfig = {
    RestartPolicy: oneoff ? { Name: "" } : restartPolicy(service.restart, service.deploy),
    Init: service.init ?? null,
    ExtraHosts: service.extra_hosts.map((h) => h.replace("=", ":")),
    CapAdd: service.cap_add,
    CapDrop: service.cap_drop,
    ReadonlyRootfs: service.read_only,
    Privileged: service.privileged,
    SecurityOpt: service.security_opt,
    Sysctls: service.sysctls,
    GroupAdd: service.group_add,
  };
  if (binds.length) hostConfig.Binds = binds;
  if (mounts.length) hostConfig.Mounts = mounts;
  if (Object.keys(portBindings).length) hostConfig.PortBindings = portBindings;
  if (service.dns.length) hostConfig.Dns = service.dns;
  if (service.dns_search.length) hostConfig.DnsSearch = service.dns_search;
  if (service.dns_opt.length) hostConfig.DnsOptions = service.dns_opt;
  if (service.shm_size !== undefined) hostConfig.ShmSize = service.shm_size;
  const ulimits = Object.entries(service.ulimits);
  if (ulimits.length) hostConfig.Ulimits = ulimits.map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard }));
  if (service.tmpfs.length) {
    hostConfig.Tmpfs = Object.fromEntries(
      service.tmpfs.map((t) => {
        const colon = t.indexOf(":");
        return colon < 0 ? [t, ""] : [t.slice(0, colon), t.slice(colon + 1)];
      }),
    );
  }
  // The service's own keys, else deploy.resources (compose v2 applies those outside a swarm too).
  const limits = service.deploy?.resources.limits;
  const memory = service.mem_limit ?? limits?.memory;
  const cpus = service.cpus ?? limits?.cpus;
  const pids = service.pids_limit ?? limits?.pids;
  const reservation = service.mem_reservation ?? service.deploy?.resources.reservations?.memory;
  if (memory !== undefined) hostConfig.Memory = memory;
  if (cpus !== undefined) hostConfig.NanoCpus = Math.round(cpus * 1e9);
  if (pids !== undefined) hostConfig.PidsLimit = pids;
  if (reservation !== undefined) hostConfig.MemoryReservation = reservation;
  const direct: Partial<HostConfig> = {
    CpuShares: service.cpu_shares,
    CpuQuota: service.cpu_quota,
    CpuPeriod: service.cpu_period,
    CpuRealtimePeriod: service.cpu_rt_period,
    CpuRealtimeRuntime: service.cpu_rt_runtime,
    CpusetCpus: service.cpuset,
    MemorySwap: service.memswap_limit,
    MemorySwappiness: service.mem_swappiness,
    OomScoreAdj: service.oom_score_adj,
    CgroupnsMode: service.cgroup,
    Runtime: service.runtime,
    Isolation: service.isolation,
  };
  for (const [key, value] of Object.entries(direct)) if (value !== undefined) Object.assign(hostConfig, { [key]: value });
  if (service.device_cgroup_rules.length) hostConfig.DeviceCgroupRules = service.device_cgroup_rules;
  if (Object.keys(service.storage_opt).length) hostConfig.StorageOpt = service.storage_opt;
  if (service.blkio_config) Object.assign(hostConfig, blkio(service.blkio_config));
  if (Object.keys(service.annotations).length) {
    if (apiAtLeast(input.apiVersion, "1.43")) hostConfig.Annotations = service.annotations;
    else warnings.push(`${service.name}: annotations need Engine API 1.43; this engine speaks ${input.apiVersion}, so they are not set`);
  }
  if (service.pid) hostConfig.PidMode = namespaceMode(project, service.pid);
  if (service.ipc) hostConfig.IpcMode = namespaceMode(project, service.ipc);
  if (service.uts) hostConfig.UTSMode = namespaceMode(project, service.uts);
  if (service.volumes_from.length) hostConfig.VolumesFrom = service.volumes_from.map((from) => volumesFrom(project, from));
  if (service.userns_mode) hostConfig.UsernsMode = service.userns_mode;
  if (service.cgroup_parent) hostConfig.CgroupParent = service.cgroup_parent;
  if (service.oom_kill_disable !== undefined) hostConfig.OomKillDisable = service.oom_kill_disable;
  // Options without a driver apply to the engine's default driver (Type "").
  if (service.logging?.driver || Object.keys(service.logging?.options ?? {}).length) {
    hostConfig.LogConfig = { Type: service.logging?.driver ?? "", Config: service.logging?.options ?? {} };
  }
  if (service.devices.length) {
    hostConfig.Devices = service.devices.map((d) => ({ PathOnHost: d.source, PathInContainer: d.target, CgroupPermissions: d.permissions }));
  }

  const connectAfterCreate: NetworkAttachment[] = [];
  let networkingConfig: ContainerCreateBody["NetworkingConfig"];
  if (service.network_mode) {
    hostConfig.NetworkMode = namespaceMode(project, service.network_mode);
  } else {
    const keys = orderedNetworks(service);
    const [primary, ...rest] = keys;
    if (primary) {
      const primaryName = networkName(project, primary);
      hostConfig.NetworkMode = primaryName;
      const endpoints: Record<string, EndpointSettings> = { [primaryName]: endpointFor(service, primary, input.name) };
      // Legacy links: another service's first container (or any container) under an alias, on the primary network.
      const links = [
        ...service.links.map((l) => {
          const [target = "", alias = target] = l.split(":");
          return `${serviceContainerName(project, target)}:${alias}`;
        }),
        ...service.external_links.map((l) => (l.includes(":") ? l : `${l}:${l}`)),
      ];
      if (links.length) endpoints[primaryName]!.Links = links;
      for (const key of rest) {
        const attachment = { network: networkName(project, key), endpoint: endpointFor(service, key, input.name) };
        // Engines before API 1.44 accept a single network at create time.
        if (apiAtLeast(input.apiVersion, "1.44")) endpoints[attachment.network] = attachment.endpoint;
        else connectAfterCreate.push(attachment);
      }
      networkingConfig = { EndpointsConfig: endpoints };
    }
  }

  const body: ContainerCreateBody = {
    Image: input.image,
    Labels: serviceLabels(input),
    Env: Object.entries(environment).map(([k, v]) => `${k}=${v}`),
    HostConfig: hostConfig,
    Tty: oneoff?.tty ?? service.tty,
    OpenStdin: service.stdin_open,
    AttachStdout: true,
    AttachStderr: true,
  };
  const command = oneoff?.command ?? service.command;
  if (command !== null) body.Cmd = command;
  const entrypoint = oneoff?.entrypoint ?? service.entrypoint;
  if (entrypoint !== null) body.Entrypoint = entrypoint;
  const user = oneoff?.user ?? service.user;
  if (user) body.User = user;
  const workingDir = oneoff?.workingDir ?? service.working_dir;
  if (workingDir) body.WorkingDir = workingDir;
  if (Object.keys(exposed).length) body.ExposedPorts = exposed;
  if (service.hostname) body.Hostname = service.hostname;
  if (service.domainname) body.Domainname = service.domainname;
  if (service.stop_signal) body.StopSignal = service.stop_signal;
  if (service.stop_grace_period !== undefined) body.StopTimeout = Math.ceil(service.stop_grace_period / NS_PER_S);
  if (service.mac_address) body.MacAddress = service.mac_address;
  if (networkingConfig) body.NetworkingConfig = networkingConfig;

  const hc = service.healthcheck;
  if (hc) {
    if (hc.disable) {
      body.Healthcheck = { Test: ["NONE"] };
    } else {
      body.Healthcheck = {};
      if (hc.test) body.Healthcheck.Test = hc.test;
      if (hc.interval !== undefined) body.Healthcheck.Interval = hc.interval;
      if (hc.timeout !== undefined) body.Healthcheck.Timeout = hc.timeout;
      if (hc.retries !== undefined) body.Healthcheck.Retries = hc.retries;
      if (hc.start_period !== undefined) body.Healthcheck.StartPeriod = hc.start_period;
      if (hc.start_interval !== undefined) {
        if (apiAtLeast(input.apiVersion, "1.44")) body.Healthcheck.StartInterval = hc.start_interval;
        else warnings.push(`service ${service.name}: healthcheck.start_interval needs Engine API 1.44; this engine speaks ${input.apiVersion}, so it is ignored`);
      }
    }
  }
  return { name: input.name, body, connectAfterCreate, copies, warnings, ...(service.platform ? { platform: service.platform } : {}) };
}

/** network_mode, ipc, pid, uts: `service:x` shares x's first container's namespace (its container_name when set). */
function namespaceMode(project: Project, value: string): string {
  const target = namespaceService(value);
  return target !== undefined ? `container:${serviceContainerName(project, target)}` : value;
}

/** volumes_from: `x[:ro|rw]` is service x's first container; `container:name[:ro|rw]` a container by name. */
function volumesFrom(project: Project, value: string): string {
  if (value.startsWith("container:")) return value.slice("container:".length);
  const [service, mode] = value.split(":");
  return `${serviceContainerName(project, service!)}${mode ? `:${mode}` : ""}`;
}

function blkio(b: NonNullable<Service["blkio_config"]>): Partial<HostConfig> {
  const rates = (list: { path: string; rate: number }[]) => (list.length ? list.map((d) => ({ Path: d.path, Rate: d.rate })) : undefined);
  const out: Partial<HostConfig> = {
    BlkioWeight: b.weight,
    BlkioWeightDevice: b.weight_device.length ? b.weight_device.map((d) => ({ Path: d.path, Weight: d.weight })) : undefined,
    BlkioDeviceReadBps: rates(b.device_read_bps),
    BlkioDeviceWriteBps: rates(b.device_write_bps),
    BlkioDeviceReadIOps: rates(b.device_read_iops),
    BlkioDeviceWriteIOps: rates(b.device_write_iops),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}
