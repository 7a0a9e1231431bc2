import { test } from "node:test";
import assert from "node:assert/strict";
import { judgeOwner, type HostFacts } from "./owner.ts";

const facts: HostFacts = { host: "ci-1", bootId: "boot-a", now: Date.parse("2026-11-23T12:00:00Z"), isPidAlive: (pid) => pid === 100 };
const labels = (over: Record<string, string> = {}) => ({
  "dev.slipway.run": "r1",
  "dev.slipway.lifetime": "ephemeral",
  "dev.slipway.owner.host": "ci-1",
  "dev.slipway.owner.boot-id": "boot-a",
  "dev.slipway.owner.pid": "100",
  "dev.slipway.expires": "2026-11-23T18:00:00Z",
  ...over,
});

test("a live owner keeps its resources", () => assert.equal(judgeOwner(labels(), facts).gone, false));
test("a dead pid on this host and boot: gone", () => assert.equal(judgeOwner(labels({ "dev.slipway.owner.pid": "101" }), facts).gone, true));
test("another boot of this host: gone, even if the pid number is alive now", () =>
  assert.equal(judgeOwner(labels({ "dev.slipway.owner.boot-id": "boot-old" }), facts).gone, true));
test("another host: only expiry decides", () => {
  assert.equal(judgeOwner(labels({ "dev.slipway.owner.host": "ci-2", "dev.slipway.owner.pid": "999" }), facts).gone, false);
  assert.equal(judgeOwner(labels({ "dev.slipway.owner.host": "ci-2", "dev.slipway.expires": "2026-11-23T11:00:00Z" }), facts).gone, true);
});
test("never anything without Slipway's labels, never a persistent (compose up -d) project", () => {
  assert.equal(judgeOwner({ "com.docker.compose.project": "x" }, facts).gone, false);
  assert.equal(judgeOwner(labels({ "dev.slipway.lifetime": "persistent", "dev.slipway.owner.pid": "101" }), facts).gone, false);
  assert.equal(judgeOwner(undefined, facts).gone, false);
});
