/**
 * The normalized form of one compose service: every short syntax expanded, relative paths made
 * absolute, durations in nanoseconds, byte sizes in bytes. Consumers (runner, deploy, config
 * hash) read only this shape, never raw YAML. Field names follow the compose file so that
 * `renderConfig` and readers of compose docs need no translation table.
 */

/** Nanoseconds, like Go's time.Duration that compose-go uses. */
export type DurationNs = number;

export interface ServicePort {
  name?: string;
  mode: "ingress" | "host";
  host_ip?: string;
  target: number;
  /** A port (`"8080"`) or a range (`"8000-8010"`); a string as compose keeps it. */
  published?: string;
  protocol: "tcp" | "udp" | "sctp";
  app_protocol?: string;
}

export interface ServiceVolumeBind {
  propagation?: string;
  /**
   * True for the short syntax (`./data:/data`); as written for the long syntax, absent when
   * not written. compose treats absent as false there (a Mount, which fails on a missing source).
   */
  create_host_path?: boolean;
  selinux?: "z" | "Z";
}

export interface ServiceVolumeVolume {
  nocopy?: boolean;
  subpath?: string;
  labels?: Record<string, string>;
}

export interface ServiceVolumeTmpfs {
  size?: number;
  mode?: number;
}

export interface ServiceVolume {
  type: "bind" | "volume" | "tmpfs";
  /** Absolute host path for binds, volume key (as declared under top-level `volumes:`) for named volumes; absent for anonymous volumes and tmpfs. */
  source?: string;
  target: string;
  read_only: boolean;
  /** Long syntax only: compose-go ignores a consistency mode in the short syntax (`.:/src:cached`). */
  consistency?: string;
  /** Always for a short-syntax bind; for the long syntax only when `bind:` is written. */
  bind?: ServiceVolumeBind;
  volume?: ServiceVolumeVolume;
  tmpfs?: ServiceVolumeTmpfs;
}

export type DependencyCondition = "service_started" | "service_healthy" | "service_completed_successfully";

export interface ServiceDependency {
  condition: DependencyCondition;
  required: boolean;
  restart: boolean;
}

export interface Healthcheck {
  /** `["NONE"]`, `["CMD", ...]`, `["CMD-SHELL", "..."]`; a string test becomes CMD-SHELL. */
  test?: string[];
  interval?: DurationNs;
  timeout?: DurationNs;
  start_period?: DurationNs;
  start_interval?: DurationNs;
  retries?: number;
  disable: boolean;
}

export interface ServiceBuild {
  /** Absolute directory, or a URL (git, https) left as written. */
  context: string;
  /** Relative to the context, as the Engine API expects it (default `Dockerfile`). */
  dockerfile: string;
  dockerfile_inline?: string;
  args: Record<string, string | null>;
  labels: Record<string, string>;
  target?: string;
  network?: string;
  cache_from: string[];
  no_cache: boolean;
  pull: boolean;
  shm_size?: number;
  /** `host=ip` (compose-go's form: brackets dropped from IPv6), sorted by host. */
  extra_hosts: string[];
  isolation?: string;
  tags: string[];
  platforms: string[];
  ulimits: Record<string, Ulimit>;
  /** Top-level secrets the build's `RUN --mount=type=secret,id=<target or source>` may read. */
  secrets: FileMount[];
}

export interface Ulimit {
  soft: number;
  hard: number;
  /** Written as one number (`nproc: 65535`); compose prints it back in that form. */
  single?: boolean;
}

export interface ServiceNetwork {
  aliases: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  link_local_ips: string[];
  mac_address?: string;
  driver_opts: Record<string, string>;
  priority: number;
}

export interface FileMount {
  /** Name of the top-level secret/config. */
  source: string;
  /**
   * As written; a secret without one gets `/run/secrets/<source>` as compose-go sets it. A config
   * without one is absent (mounted at `/<source>`); a relative target is relative to those dirs.
   */
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

export interface Logging {
  driver?: string;
  options: Record<string, string>;
}

export interface EnvFileRef {
  path: string;
  required: boolean;
  format?: string;
}

export interface UpdateConfig {
  parallelism?: number;
  delay?: DurationNs;
  failure_action?: string;
  monitor?: DurationNs;
  max_failure_ratio?: number;
  order?: string;
}

export interface ResourceSpec {
  /** Fractional CPUs, e.g. 0.5. */
  cpus?: number;
  memory?: number;
  pids?: number;
}

export interface Deploy {
  mode?: string;
  endpoint_mode?: string;
  replicas?: number;
  labels: Record<string, string>;
  update_config?: UpdateConfig;
  rollback_config?: UpdateConfig;
  resources: { limits?: ResourceSpec; reservations?: ResourceSpec };
  restart_policy?: { condition?: string; delay?: DurationNs; max_attempts?: number; window?: DurationNs };
  placement: { constraints: string[]; preferences: { spread: string }[]; max_replicas_per_node?: number };
}

export interface Device {
  source: string;
  target: string;
  permissions: string;
}

/**
 * A normalized service. Optional scalar fields are absent when the file leaves them unset;
 * collections are always present (possibly empty) so consumers need no null checks.
 */
export interface Service {
  name: string;
  profiles: string[];
  image?: string;
  build?: ServiceBuild;
  /** Exec form after compose's shell split of a string command; `null` = use the image's. `[]` clears it. */
  command: string[] | null;
  entrypoint: string[] | null;
  environment: Record<string, string | null>;
  env_file: EnvFileRef[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ports: ServicePort[];
  expose: string[];
  volumes: ServiceVolume[];
  volumes_from: string[];
  tmpfs: string[];
  /**
   * As written, plus what compose-go infers: a service named by `links`, `volumes_from` or a
   * `service:` namespace (network_mode, ipc, pid, uts) must be started first.
   */
  depends_on: Record<string, ServiceDependency>;
  /** Absent when `network_mode` is set; otherwise at least `default`. */
  networks: Record<string, ServiceNetwork | null>;
  network_mode?: string;
  healthcheck?: Healthcheck;
  deploy?: Deploy;
  restart?: string;
  secrets: FileMount[];
  configs: FileMount[];
  container_name?: string;
  hostname?: string;
  domainname?: string;
  user?: string;
  working_dir?: string;
  stop_signal?: string;
  stop_grace_period?: DurationNs;
  tty: boolean;
  stdin_open: boolean;
  privileged: boolean;
  read_only: boolean;
  init?: boolean;
  attach?: boolean;
  pull_policy?: string;
  platform?: string;
  /** As written; the number of containers is `deploy.replicas ?? scale ?? 1`. */
  scale?: number;
  cap_add: string[];
  cap_drop: string[];
  dns: string[];
  dns_opt: string[];
  dns_search: string[];
  /** `host=ip` (compose-go's form: brackets dropped from IPv6), sorted by host. */
  extra_hosts: string[];
  group_add: string[];
  security_opt: string[];
  sysctls: Record<string, string>;
  ulimits: Record<string, Ulimit>;
  devices: Device[];
  device_cgroup_rules: string[];
  links: string[];
  external_links: string[];
  logging?: Logging;
  /** Resource and runtime knobs that map 1:1 onto the Engine API HostConfig. */
  cpus?: number;
  cpu_shares?: number;
  cpu_quota?: number;
  cpu_period?: number;
  cpu_rt_period?: number;
  cpu_rt_runtime?: number;
  cpuset?: string;
  mem_limit?: number;
  mem_reservation?: number;
  memswap_limit?: number;
  mem_swappiness?: number;
  shm_size?: number;
  pids_limit?: number;
  oom_kill_disable?: boolean;
  oom_score_adj?: number;
  ipc?: string;
  pid?: string;
  uts?: string;
  userns_mode?: string;
  cgroup?: string;
  cgroup_parent?: string;
  isolation?: string;
  runtime?: string;
  mac_address?: string;
  storage_opt: Record<string, string>;
  blkio_config?: BlkioConfig;
  /** `x-*` keys of the service, as plain data. */
  extensions: Record<string, unknown>;
}

export interface BlkioConfig {
  weight?: number;
  weight_device: { path: string; weight: number }[];
  device_read_bps: { path: string; rate: number }[];
  device_read_iops: { path: string; rate: number }[];
  device_write_bps: { path: string; rate: number }[];
  device_write_iops: { path: string; rate: number }[];
}
