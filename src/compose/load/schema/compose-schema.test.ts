/**
 * Holds Slipway's compose schema against the official Compose Specification JSON schema
 * (../shared/reference/compose-spec.json, read at test time, never copied into the project):
 * every property key the official schema defines must be known to Slipway, supported or refused.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { composeFileSchema } from "./compose-schema.ts";
import { OFFICIAL_SCHEMA, deref, isJsonObject, type Json, type JsonObject } from "./official-schema-support.ts";
import type { Schema } from "./types.ts";

const skip = existsSync(OFFICIAL_SCHEMA) ? false : `official schema not found at ${OFFICIAL_SCHEMA}`;
const isObject = isJsonObject;

/** Our schema nodes a value may match, unions flattened. */
function flatten(s: Schema): Schema[] {
  return s.t === "union" ? s.options.flatMap(flatten) : [s];
}

/**
 * Walks the official schema and ours side by side; returns official keys ours does not know,
 * as dotted paths.
 */
function missingKeys(root: JsonObject): string[] {
  const missing: string[] = [];
  const seen = new Set<string>();
  const walk = (official: JsonObject, ours: Schema[], at: string): void => {
    const node = deref(root, official);
    const key = `${at}|${JSON.stringify(node).length}|${ours.length}`;
    if (seen.has(key)) return;
    seen.add(key);
    const objects = ours.flatMap((s) => (s.t === "object" ? [s] : []));
    const props = node["properties"];
    if (isObject(props)) {
      for (const [k, sub] of Object.entries(props)) {
        const fields = objects.map((o) => o.fields[k]).filter((f) => f !== undefined);
        if (fields.length === 0) {
          missing.push(`${at}.${k}`);
          continue;
        }
        const supported = fields.flatMap((f) => (f.status === "supported" ? flatten(f.schema) : []));
        if (supported.length > 0 && isObject(sub)) walk(sub, supported, `${at}.${k}`);
      }
    }
    const maps = ours.flatMap((s) => (s.t === "map" ? flatten(s.values) : []));
    const pattern = node["patternProperties"];
    if (isObject(pattern)) {
      for (const [p, sub] of Object.entries(pattern)) if (p !== "^x-" && isObject(sub)) walk(sub, maps, `${at}.*`);
    }
    const additional = node["additionalProperties"];
    if (isObject(additional)) walk(additional, maps, `${at}.*`);
    const items = node["items"];
    if (isObject(items)) walk(items, ours.flatMap((s) => (s.t === "list" ? flatten(s.items) : [])), `${at}[]`);
    for (const comb of ["oneOf", "anyOf", "allOf"]) {
      const options = node[comb];
      if (Array.isArray(options)) for (const o of options) if (isObject(o)) walk(o, ours, at);
    }
  };
  walk(root, [composeFileSchema], "");
  return missing;
}

describe("compose schema coverage", { skip }, () => {
  it("knows every property key of the official compose-spec schema", () => {
    const official = JSON.parse(readFileSync(OFFICIAL_SCHEMA, "utf8")) as JsonObject;
    assert.deepEqual(missingKeys(official), []);
  });
  it("covers the sections the brief lists (sanity check of the walker)", () => {
    const official = JSON.parse(readFileSync(OFFICIAL_SCHEMA, "utf8")) as JsonObject;
    const withoutBuild = JSON.parse(JSON.stringify(official)) as JsonObject;
    // Removing a key on our side must be caught: simulate by adding a key to the official schema.
    const service = deref(withoutBuild, { $ref: "#/$defs/service" });
    (service["properties"] as JsonObject)["made_up_key"] = { type: "string" };
    const deploy = deref(withoutBuild, { $ref: "#/$defs/deployment" });
    (deploy["properties"] as JsonObject)["another_made_up"] = { type: "string" };
    const missing = missingKeys(withoutBuild);
    assert.ok(missing.includes(".services.*.made_up_key"), missing.join(", "));
    assert.ok(missing.includes(".services.*.deploy.another_made_up"), missing.join(", "));
  });
  it("reaches nested objects (every properties block gets a made-up key; each must be reported)", () => {
    const official = JSON.parse(readFileSync(OFFICIAL_SCHEMA, "utf8")) as JsonObject;
    let blocks = 0;
    const plant = (j: Json): void => {
      if (Array.isArray(j)) j.forEach(plant);
      else if (isObject(j)) {
        if (isObject(j["properties"])) {
          (j["properties"] as JsonObject)["zz_planted"] = { type: "string" };
          blocks++;
        }
        for (const v of Object.values(j)) plant(v);
      }
    };
    plant(official);
    const planted = missingKeys(official).filter((m) => m.endsWith(".zz_planted"));
    for (const p of [".services.*.volumes[].bind.zz_planted", ".networks.*.ipam.config[].zz_planted", ".services.*.healthcheck.zz_planted", ".include[].zz_planted", ".services.*.build.zz_planted"]) {
      assert.ok(planted.includes(p), `${p} not reached; reached: ${planted.join(", ")}`);
    }
    assert.ok(planted.length >= 40, `only ${planted.length} of ${blocks} property blocks reached`);
  });
});
