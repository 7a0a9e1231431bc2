import { test } from "node:test";
import assert from "node:assert/strict";
import { loadProject } from "./index.ts";
import { renderConfigJson } from "./render-config-json.ts";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

async function project(yaml: string) {
  const dir = await mkdtemp(path.join(tmpdir(), "config-json-"));
  await writeFile(path.join(dir, "compose.yaml"), yaml);
  return loadProject({ workingDir: dir, projectName: "demo", env: {} });
}

test("config --format json: compose-go's JSON of the document config prints as YAML", async () => {
  const p = await project(`
services:
  a:
    image: busybox
    environment: { X: "a<b>&c", PRICE: "$$5" }
    deploy: { replicas: 1 }
    ulimits: { nproc: 65535, core: 0, nofile: { soft: 0, hard: 0 }, memlock: { soft: -1, hard: -1 } }
    blkio_config: { weight_device: [{ path: /dev/sda, weight: 400 }], device_read_bps: [{ path: /dev/sda, rate: 12mb }] }
    x-foo: 1
networks:
  default:
    x-meta: yes
x-top: { a: 1 }
`);
  const text = renderConfigJson(p);
  assert.ok(!text.endsWith("\n"), "compose prints no final newline");
  assert.match(text, /"X": "a\\u003cb\\u003e\\u0026c"/, "HTML characters escaped");
  const doc = JSON.parse(text) as Record<string, any>;
  assert.deepEqual(Object.keys(doc), ["name", "networks", "services", "x-top"], "top-level keys sorted, extensions kept there");
  const a = doc["services"].a;
  assert.equal(a.command, null);
  assert.equal(a.entrypoint, null);
  assert.deepEqual(Object.keys(a).slice(0, 4), ["blkio_config", "command", "deploy", "entrypoint"], "in compose-go's field order");
  assert.equal(a["x-foo"], undefined);
  assert.deepEqual(a.deploy, { replicas: 1, resources: {}, placement: {} });
  assert.deepEqual(a.ulimits, { core: {}, memlock: { soft: -1, hard: -1 }, nofile: {}, nproc: 65535 });
  assert.deepEqual(a.blkio_config, { weight_device: [{ Path: "/dev/sda", Weight: 400 }], device_read_bps: [{ Path: "/dev/sda", Rate: "12582912" }] });
  assert.equal(a.environment.PRICE, "$$5", "dollars escaped as in the YAML");
  assert.deepEqual(doc["networks"].default, { name: "demo_default", ipam: {} });
});
