import { test } from "node:test";
import assert from "node:assert/strict";
import type { BaseConfig } from "../config/pipeline-schema.ts";
import { isSlipwayError } from "../errors/index.ts";
import { advise, driftThresholds, formatBaseStatus, type BaseStatus } from "./base-status.ts";
import { computeDrift } from "./drift.ts";

const MiB = 1024 ** 2;
const thresholds = { layers: 10, bytes: 200 * MiB };
const current = { version: "2", ref: "app:base-2", from: "BASE_VERSION", image: { ref: "app:base-2", imageId: `sha256:${"b".repeat(64)}`, size: 80 * MiB, layers: 5 } };
const app = (base: string | undefined, layers = 8) => ({ ref: "shop-app:slipway", imageId: `sha256:${"a".repeat(64)}`, size: 95 * MiB, layers, ...(base ? { base } : {}) });
const status = (over: Partial<BaseStatus>): BaseStatus => ({ image: "app", repository: "app", thresholds, advice: [], ...over });
const layered = (n: number, prefix = "b", size = 80 * MiB) => ({ Id: "x", Size: size, RootFS: { Layers: Array.from({ length: n }, (_, i) => `${prefix}${i}`) } });

test("advise: what to run next, from what is missing to what is due", () => {
  assert.deepEqual(advise(status({})), ["no base was built yet: run `slipway base build`"]);
  assert.match(advise(status({ current: { version: "2", ref: "app:base-2", from: "BASE_VERSION" } }))[0]!, /app:base-2 is not in the engine: run `slipway base build`/);
  assert.deepEqual(advise(status({ current })), ["no app image app was built yet: run `slipway ci`"]);
  assert.deepEqual(advise(status({ current, app: app("app:base-1"), drift: computeDrift(layered(7, "o"), layered(5), thresholds) })), [
    "the app image was built on app:base-1, not on the current base app:base-2: `slipway ci` rebuilds it on it",
  ]);
  assert.match(advise(status({ current, app: app(undefined) }))[0]!, /built on no base/);
  const due = computeDrift({ ...layered(17), RootFS: { Layers: [...layered(5).RootFS.Layers, ...Array.from({ length: 12 }, (_, i) => `a${i}`)] } }, layered(5), thresholds);
  assert.deepEqual(advise(status({ current, app: app("app:base-2", 17), drift: due })), ["a new base is due (12 layers on top of the base (rebuild_after_layers: 10)): bump the version and run `slipway base build`, then `slipway ci`"]);
  const fine = computeDrift({ ...layered(8), RootFS: { Layers: [...layered(5).RootFS.Layers, "a0", "a1", "a2"] } }, layered(5), thresholds);
  assert.deepEqual(advise(status({ current, app: app("app:base-2"), drift: fine })), []);
});

test("formatBaseStatus: the base, the app image, the drift, warnings and advice as lines", () => {
  const drift = computeDrift({ Id: "a", Size: 95 * MiB, RootFS: { Layers: [...layered(5).RootFS.Layers, "a0", "a1", "a2"] } }, layered(5), thresholds);
  const lines = formatBaseStatus(status({ current, app: app("app:base-2"), drift }));
  assert.deepEqual(lines, [
    "base of app: app:base-2 (version 2, from BASE_VERSION) — image bbbbbbbbbbbb, 5 layers, 80.0 MiB",
    "app image: shop-app:slipway — image aaaaaaaaaaaa, 8 layers, 95.0 MiB, built on app:base-2",
    "drift: 3 layers and 15.0 MiB on top of the base (a new base is suggested from 10 layers or 200 MiB)",
    "→ the base is current; no new base is due",
  ]);
  const off = formatBaseStatus(status({ current, app: app("app:base-1", 110), drift: computeDrift(layered(110, "o"), layered(5), thresholds) }));
  assert.match(off.join("\n"), /drift: not built on the current base \(layer 1 of the app image differs from the base's\)\nwarning: the app image has 110 layers, near the engine's maximum of 125/);
  const none = status({});
  none.advice = advise(none);
  assert.deepEqual(formatBaseStatus(none), ["base of app: none built yet", "→ no base was built yet: run `slipway base build`"]);
});

test("driftThresholds: rebuild_after_size in binary units, as docker reads sizes", () => {
  const base = (size: string): { base: BaseConfig; key: string; repository: string } => ({ key: "app", repository: "app", base: { image: undefined, version_file: undefined, build: { context: ".", dockerfile: "Dockerfile.base", target: undefined, args: {} }, arg: "BASE_IMAGE", rebuild_after_layers: 7, rebuild_after_size: size } });
  assert.deepEqual(driftThresholds(base("200MB")), { layers: 7, bytes: 200 * MiB });
  assert.deepEqual(driftThresholds(base("1g")), { layers: 7, bytes: 1024 * MiB });
  assert.throws(() => driftThresholds(base("lots")), (err: unknown) => isSlipwayError(err) && err.kind === "config");
});
