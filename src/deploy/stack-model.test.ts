import { test } from "node:test";
import assert from "node:assert/strict";
import { projectFromYaml } from "../compose/runner/test-support.ts";
import { buildStackModel, healthWorstCase, specHash, StackLabel, type StackModelInput } from "./stack-model.ts";

const DIGEST = `sha256:${"a".repeat(64)}`;
const pin = (...services: string[]) => new Map(services.map((s) => [s, `127.0.0.1:5003/app/${s}@${DIGEST}`]));
const S = 1_000_000_000;

async function model(yaml: string, images = pin("web"), extra: Partial<StackModelInput> = {}) {
  const project = await projectFromYaml(yaml, "proj");
  return { project, model: buildStackModel({ project, stack: "shop", images, ...extra }) };
}

test("a service becomes docker stack's service: <stack>_<service>, the namespace label, the pinned image, command as Args and entrypoint as Command", async () => {
  const { model: m } = await model(`
services:
  web:
    image: nginx:1.25
    entrypoint: ["/docker-entrypoint.sh"]
    command: ["nginx", "-g", "daemon off;"]
    environment: { B: "2", A: "1" }
    labels: { team: web }
    working_dir: /srv
    user: "101"
    init: true
    stop_grace_period: 20s
`);
  assert.deepEqual(m.errors, []);
  const [web] = m.services;
  assert.equal(web!.spec.Name, "shop_web");
  assert.equal(web!.spec.Labels[StackLabel.namespace], "shop");
  assert.equal(web!.spec.Labels[StackLabel.service], "web");
  const c = web!.spec.TaskTemplate.ContainerSpec;
  assert.equal(c.Image, `127.0.0.1:5003/app/web@${DIGEST}`);
  assert.deepEqual(c.Command, ["/docker-entrypoint.sh"]);
  assert.deepEqual(c.Args, ["nginx", "-g", "daemon off;"]);
  assert.deepEqual(c.Env, ["A=1", "B=2"], "sorted: the same file hashes the same");
  assert.deepEqual(c.Labels, { team: "web", [StackLabel.namespace]: "shop" });
  assert.equal(c.Dir, "/srv");
  assert.equal(c.User, "101");
  assert.equal(c.Init, true);
  assert.equal(c.StopGracePeriod, 20 * S);
  assert.deepEqual(web!.spec.Mode, { Replicated: { Replicas: 1 } });
  assert.deepEqual(web!.spec.TaskTemplate.Networks, [{ Target: "shop_default", Aliases: ["web"] }]);
  assert.deepEqual(m.networks.map((n) => [n.key, n.name, n.driver]), [["default", "shop_default", "overlay"]]);
});

test("deploy: replicas, global, resources, restart policy, placement, update and rollback config, endpoint mode and host-mode ports", async () => {
  const { model: m } = await model(`
services:
  web:
    image: nginx
    ports: [{ target: 80, published: 8080, mode: host }]
    healthcheck: { test: ["CMD", "true"], interval: 2s, retries: 3, start_period: 1s }
    deploy:
      replicas: 3
      endpoint_mode: dnsrr
      labels: { tier: front }
      resources: { limits: { cpus: "0.5", memory: 64M, pids: 100 }, reservations: { memory: 32M } }
      restart_policy: { condition: on-failure, delay: 5s, max_attempts: 3 }
      placement: { constraints: ["node.role == worker"], preferences: [{ spread: node.labels.zone }], max_replicas_per_node: 1 }
      update_config: { parallelism: 2, delay: 1s, order: stop-first, failure_action: rollback, monitor: 10s }
  agent:
    image: busybox
    deploy: { mode: global }
`, pin("web", "agent"));
  const web = m.services.find((s) => s.service === "web")!.spec;
  assert.deepEqual(web.Mode, { Replicated: { Replicas: 3 } });
  assert.equal(web.Labels["tier"], "front");
  assert.deepEqual(web.TaskTemplate.Resources, { Limits: { NanoCPUs: 500_000_000, MemoryBytes: 64 * 1024 * 1024, Pids: 100 }, Reservations: { MemoryBytes: 32 * 1024 * 1024 } });
  assert.deepEqual(web.TaskTemplate.RestartPolicy, { Condition: "on-failure", Delay: 5 * S, MaxAttempts: 3 });
  assert.deepEqual(web.TaskTemplate.Placement, { Constraints: ["node.role == worker"], Preferences: [{ Spread: { SpreadDescriptor: "node.labels.zone" } }], MaxReplicas: 1 });
  assert.deepEqual(web.UpdateConfig, { Parallelism: 2, Delay: S, FailureAction: "rollback", Monitor: 10 * S, Order: "stop-first" });
  assert.deepEqual(web.EndpointSpec, { Mode: "dnsrr", Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "host" }] });
  assert.deepEqual(web.TaskTemplate.ContainerSpec.Healthcheck, { Test: ["CMD", "true"], Interval: 2 * S, Retries: 3, StartPeriod: S });
  assert.deepEqual(m.services.find((s) => s.service === "agent")!.spec.Mode, { Global: {} });
});

test("unset update settings: roll back on failure, stop-first, one at a time, and a monitor as long as the healthcheck's worst case plus 1 s", async () => {
  const { model: m } = await model(`
services:
  web:
    image: nginx
    healthcheck: { test: ["CMD", "true"], interval: 2s, retries: 4, start_period: 3s }
`);
  const web = m.services[0]!;
  assert.equal(web.healthWorstCaseNs, 11 * S);
  assert.deepEqual(web.spec.UpdateConfig, { Parallelism: 1, FailureAction: "rollback", Monitor: 12 * S, Order: "stop-first" });
  assert.deepEqual(web.spec.RollbackConfig, web.spec.UpdateConfig);
});

test("restart: converts as docker stack does when deploy.restart_policy is unset", async () => {
  const { model: m } = await model(`
services:
  a: { image: busybox, restart: "no" }
  b: { image: busybox, restart: always }
  c: { image: busybox, restart: "on-failure:4" }
  d: { image: busybox }
`, pin("a", "b", "c", "d"));
  const policy = (s: string) => m.services.find((x) => x.service === s)!.spec.TaskTemplate.RestartPolicy;
  assert.deepEqual(policy("a"), { Condition: "none" });
  assert.deepEqual(policy("b"), { Condition: "any" });
  assert.deepEqual(policy("c"), { Condition: "on-failure", MaxAttempts: 4 });
  assert.equal(policy("d"), undefined, "Swarm's own default (any)");
});

test("volumes, secrets and configs: stack-named unless external or named; file mounts with their targets and modes", async () => {
  const { model: m } = await model(`
services:
  web:
    image: nginx
    volumes: ["data:/data", "shared:/shared:ro", { type: tmpfs, target: /tmp, tmpfs: { size: 1000 } }]
    secrets: [db_password, { source: api_key, target: key, mode: 0400 }]
    configs: [{ source: site, target: /etc/nginx/conf.d/site.conf }]
volumes:
  data: {}
  shared: { external: true, name: team_shared }
secrets:
  db_password: { environment: DB_PASSWORD }
  api_key: { external: true, name: prod_api_key }
configs:
  site: { content: "server {}" }
`, pin("web"), {});
  const c = m.services[0]!.spec.TaskTemplate.ContainerSpec;
  assert.deepEqual(c.Mounts?.map((x) => [x.Type, x.Source, x.Target, x.ReadOnly ?? false]), [
    ["volume", "shop_data", "/data", false],
    ["volume", "team_shared", "/shared", true],
    ["tmpfs", undefined, "/tmp", false],
  ]);
  assert.deepEqual(c.Secrets, [
    { File: { Name: "/run/secrets/db_password", UID: "0", GID: "0", Mode: 0o444 }, Name: "shop_db_password" },
    { File: { Name: "key", UID: "0", GID: "0", Mode: 0o400 }, Name: "prod_api_key" },
  ]);
  assert.deepEqual(c.Configs, [{ File: { Name: "/etc/nginx/conf.d/site.conf", UID: "0", GID: "0", Mode: 0o444 }, Name: "shop_site" }]);
  assert.deepEqual(m.secrets.map((s) => [s.key, s.name, s.external, s.source]), [
    ["api_key", "prod_api_key", true, undefined],
    ["db_password", "shop_db_password", false, { environment: "DB_PASSWORD" }],
  ]);
  assert.deepEqual(m.configs.map((s) => [s.key, s.name, s.source]), [["site", "shop_site", { content: "server {}" }]]);
});

test("an image that is not pinned by digest is an error, never deployed; a digest in the file itself is taken", async () => {
  const { model: m } = await model(`
services:
  web: { image: nginx:1.25 }
  db: { image: "postgres@${DIGEST}" }
`, new Map());
  assert.deepEqual(m.services.map((s) => s.service), ["db"]);
  assert.equal(m.errors.length, 1);
  assert.match(m.errors[0]!.message, /web: its image nginx:1\.25 is not pinned by digest/);
  assert.equal(m.errors[0]!.path, "services.web.image");
});

test("keys that mean nothing to Swarm are warnings at their place in the file, with what to do instead", async () => {
  const places: string[][] = [];
  const { model: m } = await model(
    `
services:
  web:
    image: nginx
    build: .
    container_name: web
    privileged: true
    ports: ["127.0.0.1:8080:80"]
    depends_on: [db]
  db: { image: postgres }
`,
    pin("web", "db"),
    { locate: (keys) => (places.push([...keys]), { file: "compose.yaml", line: 42, column: 5 }) },
  );
  const byPath = Object.fromEntries(m.warnings.map((w) => [w.path, w]));
  assert.deepEqual(Object.keys(byPath).sort(), ["services.web.build", "services.web.container_name", "services.web.depends_on", "services.web.ports", "services.web.privileged"]);
  assert.match(byPath["services.web.build"]!.message, /means nothing to Swarm.*digest/);
  assert.match(byPath["services.web.ports"]!.message, /host_ip 127\.0\.0\.1 is ignored/);
  assert.deepEqual(byPath["services.web.build"]!.place, { file: "compose.yaml", line: 42, column: 5 });
  assert.ok(places.some((p) => p.join(".") === "services.web.build"));
});

test("the spec hash: the same file gives the same hash; a change anywhere in the spec changes it; it is in the service's labels", async () => {
  const yaml = (v: string) => `
services:
  web: { image: nginx, environment: { V: "${v}" } }
`;
  const [one, again, other] = await Promise.all([model(yaml("1")), model(yaml("1")), model(yaml("2"))]);
  const hash = (x: typeof one) => x.model.services[0]!.hash;
  assert.equal(hash(one), hash(again));
  assert.notEqual(hash(one), hash(other));
  assert.equal(one.model.services[0]!.spec.Labels[StackLabel.specHash], hash(one));
  assert.equal(specHash({ b: 1, a: [1, { d: 2, c: 3 }] }), specHash({ a: [1, { c: 3, d: 2 }], b: 1 }), "key order does not matter");
});

test("healthWorstCase: start period + interval × retries, Swarm's defaults for what is unset; none without a test", () => {
  assert.equal(healthWorstCase({ test: ["CMD", "true"], disable: false }), 90 * S);
  assert.equal(healthWorstCase({ test: ["CMD", "true"], interval: S, retries: 2, start_period: 5 * S, disable: false }), 7 * S);
  assert.equal(healthWorstCase({ test: ["NONE"], disable: false }), undefined);
  assert.equal(healthWorstCase({ disable: true }), undefined);
  assert.equal(healthWorstCase(undefined), undefined);
});

test("with the loader's locator, a warning names the file, line and column of its key", async () => {
  const { mkdtemp, writeFile, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const path = await import("node:path");
  const { loadProject } = await import("../compose/load/index.ts");
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-stack-"));
  try {
    await writeFile(path.join(dir, "compose.yaml"), "services:\n  web:\n    image: nginx\n    build: .\n");
    let locate: ((keys: readonly string[]) => { file?: string; line?: number; column?: number }) | undefined;
    const project = await loadProject({ workingDir: dir, projectName: "p", env: {}, onLocate: (l) => (locate = l) });
    const m = buildStackModel({ project, stack: "s", images: pin("web"), ...(locate ? { locate } : {}) });
    assert.deepEqual(m.warnings.map((w) => [w.path, w.place?.file, w.place?.line, w.place?.column]), [["services.web.build", "compose.yaml", 4, 5]]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a service whose file has no healthcheck takes its image's HEALTHCHECK for the monitor, and does not copy it into the spec (the image carries it)", async () => {
  const imageHealthchecks = new Map([["web", { test: ["CMD-SHELL", "true"], interval: 2 * S, retries: 3, disable: false }]]);
  const { model: m } = await model(`
services:
  web:
    image: nginx
`, pin("web"), { imageHealthchecks });
  const web = m.services[0]!;
  assert.equal(web.healthWorstCaseNs, 6 * S);
  assert.equal(web.spec.UpdateConfig.Monitor, 7 * S);
  assert.equal(web.spec.TaskTemplate.ContainerSpec.Healthcheck, undefined);
  const written = await model(`
services:
  web:
    image: nginx
    healthcheck: { test: ["CMD", "true"], interval: 1s, retries: 2 }
`, pin("web"), { imageHealthchecks });
  assert.equal(written.model.services[0]!.healthWorstCaseNs, 2 * S, "the file's own healthcheck wins");
});

test("with their content's hash, secrets and configs Slipway names become generations (<stack>_<key>_<hash>), which the services mount; external and `name:` ones keep their names", async () => {
  const H = "0123456789abcdef".repeat(4);
  const contentHashes = new Map([["secret:db_password", H], ["secret:api_key", H], ["secret:named", H], ["config:site", H]]);
  const { model: m } = await model(`
services:
  web:
    image: nginx
    secrets: [db_password, api_key, named]
    configs: [site]
secrets:
  db_password: { environment: DB_PASSWORD }
  api_key: { external: true, name: prod_api_key }
  named: { file: ./x, name: my_named_secret }
configs:
  site: { content: "server {}" }
`, pin("web"), { contentHashes });
  const c = m.services[0]!.spec.TaskTemplate.ContainerSpec;
  assert.deepEqual(c.Secrets?.map((s) => s.Name), ["shop_db_password_0123456789ab", "prod_api_key", "my_named_secret"]);
  assert.deepEqual(c.Configs?.map((s) => s.Name), ["shop_site_0123456789ab"]);
  const db = m.secrets.find((s) => s.key === "db_password")!;
  assert.equal(db.name, "shop_db_password_0123456789ab");
  assert.equal(db.labels[StackLabel.contentHash], H);
  assert.equal(db.labels[StackLabel.objectKey], "db_password");
  assert.equal(m.secrets.find((s) => s.key === "api_key")!.labels[StackLabel.contentHash], undefined, "external: not Slipway's to hash");
  assert.equal(m.secrets.find((s) => s.key === "named")!.labels[StackLabel.contentHash], H, "a written name keeps its name, and its content's hash is labelled");
  const long = await model(`
services:
  web: { image: nginx, secrets: [a_very_long_secret_key_name_that_goes_on_and_on_and_on] }
secrets:
  a_very_long_secret_key_name_that_goes_on_and_on_and_on: { environment: X }
`, pin("web"), { contentHashes: new Map([["secret:a_very_long_secret_key_name_that_goes_on_and_on_and_on", H]]) });
  const name = long.model.secrets[0]!.name;
  assert.ok(name.length <= 64 && name.endsWith("_0123456789ab"), name);
});
