import { test } from "node:test";
import assert from "node:assert/strict";
import { baseChange, type AppBase } from "./app-base.ts";
import { basePlannedTag } from "./publish-base.ts";

const on = (previous?: string | null): AppBase => ({ arg: "BASE_IMAGE", ref: "app:base-2", version: "2", imageId: "sha256:b", labels: {}, ...(previous !== undefined ? { previous } : {}) });

test("baseChange: said only when the previous app image was built on another base, or on none", () => {
  assert.equal(baseChange(on()), undefined);
  assert.equal(baseChange(on("app:base-1")), "on base app:base-2 (was app:base-1)");
  assert.equal(baseChange(on(null)), "on base app:base-2 (was built on no base)");
});

test("a base's planned tag is exact (`moving: false`), so the publisher's rule for exact tags holds for it: never moved to another image without --force (that rule is tested in the publisher's own tests)", () => {
  assert.deepEqual(basePlannedTag("20261207.2"), { tag: "base-20261207.2", rule: "build", why: "base version 20261207.2", moving: false, version: "20261207.2" });
});
