import { test } from "node:test";
import assert from "node:assert/strict";
import { computeDrift, formatBytes, layerWarnings, LAYER_WARNING, MAX_LAYERS, type LayeredImage } from "./drift.ts";

const layers = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `sha256:${prefix}${i}`);
const img = (l: string[], size: number): LayeredImage => ({ Id: `sha256:${l.length}`, Size: size, RootFS: { Type: "layers", Layers: l } });
const MiB = 1024 ** 2;
const thresholds = { layers: 10, bytes: 200 * MiB };

test("an app built on the base: the layers after the base's and the bytes above its size", () => {
  const base = img(layers("b", 5), 80 * MiB);
  const app = img([...layers("b", 5), ...layers("a", 3)], 95 * MiB);
  const drift = computeDrift(app, base, thresholds);
  assert.deepEqual(drift, { onBase: true, layers: 3, bytes: 15 * MiB, baseLayers: 5, totalLayers: 8, rebuild: [], warnings: [] });
});

test("the app image is the base itself: nothing on top", () => {
  const base = img(layers("b", 4), 10 * MiB);
  const drift = computeDrift(base, base, thresholds);
  assert.equal(drift.onBase && drift.layers, 0);
  assert.equal(drift.onBase && drift.bytes, 0);
});

test("a new base is suggested at the layer threshold, at the size threshold, or both", () => {
  const base = img(layers("b", 2), 50 * MiB);
  const nine = computeDrift(img([...layers("b", 2), ...layers("a", 9)], 60 * MiB), base, thresholds);
  assert.deepEqual(nine.rebuild, []);
  const ten = computeDrift(img([...layers("b", 2), ...layers("a", 10)], 60 * MiB), base, thresholds);
  assert.deepEqual(ten.rebuild, ["10 layers on top of the base (rebuild_after_layers: 10)"]);
  const big = computeDrift(img([...layers("b", 2), ...layers("a", 1)], 250 * MiB), base, thresholds);
  assert.deepEqual(big.rebuild, ["200 MiB on top of the base (rebuild_after_size: 200 MiB)"]);
  const both = computeDrift(img([...layers("b", 2), ...layers("a", 12)], 251 * MiB), base, thresholds);
  assert.equal(both.rebuild.length, 2);
});

test("not built on the base: another first layer, fewer layers than the base, a base without layers", () => {
  const base = img(layers("b", 3), 10);
  const other = computeDrift(img([...layers("old", 3), ...layers("a", 2)], 20), base, thresholds);
  assert.deepEqual([other.onBase, other.onBase ? "" : other.reason], [false, "layer 1 of the app image differs from the base's"]);
  const midway = computeDrift(img(["sha256:b0", "sha256:b1", "sha256:x", "sha256:a"], 20), base, thresholds);
  assert.equal(!midway.onBase && midway.reason, "layer 3 of the app image differs from the base's");
  const shorter = computeDrift(img(layers("b", 2), 20), base, thresholds);
  assert.equal(!shorter.onBase && shorter.reason, "the app image has 2 layers, fewer than the base's 3");
  const empty = computeDrift(img(layers("a", 2), 20), { Id: "sha256:e", Size: 0, RootFS: null }, thresholds);
  assert.equal(!empty.onBase && empty.reason, "the base image reports no layers");
  // Never a rebuild suggestion from a comparison that does not hold.
  assert.deepEqual(other.rebuild, []);
});

test("a smaller app than its base (a layer that deletes) counts 0 bytes, not a negative size", () => {
  const base = img(layers("b", 2), 100);
  const drift = computeDrift(img([...layers("b", 2), "sha256:rm"], 90), base, thresholds);
  assert.equal(drift.onBase && drift.bytes, 0);
});

test("warnings as the layer count nears the engine's maximum of 125", () => {
  assert.equal(MAX_LAYERS, 125);
  assert.deepEqual(layerWarnings(LAYER_WARNING - 1), []);
  assert.match(layerWarnings(LAYER_WARNING)[0]!, /100 layers, near the engine's maximum of 125/);
  assert.match(layerWarnings(125)[0]!, /maximum is 125, nothing more can be built on it/);
  const base = img(layers("b", 90), 10);
  const drift = computeDrift(img([...layers("b", 90), ...layers("a", 15)], 20), base, thresholds);
  assert.equal(drift.totalLayers, 105);
  assert.equal(drift.warnings.length, 1);
  // …also when the app is not on the base.
  assert.equal(computeDrift(img(layers("z", 110), 20), base, thresholds).warnings.length, 1);
});

test("formatBytes: binary units, as slipway.yml's sizes are read", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(200 * MiB), "200 MiB");
  assert.equal(formatBytes(3 * 1024 * MiB), "3.0 GiB");
});
