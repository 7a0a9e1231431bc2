import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mergeFiles, stripMergeTags } from "./merge.ts";
import { toPlain, type MapNode } from "../../yaml/node.ts";
import { parseYaml } from "../../yaml/parse.ts";
import { load } from "./test-support.ts";

const merged = (a: string, b: string): unknown => toPlain(stripMergeTags(mergeFiles(parseYaml(a, "a.yml"), parseYaml(b, "b.yml"))) as MapNode);
const svc = (a: string, b: string): unknown => (merged(`services:\n  s:\n${a}`, `services:\n  s:\n${b}`) as { services: { s: unknown } }).services.s;

describe("merge rules", () => {
  it("merges mappings and replaces scalars", () => {
    assert.deepEqual(svc("    image: a\n    user: u\n", "    image: b\n    tty: true\n"), { image: "b", user: "u", tty: true });
  });
  it("appends sequences, dropping exact duplicates", () => {
    assert.deepEqual(svc("    dns: [1.1.1.1]\n    cap_add: [NET_ADMIN]\n", "    dns: [8.8.8.8, 1.1.1.1]\n    cap_add: [SYS_TIME]\n"), {
      dns: ["1.1.1.1", "8.8.8.8"],
      cap_add: ["NET_ADMIN", "SYS_TIME"],
    });
  });
  it("replaces command, entrypoint and healthcheck.test", () => {
    assert.deepEqual(svc("    command: [echo, foo]\n    entrypoint: [a]\n    healthcheck: {test: [CMD, a], retries: 3}\n", "    command: [echo, bar]\n    entrypoint: b\n    healthcheck: {test: [CMD, b]}\n"), {
      command: ["echo", "bar"],
      entrypoint: "b",
      healthcheck: { test: ["CMD", "b"], retries: 3 },
    });
  });
  it("merges environment and labels by key across list and map syntax", () => {
    assert.deepEqual(svc("    environment: [A=1, B=2]\n    labels: {x: '1'}\n", "    environment: {B: 3, C: 4}\n    labels: [y=2, x=9]\n"), {
      environment: { A: "1", B: 3, C: 4 },
      labels: { x: "9", y: "2" },
    });
  });
  it("appends extra_hosts as host=ip, dropping exact duplicates (a host may get two addresses)", () => {
    // docker compose 2.26.1 prints a=1.1.1.1, a=9.9.9.9, b=2.2.2.2 for these two files.
    assert.deepEqual(svc("    extra_hosts: ['a:1.1.1.1', 'b=2.2.2.2']\n", "    extra_hosts: {a: 9.9.9.9, b: 2.2.2.2, c: [3.3.3.3, '::1']}\n"), {
      extra_hosts: ["a=1.1.1.1", "b=2.2.2.2", "a=9.9.9.9", "c=3.3.3.3", "c=::1"],
    });
  });
  it("merges ports by {ip, published, target, protocol}", () => {
    assert.deepEqual(svc("    ports: ['8080:80', '443:443']\n", "    ports: [{target: 80, published: 8080}, '9000:9000']\n"), {
      ports: [{ target: 80, published: 8080 }, "443:443", "9000:9000"],
    });
  });
  it("merges volumes by target path", () => {
    assert.deepEqual(svc("    volumes: ['foo:/work', './a:/a']\n", "    volumes: ['bar:/work', {type: bind, source: ./b, target: /a}]\n"), {
      volumes: ["bar:/work", { type: "bind", source: "./b", target: "/a" }],
    });
  });
  it("merges secrets and configs by target", () => {
    assert.deepEqual(svc("    secrets: [s1, {source: s2, target: /x}]\n", "    secrets: [{source: s1, mode: 0400}, {source: s3, target: /x}]\n"), {
      secrets: [{ source: "s1", mode: 0o400 }, { source: "s3", target: "/x" }],
    });
  });
  it("keys a relative secret target as written, not under /run/secrets (compose-go's mountIndexer)", () => {
    assert.deepEqual(svc("    secrets: [{source: s1, target: rel}]\n", "    secrets: [{source: s2, target: /run/secrets/rel}, {source: s3, target: s1}]\n"), {
      secrets: [{ source: "s1", target: "rel" }, { source: "s2", target: "/run/secrets/rel" }, { source: "s3", target: "s1" }],
    });
  });
  it("merges depends_on and networks by name across syntaxes", () => {
    assert.deepEqual(svc("    depends_on: [db]\n    networks: [front]\n", "    depends_on: {db: {condition: service_healthy}, cache: {condition: service_started}}\n    networks: {back: {}}\n"), {
      depends_on: { db: { condition: "service_healthy" }, cache: { condition: "service_started" } },
      networks: { front: null, back: {} },
    });
  });
  it("appends to a list written as a single string (dns, dns_search, tmpfs, env_file)", () => {
    assert.deepEqual(svc("    dns: 8.8.8.8\n    tmpfs: [/a]\n    env_file: a.env\n", "    dns: [1.1.1.1]\n    tmpfs: /b\n    env_file: [a.env, b.env]\n"), {
      dns: ["8.8.8.8", "1.1.1.1"],
      tmpfs: ["/a", "/b"],
      env_file: ["a.env", "b.env"],
    });
  });
  it("turns a depends_on list into conditions when the other file uses the mapping", () => {
    assert.deepEqual(svc("    depends_on: [db, cache]\n", "    depends_on: {db: {condition: service_healthy}}\n"), {
      depends_on: { db: { condition: "service_healthy" }, cache: { condition: "service_started" } },
    });
  });
  it("merges logging options only for the same driver", () => {
    assert.deepEqual(svc("    logging: {driver: json-file, options: {max-size: 1m}}\n", "    logging: {options: {max-file: '3'}}\n"), {
      logging: { driver: "json-file", options: { "max-size": "1m", "max-file": "3" } },
    });
    assert.deepEqual(svc("    logging: {driver: json-file, options: {max-size: 1m}}\n", "    logging: {driver: syslog}\n"), { logging: { driver: "syslog" } });
  });
  it("merges build string and mapping forms", () => {
    assert.deepEqual(svc("    build: ./app\n", "    build: {target: dev}\n"), { build: { context: "./app", target: "dev" } });
  });
  it("!reset removes and !override replaces", () => {
    assert.deepEqual(svc("    image: a\n    ports: ['80:80']\n    environment: {A: 1, B: 2}\n", "    ports: !reset []\n    environment:\n      A: !reset null\n"), {
      image: "a",
      environment: { B: 2 },
    });
    assert.deepEqual(svc("    ports: ['8080:80']\n", "    ports: !override ['8443:443']\n"), { ports: ["8443:443"] });
  });
  it("replaces x- extensions whole", () => {
    assert.deepEqual(merged("x-a: {p: 1, q: 2}\n", "x-a: {p: 3}\n"), { "x-a": { p: 3 } });
  });
  it("keeps positions of the file that supplied each value", async () => {
    const p = mergeFiles(parseYaml("services:\n  s:\n    image: a\n", "a.yml"), parseYaml("services:\n  s:\n    user: u\n", "b.yml"));
    const s = (p.entries[0]?.value as MapNode).entries[0]?.value as MapNode;
    assert.deepEqual(s.entries.map((e) => `${e.key}@${e.value.pos.file}:${e.value.pos.line}`), ["image@a.yml:3", "user@b.yml:3"]);
  });
});

describe("several files and the override file", () => {
  it("loads compose.yaml then compose.override.yaml", async () => {
    const p = await load({
      "compose.yaml": "services:\n  web:\n    image: nginx\n    ports: ['80:80']\n",
      "compose.override.yaml": "services:\n  web:\n    ports: ['443:443']\n    environment: [DEBUG=1]\n",
    });
    assert.equal(p.configFiles.length, 2);
    assert.deepEqual(p.services["web"]?.ports.map((x) => x.target), [80, 443]);
    assert.deepEqual(p.services["web"]?.environment, { DEBUG: "1" });
  });
  it("merges -f files in order, errors pointing at the file that has them", async () => {
    const p = await load(
      { "a.yml": "services:\n  web:\n    image: a\n    command: one\n", "b.yml": "services:\n  web:\n    image: b\n    command: [two, three]\n" },
      { files: ["a.yml", "b.yml"] },
    );
    assert.equal(p.services["web"]?.image, "b");
    assert.deepEqual(p.services["web"]?.command, ["two", "three"]);
  });
});
