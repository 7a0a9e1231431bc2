import { test } from "node:test";
import assert from "node:assert/strict";
import { commitTag, releaseImageLabels } from "./release-labels.ts";
import type { Revision } from "./revision.ts";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const clean: Revision = { commit: COMMIT, committedAt: "2024-03-01T12:34:56+01:00", dirty: false, changes: [], source: "https://git.example.com/team/app.git" };

test("a clean commit: the OCI labels (created is the commit's time), no dirty label, the commit as GIT_SHA", () => {
  assert.deepEqual(releaseImageLabels(clean, { title: "app" }), {
    labels: {
      "org.opencontainers.image.revision": COMMIT,
      "org.opencontainers.image.created": "2024-03-01T12:34:56+01:00",
      "org.opencontainers.image.source": "https://git.example.com/team/app.git",
      "org.opencontainers.image.title": "app",
      "org.opencontainers.image.version": "",
    },
    args: { GIT_SHA: COMMIT },
  });
  assert.equal(commitTag(clean), "0123456");
});

test("the same revision gives the same labels: nothing comes from the clock", () => {
  assert.deepEqual(releaseImageLabels(clean, { title: "app" }), releaseImageLabels({ ...clean }, { title: "app" }));
});

test("a dirty tree: the dev.slipway.dirty label, and a -dirty commit tag", () => {
  const dirty = { ...clean, dirty: true, changes: ["app.txt"] };
  assert.equal(releaseImageLabels(dirty, { title: "app" }).labels["dev.slipway.dirty"], "true");
  assert.equal(commitTag(dirty), "0123456-dirty");
});

test("the caller's source and build argument name", () => {
  const out = releaseImageLabels(clean, { title: "api", source: "https://example.com/api", commitArg: "REVISION" });
  assert.equal(out.labels["org.opencontainers.image.source"], "https://example.com/api");
  assert.deepEqual(out.args, { REVISION: COMMIT });
});

test("an unknown revision: every OCI label still written (none inherited from the base image), no commit tag", () => {
  const unknown: Revision = { commit: "unknown", dirty: false, changes: [], warning: "not a git repository" };
  assert.deepEqual(releaseImageLabels(unknown, { title: "app" }), {
    labels: {
      "org.opencontainers.image.revision": "unknown",
      "org.opencontainers.image.created": "",
      "org.opencontainers.image.source": "",
      "org.opencontainers.image.title": "app",
      "org.opencontainers.image.version": "",
    },
    args: { GIT_SHA: "unknown" },
  });
  assert.equal(commitTag(unknown), undefined);
});

test("a version (from a version tag on the commit) is the OCI version label; without one the label is empty, never a base image's", () => {
  assert.equal(releaseImageLabels(clean, { title: "app", version: "1.2.3" }).labels["org.opencontainers.image.version"], "1.2.3");
  assert.equal(releaseImageLabels(clean, { title: "app" }).labels["org.opencontainers.image.version"], "");
});
