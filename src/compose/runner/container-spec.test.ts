import { test } from "node:test";
import assert from "node:assert/strict";
import { buildContainerSpec, fileMountTarget } from "./container-spec.ts";
import { projectFromYaml } from "./test-support.ts";

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
  assert.deepEqual(b.NetworkingConfig!.EndpointsConfig!["demo_default"]!.Aliases, ["web"]);
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

test("one-off overrides: command, no published ports, no restart, oneoff labels", async () => {
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
  assert.deepEqual(spec.body.HostConfig!.RestartPolicy, { Name: "no" });
  assert.equal(spec.body.Labels!["com.docker.compose.oneoff"], "True");
});

test("secrets and configs: file-backed are read-only binds, content-backed are copied", async () => {
  const project = await projectFromYaml(`
services:
  app:
    image: busybox
    secrets: [token, { source: cert, target: tls.pem, mode: 0400 }]
    configs: [{ source: conf, target: /etc/app.conf }]
secrets:
  token: { file: ./token.txt }
  cert: { environment: CERT }
configs:
  conf: { content: "hello" }
`);
  const spec = buildContainerSpec({ ...base, project, service: project.services["app"]!, apiVersion: "1.41" });
  assert.ok(spec.body.HostConfig!.Binds!.some((b) => b.endsWith("/token.txt:/run/secrets/token:ro")));
  assert.deepEqual(spec.copies.map((c) => [c.target, c.mode]).sort(), [["/etc/app.conf", 0o444], ["/run/secrets/tls.pem", 0o400]]);
  assert.equal(fileMountTarget("config", { source: "x" }), "/x");
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
