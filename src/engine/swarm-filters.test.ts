import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeQuery } from "./http.ts";
import { encodeFilters, type TaskFilters } from "./swarm-filters.ts";

test("encodeFilters: every value a list, undefined and empty lists left out, nothing at all is no filter", () => {
  const filters: TaskFilters = { service: "web", "desired-state": ["running", "accepted"], node: undefined, label: [] };
  assert.deepEqual(encodeFilters(filters), { service: ["web"], "desired-state": ["running", "accepted"] });
  assert.equal(encodeFilters(undefined), undefined);
  assert.equal(encodeFilters({}), undefined);
  assert.equal(encodeFilters({ label: [] as string[], id: undefined }), undefined);
});

test("filters reach the engine as one JSON map[string][]string parameter, label values with their '='", () => {
  const query = encodeQuery({ filters: encodeFilters({ label: "dev.slipway.project=todo", service: ["a", "b"] }) });
  const params = new URLSearchParams(query.slice(1));
  assert.deepEqual([...params.keys()], ["filters"]);
  assert.deepEqual(JSON.parse(params.get("filters")!), { label: ["dev.slipway.project=todo"], service: ["a", "b"] });
  assert.equal(encodeQuery({ filters: encodeFilters({}) }), "", "no empty filters={}");
});
