import { test } from "node:test";
import assert from "node:assert/strict";
import { isDangling, planPrune, tagOf, type PruneFacts, type PruneImage } from "./prune-plan.ts";
import type { DeploymentEntry, PublishEntry } from "../history/record-store.ts";

const HEAD = "a".repeat(40);
const OLD = "b".repeat(40);

let n = 0;
function image(tags: string[], more: Partial<PruneImage> & { pipeline?: string | null; commit?: string } = {}): PruneImage {
  n += 1;
  const labels: Record<string, string> = { "dev.slipway.context-hash": `h${n}` };
  if (more.pipeline !== null) labels["dev.slipway.pipeline"] = more.pipeline ?? "shop";
  if (more.commit) labels["org.opencontainers.image.revision"] = more.commit;
  return { id: `sha256:${String(n).padStart(64, "0")}`, tags, digests: [], labels: { ...labels, ...more.labels }, size: 1000 * n, created: n, ...(more.digests ? { digests: more.digests } : {}) };
}

function facts(images: PruneImage[], more: Partial<PruneFacts> = {}): PruneFacts {
  return { pipeline: "shop", images, users: [], commit: HEAD, publishes: [], deployments: [], keep: 5, ...more };
}

function publish(runId: string, img: PruneImage, digest: string, at: string): PublishEntry {
  return { id: `${runId}-app`, at, runId, image: "app", imageId: img.id, registry: "127.0.0.1:5000", repository: "127.0.0.1:5000/shop", digest, tags: ["1.0.0"], commit: OLD };
}

function deployment(runId: string, images: string[], outcome: DeploymentEntry["outcome"] = "converged"): DeploymentEntry {
  return {
    id: `${runId}-staging`, at: "2026-12-01T00:00:00Z", runId, target: "staging", stack: "shop", commit: OLD, by: "ci@host", outcome, durationMs: 1,
    services: images.map((i, k) => ({ service: `s${k}`, name: `shop_s${k}`, image: i, specHash: "x", change: "updated" })),
  };
}

const decided = (f: PruneFacts) => new Map(planPrune(f).map((d) => [d.image.id, d]));

test("an old commit's release image with nothing to keep it is removed; HEAD's stays", () => {
  const old = image(["shop-app:bbbbbbb"], { commit: OLD });
  const head = image(["shop-app:aaaaaaa"], { commit: HEAD });
  const d = decided(facts([old, head]));
  assert.equal(d.get(old.id)!.remove, true);
  assert.match(d.get(old.id)!.reasons[0]!, /not latest, not the current commit's/);
  assert.equal(d.get(head.id)!.remove, false);
  assert.deepEqual(d.get(head.id)!.reasons, ["built from the current commit aaaaaaa"]);
});

test("latest and the newest build (:slipway) stay, whatever their commit", () => {
  const latest = image(["127.0.0.1:5000/shop:latest"], { commit: OLD });
  const newest = image(["shop-test-web:slipway"]);
  const d = decided(facts([latest, newest]));
  assert.deepEqual(d.get(latest.id)!.reasons, ["tagged latest"]);
  assert.deepEqual(d.get(newest.id)!.reasons, ["the newest build of shop-test-web:slipway"]);
});

test("a registry port is not a tag", () => {
  assert.equal(tagOf("127.0.0.1:5000/shop"), "latest");
  assert.equal(tagOf("127.0.0.1:5000/shop:slipway"), "slipway");
  assert.equal(tagOf("shop"), "latest");
});

test("the newest N published releases stay; older ones go; a release is a run's publish of one or more images", () => {
  const imgs = [1, 2, 3, 4].map((i) => image([`shop-app:c${i}`], { commit: OLD }));
  const extra = image(["shop-worker:c4"], { commit: OLD });
  const publishes = [
    publish("r4", imgs[3]!, "sha256:d4", "2026-12-04T00:00:00Z"),
    { ...publish("r4", extra, "sha256:e4", "2026-12-04T00:00:00Z"), id: "r4-worker", image: "worker" },
    publish("r3", imgs[2]!, "sha256:d3", "2026-12-03T00:00:00Z"),
    publish("r2", imgs[1]!, "sha256:d2", "2026-12-02T00:00:00Z"),
    publish("r1", imgs[0]!, "sha256:d1", "2026-12-01T00:00:00Z"),
  ];
  const d = decided(facts([...imgs, extra], { publishes, keep: 2 }));
  assert.deepEqual([...imgs, extra].map((i) => d.get(i.id)!.remove), [true, true, false, false, false]);
  assert.match(d.get(imgs[3]!.id)!.reasons[0]!, /^published release 127\.0\.0\.1:5000\/shop@sha256:d4 \(one of the newest 2\)$/);
  assert.equal(decided(facts([...imgs, extra], { publishes, keep: 0 })).get(imgs[3]!.id)!.remove, true, "keep 0 keeps no release");
});

test("whatever a deployment record references stays, by its digest or through the publish that made it, whatever the outcome", () => {
  const byDigest = image(["shop-app:c1"], { commit: OLD, digests: ["127.0.0.1:5000/shop@sha256:d1"] });
  const byPublish = image(["shop-app:c2"], { commit: OLD });
  const failed = image(["shop-app:c3"], { commit: OLD, digests: ["127.0.0.1:5000/shop@sha256:d3"] });
  const none = image(["shop-app:c4"], { commit: OLD, digests: ["127.0.0.1:5000/shop@sha256:d4"] });
  const publishes = [publish("r2", byPublish, "sha256:d2", "2026-12-02T00:00:00Z")];
  const deployments = [deployment("r1", ["127.0.0.1:5000/shop:1.0.0@sha256:d1", "127.0.0.1:5000/shop@sha256:d2"]), deployment("r3", ["127.0.0.1:5000/shop@sha256:d3"], "rolled-back")];
  const d = decided(facts([byDigest, byPublish, failed, none], { publishes, deployments, keep: 0 }));
  assert.deepEqual(d.get(byDigest.id)!.reasons, ["deployed to staging by run r1 (converged)"]);
  assert.deepEqual(d.get(byPublish.id)!.reasons, ["deployed to staging by run r1 (converged)"]);
  assert.deepEqual(d.get(failed.id)!.reasons, ["deployed to staging by run r3 (rolled-back)"]);
  assert.equal(d.get(none.id)!.remove, true);
});

test("a container's image stays; a live run's hold keeps it, a dead run's hold does not", () => {
  const used = image(["shop-app:c1"], { commit: OLD });
  const heldLive = image([], {});
  const heldDead = image([], {});
  const users = [
    { imageId: used.id, name: "someone-else" },
    { imageId: heldLive.id, name: "hold-1", holdOf: { runId: "r-live", live: true } },
    { imageId: heldDead.id, name: "hold-2", holdOf: { runId: "r-dead", live: false } },
  ];
  const d = decided(facts([used, heldLive, heldDead], { users }));
  assert.deepEqual(d.get(used.id)!.reasons, ["used by container someone-else"]);
  assert.deepEqual(d.get(heldLive.id)!.reasons, ["made by run r-live, which is still running"]);
  assert.equal(d.get(heldDead.id)!.remove, true);
  assert.deepEqual(d.get(heldDead.id)!.reasons, ["displaced by a newer build (no tags left)"]);
});

test("another pipeline's images, displaced or not, are its own prune's to judge; a displaced image of no pipeline (built before the label) is a candidate", () => {
  const theirs = image(["other-app:c1"], { pipeline: "other", commit: OLD });
  const theirsDisplaced = image([], { pipeline: "other" });
  const legacy = image([], { pipeline: null });
  const legacyTagged = image(["shop-app:c1"], { pipeline: null, commit: OLD });
  const ids = planPrune(facts([theirs, theirsDisplaced, legacy, legacyTagged])).map((d) => d.image.id);
  assert.deepEqual(ids, [legacy.id]);
});

test("without a pipeline (slipway clean outside a repository) every displaced image is a candidate, whatever its pipeline, and no tagged one", () => {
  const tagged = image(["shop-app:c1"], { commit: OLD });
  const displaced = image([]);
  const theirs = image([], { pipeline: "other" });
  const plan = planPrune(facts([tagged, displaced, theirs], { pipeline: undefined }));
  assert.deepEqual(plan.map((d) => [d.image.id, d.remove]), [[theirs.id, true], [displaced.id, true]]);
  assert.ok(isDangling(displaced) && !isDangling(tagged));
});

test("the current base stays, and so does the base an image that stays was built on; an unused old base goes", () => {
  const current = image(["127.0.0.1:5000/shop:base-3"], { labels: { "dev.slipway.base.version": "3" } });
  const usedBase = image(["127.0.0.1:5000/shop:base-2"], { labels: { "dev.slipway.base.version": "2" } });
  const oldBase = image(["127.0.0.1:5000/shop:base-1"], { labels: { "dev.slipway.base.version": "1" } });
  const app = image(["shop-app:aaaaaaa"], { commit: HEAD, labels: { "dev.slipway.base": "127.0.0.1:5000/shop:base-2" } });
  const d = decided(facts([current, usedBase, oldBase, app], { currentBase: "127.0.0.1:5000/shop:base-3" }));
  assert.deepEqual(d.get(current.id)!.reasons, ["the current base image"]);
  assert.deepEqual(d.get(usedBase.id)!.reasons, ["the base of an image that stays (127.0.0.1:5000/shop:base-2)"]);
  assert.equal(d.get(oldBase.id)!.remove, true);
});

test("every reason that holds is given once; removals come first, newest first", () => {
  const img = image(["shop-app:aaaaaaa", "shop-app:slipway", "127.0.0.1:5000/shop:latest"], { commit: HEAD });
  const users = [{ imageId: img.id, name: "c1" }, { imageId: img.id, name: "c1" }];
  const [d] = planPrune(facts([img], { users }));
  assert.deepEqual(d!.reasons, ["used by container c1", "tagged latest", "built from the current commit aaaaaaa", "the newest build of shop-app:slipway"]);
  const a = image(["shop-app:x1"], { commit: OLD });
  const b = image(["shop-app:x2"], { commit: OLD });
  const keepMe = image(["shop-app:slipway"]);
  assert.deepEqual(planPrune(facts([a, keepMe, b])).map((x) => x.image.id), [b.id, a.id, keepMe.id]);
});

test("an unknown commit keeps nothing by commit", () => {
  const img = image(["shop-app:c1"], { commit: "unknown" });
  assert.equal(planPrune(facts([img], { commit: "unknown" }))[0]!.remove, true);
});

test("an image built FROM a Slipway image inherits its labels, yet is not Slipway's: of the images sharing a context hash, only the first made is a candidate", () => {
  const slipwayBuild = image(["shop-app:c1"], { commit: OLD });
  const child = { ...image(["shop/app:dev"], { commit: OLD }), labels: { ...slipwayBuild.labels }, created: slipwayBuild.created + 10 };
  const ids = planPrune(facts([child, slipwayBuild])).map((d) => d.image.id);
  assert.deepEqual(ids, [slipwayBuild.id]);
  // Made in the same second, which came first cannot be told: neither is taken.
  const twin = { ...child, id: "sha256:twin", created: slipwayBuild.created };
  assert.deepEqual(planPrune(facts([twin, slipwayBuild])), []);
});

test("a pipeline whose current base cannot be named keeps every base image", () => {
  const base = image(["shop:base-1"], { labels: { "dev.slipway.base.version": "1" } });
  const app = image(["shop-app:c1"], { commit: OLD, labels: { "dev.slipway.base.version": "" } });
  const d = decided(facts([base, app], { keepBases: true }));
  assert.deepEqual(d.get(base.id)!.reasons, ["a base image (the current base could not be named)"]);
  assert.equal(d.get(app.id)!.remove, true, "an app image's inherited, emptied version label is no base's");
});
