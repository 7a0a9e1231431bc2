import { test } from "node:test";
import assert from "node:assert/strict";
import type { PruneReport } from "../../cleanup/prune.ts";
import { renderPrune } from "./prune.ts";

const image = (id: string, tags: string[], size: number) => ({ id: `sha256:${id.padEnd(64, "0")}`, tags, digests: [], labels: {}, size, created: 1 });

function report(more: Partial<PruneReport> = {}): PruneReport {
  return {
    dryRun: false,
    images: [
      { image: image("aaaa", ["shop-app:old"], 2_500_000), remove: true, reasons: ["not latest, …"], removed: true },
      { image: image("bbbb", [], 1_000_000), remove: true, reasons: ["displaced by a newer build (no tags left)"], failure: "the engine refused: conflict" },
      { image: image("cccc", ["shop-app:slipway"], 3_000_000), remove: false, reasons: ["the newest build of shop-app:slipway", "tagged latest"] },
    ],
    volumes: [{ name: "f".repeat(64), reason: "anonymous, used by no container", removed: true }],
    runs: [],
    buildCache: { size: 0, records: 0 },
    reclaimed: 2_500_000,
    ...more,
  };
}

test("each image with what was done and every reason; refusals said; the totals count only what went", () => {
  const out = renderPrune(report(), false);
  assert.match(out, /^removed       shop-app:old \(aaaa00000000\), 2\.5 MB: not latest, …$/m);
  assert.match(out, /^not removed   <untagged> \(bbbb00000000\), 1\.0 MB: the engine refused: conflict$/m);
  assert.match(out, /^keep          shop-app:slipway \(cccc00000000\), 3\.0 MB: the newest build of shop-app:slipway; tagged latest$/m);
  assert.match(out, /^removed       volume f{64}: anonymous, used by no container$/m);
  assert.match(out, /^removed 1 images \(2\.5 MB\) and 1 volumes; kept 1 images$/m);
});

test("a dry run says what it would do; the build cache's size, and why it stays without --build-cache", () => {
  const out = renderPrune(report({ dryRun: true, images: [{ image: image("aaaa", ["shop-app:old"], 2_500_000), remove: true, reasons: ["x"] }], volumes: [], buildCache: { size: 181_200_000, records: 42 } }), false);
  assert.match(out, /^would remove  shop-app:old/m);
  assert.match(out, /^build cache   181\.2 MB in 42 records: kept \(the builder's cache cannot be told apart by who made it; --build-cache prunes all of it\)$/m);
  assert.match(out, /^would remove 1 images \(2\.5 MB\) and 0 volumes; kept 0 images$/m);
});

test("the build cache pruned, or why not; nothing at all to prune", () => {
  assert.match(renderPrune(report({ buildCache: { size: 0, records: 0, pruned: { records: 7, reclaimed: 5_000_000 } } }), true), /^build cache   removed 7 records, 5\.0 MB$/m);
  assert.match(renderPrune(report({ buildCache: { size: 0, records: 0, failure: "builder busy" } }), true), /^build cache   not pruned: builder busy$/m);
  assert.match(renderPrune(report({ dryRun: true, buildCache: { size: 0, records: 0, failure: "df timed out" } }), false), /^build cache   size unknown: df timed out$/m);
  assert.equal(renderPrune(report({ images: [], volumes: [] }), false), "nothing of this pipeline's to prune\n");
});
