/**
 * Renders a project the way `docker compose config` (v2, compose-go's YAML marshalling) prints
 * it: struct fields in compose-go's declaration order, map keys sorted (Go marshals maps
 * sorted), empty values omitted (`omitempty`), durations as Go prints them (`1m30s`), byte sizes
 * and published ports as strings, services attached to `default` shown as `default: null`.
 * test/integration/compose/config-parity.test.ts holds this against `docker compose config` on
 * every fixture; docs/compose-differences.md lists where the two differ on purpose.
 */
import { stringify } from "yaml";
import type { FileObject, Network, Project, Volume } from "../model/project.ts";
import type { BlkioConfig, Deploy, Healthcheck, ResourceSpec, Service, ServiceBuild, Ulimit, UpdateConfig } from "../model/service.ts";
import { formatDuration } from "../../yaml/duration.ts";

type Out = { [key: string]: unknown };

/**
 * Drops undefined, `false`, empty arrays and empty maps (Go's omitempty), keeping insertion
 * order. `keepFalse` names the fields that are pointers in compose-go, where `false` is a value.
 */
function compact(o: Out, keepFalse: readonly string[] = []): Out {
  const out: Out = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || (v === false && !keepFalse.includes(k))) continue;
    if (Array.isArray(v) && v.length === 0 && !keptEmpty.has(v)) continue;
    if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0 && !keptEmpty.has(v)) continue;
    out[k] = v;
  }
  return out;
}

function sorted<T>(m: Record<string, T>, f: (v: T, k: string) => unknown = (v) => v): Out {
  const out: Out = {};
  for (const k of Object.keys(m).sort()) out[k] = f(m[k] as T, k);
  return out;
}

const dur = (ns: number | undefined): string | undefined => (ns === undefined ? undefined : formatDuration(ns));
/** A plain (non-pointer) Go number with omitempty: 0 is not printed. */
const nz = (n: number | undefined): number | undefined => (n === 0 ? undefined : n);
/** A non-pointer time.Duration with omitempty (update_config delay/monitor): 0 is not printed. */
const durNz = (ns: number | undefined): string | undefined => dur(nz(ns));
/** compose-go's UnitBytes: printed as a string, and left out when 0 (omitempty). */
const size = (b: number | undefined): string | undefined => (b === undefined || b === 0 ? undefined : String(b));

export function renderConfig(project: Project): string {
  const doc = compact({
    name: project.name,
    services: sorted(project.services, renderService),
    networks: sorted(project.networks, renderNetwork),
    volumes: sorted(project.volumes, renderVolume),
    secrets: sorted(project.secrets, renderFileObject),
    configs: sorted(project.configs, renderFileObject),
    ...sorted(project.extensions),
  });
  const text = stringify(doc, { indent: 2, lineWidth: 0, nullStr: "null", aliasDuplicateObjects: false });
  // compose prints values after interpolation, then doubles every `$` so that the output is
  // itself a compose file that interpolates back to the same values (docker/compose
  // cmd/compose/config.go, escapeDollarSign: a plain byte replace, keys included).
  return text.replaceAll("$", "$$$$");
}

function renderBuild(b: ServiceBuild): Out {
  return compact({
    context: b.context,
    // compose-go sets the `Dockerfile` default only when there is no inline Dockerfile.
    dockerfile: b.dockerfile_inline === undefined ? b.dockerfile : undefined,
    dockerfile_inline: b.dockerfile_inline,
    args: sorted(b.args),
    labels: sorted(b.labels),
    cache_from: b.cache_from,
    no_cache: b.no_cache,
    pull: b.pull,
    extra_hosts: b.extra_hosts,
    isolation: b.isolation,
    network: b.network,
    target: b.target,
    tags: b.tags,
    ulimits: sorted(b.ulimits, renderUlimit),
    platforms: b.platforms,
    shm_size: size(b.shm_size),
    secrets: b.secrets.length ? b.secrets.map((c) => compact({ ...c })) : undefined,
  });
}

function renderHealthcheck(h: Healthcheck): Out {
  return compact({
    test: h.test,
    timeout: dur(h.timeout),
    interval: dur(h.interval),
    retries: h.retries,
    start_period: dur(h.start_period),
    start_interval: dur(h.start_interval),
    // The model says "disabled" for `test: [NONE]` too; compose prints only what was written.
    disable: h.disable && h.test?.[0] !== "NONE",
  });
}

function renderUpdate(u: UpdateConfig | undefined): Out | undefined {
  if (!u) return undefined;
  return compact({ parallelism: u.parallelism, delay: durNz(u.delay), failure_action: u.failure_action, monitor: durNz(u.monitor), max_failure_ratio: nz(u.max_failure_ratio), order: u.order });
}

function renderResource(r: ResourceSpec | undefined): Out | undefined {
  if (!r) return undefined;
  // A pointer in compose-go: written but all zero is still printed, as `{}`.
  return compactKeepEmpty({ cpus: nz(r.cpus), memory: size(r.memory), pids: nz(r.pids) });
}

function renderDeploy(d: Deploy): Out {
  return compact({
    mode: d.mode,
    replicas: d.replicas,
    labels: sorted(d.labels),
    update_config: renderUpdate(d.update_config),
    rollback_config: renderUpdate(d.rollback_config),
    resources: compact({ limits: renderResource(d.resources.limits), reservations: renderResource(d.resources.reservations) }),
    restart_policy: d.restart_policy
      ? compact({ condition: d.restart_policy.condition, delay: dur(d.restart_policy.delay), max_attempts: d.restart_policy.max_attempts, window: dur(d.restart_policy.window) })
      : undefined,
    placement: compact({ constraints: d.placement.constraints, preferences: d.placement.preferences, max_replicas_per_node: nz(d.placement.max_replicas_per_node) }),
    endpoint_mode: d.endpoint_mode,
  });
}

function renderService(s: Service): Out {
  const fields: Out = {
    profiles: s.profiles,
    annotations: sorted(s.annotations),
    attach: s.attach,
    build: s.build ? renderBuild(s.build) : undefined,
    blkio_config: s.blkio_config ? renderBlkio(s.blkio_config) : undefined,
    cap_add: s.cap_add,
    cap_drop: s.cap_drop,
    cgroup_parent: s.cgroup_parent,
    cgroup: s.cgroup,
    cpu_period: nz(s.cpu_period),
    cpu_quota: nz(s.cpu_quota),
    cpu_rt_period: nz(s.cpu_rt_period),
    cpu_rt_runtime: nz(s.cpu_rt_runtime),
    cpus: nz(s.cpus),
    cpuset: s.cpuset,
    cpu_shares: nz(s.cpu_shares),
    // `command: []` / `entrypoint: ""` clear the image's: compose prints them as `[]`.
    command: keepEmpty(s.command),
    configs: s.configs.map((c) => compact({ ...c })),
    container_name: s.container_name,
    depends_on: sorted(s.depends_on, (d) => ({ condition: d.condition, ...(d.restart ? { restart: true } : {}), required: d.required })),
    deploy: s.deploy ? renderDeploy(s.deploy) : undefined,
    device_cgroup_rules: s.device_cgroup_rules,
    devices: s.devices.map((d) => compact({ ...d })),
    dns: s.dns,
    dns_opt: s.dns_opt,
    dns_search: s.dns_search,
    domainname: s.domainname,
    entrypoint: keepEmpty(s.entrypoint),
    environment: sorted(s.environment),
    // No env_file: compose reads env files into `environment` and drops the key (cli.WithDiscardEnvFile).
    expose: s.expose,
    external_links: s.external_links,
    extra_hosts: s.extra_hosts,
    group_add: s.group_add,
    hostname: s.hostname,
    healthcheck: s.healthcheck ? renderHealthcheck(s.healthcheck) : undefined,
    image: s.image,
    init: s.init,
    ipc: s.ipc,
    isolation: s.isolation,
    labels: sorted(s.labels),
    links: s.links,
    logging: s.logging ? compact({ driver: s.logging.driver, options: sorted(s.logging.options) }) : undefined,
    mem_limit: size(s.mem_limit),
    mem_reservation: size(s.mem_reservation),
    memswap_limit: size(s.memswap_limit),
    // A UnitBytes field in compose-go, so printed as a string like the sizes.
    mem_swappiness: size(s.mem_swappiness),
    mac_address: s.mac_address,
    network_mode: s.network_mode,
    networks: sorted(s.networks, (n) => (n === null ? null : compact({ aliases: n.aliases, driver_opts: sorted(n.driver_opts), ipv4_address: n.ipv4_address, ipv6_address: n.ipv6_address, link_local_ips: n.link_local_ips, mac_address: n.mac_address, priority: n.priority || undefined }))),
    oom_kill_disable: s.oom_kill_disable,
    oom_score_adj: nz(s.oom_score_adj),
    pid: s.pid,
    pids_limit: nz(s.pids_limit),
    platform: s.platform,
    ports: s.ports.map((p) => compact({ name: p.name, mode: p.mode, host_ip: p.host_ip, target: p.target, published: p.published, protocol: p.protocol, app_protocol: p.app_protocol })),
    privileged: s.privileged,
    pull_policy: s.pull_policy,
    read_only: s.read_only,
    restart: s.restart,
    runtime: s.runtime,
    scale: s.scale,
    secrets: s.secrets.map((c) => compact({ ...c })),
    security_opt: s.security_opt,
    shm_size: size(s.shm_size),
    stdin_open: s.stdin_open,
    stop_grace_period: dur(s.stop_grace_period),
    stop_signal: s.stop_signal,
    storage_opt: sorted(s.storage_opt),
    sysctls: sorted(s.sysctls),
    tmpfs: s.tmpfs,
    tty: s.tty,
    ulimits: sorted(s.ulimits, renderUlimit),
    user: s.user,
    userns_mode: s.userns_mode,
    uts: s.uts,
    volumes: s.volumes.map((v) =>
      compact({
        type: v.type,
        source: v.source,
        target: v.target,
        read_only: v.read_only,
        consistency: v.consistency,
        bind: v.bind ? compactKeepEmpty({ propagation: v.bind.propagation, create_host_path: v.bind.create_host_path, selinux: v.bind.selinux }) : undefined,
        volume: v.volume ? compactKeepEmpty({ ...v.volume }) : undefined,
        tmpfs: v.tmpfs ? compactKeepEmpty({ size: size(v.tmpfs.size), mode: nz(v.tmpfs.mode) }) : undefined,
      }),
    ),
    volumes_from: s.volumes_from,
    working_dir: s.working_dir,
    ...sorted(s.extensions),
  };
  // Pointers in compose-go (*bool): an explicit `false` is printed too.
  return compact(fields, ["init", "attach"]);
}

function renderBlkio(b: BlkioConfig): Out {
  // Rates are UnitBytes too, but without omitempty: `rate: "0"` is printed.
  const rates = (list: { path: string; rate: number }[]): Out[] => list.map((r) => ({ path: r.path, rate: String(r.rate) }));
  return compact({
    weight: nz(b.weight),
    weight_device: b.weight_device,
    device_read_bps: rates(b.device_read_bps),
    device_read_iops: rates(b.device_read_iops),
    device_write_bps: rates(b.device_write_bps),
    device_write_iops: rates(b.device_write_iops),
  });
}

/** Like compact, but an empty result is kept as `{}` (compose prints `volume: {}`). */
const keptEmpty = new WeakSet<object>();

function keepEmpty(list: string[] | null): string[] | undefined {
  if (list === null) return undefined;
  if (list.length === 0) keptEmpty.add(list);
  return list;
}

/** compose-go prints the one-number form when it was written so and is not 0 (`Single` is omitempty). */
function renderUlimit(u: Ulimit): unknown {
  return u.single && u.soft !== 0 ? u.soft : { soft: u.soft, hard: u.hard };
}
function compactKeepEmpty(o: Out): Out {
  const out = compact(o);
  keptEmpty.add(out);
  return out;
}

function renderNetwork(n: Network): Out {
  const fields: Out = {
    name: n.name,
    driver: n.driver,
    driver_opts: sorted(n.driver_opts),
    ipam: n.ipam ? compact({ driver: n.ipam.driver, config: n.ipam.config.map((c) => compact({ ...c, aux_addresses: sorted(c.aux_addresses) })), options: sorted(n.ipam.options) }) : undefined,
    external: n.external,
    internal: n.internal,
    attachable: n.attachable,
    labels: sorted(n.labels),
    enable_ipv6: n.enable_ipv6,
    ...sorted(n.extensions),
  };
  // A *bool in compose-go: an explicit `false` is printed too.
  return compact(fields, ["enable_ipv6"]);
}

function renderVolume(v: Volume): Out {
  return compact({ name: v.name, driver: v.driver, driver_opts: sorted(v.driver_opts), external: v.external, labels: sorted(v.labels), ...sorted(v.extensions) });
}

function renderFileObject(f: FileObject): Out {
  return compact({ name: f.name, file: f.file, environment: f.environment, content: f.content, external: f.external, labels: sorted(f.labels), ...sorted(f.extensions) });
}
