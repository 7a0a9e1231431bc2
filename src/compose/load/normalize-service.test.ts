/**
 * Service normalization where it follows compose-go: each case is a difference from
 * `docker compose config` (2.26.1) that the parity test found.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { load, writeTree } from "./test-support.ts";
import { loadProject } from "./load-project.ts";

const service = async (yaml: string, files: Record<string, string> = {}, env: Record<string, string> = {}) => {
  const p = await load({ "compose.yaml": `services:\n  a:\n    image: x\n${yaml}  b:\n    image: x\n`, ...files }, { env });
  const a = p.services["a"];
  assert.ok(a);
  return a;
};

describe("normalizeService, as compose-go normalizes", () => {
  it("adds depends_on for links, volumes_from and service: namespaces; written entries win", async () => {
    const links = await service("    links: ['b:alias']\n");
    assert.deepEqual(links.depends_on, { b: { condition: "service_started", required: true, restart: true } });
    for (const key of ["network_mode", "ipc", "pid", "uts"]) {
      const s = await service(`    ${key}: service:b\n`);
      assert.deepEqual(s.depends_on, { b: { condition: "service_started", required: true, restart: true } }, key);
    }
    const from = await service("    volumes_from: ['b:ro', 'container:other']\n");
    assert.deepEqual(from.depends_on, { b: { condition: "service_started", required: true, restart: false } });
    const written = await service("    links: [b]\n    depends_on: {b: {condition: service_healthy}}\n");
    assert.deepEqual(written.depends_on, { b: { condition: "service_healthy", required: true, restart: false } });
  });
  it("gives a secret without a target /run/secrets/<name>; configs and relative targets stay as written", async () => {
    const p = await load({
      "compose.yaml": "services:\n  a:\n    image: x\n    secrets: [s, {source: s, target: rel}, {source: s, mode: 0400}]\n    configs: [c]\nsecrets:\n  s: {file: ./s}\nconfigs:\n  c: {file: ./c}\n",
    });
    assert.deepEqual(p.services["a"]?.secrets.map((m) => m.target), ["/run/secrets/s", "rel", "/run/secrets/s"]);
    assert.deepEqual(p.services["a"]?.configs, [{ source: "c" }]);
  });
  it("ignores a consistency mode in the short syntax, keeps it in the long one", async () => {
    const a = await service("    volumes: ['.:/src:cached', {type: bind, source: ., target: /l, consistency: delegated}]\n");
    assert.equal(a.volumes[0]?.consistency, undefined);
    assert.equal(a.volumes[1]?.consistency, "delegated");
  });
  it("creates a missing bind source for the short syntax only; the long syntax says so itself", async () => {
    const a = await service(
      "    volumes:\n      - ./a:/a\n      - {type: bind, source: ./b, target: /b}\n      - {type: bind, source: ./c, target: /c, bind: {selinux: z}}\n      - {type: bind, source: ./d, target: /d, bind: {create_host_path: true}}\n",
    );
    assert.deepEqual(
      a.volumes.map((v) => v.bind),
      [{ create_host_path: true }, undefined, { selinux: "z" }, { create_host_path: true }],
    );
  });
  it("drops a build arg that has no value anywhere (the Dockerfile's default applies)", async () => {
    const dir = await writeTree({ "compose.yaml": "services:\n  a:\n    build:\n      context: .\n      args: [FROM_ENV, UNSET, EMPTY=, SET=1]\n" });
    const p = await loadProject({ workingDir: dir, env: { FROM_ENV: "env" } });
    assert.deepEqual(p.services["a"]?.build?.args, { FROM_ENV: "env", EMPTY: "", SET: "1" });
  });
  it("writes extra_hosts as host=ip, sorted by host, IPv6 brackets dropped", async () => {
    const list = await service("    extra_hosts: ['z:1.1.1.1', 'a=2.2.2.2', 'v6:::1', 'v6b=[::2]', 'a=3.3.3.3']\n");
    assert.deepEqual(list.extra_hosts, ["a=2.2.2.2", "a=3.3.3.3", "v6=::1", "v6b=::2", "z=1.1.1.1"]);
    const map = await service("    extra_hosts: {zhost: [1.2.3.4, 5.6.7.8], ahost: '::1'}\n");
    assert.deepEqual(map.extra_hosts, ["ahost=::1", "zhost=1.2.3.4", "zhost=5.6.7.8"]);
  });
  it("reads pull_policy if_not_present as missing", async () => {
    assert.equal((await service("    pull_policy: if_not_present\n")).pull_policy, "missing");
    assert.equal((await service("    pull_policy: always\n")).pull_policy, "always");
  });
  it("remembers that a ulimit was written as one number", async () => {
    const a = await service("    ulimits: {nproc: 10, nofile: {soft: 10, hard: 10}}\n");
    assert.deepEqual(a.ulimits, { nproc: { soft: 10, hard: 10, single: true }, nofile: { soft: 10, hard: 10 } });
  });
  it("keeps a Windows path as written and a one-letter volume name as a drive", async () => {
    const a = await service("    volumes: ['c:/data:/data', 'v:/v']\n");
    assert.deepEqual(a.volumes.map((v) => [v.type, v.source, v.target]), [
      ["bind", "c:/data", "/data"],
      ["volume", undefined, "v:/v"],
    ]);
  });
  it("resolves bind sources against the project directory", async () => {
    const dir = await writeTree({ "compose.yaml": "services:\n  a:\n    image: x\n    volumes: ['./html:/html']\n" });
    const p = await loadProject({ workingDir: dir, env: {} });
    assert.equal(p.services["a"]?.volumes[0]?.source, path.join(dir, "html"));
  });
});
