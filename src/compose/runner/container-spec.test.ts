import { test } from "node:test";
import path from "node:path";
import assert from "node:assert/strict";
import { buildContainerSpec, fileMountTarget } from "./container-spec.ts";
import { projectFromYaml } from "./test-support.ts";
import { SlipwayError } from "../../errors/index.ts";

const base = { index: 1, name: "demo-web-1", image: "sha256:abc", configHash: "h", runLabels: { "dev.slipway.run": "r1" } };

test("a typical service becomes the create body compose would send", async () => {
  const project = await projectFromYaml(`
services:
  web:
    image: nginx:1.22
    command: nginx -g "daemon off;"
    environment: { A: "1", EMPTY: "" }
    ports: ["127.0.0.1:8080:80", "9000"]
    init: true
    restart: on-failure:3
    user: "1000:1000"
    working_dir: /srv
    read_only: true
    cap_add: [NET_ADMIN]
    extra_hosts: ["db.local:10.0.0.1"]
    stop_grace_period: 2s
    stop_signal: SIGQUIT
    healthcheck:
      test: curl -f http://localhost/
      interval: 1s
      retries: 3
      start_period: 5s
`);
  const spec = buildContainerSpec({ ...base, project, service: project.services["web"]!, apiVersion: "1.41" });
  const b = spec.body;
  assert.equal(b.Image, "sha256:abc");
  assert.deepEqual(b.Cmd, ["nginx", "-g", "daemon off;"]);
  assert.deepEqual(b.Env!.sort(), ["A=1", "EMPTY="]);
  assert.deepEqual(b.HostConfig!.PortBindings, { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }], "9000/tcp": [{ HostPort: "" }] });
  assert.deepEqual(b.HostConfig!.RestartPolicy, { Name: "on-failure", MaximumRetryCount: 3 });
  assert.equal(b.HostConfig!.Init, true);
  assert.equal(b.HostConfig!.ReadonlyRootfs, true);
  assert.deepEqual(b.HostConfig!.ExtraHosts, ["db.local:10.0.0.1"]);
  assert.equal(b.User, "1000:1000");
  assert.equal(b.WorkingDir, "/srv");
  assert.equal(b.StopTimeout, 2);
  assert.equal(b.StopSignal, "SIGQUIT");
  assert.deepEqual(b.Healthcheck, { Test: ["CMD-SHELL", "curl -f http://localhost/"], Interval: 1e9, Retries: 3, StartPeriod: 5e9 });
  assert.equal(b.HostConfig!.NetworkMode, "demo_default");
  // As compose v2: the container's own name first, then the service's.
  assert.deepEqual(b.NetworkingConfig!.EndpointsConfig!["demo_default"]!.Aliases, ["demo-web-1", "web"]);
  assert.equal(b.Labels!["com.docker.compose.project"], "demo");
  assert.equal(b.Labels!["com.docker.compose.service"], "web");
  assert.equal(b.Labels!["dev.slipway.run"], "r1");
  assert.equal(b.Labels!["com.docker.compose.oneoff"], "False");
});

test("API 1.41 gets one network at create and connects the rest; 1.44 gets all", async () => {
  const project = await projectFromYaml(`
services:
  app:
    image: busybox
    networks:
      front: { aliases: [api] }
      back: {}
networks: { front: {}, back: {} }
`);
  const old = buildContainerSpec({ ...base, project, service: project.services["app"]!, apiVersion: "1.41" });
  assert.equal(Object.keys(old.body.NetworkingConfig!.EndpointsConfig!).length, 1);
  assert.equal(old.connectAfterCreate.length, 1);
  const fresh = buildContainerSpec({ ...base, project, service: project.services["app"]!, apiVersion: "1.44" });
  assert.equal(Object.keys(fresh.body.NetworkingConfig!.EndpointsConfig!).length, 2);
  assert.equal(fresh.connectAfterCreate.length, 0);
  const all = [...Object.values(old.body.NetworkingConfig!.EndpointsConfig!), ...old.connectAfterCreate.map((a) => a.endpoint)];
  assert.ok(all.some((e) => e.Aliases!.includes("api")));
});

test("start_interval is sent only where the API has it, with a warning otherwise", async () => {
  const project = await projectFromYaml(`
services:
  db:
    image: postgres:15
    healthcheck: { test: ["CMD", "pg_isready"], start_interval: 200ms, interval: 5s }
`);
  const old = buildContainerSpec({ ...base, project, service: project.services["db"]!, apiVersion: "1.41" });
  assert.equal(old.body.Healthcheck!.StartInterval, undefined);
  assert.match(old.warnings[0]!, /start_interval needs Engine API 1.44/);
  const fresh = buildContainerSpec({ ...base, project, service: project.services["db"]!, apiVersion: "1.45" });
  assert.equal(fresh.body.Healthcheck!.StartInterval, 200_000_000);
  assert.equal(fresh.warnings.length, 0);
});

test("volumes: named → Mount with the project-scoped name, bind → Binds, tmpfs → Mount", async () => {
  const project = await projectFromYaml(`
services:
  db:
    image: postgres:15
    volumes:
      - data:/var/lib/postgresql/data
      - ./init:/docker-entrypoint-initdb.d:ro
      - type: tmpfs
        target: /tmp
volumes: { data: {} }
`);
  const spec = buildContainerSpec({ ...base, project, service: project.services["db"]!, apiVersion: "1.41" });
  const mounts = spec.body.HostConfig!.Mounts!;
  assert.deepEqual(mounts.find((m) => m.Type === "volume"), { Type: "volume", Source: "demo_data", Target: "/var/lib/postgresql/data", ReadOnly: false });
  assert.ok(mounts.some((m) => m.Type === "tmpfs" && m.Target === "/tmp"));
  assert.equal(spec.body.HostConfig!.Binds!.length, 1);
  assert.match(spec.body.HostConfig!.Binds![0]!, /\/init:\/docker-entrypoint-initdb\.d:ro$/);
});

test("one-off overrides: command, no published ports, an empty restart policy (as compose sends it), oneoff labels", async () => {
  const project = await projectFromYaml(`
services:
  app:
    image: busybox
    restart: always
    ports: ["8080:80"]
`);
  const spec = buildContainerSpec({ ...base, project, service: project.services["app"]!, apiVersion: "1.41", oneoff: { command: ["echo", "hi"] } });
  assert.deepEqual(spec.body.Cmd, ["echo", "hi"]);
  assert.equal(spec.body.HostConfig!.PortBindings, undefined);
  assert.deepEqual(spec.body.HostConfig!.RestartPolicy, { Name: "" });
  assert.equal(spec.body.Labels!["com.docker.compose.oneoff"], "True");
});

test("secrets and configs: file-backed are read-only binds unless they ask for a mode or owner, the rest are copied", async () => {
  const yaml = `
services:
  app:
    image: busybox
    secrets: [token, { source: cert, target: tls.pem, mode: 0400 }, { source: key, uid: "1000" }]
    configs: [{ source: conf, target: /etc/app.conf }]
secrets:
  token: { file: ./token.txt }
  key: { file: ./key.pem }
  cert: { environment: CERT }
configs:
  conf: { content: "hello" }
`;
  const project = await projectFromYaml(yaml, "demo", { CERT: "pem" });
  const spec = buildContainerSpec({ ...base, project, service: project.services["app"]!, apiVersion: "1.41" });
  assert.ok(spec.body.HostConfig!.Binds!.some((b) => b.endsWith("/token.txt:/run/secrets/token:ro")));
  assert.deepEqual(spec.copies.map((c) => [c.target, c.mode, "content" in c.source ? c.source.content : path.basename(c.source.file)]).sort(), [
    ["/etc/app.conf", 0o444, "hello"],
    ["/run/secrets/key", 0o444, "key.pem"],
    ["/run/secrets/tls.pem", 0o400, "pem"],
  ]);
  assert.equal(fileMountTarget("config", { source: "x" }), "/x");
  // An unset variable is an error (not an empty file), as is an external secret outside a swarm.
  const unset = await projectFromYaml(yaml);
  assert.throws(() => buildContainerSpec({ ...base, project: unset, service: unset.services["app"]!, apiVersion: "1.41" }), (e: unknown) => e instanceof SlipwayError && e.code === "SECRET_UNSET" && /used by service app/.test(e.message));
  const external = await projectFromYaml("services:\n  app:\n    image: busybox\n    secrets: [s]\nsecrets:\n  s: { external: true }\n");
  assert.throws(() => buildContainerSpec({ ...base, project: external, service: external.services["app"]!, apiVersion: "1.41" }), (e: unknown) => e instanceof SlipwayError && e.code === "SECRET_EXTERNAL" && e.kind === "config");
});

test("resource, runtime and link keys reach the create body; deploy.resources and restart_policy apply when the service's own keys are unset", async () => {
  const project = await projectFromYaml(`
services:
  db: { image: busybox }
  app:
    image: busybox
    cpu_shares: 512
    cpuset: "0"
    mem_reservation: 64m
    memswap_limit: 256m
    mem_swappiness: 10
    oom_score_adj: 100
    runtime: runc
    cgroup: private
    device_cgroup_rules: ["c 1:3 mr"]
    storage_opt: { size: 1G }
    blkio_config: { weight: 300, device_read_bps: [{ path: /dev/sda, rate: 1mb }] }
    annotations: { com.example.a: "1" }
    expose: ["3000-3002/udp"]
    links: ["db:database"]
    external_links: ["legacy"]
    logging: { options: { max-size: 1m } }
    networks:
      default: { link_local_ips: ["169.254.8.8"], driver_opts: { a: b } }
    deploy:
      resources: { limits: { cpus: "0.5", memory: 128m, pids: 50 } }
      restart_policy: { condition: on-failure, max_attempts: 3 }
`);
  const spec = buildContainerSpec({ ...base, project, service: project.services["app"]!, apiVersion: "1.41" });
  const h = spec.body.HostConfig!;
  assert.deepEqual(
    [h.CpuShares, h.CpusetCpus, h.MemoryReservation, h.MemorySwap, h.MemorySwappiness, h.OomScoreAdj, h.Runtime, h.CgroupnsMode],
    [512, "0", 64 * 1024 * 1024, 256 * 1024 * 1024, 10, 100, "runc", "private"],
  );
  assert.deepEqual([h.Memory, h.NanoCpus, h.PidsLimit], [128 * 1024 * 1024, 500_000_000, 50]);
  assert.deepEqual(h.RestartPolicy, { Name: "on-failure", MaximumRetryCount: 3 });
  assert.deepEqual(h.DeviceCgroupRules, ["c 1:3 mr"]);
  assert.deepEqual(h.StorageOpt, { size: "1G" });
  assert.deepEqual([h.BlkioWeight, h.BlkioDeviceReadBps], [300, [{ Path: "/dev/sda", Rate: 1024 * 1024 }]]);
  assert.equal(h.Annotations, undefined, "API 1.41 has no annotations…");
  assert.ok(spec.warnings.some((w) => /annotations need Engine API 1\.43/.test(w)), "…and says so");
  assert.deepEqual(h.LogConfig, { Type: "", Config: { "max-size": "1m" } });
  assert.deepEqual(Object.keys(spec.body.ExposedPorts ?? {}).sort(), ["3000/udp", "3001/udp", "3002/udp"]);
  const endpoint = spec.body.NetworkingConfig!.EndpointsConfig!["demo_default"]!;
  assert.deepEqual(endpoint.Links, ["demo-db-1:database", "legacy:legacy"]);
  assert.deepEqual(endpoint.IPAMConfig?.LinkLocalIPs, ["169.254.8.8"]);
  assert.deepEqual(endpoint.DriverOpts, { a: "b" });
  const newer = buildContainerSpec({ ...base, project, service: project.services["app"]!, apiVersion: "1.44" });
  assert.deepEqual(newer.body.HostConfig!.Annotations, { "com.example.a": "1" });
});

test("a long-syntax bind without create_host_path is a Mount (must exist), the short syntax a Bind (created)", async () => {
  const project = await projectFromYaml(`
services:
  app:
    image: busybox
    volumes:
      - ./created:/a
      - { type: bind, source: ./must-exist, target: /b }
`);
  const spec = buildContainerSpec({ ...base, project, service: project.services["app"]!, apiVersion: "1.41" });
  assert.equal(spec.body.HostConfig!.Binds!.length, 1);
  assert.match(spec.body.HostConfig!.Binds![0]!, /\/created:\/a:rw$/);
  assert.ok(spec.body.HostConfig!.Mounts!.some((m) => m.Type === "bind" && m.Target === "/b"));
});

test("service: namespaces and volumes_from name the referenced service's first container (its container_name when set)", async () => {
  const project = await projectFromYaml(`
services:
  app: { image: busybox, container_name: the-app }
  db: { image: busybox }
  sidecar:
    image: busybox
    network_mode: "service:app"
    ipc: "service:db"
    pid: "service:db"
    uts: host
    volumes_from: ["app:ro", "db", "container:outside:rw"]
`);
  const service = project.services["sidecar"]!;
  const spec = buildContainerSpec({ project, service, index: 1, name: "demo-sidecar-1", image: "busybox", configHash: "x", runLabels: {}, apiVersion: "1.41" });
  const host = spec.body.HostConfig!;
  assert.equal(host.NetworkMode, "container:the-app");
  assert.equal(host.IpcMode, "container:demo-db-1");
  assert.equal(host.PidMode, "container:demo-db-1");
  assert.equal(host.UTSMode, "host");
  assert.deepEqual(host.VolumesFrom, ["the-app:ro", "demo-db-1", "outside:rw"]);
});

test("restart policies as compose v2 sends them: none set is empty; deploy.restart_policy maps none, any, on-failure", async () => {
  const project = await projectFromYaml(`
services:
  unset: { image: busybox }
  no: { image: busybox, restart: "no" }
  always: { image: busybox, restart: always }
  none: { image: busybox, deploy: { restart_policy: { condition: none } } }
  any: { image: busybox, restart: "no", deploy: { restart_policy: { condition: any } } }
  bare: { image: busybox, deploy: { restart_policy: { delay: 5s } } }
`);
  const policy = (s: string) => buildContainerSpec({ ...base, project, service: project.services[s]!, apiVersion: "1.41" }).body.HostConfig!.RestartPolicy;
  assert.deepEqual(policy("unset"), { Name: "" });
  assert.deepEqual(policy("no"), { Name: "no" });
  assert.deepEqual(policy("always"), { Name: "always" });
  assert.deepEqual(policy("none"), { Name: "no" });
  assert.deepEqual(policy("any"), { Name: "always" }, "deploy.restart_policy wins over restart");
  assert.deepEqual(policy("bare"), { Name: "" });
});

test("compose's image label holds the image's ID when it is known; a one-off carries its slug", async () => {
  const project = await projectFromYaml(`
services:
  web: { image: busybox:latest }
`);
  const service = project.services["web"]!;
  const named = buildContainerSpec({ ...base, image: "busybox:latest", imageId: "sha256:0123", project, service, apiVersion: "1.41" });
  assert.equal(named.body.Image, "busybox:latest");
  assert.equal(named.body.Labels!["com.docker.compose.image"], "sha256:0123");
  assert.equal(named.body.Labels!["com.docker.compose.slug"], undefined);
  const dry = buildContainerSpec({ ...base, image: "busybox:latest", project, service, apiVersion: "1.41" });
  assert.equal(dry.body.Labels!["com.docker.compose.image"], "", "no ID yet (a dry run)");
  const slug = "ab".repeat(32);
  const oneoff = buildContainerSpec({ ...base, name: `demo-web-run-${slug.slice(0, 12)}`, project, service, apiVersion: "1.41", oneoff: { slug } });
  assert.equal(oneoff.body.Labels!["com.docker.compose.slug"], slug);
});

test("every network's aliases: the container's name, the service's, then the network's own", async () => {
  const project = await projectFromYaml(`
services:
  web:
    image: busybox
    networks:
      front: { aliases: [www] }
      back: {}
networks: { front: {}, back: {} }
`);
  const spec = buildContainerSpec({ ...base, project, service: project.services["web"]!, apiVersion: "1.44" });
  const aliases = Object.fromEntries(Object.entries(spec.body.NetworkingConfig!.EndpointsConfig!).map(([n, e]) => [n, e.Aliases]));
  assert.deepEqual(aliases, { demo_back: ["demo-web-1", "web"], demo_front: ["demo-web-1", "web", "www"] });
  const old = buildContainerSpec({ ...base, project, service: project.services["web"]!, apiVersion: "1.41" });
  assert.deepEqual(old.connectAfterCreate.map((a) => a.endpoint.Aliases), [["demo-web-1", "web", "www"]], "connected after create on engines before 1.44");
});
