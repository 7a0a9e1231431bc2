/**
 * Pure: a normalized compose service → an Engine API container-create body (Kamal's "pure
 * builders, thin effects"). Everything that decides what a container looks like is here and is
 * snapshot-tested; the executor only sends it.
 */
import path from "node:path";
import { ComposeLabel, Label } from "../../labels/labels.ts";
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
}

export interface ContainerSpecInput {
  project: Project;
  service: Service;
  /** Replica number, 1-based. */
  index: number;
  name: string;
  /** The image to run: a pinned reference or a built image id. */
  image: string;
  configHash: string;
  /** Slipway's run labels (run id, owner, lifetime…). */
  runLabels: Record<string, string>;
  apiVersion: string;
  oneoff?: OneOffOverrides;
}

/** A secret or config to copy into the container before start (content not backed by a file). */
export interface FileCopy {
  target: string;
  content: string;
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
}

const NS_PER_S = 1_000_000_000;

export function serviceLabels(input: Pick<ContainerSpecInput, "project" | "service" | "index" | "configHash" | "runLabels" | "oneoff">): Record<string, string> {
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
    [ComposeLabel.image]: service.image ?? "",
  };
}

function restartPolicy(restart: string | undefined): HostConfig["RestartPolicy"] {
  if (!restart || restart === "no") return { Name: "no" };
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
      if (v.bind?.create_host_path === true && !v.bind?.propagation) {
        const opts = [v.read_only ? "ro" : "rw", v.bind?.selinux].filter(Boolean).join(",");
        return { bind: `${v.source}:${v.target}:${opts}` };
      }
      const mount: Mount = { Type: "bind", Source: v.source!, Target: v.target, ReadOnly: v.read_only };
      if (v.bind?.propagation) mount.BindOptions = { Propagation: v.bind.propagation };
      return { mount };
    }
    case "volume": {
      const mount: Mount = { Type: "volume", Target: v.target, ReadOnly: v.read_only };
      if (v.source) mount.Source = volumeName(project, v.source);
      if (v.volume?.nocopy !== undefined || v.volume?.subpath) {
        mount.VolumeOptions = {};
        if (v.volume.nocopy !== undefined) mount.VolumeOptions.NoCopy = v.volume.nocopy;
        if (v.volume.subpath) mount.VolumeOptions.Subpath = v.volume.subpath;
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
      const def = kind === "secret" ? project.secrets[ref.source] : project.configs[ref.source];
      if (!def) continue; // consistency checks in the loader make this unreachable
      const target = fileMountTarget(kind, ref);
      if (def.file) {
        binds.push(`${def.file}:${target}:ro`);
        continue;
      }
      const content = def.content ?? (def.environment ? project.environment[def.environment] ?? "" : "");
      const copy: FileCopy = { target, content, mode: ref.mode ?? 0o444 };
      if (ref.uid !== undefined) copy.uid = ref.uid;
      if (ref.gid !== undefined) copy.gid = ref.gid;
      copies.push(copy);
    }
  };
  each("secret", service.secrets);
  each("config", service.configs);
}

function endpointFor(service: Service, key: string): EndpointSettings {
  const net = service.networks[key];
  const aliases = [service.name, ...(net?.aliases ?? [])];
  const endpoint: EndpointSettings = { Aliases: [...new Set(aliases)] };
  if (net?.ipv4_address || net?.ipv6_address) {
    endpoint.IPAMConfig = {};
    if (net.ipv4_address) endpoint.IPAMConfig.IPv4Address = net.ipv4_address;
    if (net.ipv6_address) endpoint.IPAMConfig.IPv6Address = net.ipv6_address;
  }
  if (net?.mac_address) endpoint.MacAddress = net.mac_address;
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
    const [port, proto = "tcp"] = e.split("/");
    exposed[portKey(Number(port), proto)] = {};
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
    RestartPolicy: oneoff ? { Name: "no" } : restartPolicy(service.restart),
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
  if (service.mem_limit !== undefined) hostConfig.Memory = service.mem_limit;
  if (service.cpus !== undefined) hostConfig.NanoCpus = Math.round(service.cpus * 1e9);
  if (service.pids_limit !== undefined) hostConfig.PidsLimit = service.pids_limit;
  if (service.pid) hostConfig.PidMode = namespaceMode(project, service.pid);
  if (service.ipc) hostConfig.IpcMode = namespaceMode(project, service.ipc);
  if (service.uts) hostConfig.UTSMode = namespaceMode(project, service.uts);
  if (service.volumes_from.length) hostConfig.VolumesFrom = service.volumes_from.map((from) => volumesFrom(project, from));
  if (service.userns_mode) hostConfig.UsernsMode = service.userns_mode;
  if (service.cgroup_parent) hostConfig.CgroupParent = service.cgroup_parent;
  if (service.oom_kill_disable !== undefined) hostConfig.OomKillDisable = service.oom_kill_disable;
  if (service.logging?.driver) hostConfig.LogConfig = { Type: service.logging.driver, Config: service.logging.options };
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
      const endpoints: Record<string, EndpointSettings> = { [primaryName]: endpointFor(service, primary) };
      for (const key of rest) {
        const attachment = { network: networkName(project, key), endpoint: endpointFor(service, key) };
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
  return { name: input.name, body, connectAfterCreate, copies, warnings };
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
