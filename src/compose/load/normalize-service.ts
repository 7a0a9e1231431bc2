/**
 * Validated service tree → normalized `Service`: short syntaxes expanded, paths absolute,
 * durations and sizes in numbers, env files read into `environment`.
 */
import type {
  BlkioConfig,
  Deploy,
  Device,
  FileMount,
  Healthcheck,
  ResourceSpec,
  Service,
  ServiceBuild,
  ServiceDependency,
  ServiceNetwork,
  ServicePort,
  ServiceVolume,
  Ulimit,
  UpdateConfig,
  EnvFileRef,
  DependencyCondition,
} from "../model/service.ts";
import { namespaceServices, volumesFromService } from "../model/index.ts";
import { parseEnvFile, parseRawEnvFile } from "./env-file.ts";
import { parsePortSpec, parseVolumeSpec, shellSplit } from "./formats.ts";
import type { Lookup } from "./interpolate.ts";
import { ConfigFileError, type IssueList } from "../../yaml/issues.ts";
import { childPath, get, scalarText, type MapNode, type YNode } from "../../yaml/node.ts";
import { isRemoteContext, resolveHostPath } from "./paths.ts";
import {
  asMap,
  readBool,
  readBytes,
  readDuration,
  readExtensions,
  readInt,
  readKeyed,
  readList,
  readNum,
  readStr,
  readStringMap,
} from "./read.ts";
import { toInt } from "./schema/validate.ts";

export interface ServiceContext {
  projectDir: string;
  home: string | undefined;
  lookup: Lookup;
  /** Reads a file's text, or undefined when it does not exist. */
  readFile: (absPath: string) => string | undefined;
  issues: IssueList;
}

export function normalizeService(name: string, m: MapNode, ctx: ServiceContext): Service {
  const path = `services.${name}`;
  const abs = (p: string): string => resolveHostPath(p, ctx.projectDir, ctx.home);
  const envFiles = readEnvFiles(m, abs);
  const environment = resolveEnvironment(m, envFiles, path, ctx);
  const networkMode = readStr(m, "network_mode");
  const service: Service = {
    name,
    profiles: readList(m, "profiles"),
    command: readCommand(get(m, "command"), childPath(path, "command"), ctx),
    entrypoint: readCommand(get(m, "entrypoint"), childPath(path, "entrypoint"), ctx),
    environment,
    env_file: envFiles,
    labels: readStringMap(m, "labels"),
    annotations: readStringMap(m, "annotations"),
    ports: readPorts(get(m, "ports")),
    expose: readList(m, "expose"),
    volumes: readVolumes(get(m, "volumes"), abs),
    volumes_from: readList(m, "volumes_from"),
    tmpfs: readList(m, "tmpfs"),
    depends_on: readDependsOn(get(m, "depends_on")),
    networks: networkMode === undefined ? readServiceNetworks(get(m, "networks")) : {},
    secrets: readMounts(get(m, "secrets"), "/run/secrets/"),
    configs: readMounts(get(m, "configs")),
    tty: readBool(m, "tty") ?? false,
    stdin_open: readBool(m, "stdin_open") ?? false,
    privileged: readBool(m, "privileged") ?? false,
    read_only: readBool(m, "read_only") ?? false,
    cap_add: readList(m, "cap_add"),
    cap_drop: readList(m, "cap_drop"),
    dns: readList(m, "dns"),
    dns_opt: readList(m, "dns_opt"),
    dns_search: readList(m, "dns_search"),
    extra_hosts: readExtraHosts(m),
    group_add: readList(m, "group_add"),
    security_opt: readList(m, "security_opt"),
    sysctls: readStringMap(m, "sysctls"),
    ulimits: readUlimits(get(m, "ulimits")),
    devices: readDevices(get(m, "devices")),
    device_cgroup_rules: readList(m, "device_cgroup_rules"),
    links: readList(m, "links"),
    external_links: readList(m, "external_links"),
    storage_opt: readStringMap(m, "storage_opt"),
    extensions: readExtensions(m),
  };
  const optional: Partial<Service> = {
    image: readStr(m, "image"),
    build: readBuild(get(m, "build"), abs, ctx),
    network_mode: networkMode,
    healthcheck: readHealthcheck(asMap(get(m, "healthcheck"))),
    deploy: readDeploy(asMap(get(m, "deploy"))),
    restart: readStr(m, "restart"),
    container_name: readStr(m, "container_name"),
    hostname: readStr(m, "hostname"),
    domainname: readStr(m, "domainname"),
    user: readStr(m, "user"),
    working_dir: readStr(m, "working_dir"),
    stop_signal: readStr(m, "stop_signal"),
    stop_grace_period: readDuration(m, "stop_grace_period"),
    init: readBool(m, "init"),
    attach: readBool(m, "attach"),
    pull_policy: readPullPolicy(m),
    platform: readStr(m, "platform"),
    scale: readInt(m, "scale"),
    logging: readLogging(asMap(get(m, "logging"))),
    cpus: readNum(m, "cpus"),
    cpu_shares: readInt(m, "cpu_shares"),
    cpu_quota: readInt(m, "cpu_quota"),
    cpu_period: readInt(m, "cpu_period"),
    cpu_rt_period: readInt(m, "cpu_rt_period"),
    cpu_rt_runtime: readInt(m, "cpu_rt_runtime"),
    cpuset: readStr(m, "cpuset"),
    mem_limit: readBytes(m, "mem_limit"),
    mem_reservation: readBytes(m, "mem_reservation"),
    memswap_limit: readInt(m, "memswap_limit") === -1 ? -1 : readBytes(m, "memswap_limit"),
    mem_swappiness: readInt(m, "mem_swappiness"),
    shm_size: readBytes(m, "shm_size"),
    pids_limit: readInt(m, "pids_limit"),
    oom_kill_disable: readBool(m, "oom_kill_disable"),
    oom_score_adj: readInt(m, "oom_score_adj"),
    ipc: readStr(m, "ipc"),
    pid: readStr(m, "pid"),
    uts: readStr(m, "uts"),
    userns_mode: readStr(m, "userns_mode"),
    cgroup: readStr(m, "cgroup"),
    cgroup_parent: readStr(m, "cgroup_parent"),
    isolation: readStr(m, "isolation"),
    runtime: readStr(m, "runtime"),
    mac_address: readStr(m, "mac_address"),
    blkio_config: readBlkio(asMap(get(m, "blkio_config"))),
  };
  // Only defined values are copied, so absent keys stay absent (not `key: undefined`).
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) Object.assign(service, { [k]: v });
  addImplicitDependencies(service);
  return service;
}

/**
 * What compose-go's normalization adds to depends_on (compose-go loader/normalize.go): a
 * service this one shares a namespace with or links to is started first, and this one is
 * restarted with it; one it takes volumes from is started first. Written entries win.
 */
function addImplicitDependencies(s: Service): void {
  const add = (name: string, restart: boolean): void => {
    if (name !== "" && !(name in s.depends_on)) s.depends_on[name] = { condition: "service_started", required: true, restart };
  };
  for (const link of s.links) add(link.split(":")[0] ?? "", true);
  for (const target of namespaceServices(s)) add(target, true);
  for (const from of s.volumes_from) add(volumesFromService(from) ?? "", false);
}

/** Compose shell-splits a string command (compose-go ShellCommand); lists are kept as written. */
function readCommand(n: YNode | undefined, path: string, ctx: ServiceContext): string[] | null {
  if (n === undefined || (n.kind === "scalar" && n.value === null)) return null;
  if (n.kind === "seq") return n.items.map((i) => (i.kind === "scalar" ? scalarText(i) : ""));
  if (n.kind !== "scalar") return null;
  const split = shellSplit(scalarText(n));
  if (!split.ok) {
    ctx.issues.add(n.pos, path, split.message);
    return null;
  }
  return split.value;
}

/** compose-go normalizes the old `if_not_present` to its newer name, `missing`. */
function readPullPolicy(m: MapNode): string | undefined {
  const policy = readStr(m, "pull_policy");
  return policy === "if_not_present" ? "missing" : policy;
}

function readEnvFiles(m: MapNode, abs: (p: string) => string): EnvFileRef[] {
  const n = get(m, "env_file");
  if (n === undefined) return [];
  const items = n.kind === "seq" ? n.items : [n];
  const out: EnvFileRef[] = [];
  for (const item of items) {
    if (item.kind === "scalar" && item.value !== null) out.push({ path: abs(scalarText(item)), required: true });
    else if (item.kind === "map") {
      const format = readStr(item, "format");
      out.push({ path: abs(readStr(item, "path") ?? ""), required: readBool(item, "required") ?? true, ...(format ? { format } : {}) });
    }
  }
  return out;
}

/**
 * env_file values first, then `environment` over them; a bare `KEY` takes the value from the
 * interpolation environment, or stays null (unset in the container) when there is none.
 */
function resolveEnvironment(m: MapNode, envFiles: EnvFileRef[], path: string, ctx: ServiceContext): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const envFileNode = get(m, "env_file");
  for (const f of envFiles) {
    const text = ctx.readFile(f.path);
    if (text === undefined) {
      if (f.required) ctx.issues.add(envFileNode?.pos, childPath(path, "env_file"), `env file ${f.path} not found`, "Create it, or mark it `required: false`.");
      continue;
    }
    try {
      Object.assign(out, f.format === "raw" ? parseRawEnvFile(text) : parseEnvFile(text, f.path, ctx.lookup));
    } catch (e) {
      if (!(e instanceof ConfigFileError)) throw e;
      ctx.issues.items.push(...e.issues);
    }
  }
  for (const [k, v] of Object.entries(readKeyed(m, "environment"))) {
    out[k] = v ?? ctx.lookup(k) ?? null;
  }
  return out;
}

function readPorts(n: YNode | undefined): ServicePort[] {
  if (n?.kind !== "seq") return [];
  const out: ServicePort[] = [];
  for (const item of n.items) {
    if (item.kind === "scalar") {
      const parsed = parsePortSpec(scalarText(item));
      if (!parsed.ok) continue;
      for (const p of parsed.value) out.push({ mode: "ingress", ...p, protocol: p.protocol as ServicePort["protocol"] });
    } else if (item.kind === "map") {
      const port: ServicePort = {
        mode: (readStr(item, "mode") ?? "ingress") as ServicePort["mode"],
        target: readInt(item, "target") ?? 0,
        protocol: (readStr(item, "protocol") ?? "tcp") as ServicePort["protocol"],
      };
      const extra = { name: readStr(item, "name"), host_ip: readStr(item, "host_ip"), published: readStr(item, "published"), app_protocol: readStr(item, "app_protocol") };
      for (const [k, v] of Object.entries(extra)) if (v !== undefined) Object.assign(port, { [k]: v });
      out.push(port);
    }
  }
  return out;
}

function readVolumes(n: YNode | undefined, abs: (p: string) => string): ServiceVolume[] {
  if (n?.kind !== "seq") return [];
  const out: ServiceVolume[] = [];
  for (const item of n.items) {
    if (item.kind === "scalar") {
      const parsed = parseVolumeSpec(scalarText(item));
      if (!parsed.ok) continue;
      const v = parsed.value;
      const vol: ServiceVolume = { type: v.type, target: v.target, read_only: v.read_only };
      if (v.source !== undefined) vol.source = v.type === "bind" ? abs(v.source) : v.source;
      // A consistency mode (`:cached`) is accepted and ignored, as compose-go's ParseVolume does.
      if (v.type === "bind") {
        vol.bind = { create_host_path: true, ...(v.propagation ? { propagation: v.propagation } : {}), ...(v.selinux ? { selinux: v.selinux as "z" | "Z" } : {}) };
      } else vol.volume = v.nocopy ? { nocopy: true } : {};
      out.push(vol);
    } else if (item.kind === "map") {
      const type = (readStr(item, "type") ?? "volume") as ServiceVolume["type"];
      const source = readStr(item, "source");
      const vol: ServiceVolume = { type, target: readStr(item, "target") ?? "", read_only: readBool(item, "read_only") ?? false };
      if (source !== undefined) vol.source = type === "bind" ? abs(source) : source;
      const consistency = readStr(item, "consistency");
      if (consistency) vol.consistency = consistency;
      const bind = asMap(get(item, "bind"));
      if (bind) {
        const propagation = readStr(bind, "propagation");
        const selinux = readStr(bind, "selinux");
        const create = readBool(bind, "create_host_path");
        vol.bind = {
          ...(propagation ? { propagation } : {}),
          ...(create !== undefined ? { create_host_path: create } : {}),
          ...(selinux ? { selinux: selinux as "z" | "Z" } : {}),
        };
      }
      const volume = asMap(get(item, "volume"));
      if (volume) {
        const nocopy = readBool(volume, "nocopy");
        const subpath = readStr(volume, "subpath");
        const labels = get(volume, "labels") ? readStringMap(volume, "labels") : undefined;
        vol.volume = { ...(nocopy !== undefined ? { nocopy } : {}), ...(subpath ? { subpath } : {}), ...(labels ? { labels } : {}) };
      }
      const tmpfs = asMap(get(item, "tmpfs"));
      if (tmpfs) {
        const size = readBytes(tmpfs, "size");
        const modeNode = get(tmpfs, "mode");
        // A YAML number is taken as is (compose-go's uint32); a string is octal text ("1777").
        const mode = modeNode?.kind !== "scalar" || modeNode.value === null ? undefined : typeof modeNode.value === "number" ? modeNode.value : Number.parseInt(scalarText(modeNode), 8);
        vol.tmpfs = { ...(size !== undefined ? { size } : {}), ...(mode !== undefined && !Number.isNaN(mode) ? { mode } : {}) };
      }
      out.push(vol);
    }
  }
  return out;
}

function readDependsOn(n: YNode | undefined): Record<string, ServiceDependency> {
  const out: Record<string, ServiceDependency> = {};
  if (n?.kind === "seq") {
    for (const i of n.items) if (i.kind === "scalar") out[scalarText(i)] = { condition: "service_started", required: true, restart: false };
  } else if (n?.kind === "map") {
    for (const e of n.entries) {
      const d = asMap(e.value);
      out[e.key] = {
        condition: (readStr(d, "condition") ?? "service_started") as DependencyCondition,
        required: readBool(d, "required") ?? true,
        restart: readBool(d, "restart") ?? false,
      };
    }
  }
  return out;
}

function readServiceNetworks(n: YNode | undefined): Record<string, ServiceNetwork | null> {
  // Compose attaches a service that lists no networks to the project's `default` network.
  if (n === undefined || (n.kind === "scalar" && n.value === null)) return { default: null };
  const out: Record<string, ServiceNetwork | null> = {};
  if (n.kind === "seq") for (const i of n.items) if (i.kind === "scalar") out[scalarText(i)] = null;
  if (n.kind === "map") {
    for (const e of n.entries) {
      const c = asMap(e.value);
      if (!c) {
        out[e.key] = null;
        continue;
      }
      const net: ServiceNetwork = {
        aliases: readList(c, "aliases"),
        link_local_ips: readList(c, "link_local_ips"),
        driver_opts: readStringMap(c, "driver_opts"),
        priority: readInt(c, "priority") ?? 0,
      };
      for (const k of ["ipv4_address", "ipv6_address", "mac_address"] as const) {
        const v = readStr(c, k);
        if (v !== undefined) net[k] = v;
      }
      out[e.key] = net;
    }
  }
  return out;
}

/** `defaultDir`: where a mount without a target lands, when compose-go writes it out (secrets). */
function readMounts(n: YNode | undefined, defaultDir?: string): FileMount[] {
  if (n?.kind !== "seq") return [];
  const withDefault = (mount: FileMount): FileMount => (mount.target === undefined && defaultDir !== undefined ? { ...mount, target: defaultDir + mount.source } : mount);
  return n.items.map((i): FileMount => {
    if (i.kind !== "map") return withDefault({ source: i.kind === "scalar" ? scalarText(i) : "" });
    const mount: FileMount = { source: readStr(i, "source") ?? "" };
    const target = readStr(i, "target");
    const uid = readStr(i, "uid");
    const gid = readStr(i, "gid");
    const modeNode = get(i, "mode");
    if (target !== undefined) mount.target = target;
    if (uid !== undefined) mount.uid = uid;
    if (gid !== undefined) mount.gid = gid;
    if (modeNode?.kind === "scalar" && modeNode.value !== null) {
      // A YAML int is already the mode (0440 is read as octal by YAML 1.1 users; 1.2 reads 440); a string is octal text.
      mount.mode = typeof modeNode.value === "number" ? modeNode.value : Number.parseInt(scalarText(modeNode), 8);
    }
    return withDefault(mount);
  });
}

/**
 * extra_hosts as compose-go holds them (types.HostsList, a map of host to addresses): `host=ip`
 * or `host:ip` entries and the mapping form all become `host=ip`, IPv6 brackets dropped,
 * sorted by host, a host's addresses in the order written.
 */
function readExtraHosts(m: MapNode): string[] {
  const n = get(m, "extra_hosts");
  const hosts = new Map<string, string[]>();
  const add = (host: string, ip: string): void => {
    const bare = ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
    hosts.set(host, [...(hosts.get(host) ?? []), bare]);
  };
  if (n?.kind === "seq") {
    for (const entry of readList(m, "extra_hosts")) {
      const eq = entry.indexOf("=");
      const sep = eq >= 0 ? eq : entry.indexOf(":");
      if (sep < 0) add(entry, "");
      else add(entry.slice(0, sep), entry.slice(sep + 1));
    }
  } else if (n?.kind === "map") {
    for (const e of n.entries) {
      const ips = e.value.kind === "seq" ? e.value.items.map((i) => (i.kind === "scalar" ? scalarText(i) : "")) : [e.value.kind === "scalar" ? scalarText(e.value) : ""];
      for (const ip of ips) add(e.key, ip);
    }
  }
  return [...hosts.keys()].sort().flatMap((host) => (hosts.get(host) ?? []).map((ip) => `${host}=${ip}`));
}

function readUlimits(n: YNode | undefined): Record<string, Ulimit> {
  const out: Record<string, Ulimit> = {};
  if (n?.kind !== "map") return out;
  for (const e of n.entries) {
    if (e.value.kind === "scalar") {
      const v = toInt(e.value) ?? 0;
      out[e.key] = { soft: v, hard: v, single: true };
    } else if (e.value.kind === "map") out[e.key] = { soft: readInt(e.value, "soft") ?? 0, hard: readInt(e.value, "hard") ?? 0 };
  }
  return out;
}

function readDevices(n: YNode | undefined): Device[] {
  if (n?.kind !== "seq") return [];
  return n.items.map((i): Device => {
    if (i.kind === "map") {
      const source = readStr(i, "source") ?? "";
      return { source, target: readStr(i, "target") ?? source, permissions: readStr(i, "permissions") ?? "rwm" };
    }
    const parts = (i.kind === "scalar" ? scalarText(i) : "").split(":");
    const source = parts[0] ?? "";
    return { source, target: parts[1] ?? source, permissions: parts[2] ?? "rwm" };
  });
}

function readBuild(n: YNode | undefined, abs: (p: string) => string, ctx: ServiceContext): ServiceBuild | undefined {
  if (n === undefined || (n.kind === "scalar" && n.value === null)) return undefined;
  const m = n.kind === "map" ? n : undefined;
  const contextText = n.kind === "scalar" ? scalarText(n) : (readStr(m, "context") ?? ".");
  const args: Record<string, string | null> = {};
  // A bare arg takes its value from the environment; with none it is not passed at all (the
  // Dockerfile's ARG default applies), and compose leaves it out.
  for (const [k, v] of Object.entries(readKeyed(m, "args"))) {
    const value = v ?? ctx.lookup(k);
    if (value !== undefined) args[k] = value;
  }
  const build: ServiceBuild = {
    context: isRemoteContext(contextText) ? contextText : abs(contextText),
    dockerfile: readStr(m, "dockerfile") ?? "Dockerfile",
    args,
    labels: readStringMap(m, "labels"),
    cache_from: readList(m, "cache_from"),
    no_cache: readBool(m, "no_cache") ?? false,
    pull: readBool(m, "pull") ?? false,
    extra_hosts: m ? readExtraHosts(m) : [],
    tags: readList(m, "tags"),
    platforms: readList(m, "platforms"),
    ulimits: readUlimits(get(m, "ulimits")),
    // No default target: the secret's id in the build is its target, else its source.
    secrets: readMounts(get(m, "secrets")),
  };
  const optional = {
    dockerfile_inline: readStr(m, "dockerfile_inline"),
    target: readStr(m, "target"),
    network: readStr(m, "network"),
    shm_size: readBytes(m, "shm_size"),
    isolation: readStr(m, "isolation"),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) Object.assign(build, { [k]: v });
  return build;
}

function readHealthcheck(m: MapNode | undefined): Healthcheck | undefined {
  if (!m) return undefined;
  const testNode = get(m, "test");
  const hc: Healthcheck = { disable: readBool(m, "disable") ?? false };
  if (testNode?.kind === "scalar" && testNode.value !== null) hc.test = ["CMD-SHELL", scalarText(testNode)];
  else if (testNode?.kind === "seq") hc.test = readList(m, "test");
  const optional = {
    interval: readDuration(m, "interval"),
    timeout: readDuration(m, "timeout"),
    start_period: readDuration(m, "start_period"),
    start_interval: readDuration(m, "start_interval"),
    retries: readInt(m, "retries"),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) Object.assign(hc, { [k]: v });
  // `test: ["NONE"]` is the other way to say disable.
  if (hc.test?.[0] === "NONE") hc.disable = true;
  return hc;
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function readUpdateConfig(m: MapNode | undefined): UpdateConfig | undefined {
  if (!m) return undefined;
  return defined({
    parallelism: readInt(m, "parallelism"),
    delay: readDuration(m, "delay"),
    failure_action: readStr(m, "failure_action"),
    monitor: readDuration(m, "monitor"),
    max_failure_ratio: readNum(m, "max_failure_ratio"),
    order: readStr(m, "order"),
  });
}

function readResource(m: MapNode | undefined): ResourceSpec | undefined {
  if (!m) return undefined;
  return defined({ cpus: readNum(m, "cpus"), memory: readBytes(m, "memory"), pids: readInt(m, "pids") });
}

function readDeploy(m: MapNode | undefined): Deploy | undefined {
  if (!m) return undefined;
  const resources = asMap(get(m, "resources"));
  const restart = asMap(get(m, "restart_policy"));
  const placement = asMap(get(m, "placement"));
  const prefs = get(placement, "preferences");
  return defined({
    mode: readStr(m, "mode"),
    endpoint_mode: readStr(m, "endpoint_mode"),
    replicas: readInt(m, "replicas"),
    labels: readStringMap(m, "labels"),
    update_config: readUpdateConfig(asMap(get(m, "update_config"))),
    rollback_config: readUpdateConfig(asMap(get(m, "rollback_config"))),
    resources: defined({ limits: readResource(asMap(get(resources, "limits"))), reservations: readResource(asMap(get(resources, "reservations"))) }),
    restart_policy: restart
      ? defined({ condition: readStr(restart, "condition"), delay: readDuration(restart, "delay"), max_attempts: readInt(restart, "max_attempts"), window: readDuration(restart, "window") })
      : undefined,
    placement: defined({
      constraints: readList(placement, "constraints"),
      preferences: prefs?.kind === "seq" ? prefs.items.map((p) => ({ spread: readStr(asMap(p), "spread") ?? "" })) : [],
      max_replicas_per_node: readInt(placement, "max_replicas_per_node"),
    }),
  });
}

function readLogging(m: MapNode | undefined): Service["logging"] {
  if (!m) return undefined;
  const driver = readStr(m, "driver");
  return { ...(driver ? { driver } : {}), options: readStringMap(m, "options") };
}

function readBlkio(m: MapNode | undefined): BlkioConfig | undefined {
  if (!m) return undefined;
  const rates = (key: string): { path: string; rate: number }[] => {
    const n = get(m, key);
    return n?.kind === "seq" ? n.items.map((i) => ({ path: readStr(asMap(i), "path") ?? "", rate: readBytes(asMap(i), "rate") ?? 0 })) : [];
  };
  const wd = get(m, "weight_device");
  return defined({
    weight: readInt(m, "weight"),
    weight_device: wd?.kind === "seq" ? wd.items.map((i) => ({ path: readStr(asMap(i), "path") ?? "", weight: readInt(asMap(i), "weight") ?? 0 })) : [],
    device_read_bps: rates("device_read_bps"),
    device_read_iops: rates("device_read_iops"),
    device_write_bps: rates("device_write_bps"),
    device_write_iops: rates("device_write_iops"),
  });
}
