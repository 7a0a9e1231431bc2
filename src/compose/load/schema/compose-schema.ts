/**
 * Slipway's compose schema: every key of the Compose Specification, each supported (with a
 * strict, post-interpolation type) or refused by name. `compose-schema.test.ts` holds this
 * registry against the official JSON schema so that a key added upstream cannot slip through
 * unrecognised.
 */
import { checkRestart, parsePortSpec, parseVolumeSpec } from "../formats.ts";
import {
  anyScalar,
  bool,
  bytes,
  duration,
  int,
  list,
  map,
  nul,
  num,
  obj,
  ok,
  refused,
  str,
  strEnum,
  union,
  type Schema,
} from "./types.ts";

const NAME = /^[a-zA-Z0-9._-]+$/;
const NAME_RULE = "names may only contain letters, digits, '.', '_' and '-'";
const named = (values: Schema): Schema => map(values, NAME, NAME_RULE);

const scalarOrNull = union(str({ acceptNumber: true }), anyScalar, nul);
/** environment, labels, args...: `{K: v}` or `["K=v"]`. */
const listOrDict = union(map(scalarOrNull), list(str()));
const stringOrList = union(str(), list(str()));
const command = union(nul, str(), list(str()));
const options = map(union(str({ acceptNumber: true }), anyScalar, nul));
const externalRef = union(bool, obj("external", { name: ok(str()) }));
const labels = listOrDict;

const swarmOnly = "It only applies to Docker Swarm with the classic schedulers, which Slipway does not drive.";

const portString = str({
  acceptNumber: true,
  check: (s) => {
    const p = parsePortSpec(s);
    return p.ok ? undefined : p.message;
  },
});

const port = union(
  int(0, 65535),
  portString,
  obj("port", {
    name: ok(str()),
    mode: ok(strEnum("host", "ingress")),
    host_ip: ok(str()),
    target: ok(int(1, 65535)),
    published: ok(union(str({ acceptNumber: true, check: (s) => (/^\d+(-\d+)?$/.test(s) ? undefined : `expected a port or port range, got ${JSON.stringify(s)}`) }))),
    protocol: ok(strEnum("tcp", "udp", "sctp")),
    app_protocol: ok(str()),
  }, { required: ["target"] }),
);

const volumeString = str({
  check: (s) => {
    const v = parseVolumeSpec(s);
    return v.ok ? undefined : v.message;
  },
});

const serviceVolume = union(
  volumeString,
  obj(
    "volume mount",
    {
      type: ok(strEnum("bind", "volume", "tmpfs")),
      source: ok(str()),
      target: ok(str()),
      read_only: ok(bool),
      consistency: ok(str()),
      bind: ok(
        obj("bind options", {
          propagation: ok(strEnum("shared", "rshared", "slave", "rslave", "private", "rprivate")),
          create_host_path: ok(bool),
          recursive: refused("Recursive read-only bind options need Engine API 1.44+, which Slipway does not require."),
          selinux: ok(strEnum("z", "Z")),
        }),
      ),
      volume: ok(
        obj("volume options", {
          labels: ok(listOrDict),
          nocopy: ok(bool),
          subpath: ok(str()),
        }),
      ),
      tmpfs: ok(obj("tmpfs options", { size: ok(bytes), mode: ok(union(int(0), str())) })),
      image: refused("Image mounts need Engine API 1.48+."),
    },
    { required: ["type"] },
  ),
);

const fileMount = union(
  str(),
  obj("mount", {
    source: ok(str()),
    target: ok(str()),
    uid: ok(str({ acceptNumber: true })),
    gid: ok(str({ acceptNumber: true })),
    mode: ok(union(int(0), str())),
  }),
);

const ulimits = map(union(int(), obj("ulimit", { hard: ok(int()), soft: ok(int()) }, { required: ["soft", "hard"] })));

const healthcheck = obj("healthcheck", {
  disable: ok(bool),
  interval: ok(duration),
  retries: ok(int(0)),
  test: ok(union(str(), list(str()))),
  timeout: ok(duration),
  start_period: ok(duration),
  start_interval: ok(duration),
});

const updateConfig = (name: string): Schema =>
  obj(name, {
    parallelism: ok(int(0)),
    delay: ok(duration),
    failure_action: ok(strEnum("continue", "rollback", "pause")),
    monitor: ok(duration),
    max_failure_ratio: ok(num(0)),
    order: ok(strEnum("start-first", "stop-first")),
  });

const deviceRequests = refused("GPU and device reservations are not supported by Slipway yet.");

const deploy = obj("deploy", {
  mode: ok(strEnum("global", "replicated", "replicated-job", "global-job")),
  endpoint_mode: ok(strEnum("vip", "dnsrr")),
  replicas: ok(int(0)),
  labels: ok(labels),
  rollback_config: ok(updateConfig("rollback_config")),
  update_config: ok(updateConfig("update_config")),
  resources: ok(
    obj("resources", {
      limits: ok(obj("limits", { cpus: ok(num(0)), memory: ok(bytes), pids: ok(int()) })),
      reservations: ok(
        obj("reservations", {
          cpus: ok(num(0)),
          memory: ok(bytes),
          generic_resources: refused("Generic resources (Swarm node resources) are not supported by Slipway yet."),
          devices: deviceRequests,
        }),
      ),
    }),
  ),
  restart_policy: ok(
    obj("restart_policy", {
      condition: ok(strEnum("none", "on-failure", "any")),
      delay: ok(duration),
      max_attempts: ok(int(0)),
      window: ok(duration),
    }),
  ),
  placement: ok(
    obj("placement", {
      constraints: ok(list(str())),
      preferences: ok(list(obj("placement preference", { spread: ok(str()) }))),
      max_replicas_per_node: ok(int(0)),
    }),
  ),
});

const build = union(
  str(),
  obj("build", {
    context: ok(str()),
    dockerfile: ok(str()),
    dockerfile_inline: ok(str()),
    entitlements: refused("Build entitlements need grants the engine gives a BuildKit session; not supported by Slipway yet."),
    args: ok(listOrDict),
    ssh: refused("SSH agent forwarding into builds is not supported by Slipway yet (its BuildKit session serves secrets only)."),
    labels: ok(labels),
    cache_from: ok(list(str())),
    cache_to: refused("Cache export is not supported by Slipway yet (it needs more of a BuildKit session than Slipway serves)."),
    no_cache: ok(bool),
    no_cache_filter: refused("no_cache_filter is not supported by Slipway yet."),
    additional_contexts: refused("Additional build contexts are not supported by Slipway yet (they need more of a BuildKit session than Slipway serves)."),
    network: ok(str()),
    provenance: refused("Provenance attestations are made by buildx, not the engine: not supported by Slipway yet."),
    sbom: refused("SBOM attestations are made by buildx, not the engine: not supported by Slipway yet."),
    pull: ok(bool),
    target: ok(str()),
    shm_size: ok(bytes),
    extra_hosts: ok(union(map(union(str(), list(str()))), list(str()))),
    isolation: ok(str()),
    privileged: refused("Privileged builds need a BuildKit entitlement the engine must grant; not supported by Slipway yet."),
    secrets: ok(list(fileMount)),
    tags: ok(list(str())),
    ulimits: ok(ulimits),
    platforms: ok(list(str())),
  }),
);

const blkioLimit = obj("blkio limit", { path: ok(str()), rate: ok(bytes) }, { extensions: false });
const blkioWeight = obj("blkio weight", { path: ok(str()), weight: ok(int(10, 1000)) }, { extensions: false });

const serviceNetworks = union(
  list(str()),
  named(
    union(
      nul,
      obj("service network", {
        aliases: ok(list(str())),
        interface_name: refused("interface_name needs Engine API 1.49+."),
        ipv4_address: ok(str()),
        ipv6_address: ok(str()),
        link_local_ips: ok(list(str())),
        mac_address: ok(str()),
        driver_opts: ok(options),
        priority: ok(int()),
        gw_priority: refused("gw_priority needs Engine API 1.48+."),
      }),
    ),
  ),
);

const dependsOn = union(
  list(str()),
  named(
    // condition is required in the long form, as in the compose-spec schema and compose-go.
    obj(
      "dependency",
      {
        condition: ok(strEnum("service_started", "service_healthy", "service_completed_successfully")),
        required: ok(bool),
        restart: ok(bool),
      },
      { required: ["condition"] },
    ),
  ),
);

const envFile = union(
  str(),
  list(union(str(), obj("env_file", { path: ok(str()), format: ok(str({ check: (s) => (s === "raw" ? undefined : `unknown env_file format ${JSON.stringify(s)}; the only one is "raw" (or leave it out)`) })), required: ok(bool) }, { required: ["path"], extensions: false }))),
);

const hooks = refused("Lifecycle hooks (post_start, pre_stop, pre_start) are not supported by Slipway yet.");

export const serviceSchema = obj("service", {
  develop: refused("`develop` (compose watch) is for docker compose's dev loop; Slipway does not watch files."),
  deploy: ok(union(nul, deploy)),
  annotations: ok(listOrDict),
  attach: ok(bool),
  build: ok(build),
  blkio_config: ok(
    obj(
      "blkio_config",
      {
        device_read_bps: ok(list(blkioLimit)),
        device_read_iops: ok(list(blkioLimit)),
        device_write_bps: ok(list(blkioLimit)),
        device_write_iops: ok(list(blkioLimit)),
        weight: ok(int(10, 1000)),
        weight_device: ok(list(blkioWeight)),
      },
      { extensions: false },
    ),
  ),
  cap_add: ok(list(str())),
  cap_drop: ok(list(str())),
  cgroup: ok(strEnum("host", "private")),
  cgroup_parent: ok(str()),
  command: ok(command),
  configs: ok(list(fileMount)),
  container_name: ok(str({ check: (s) => (/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(s) ? undefined : `invalid container name ${JSON.stringify(s)}`) })),
  cpu_count: refused("cpu_count only applies to Windows containers."),
  cpu_percent: refused("cpu_percent only applies to Windows containers."),
  cpu_shares: ok(int(0)),
  cpu_quota: ok(int()),
  cpu_period: ok(int()),
  cpu_rt_period: ok(int()),
  cpu_rt_runtime: ok(int()),
  cpus: ok(num(0)),
  cpuset: ok(str({ acceptNumber: true })),
  credential_spec: refused("credential_spec only applies to Windows containers."),
  depends_on: ok(dependsOn),
  device_cgroup_rules: ok(list(str())),
  devices: ok(list(union(str(), obj("device", { source: ok(str()), target: ok(str()), permissions: ok(str()) }, { required: ["source"] })))),
  dns: ok(stringOrList),
  dns_opt: ok(list(str())),
  dns_search: ok(stringOrList),
  domainname: ok(str()),
  entrypoint: ok(command),
  env_file: ok(envFile),
  label_file: refused("label_file is not supported by Slipway yet; use labels."),
  environment: ok(listOrDict),
  expose: ok(list(str({ acceptNumber: true, check: (s) => (/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(s) ? undefined : `invalid exposed port ${JSON.stringify(s)}`) }))),
  extends: ok(union(str(), obj("extends", { service: ok(str()), file: ok(str()) }, { required: ["service"], extensions: false }))),
  provider: refused("Service providers (external binaries) are not supported by Slipway yet."),
  external_links: ok(list(str())),
  extra_hosts: ok(union(map(union(str(), list(str()))), list(str()))),
  gpus: refused("GPU access is not supported by Slipway yet."),
  group_add: ok(list(str({ acceptNumber: true }))),
  healthcheck: ok(healthcheck),
  hostname: ok(str()),
  image: ok(str()),
  init: ok(bool),
  ipc: ok(str()),
  isolation: ok(str()),
  labels: ok(labels),
  links: ok(list(str())),
  logging: ok(obj("logging", { driver: ok(str()), options: ok(options) })),
  mac_address: ok(str()),
  mem_limit: ok(bytes),
  mem_reservation: ok(bytes),
  mem_swappiness: ok(int(0, 100)),
  memswap_limit: ok(union(int(-1, -1), bytes)),
  network_mode: ok(str()),
  models: refused("AI models are not supported by Slipway yet."),
  networks: ok(serviceNetworks),
  oom_kill_disable: ok(bool),
  oom_score_adj: ok(int(-1000, 1000)),
  pid: ok(union(str(), nul)),
  pids_limit: ok(int()),
  platform: ok(str()),
  ports: ok(list(port)),
  pre_start: hooks,
  post_start: hooks,
  pre_stop: hooks,
  privileged: ok(bool),
  profiles: ok(list(str({ check: (s) => (/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(s) ? undefined : `invalid profile name ${JSON.stringify(s)}`) }))),
  pull_policy: ok(
    str({
      check: (s) =>
        /^(always|never|if_not_present|missing|build|daily|weekly|every_(\d+(\.\d+)?(ms|s|m|h|d|w))+)$/.test(s)
          ? undefined
          : `expected one of "always", "never", "missing", "build", "if_not_present", "daily", "weekly", "every_<duration>", got ${JSON.stringify(s)}`,
    }),
  ),
  pull_refresh_after: refused("pull_refresh_after is not supported by Slipway yet; use pull_policy."),
  read_only: ok(bool),
  restart: ok(str({ check: checkRestart })),
  runtime: ok(str()),
  scale: ok(int(0)),
  security_opt: ok(list(str())),
  shm_size: ok(bytes),
  secrets: ok(list(fileMount)),
  sysctls: ok(union(map(union(str({ acceptNumber: true }), anyScalar)), list(str()))),
  stdin_open: ok(bool),
  stop_grace_period: ok(duration),
  stop_signal: ok(str()),
  storage_opt: ok(map(anyScalar)),
  tmpfs: ok(stringOrList),
  tty: ok(bool),
  ulimits: ok(ulimits),
  use_api_socket: refused("use_api_socket is not supported by Slipway yet."),
  user: ok(str()),
  uts: ok(str()),
  userns_mode: ok(str()),
  volumes: ok(list(serviceVolume)),
  volumes_from: ok(list(str())),
  working_dir: ok(str()),
});

const ipam = obj("ipam", {
  driver: ok(str()),
  config: ok(
    list(
      obj("ipam config", {
        subnet: ok(str()),
        ip_range: ok(str()),
        gateway: ok(str()),
        aux_addresses: ok(map(str())),
      }),
    ),
  ),
  options: ok(map(str({ acceptNumber: true }))),
});

export const networkSchema = obj("network", {
  name: ok(str()),
  driver: ok(str()),
  driver_opts: ok(options),
  ipam: ok(ipam),
  external: ok(externalRef),
  internal: ok(bool),
  enable_ipv4: refused("enable_ipv4 needs Engine API 1.47+."),
  enable_ipv6: ok(bool),
  attachable: ok(bool),
  labels: ok(labels),
});

export const volumeSchema = obj("volume", {
  name: ok(str()),
  driver: ok(str()),
  driver_opts: ok(options),
  external: ok(externalRef),
  labels: ok(labels),
});

export const secretSchema = obj("secret", {
  name: ok(str()),
  environment: ok(str()),
  file: ok(str()),
  external: ok(externalRef),
  labels: ok(labels),
  driver: refused(`Secret drivers are not supported by Slipway yet. ${swarmOnly}`),
  driver_opts: refused("Secret drivers are not supported by Slipway yet."),
  template_driver: refused("Secret templating is not supported by Slipway yet."),
});

export const configSchema = obj("config", {
  name: ok(str()),
  content: ok(str()),
  environment: ok(str()),
  file: ok(str()),
  external: ok(externalRef),
  labels: ok(labels),
  template_driver: refused("Config templating is not supported by Slipway yet."),
});

export const includeSchema = union(
  str(),
  obj(
    "include",
    {
      path: ok(stringOrList),
      env_file: ok(stringOrList),
      project_directory: ok(str()),
    },
    { required: ["path"], extensions: false },
  ),
);

export const composeFileSchema = obj("compose file", {
  version: ok(str({ acceptNumber: true }), "the top-level `version` is obsolete and ignored"),
  // Any string: compose-go normalizes it (`My.App` is project `myapp`), see project-name.ts.
  name: ok(str()),
  include: ok(list(includeSchema)),
  services: ok(union(nul, named(union(nul, serviceSchema)))),
  models: refused("AI models are not supported by Slipway yet."),
  networks: ok(union(nul, named(union(nul, networkSchema)))),
  volumes: ok(union(nul, named(union(nul, volumeSchema)))),
  secrets: ok(union(nul, named(secretSchema))),
  configs: ok(union(nul, named(configSchema))),
});
