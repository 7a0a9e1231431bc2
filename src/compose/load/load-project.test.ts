import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigFileError } from "../../yaml/issues.ts";
import { loadProject } from "./load-project.ts";
import { normalizeProjectName } from "./project-name.ts";
import { load, loadIssues, writeTree } from "./test-support.ts";

const web = "services:\n  web:\n    image: nginx\n";

describe("file discovery", () => {
  it("finds compose.yaml in a parent directory and uses that as project dir", async () => {
    const dir = await writeTree({ "compose.yaml": web, "sub/deeper/.keep": "" });
    const p = await loadProject({ workingDir: path.join(dir, "sub", "deeper"), env: {} });
    assert.deepEqual(p.configFiles, [path.join(dir, "compose.yaml")]);
    assert.equal(p.workingDir, dir);
    assert.equal(p.name, "proj");
  });
  it("prefers compose.yaml over docker-compose.yml and adds the override file", async () => {
    const dir = await writeTree({ "compose.yaml": web, "docker-compose.yml": "services: {}\n", "docker-compose.override.yml": "services:\n  web:\n    user: u\n" });
    const p = await loadProject({ workingDir: dir, env: {} });
    assert.deepEqual(p.configFiles.map((f) => path.basename(f)), ["compose.yaml", "docker-compose.override.yml"]);
    assert.equal(p.services["web"]?.user, "u");
  });
  it("honours COMPOSE_FILE with the path separator", async () => {
    const dir = await writeTree({ "a.yml": web, "b.yml": "services:\n  web:\n    user: b\n", "compose.yaml": "services: {}\n" });
    const p = await loadProject({ workingDir: dir, env: { COMPOSE_FILE: "a.yml:b.yml" } });
    assert.equal(p.services["web"]?.user, "b");
  });
  it("reads COMPOSE_FILE from .env", async () => {
    const dir = await writeTree({ "a.yml": web, ".env": "COMPOSE_FILE=a.yml\n" });
    const p = await loadProject({ workingDir: dir, env: {} });
    assert.equal(path.basename(p.configFiles[0] ?? ""), "a.yml");
  });
  it("fails clearly when there is no compose file", async () => {
    const dir = await writeTree({ ".keep": "" });
    await assert.rejects(loadProject({ workingDir: dir, env: {} }), (e: unknown) => e instanceof ConfigFileError && /no compose file found/.test(e.message) && e.kind === "config");
  });
  it("fails clearly for a missing -f file", async () => {
    await assert.rejects(load({ "compose.yaml": web }, { files: ["nope.yml"] }), /cannot read compose file .*nope.yml: no such file/);
  });
});

describe("environment and env files", () => {
  const file = "services:\n  web:\n    image: nginx:${TAG}\n    environment:\n      A: ${A}\n";
  it("reads .env from the project directory", async () => {
    const p = await load({ "compose.yaml": file, ".env": "TAG=1\nA=from-dotenv\n" });
    assert.equal(p.services["web"]?.image, "nginx:1");
  });
  it("the shell environment wins over env files", async () => {
    const p = await load({ "compose.yaml": file, ".env": "TAG=1\nA=dot\n" }, { env: { A: "shell" } });
    assert.equal(p.services["web"]?.environment["A"], "shell");
  });
  it("--env-file replaces .env and later files win", async () => {
    const p = await load({ "compose.yaml": file, ".env": "TAG=dot\n", "one.env": "TAG=1\nA=one\n", "two.env": "A=two\n" }, { envFiles: ["one.env", "two.env"] });
    assert.equal(p.services["web"]?.image, "nginx:1");
    assert.equal(p.services["web"]?.environment["A"], "two");
  });
  it("parses quotes, export, comments and references in env files", async () => {
    const p = await load({
      "compose.yaml": "services:\n  web:\n    image: x\n    environment: [A, B, C, D, E]\n",
      ".env": "# comment\nexport A=1\nB='lit $A'\nC=\"q ${A}\\n\"\nD=plain # trailing\nE=${A}${A}\n",
    });
    assert.deepEqual(p.services["web"]?.environment, { A: "1", B: "lit $A", C: "q 1\n", D: "plain", E: "11" });
  });
  it("env_file on a service feeds environment; environment wins", async () => {
    const p = await load({ "compose.yaml": "services:\n  web:\n    image: x\n    env_file: [app.env]\n    environment: {B: env}\n", "app.env": "A=file\nB=file\n" });
    assert.deepEqual(p.services["web"]?.environment, { A: "file", B: "env" });
  });
  it("a missing required env_file is an error; optional ones are skipped", async () => {
    const issues = await loadIssues({ "compose.yaml": "services:\n  web:\n    image: x\n    env_file: [missing.env]\n" });
    assert.match(issues[0]?.message ?? "", /env file .*missing.env not found/);
    const p = await load({ "compose.yaml": "services:\n  web:\n    image: x\n    env_file: [{path: missing.env, required: false}]\n" });
    assert.deepEqual(p.services["web"]?.environment, {});
  });
});

describe("project name", () => {
  it("follows -p > COMPOSE_PROJECT_NAME > name: > directory", async () => {
    const files = { "compose.yaml": `name: fromfile\n${web}` };
    assert.equal((await load(files, { projectName: "flag", env: { COMPOSE_PROJECT_NAME: "env" } })).name, "flag");
    assert.equal((await load(files, { env: { COMPOSE_PROJECT_NAME: "env" } })).name, "env");
    assert.equal((await load(files)).name, "fromfile");
    assert.equal((await load({ "compose.yaml": web })).name, "proj");
  });
  it("normalizes a directory name and name:, but rejects an invalid -p or COMPOSE_PROJECT_NAME", async () => {
    assert.equal(normalizeProjectName("My.App_v2-X"), "myapp_v2-x");
    assert.equal(normalizeProjectName("__Hello"), "hello");
    await assert.rejects(load({ "compose.yaml": web }, { projectName: "Bad Name" }), /invalid project name "Bad Name"/);
    await assert.rejects(load({ "compose.yaml": web }, { env: { COMPOSE_PROJECT_NAME: "Bad.Name" } }), /invalid project name "Bad.Name"/);
    // compose-go normalizes the name of the file (loader.go projectName): `name: My.App` is `myapp`.
    assert.equal((await load({ "compose.yaml": `name: My.App\n${web}` })).name, "myapp");
    // One that normalizes to nothing falls back to the directory.
    assert.equal((await load({ "compose.yaml": `name: "..."\n${web}` })).name, "proj");
  });
  it("interpolates name: first, then gives every value COMPOSE_PROJECT_NAME", async () => {
    const files = {
      "compose.yaml": "name: ${APP:-shop}-${STAGE}\nservices:\n  web:\n    image: x\n    environment: [COMPOSE_PROJECT_NAME]\n    labels: {project: '${COMPOSE_PROJECT_NAME}'}\n",
      ".env": "STAGE=ci\n",
    };
    const p = await load(files);
    assert.equal(p.name, "shop-ci");
    assert.equal(p.services["web"]?.labels["project"], "shop-ci");
    assert.equal(p.services["web"]?.environment["COMPOSE_PROJECT_NAME"], "shop-ci");
    assert.equal((await load(files, { projectName: "flag" })).services["web"]?.labels["project"], "flag");
    assert.equal((await load({ "compose.yaml": "services:\n  web:\n    image: x\n    labels: {p: '${COMPOSE_PROJECT_NAME}'}\n" })).services["web"]?.labels["p"], "proj");
  });
  it("reports a bad interpolation in name: at its position", async () => {
    const issues = await loadIssues({ "compose.yaml": `name: \${NAME:?set NAME}\n${web}` });
    assert.equal(issues[0]?.path, "name");
    assert.equal(issues[0]?.line, 1);
  });
  it("derives a normalized name from an odd directory", async () => {
    const dir = await writeTree({ "compose.yaml": web }, "My Project.v2");
    assert.equal((await loadProject({ workingDir: dir, env: {} })).name, "myprojectv2");
  });
});

describe("profiles", () => {
  const files = {
    "compose.yaml": "services:\n  web:\n    image: x\n  debug:\n    image: x\n    profiles: [dev]\n  tools:\n    image: x\n    profiles: [ops]\n    depends_on: [helper]\n  helper:\n    image: x\n    profiles: [never]\n",
  };
  it("leaves services with profiles out unless enabled", async () => {
    const p = await load(files);
    assert.deepEqual(Object.keys(p.services), ["web"]);
    assert.deepEqual(Object.keys(p.disabledServices).sort(), ["debug", "helper", "tools"]);
  });
  it("enables by --profile or COMPOSE_PROFILES", async () => {
    assert.deepEqual(Object.keys((await load(files, { profiles: ["dev"] })).services).sort(), ["debug", "web"]);
    assert.deepEqual(Object.keys((await load(files, { env: { COMPOSE_PROFILES: "dev, ops,never" } })).services).sort(), ["debug", "helper", "tools", "web"]);
  });
  it("enables a service named explicitly, with its dependencies", async () => {
    assert.deepEqual(Object.keys((await load(files, { services: ["tools"] })).services).sort(), ["helper", "tools", "web"]);
  });
  it("an enabled service depending on a disabled one is an error naming the profile", async () => {
    const issues = await loadIssues(files, { profiles: ["ops"] });
    assert.match(issues[0]?.message ?? "", /depends on "helper", which is not enabled \(profiles: never\)/);
  });
});

describe("extends", () => {
  it("extends a service in the same file; local keys merge over it", async () => {
    const p = await load({
      "compose.yaml": "services:\n  base:\n    image: x\n    environment: {A: '1', B: '1'}\n    ports: ['80:80']\n  web:\n    extends: base\n    environment: {B: '2'}\n    ports: ['443:443']\n",
    });
    assert.equal(p.services["web"]?.image, "x");
    assert.deepEqual(p.services["web"]?.environment, { A: "1", B: "2" });
    assert.deepEqual(p.services["web"]?.ports.map((x) => x.target), [80, 443]);
  });
  it("extends a service of another file with paths relative to that file", async () => {
    const dir = await writeTree({
      "compose.yaml": "services:\n  web:\n    extends:\n      file: common/base.yml\n      service: app\n    image: web\n",
      "common/base.yml": "services:\n  app:\n    build: ./ctx\n    volumes: ['./data:/data']\n    env_file: [base.env]\n",
      "common/base.env": "FROM_BASE=1\n",
    });
    const p = await loadProject({ workingDir: dir, env: {} });
    const s = p.services["web"];
    assert.equal(s?.build?.context, path.join(dir, "common", "ctx"));
    assert.equal(s?.volumes[0]?.source, path.join(dir, "common", "data"));
    assert.equal(s?.environment["FROM_BASE"], "1");
  });
  it("follows chains and reports cycles and unknown bases", async () => {
    const chain = await load({ "compose.yaml": "services:\n  a:\n    image: x\n    user: a\n  b:\n    extends: a\n  c:\n    extends: {service: b}\n" });
    assert.equal(chain.services["c"]?.user, "a");
    const cyc = await loadIssues({ "compose.yaml": "services:\n  a:\n    extends: b\n  b:\n    extends: a\n" });
    assert.match(cyc[0]?.message ?? "", /extends cycle: a -> b -> a/);
    const unknown = await loadIssues({ "compose.yaml": "services:\n  a:\n    extends: nope\n" });
    assert.match(unknown[0]?.message ?? "", /extends refers to service "nope", which is not defined/);
    assert.equal(unknown[0]?.line, 3);
  });
});

describe("include", () => {
  it("imports services with paths relative to the included project", async () => {
    const dir = await writeTree({
      "compose.yaml": "include:\n  - db/compose.yaml\nservices:\n  web:\n    image: x\n    depends_on: [db]\n",
      "db/compose.yaml": "services:\n  db:\n    image: postgres:${PG:-16}\n    volumes: ['./init:/docker-entrypoint-initdb.d', 'data:/var/lib/postgresql/data']\nvolumes:\n  data: {}\n",
      "db/.env": "PG=15\n",
    });
    const p = await loadProject({ workingDir: dir, env: {} });
    assert.equal(p.services["db"]?.image, "postgres:15");
    assert.equal(p.services["db"]?.volumes[0]?.source, path.join(dir, "db", "init"));
    assert.ok("data" in p.volumes);
  });
  it("long form with project_directory and env_file", async () => {
    const dir = await writeTree({
      "compose.yaml": "include:\n  - path: [sub/c.yml]\n    project_directory: sub\n    env_file: sub/custom.env\n",
      "sub/c.yml": "services:\n  s:\n    image: x:${V}\n    build: .\n",
      "sub/custom.env": "V=9\n",
    });
    const p = await loadProject({ workingDir: dir, env: {} });
    assert.equal(p.services["s"]?.image, "x:9");
    assert.equal(p.services["s"]?.build?.context, path.join(dir, "sub"));
  });
  it("a conflicting definition is an error", async () => {
    const issues = await loadIssues({ "compose.yaml": "include: [other.yml]\nservices:\n  s:\n    image: a\n", "other.yml": "services:\n  s:\n    image: b\n" });
    assert.match(issues[0]?.message ?? "", /service "s" is also defined by included file/);
  });
});

describe("consistency", () => {
  it("reports unknown dependencies and cycles", async () => {
    const unknown = await loadIssues({ "compose.yaml": "services:\n  a:\n    image: x\n    depends_on: [ghost]\n" });
    assert.match(unknown[0]?.message ?? "", /depends on undefined service "ghost"/);
    assert.equal(`${unknown[0]?.line}:${unknown[0]?.column}`, "4:18");
    const cycle = await loadIssues({ "compose.yaml": "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [c]\n  c:\n    image: x\n    depends_on: [a]\n" });
    assert.match(cycle[0]?.message ?? "", /dependency cycle: a -> b -> c -> a/);
  });
  it("an undefined service in ipc/pid/uts/network_mode or volumes_from is reported at that key, once", async () => {
    const issues = await loadIssues({ "compose.yaml": "services:\n  a:\n    image: x\n    ipc: service:ghost\n    volumes_from: [spirit:ro]\n" });
    assert.deepEqual(
      issues.map((i) => [i.message, `${i.line}:${i.column}`]),
      [
        ['ipc refers to undefined service "ghost"', "4:5"],
        ['volumes_from refers to undefined service "spirit"', "5:5"],
      ],
    );
  });
  it("dockerfile with dockerfile_inline, and a platform outside build.platforms, are errors (as in compose v2)", async () => {
    const both = await loadIssues({ "compose.yaml": "services:\n  a:\n    build:\n      context: .\n      dockerfile: Dockerfile\n      dockerfile_inline: FROM busybox\n" });
    assert.match(both[0]?.message ?? "", /sets both build\.dockerfile and build\.dockerfile_inline/);
    assert.equal(both[0]?.line, 6);
    const platform = await loadIssues({ "compose.yaml": "services:\n  a:\n    platform: linux/arm64\n    build:\n      context: .\n      platforms: [linux/amd64]\n" });
    assert.match(platform[0]?.message ?? "", /platform "linux\/arm64" is not among build\.platforms \(linux\/amd64\)/);
  });
  it("build secrets: an undeclared one, or one that is neither a file nor an environment variable, is reported at its entry", async () => {
    const issues = await loadIssues({
      "compose.yaml": "services:\n  a:\n    build:\n      context: .\n      secrets: [ghost, outside]\nsecrets:\n  outside:\n    external: true\n",
    });
    assert.deepEqual(
      issues.map((i) => [i.message, i.line]),
      [
        ['the build of service "a" refers to undefined secret "ghost"', 5],
        ['build secret "outside" must come from a file or an environment variable', 5],
      ],
    );
    const twice = await loadIssues({
      "compose.yaml": "services:\n  a:\n    build:\n      context: .\n      secrets: [npm, {source: other, target: npm}]\nsecrets:\n  npm: {file: ./a}\n  other: {file: ./b}\n",
    });
    assert.match(twice[0]?.message ?? "", /two build secrets of service "a" have the id "npm"/);
  });
  it("cpus with cpu_quota or cpu_period is an error (the engine takes one or the other)", async () => {
    const issues = await loadIssues({ "compose.yaml": "services:\n  a:\n    image: x\n    cpus: 0.5\n    cpu_quota: 50000\n" });
    assert.match(issues[0]?.message ?? "", /limits CPUs both with cpus and with cpu_quota\/cpu_period/);
    assert.equal(issues[0]?.line, 5);
  });
  it("reports undeclared networks, volumes, secrets and configs", async () => {
    const issues = await loadIssues({
      "compose.yaml": "services:\n  a:\n    image: x\n    networks: [front]\n    volumes: ['data:/data']\n    secrets: [token]\n    configs: [conf]\n",
    });
    assert.deepEqual(
      issues.map((i) => i.message),
      [
        'service "a" refers to undefined network "front"',
        'service "a" refers to undefined volume "data"',
        'service "a" refers to undefined secret "token"',
        'service "a" refers to undefined config "conf"',
      ],
    );
  });
  it("reports a service with neither image nor build, and duplicate container names", async () => {
    const issues = await loadIssues({ "compose.yaml": "services:\n  a:\n    user: x\n  b:\n    image: x\n    container_name: same\n  c:\n    image: x\n    container_name: same\n" });
    assert.deepEqual(issues.map((i) => `${i.line} ${i.message}`), ['2 service "a" has neither an image nor a build', '9 container name "same" is already used by service "b"']);
  });
  it("checks top-level secrets have a source", async () => {
    const issues = await loadIssues({ "compose.yaml": `${web}secrets:\n  s: {}\n` });
    assert.match(issues[0]?.message ?? "", /secret "s" needs one of file, environment or external/);
  });
});

describe("normalization", () => {
  it("expands ports, volumes, tmpfs and depends_on", async () => {
    const dir = await writeTree({
      "compose.yaml": [
        "services:",
        "  web:",
        "    image: x",
        "    ports: ['127.0.0.1:8080:80/udp', '3000-3001', {target: 9000, published: '9001', host_ip: 0.0.0.0}]",
        "    volumes:",
        "      - ./data:/data:ro",
        "      - ~/cache:/cache",
        "      - named:/named:nocopy",
        "      - /anon",
        "      - {type: tmpfs, target: /tmp, tmpfs: {size: 64m}}",
        "    tmpfs: /run",
        "    depends_on:",
        "      db: {condition: service_healthy, restart: true}",
        "  db:",
        "    image: x",
        "volumes:",
        "  named: {external: true}",
      ].join("\n"),
    });
    const p = await loadProject({ workingDir: dir, env: { HOME: "/home/u" } });
    const s = p.services["web"];
    assert.deepEqual(s?.ports, [
      { mode: "ingress", target: 80, published: "8080", host_ip: "127.0.0.1", protocol: "udp" },
      { mode: "ingress", target: 3000, protocol: "tcp" },
      { mode: "ingress", target: 3001, protocol: "tcp" },
      { mode: "ingress", target: 9000, published: "9001", host_ip: "0.0.0.0", protocol: "tcp" },
    ]);
    assert.deepEqual(s?.volumes, [
      { type: "bind", source: path.join(dir, "data"), target: "/data", read_only: true, bind: { create_host_path: true } },
      { type: "bind", source: "/home/u/cache", target: "/cache", read_only: false, bind: { create_host_path: true } },
      { type: "volume", source: "named", target: "/named", read_only: false, volume: { nocopy: true } },
      { type: "volume", target: "/anon", read_only: false, volume: {} },
      { type: "tmpfs", target: "/tmp", read_only: false, tmpfs: { size: 64 * 1024 ** 2 } },
    ]);
    assert.deepEqual(s?.tmpfs, ["/run"]);
    assert.deepEqual(s?.depends_on, { db: { condition: "service_healthy", required: true, restart: true } });
    assert.deepEqual(p.volumes["named"], { name: "named", driver_opts: {}, external: true, labels: {}, extensions: {} });
  });
  it("adds the default network only when a service uses it", async () => {
    const p = await load({ "compose.yaml": "services:\n  a:\n    image: x\n  b:\n    image: x\n    network_mode: host\n" });
    assert.deepEqual(p.services["a"]?.networks, { default: null });
    assert.deepEqual(p.services["b"]?.networks, {});
    assert.equal(p.networks["default"]?.name, "proj_default");
    const q = await load({ "compose.yaml": "services:\n  a:\n    image: x\n    networks: [n]\nnetworks:\n  n: {name: custom}\n" });
    assert.deepEqual(Object.keys(q.networks), ["n"]);
    assert.equal(q.networks["n"]?.name, "custom");
  });
  it("shell-splits string commands, keeps lists, healthcheck strings become CMD-SHELL", async () => {
    const p = await load({
      "compose.yaml": "services:\n  a:\n    image: x\n    command: echo \"hello world\"\n    entrypoint: [/bin/sh, -c]\n    healthcheck:\n      test: curl -f localhost\n      timeout: 500ms\n      start_interval: 1s\n",
    });
    const s = p.services["a"];
    assert.deepEqual(s?.command, ["echo", "hello world"]);
    assert.deepEqual(s?.entrypoint, ["/bin/sh", "-c"]);
    assert.deepEqual(s?.healthcheck, { disable: false, test: ["CMD-SHELL", "curl -f localhost"], timeout: 5e8, start_interval: 1e9 });
  });
  it("environment list syntax; bare names take the shell value or stay null", async () => {
    const p = await load({ "compose.yaml": "services:\n  a:\n    image: x\n    environment: [A=1, 'B=x=y', C, D]\n" }, { env: { C: "from-shell" } });
    assert.deepEqual(p.services["a"]?.environment, { A: "1", B: "x=y", C: "from-shell", D: null });
  });
  it("build string and mapping forms", async () => {
    const dir = await writeTree({ "compose.yaml": "services:\n  a:\n    build: .\n  b:\n    build: {context: ./b, dockerfile: Dockerfile.dev, args: [X=1], target: dev}\n  c:\n    build: https://github.com/x/y.git#main\n" });
    const p = await loadProject({ workingDir: dir, env: {} });
    assert.equal(p.services["a"]?.build?.context, dir);
    assert.equal(p.services["a"]?.build?.dockerfile, "Dockerfile");
    assert.equal(p.services["b"]?.build?.context, path.join(dir, "b"));
    assert.deepEqual(p.services["b"]?.build?.args, { X: "1" });
    assert.equal(p.services["b"]?.build?.target, "dev");
    assert.equal(p.services["c"]?.build?.context, "https://github.com/x/y.git#main");
  });
  it("keeps deploy.replicas and scale as written (compose-go v2 copies neither into the other)", async () => {
    const p = await load({ "compose.yaml": "services:\n  a:\n    image: x\n    deploy: {replicas: 3}\n  b:\n    image: x\n    scale: 2\n" });
    assert.equal(p.services["a"]?.deploy?.replicas, 3);
    assert.equal(p.services["a"]?.scale, undefined);
    assert.equal(p.services["b"]?.scale, 2);
    assert.equal(p.services["b"]?.deploy, undefined);
  });
  it("container_name with several replicas is an error, whichever key asks for them", async () => {
    const issues = await loadIssues({ "compose.yaml": "services:\n  a:\n    image: x\n    container_name: acct\n    deploy: {replicas: 2}\n" });
    assert.match(issues[0]?.message ?? "", /sets container_name but asks for 2 replicas/);
  });
});

