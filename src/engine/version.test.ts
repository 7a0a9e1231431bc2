import { test } from "node:test";
import assert from "node:assert/strict";
import { negotiateApiVersion, compareApiVersions, MAX_API_VERSION, apiAtLeast } from "./version.ts";

test("uses the engine's version when it is older than ours", () => {
  assert.equal(negotiateApiVersion("1.41"), "1.41");
  assert.equal(negotiateApiVersion("1.45"), "1.45");
});

test("caps at our maximum when the engine is newer", () => {
  assert.equal(negotiateApiVersion("1.99"), MAX_API_VERSION);
  assert.equal(negotiateApiVersion("2.0"), MAX_API_VERSION);
});

test("refuses engines older than 1.41 or without a version", () => {
  assert.equal(negotiateApiVersion("1.40"), undefined);
  assert.equal(negotiateApiVersion(undefined), undefined);
  assert.equal(negotiateApiVersion("garbage"), undefined);
});

test("versions compare numerically, not as strings", () => {
  assert.ok(compareApiVersions("1.9", "1.41") < 0);
  assert.ok(apiAtLeast("1.44", "1.44"));
  assert.ok(!apiAtLeast("1.41", "1.44"));
});
