/**
 * Realistic fixtures: each loads, and (when the reference schema is present) each also
 * validates against the official compose-spec JSON schema, so Slipway accepts nothing that
 * docker compose would reject. The small JSON-schema walker here covers only the keywords
 * that schema uses (type, properties, patternProperties, additionalProperties, $ref, oneOf,
 * anyOf, enum, required, items); oneOf is checked as "at least one".
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { loadProject } from "./load-project.ts";
import { renderConfig } from "./render-config.ts";
import { OFFICIAL_SCHEMA, deref, type JsonObject } from "./schema/official-schema-support.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): string => path.join(here, "fixtures", name);
const isObject = (j: unknown): j is JsonObject => j !== null && typeof j === "object" && !Array.isArray(j);

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** Returns the first violation as "path: reason", or undefined when `value` conforms. */
function check(root: JsonObject, schemaIn: JsonObject, value: unknown, at: string): string | undefined {
  const schema = deref(root, schemaIn);
  const type = schema["type"];
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    const t = typeOf(value);
    if (!types.some((x) => x === t || (x === "number" && t === "integer"))) return `${at}: ${t} is not ${types.join("|")}`;
  }
  const en = schema["enum"];
  if (Array.isArray(en) && !en.includes(value as JsonObject)) return `${at}: ${String(value)} not in enum`;
  for (const comb of ["oneOf", "anyOf"] as const) {
    const options = schema[comb];
    if (Array.isArray(options) && !options.some((o) => isObject(o) && check(root, o, value, at) === undefined)) return `${at}: matches none of ${comb}`;
  }
  if (isObject(value)) {
    const props = isObject(schema["properties"]) ? schema["properties"] : {};
    const patterns = isObject(schema["patternProperties"]) ? schema["patternProperties"] : {};
    const additional = schema["additionalProperties"];
    for (const [k, v] of Object.entries(value)) {
      const sub = props[k];
      if (isObject(sub)) {
        const r = check(root, sub, v, `${at}.${k}`);
        if (r) return r;
        continue;
      }
      const pattern = Object.entries(patterns).find(([p]) => new RegExp(p, "u").test(k));
      if (pattern && isObject(pattern[1])) {
        const r = check(root, pattern[1], v, `${at}.${k}`);
        if (r) return r;
        continue;
      }
      if (additional === false) return `${at}.${k}: not allowed`;
      if (isObject(additional)) {
        const r = check(root, additional, v, `${at}.${k}`);
        if (r) return r;
      }
    }
    const required = schema["required"];
    if (Array.isArray(required)) for (const r of required) if (typeof r === "string" && !(r in value)) return `${at}: missing ${r}`;
  }
  if (Array.isArray(value) && isObject(schema["items"])) {
    for (let i = 0; i < value.length; i++) {
      const r = check(root, schema["items"], value[i], `${at}[${i}]`);
      if (r) return r;
    }
  }
  return undefined;
}

const official = existsSync(OFFICIAL_SCHEMA) ? (JSON.parse(readFileSync(OFFICIAL_SCHEMA, "utf8")) as JsonObject) : undefined;

for (const name of ["app-postgres-nginx", "anchors"]) {
  describe(`fixture ${name}`, () => {
    it("is valid under the official compose-spec schema", { skip: official ? false : `official schema not found at ${OFFICIAL_SCHEMA}` }, () => {
      const raw = parse(readFileSync(path.join(fixture(name), "compose.yaml"), "utf8"), { merge: true }) as unknown;
      assert.equal(check(official as JsonObject, official as JsonObject, raw, ""), undefined);
    });
    it("loads and renders", async () => {
      const p = await loadProject({ workingDir: fixture(name), env: { HOME: "/home/u" } });
      assert.ok(Object.keys(p.services).length >= 2);
      assert.match(renderConfig(p), /^name: /);
    });
  });
}

describe("the JSON-schema walker used above", { skip: official ? false : "official schema absent" }, () => {
  it("rejects what the official schema rejects", () => {
    const o = official as JsonObject;
    assert.match(check(o, o, { services: { web: { imgae: "x" } } }, "") ?? "", /imgae: not allowed/);
    assert.match(check(o, o, { services: { web: { deploy: { replicas: [1] } } } }, "") ?? "", /replicas: array is not/);
    assert.match(check(o, o, { services: { web: { ports: [{ target: 80, bogus: 1 }] } } }, "") ?? "", /ports\[0\]: matches none of oneOf/);
    assert.equal(check(o, o, { services: { web: { image: "x", "x-a": 1 } } }, ""), undefined);
  });
});

describe("app-postgres-nginx in detail", () => {
  it("reads .env, resolves paths and builds the model", async () => {
    const dir = fixture("app-postgres-nginx");
    const p = await loadProject({ workingDir: dir, env: {} });
    assert.equal(p.name, "shop");
    const app = p.services["app"];
    assert.equal(app?.image, "shop/app:1.4.2");
    assert.equal(app?.environment["DATABASE_URL"], "postgres://shop:s3cret@db:5432/shop");
    assert.equal(app?.environment["PORT"], "3000");
    assert.equal(app?.build?.context, path.join(dir, "app"));
    assert.equal(app?.healthcheck?.interval, 10e9);
    assert.deepEqual(app?.depends_on, { db: { condition: "service_started", required: true, restart: false } });
    assert.equal(p.services["proxy"]?.volumes[0]?.source, path.join(dir, "nginx.conf"));
    assert.deepEqual(Object.keys(p.networks).sort(), ["back", "front"]);
    assert.equal(p.networks["back"]?.name, "shop_back");
    assert.equal(p.volumes["pgdata"]?.name, "shop_pgdata");
  });
});

describe("anchors in detail", () => {
  it("applies merge keys and keeps x- extensions", async () => {
    const p = await loadProject({ workingDir: fixture("anchors"), env: {} });
    const w = p.services["worker"];
    assert.deepEqual(w?.environment, { TZ: "UTC", LOG_LEVEL: "debug", QUEUE: "jobs" });
    assert.equal(w?.restart, "on-failure:3");
    assert.deepEqual(w?.logging, { driver: "json-file", options: { "max-size": "10m", "max-file": "3" } });
    assert.deepEqual(w?.command, ["sh", "-c", "while true; do echo working; sleep 5; done"]);
    assert.deepEqual(w?.extensions, { "x-owner": "alice" });
    assert.deepEqual(p.services["scheduler"]?.environment, { TZ: "UTC", LOG_LEVEL: "info" });
    assert.equal(p.services["scheduler"]?.stop_grace_period, 90e9);
    assert.deepEqual(p.services["scheduler"]?.deploy?.resources.limits, { cpus: 0.5, memory: 64 * 1024 ** 2 });
    assert.ok("x-logging" in p.extensions);
  });
});
