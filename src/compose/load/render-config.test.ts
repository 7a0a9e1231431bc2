import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { renderConfig } from "./render-config.ts";
import { load, writeTree } from "./test-support.ts";
import { loadProject } from "./load-project.ts";

describe("renderConfig (docker compose config shape)", () => {
  it("prints the normalized model like compose v2", async () => {
    const dir = await writeTree({
      "compose.yaml": [
        "services:",
        "  web:",
        "    image: nginx",
        "    command: nginx -g 'daemon off;'",
        "    ports: ['8080:80']",
        "    volumes: ['./html:/usr/share/nginx/html:ro', 'cache:/cache']",
        "    environment: [B=2, A=1]",
        "    depends_on: [db]",
        "    healthcheck: {test: [CMD, \"true\"], interval: 90s}",
        "  db:",
        "    image: postgres",
        "volumes:",
        "  cache:",
      ].join("\n"),
    });
    const out = renderConfig(await loadProject({ workingDir: dir, env: {} }));
    assert.equal(
      out,
      [
        "name: proj",
        "services:",
        "  db:",
        "    image: postgres",
        "    networks:",
        "      default: null",
        "  web:",
        "    command:",
        "      - nginx",
        "      - -g",
        "      - daemon off;",
        "    depends_on:",
        "      db:",
        "        condition: service_started",
        "        required: true",
        "    environment:",
        '      A: "1"',
        '      B: "2"',
        "    healthcheck:",
        "      test:",
        "        - CMD",
        '        - "true"',
        "      interval: 1m30s",
        "    image: nginx",
        "    networks:",
        "      default: null",
        "    ports:",
        "      - mode: ingress",
        "        target: 80",
        '        published: "8080"',
        "        protocol: tcp",
        "    volumes:",
        "      - type: bind",
        `        source: ${dir}/html`,
        "        target: /usr/share/nginx/html",
        "        read_only: true",
        "        bind:",
        "          create_host_path: true",
        "      - type: volume",
        "        source: cache",
        "        target: /cache",
        "        volume: {}",
        "networks:",
        "  default:",
        "    name: proj_default",
        "volumes:",
        "  cache:",
        "    name: proj_cache",
        "",
      ].join("\n"),
    );
  });
  it("prints external resources, byte sizes as strings and extensions", async () => {
    const out = renderConfig(
      await load({ "compose.yaml": "x-top: 1\nservices:\n  a:\n    image: x\n    mem_limit: 1g\n    networks: [ext]\nnetworks:\n  ext: {external: true}\n" }),
    );
    assert.match(out, /mem_limit: "1073741824"/);
    assert.match(out, /networks:\n {2}ext:\n {4}name: ext\n {4}external: true\n/);
    assert.match(out, /\nx-top: 1\n$/);
  });
});

/** Renders a one-file project and returns a reader of the parsed output: `doc("services.a.init")`. */
async function rendered(yaml: string, files: Record<string, string> = {}): Promise<(path: string) => unknown> {
  const doc: unknown = parse(renderConfig(await load({ "compose.yaml": yaml, ...files })));
  return (p) => p.split(".").reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), doc);
}

// Each case is a difference from `docker compose config` (2.26.1) that the parity test
// (test/integration/compose/config-parity.test.ts) found.
describe("renderConfig prints what docker compose config prints", () => {
  it("doubles every $, keys included, so the output interpolates back to the same values", async () => {
    const out = renderConfig(await load({ "compose.yaml": "services:\n  a:\n    image: x\n    command: echo $$HOME\n    environment: {'K$$': 'v$$1'}\n" }));
    assert.match(out, /- \$\$HOME\n/);
    assert.match(out, /K\$\$\$\$: v\$\$1\n/);
  });
  it("leaves env_file out: its variables are already in environment", async () => {
    const doc = await rendered("services:\n  a:\n    image: x\n    env_file: [a.env]\n", { "a.env": "A=1\n" });
    assert.deepEqual(doc("services.a.environment"), { A: "1" });
    assert.equal(doc("services.a.env_file"), undefined);
  });
  it("prints a cleared command or entrypoint as []", async () => {
    const doc = await rendered("services:\n  a:\n    image: x\n    command: []\n    entrypoint: ''\n  b:\n    image: x\n");
    assert.deepEqual([doc("services.a.command"), doc("services.a.entrypoint")], [[], []]);
    assert.equal(doc("services.b.command"), undefined);
  });
  it("prints disable only when written, not for test: [NONE]", async () => {
    const doc = await rendered("services:\n  a:\n    image: x\n    healthcheck: {test: [NONE]}\n  b:\n    image: x\n    healthcheck: {disable: true}\n");
    assert.deepEqual(doc("services.a.healthcheck"), { test: ["NONE"] });
    assert.deepEqual(doc("services.b.healthcheck"), { disable: true });
  });
  it("prints false for compose-go's *bool fields (init, attach, enable_ipv6) only", async () => {
    const doc = await rendered("services:\n  a:\n    image: x\n    init: false\n    attach: false\n    tty: false\n    networks: [n]\nnetworks:\n  n: {enable_ipv6: false, internal: false}\n");
    assert.equal(doc("services.a.init"), false);
    assert.equal(doc("services.a.attach"), false);
    assert.equal(doc("services.a.tty"), undefined);
    assert.deepEqual(doc("networks.n"), { name: "proj_n", enable_ipv6: false });
  });
  it("omits zero numbers and sizes of plain fields, keeps pointer fields and written blocks", async () => {
    const doc = await rendered(
      [
        "services:",
        "  a:",
        "    image: x",
        "    cpu_shares: 0",
        "    oom_score_adj: 0",
        "    mem_limit: 0",
        "    mem_swappiness: 60",
        "    healthcheck: {retries: 0, interval: 0s}",
        "    deploy:",
        "      replicas: 0",
        "      update_config: {parallelism: 0, delay: 0s}",
        "      resources: {limits: {cpus: '0', memory: '0'}}",
        "    blkio_config: {device_read_bps: [{path: /dev/sda, rate: 0}], device_write_iops: [{path: /dev/sda, rate: 5}]}",
      ].join("\n") + "\n",
    );
    for (const k of ["cpu_shares", "oom_score_adj", "mem_limit"]) assert.equal(doc(`services.a.${k}`), undefined, k);
    assert.equal(doc("services.a.mem_swappiness"), "60");
    assert.deepEqual(doc("services.a.healthcheck"), { interval: "0s", retries: 0 });
    assert.deepEqual(doc("services.a.deploy"), { replicas: 0, update_config: { parallelism: 0 }, resources: { limits: {} } });
    assert.deepEqual(doc("services.a.blkio_config"), { device_read_bps: [{ path: "/dev/sda", rate: "0" }], device_write_iops: [{ path: "/dev/sda", rate: "5" }] });
  });
  it("prints no Dockerfile default next to dockerfile_inline", async () => {
    const doc = await rendered("services:\n  a:\n    build: {context: ., dockerfile_inline: 'FROM busybox'}\n  b:\n    build: .\n");
    assert.equal(doc("services.a.build.dockerfile"), undefined);
    assert.equal(doc("services.b.build.dockerfile"), "Dockerfile");
  });
  it("prints a ulimit in the form it was written, except a single 0", async () => {
    const doc = await rendered("services:\n  a:\n    image: x\n    ulimits: {nproc: 65535, core: 0, nofile: {soft: 5, hard: 5}}\n");
    assert.deepEqual(doc("services.a.ulimits"), { core: { soft: 0, hard: 0 }, nofile: { soft: 5, hard: 5 }, nproc: 65535 });
  });
});
