import { test } from "node:test";
import assert from "node:assert/strict";
import type { PlannedTag } from "../tags/tag-plan.ts";
import { decideTags, putOrder, type RemoteTag } from "./tag-decisions.ts";

const IMAGE = "sha256:aaaa000000000000000000000000000000000000000000000000000000000000";
const OTHER = "sha256:bbbb000000000000000000000000000000000000000000000000000000000000";
const at = (configDigest: string, version?: string): RemoteTag => ({ manifestDigest: `sha256:m${configDigest.slice(8, 20)}`, configDigest, ...(version ? { version } : {}) });

const plan: PlannedTag[] = [
  { tag: "abc1234", rule: "short-commit", why: "commit", moving: false },
  { tag: "1.2.3", rule: "semver", why: "git tag v1.2.3", moving: false, version: "1.2.3" },
  { tag: "1.2", rule: "semver-minor", why: "git tag v1.2.3", moving: true, version: "1.2.3" },
  { tag: "1", rule: "semver-major", why: "git tag v1.2.3", moving: true, version: "1.2.3" },
  { tag: "latest", rule: "latest", why: "release tag", moving: true, version: "1.2.3" },
  { tag: "main", rule: "branch", why: "branch main", moving: true },
  { tag: "1.2.3.20261205113301", rule: "build", why: "build tag", moving: false, version: "1.2.3" },
];

test("new tags are created, tags already on this image are left unchanged", () => {
  const remote = new Map<string, RemoteTag | undefined>([["main", at(IMAGE)]]);
  const decisions = decideTags(plan, remote, { imageId: IMAGE, version: "1.2.3" });
  assert.deepEqual(
    decisions.map((d) => [d.tag, d.action]),
    [["abc1234", "create"], ["1.2.3", "create"], ["1.2", "create"], ["1", "create"], ["latest", "create"], ["main", "unchanged"], ["1.2.3.20261205113301", "create"]],
  );
});

test("the same image by its config digest is unchanged, whatever its manifest digest (pushed from another machine)", () => {
  const remote = new Map([["1.2.3", { manifestDigest: "sha256:other-manifest", configDigest: IMAGE, version: "1.2.3" }]]);
  assert.equal(decideTags(plan, remote, { imageId: IMAGE, version: "1.2.3" })[1]!.action, "unchanged");
});

test("an exact version or build tag on another image is refused, and moved only with force", () => {
  const remote = new Map([
    ["1.2.3", at(OTHER, "1.2.3")],
    ["1.2.3.20261205113301", at(OTHER, "1.2.3")],
  ]);
  const refused = decideTags(plan, remote, { imageId: IMAGE, version: "1.2.3" }).filter((d) => d.action === "refuse");
  assert.deepEqual(
    refused.map((d) => d.tag),
    ["1.2.3", "1.2.3.20261205113301"],
  );
  assert.match(refused[0]!.reason!, /1\.2\.3 already names image bbbb00000000 \(version 1\.2\.3\)/);
  const forced = decideTags(plan, remote, { imageId: IMAGE, version: "1.2.3" }, { force: true }).filter((d) => d.tag === "1.2.3");
  assert.equal(forced[0]!.action, "move");
  assert.match(forced[0]!.reason!, /moved by --force/);
});

test("latest, X and X.Y never move to a lower version; they move up, and to the same version's rebuild", () => {
  const higher = new Map([
    ["latest", at(OTHER, "2.0.0")],
    ["1", at(OTHER, "1.5.0")],
    ["1.2", at(OTHER, "1.2.1")],
  ]);
  const d = new Map(decideTags(plan, higher, { imageId: IMAGE, version: "1.2.3" }).map((x) => [x.tag, x]));
  assert.equal(d.get("latest")!.action, "keep");
  assert.match(d.get("latest")!.reason!, /points at version 2\.0\.0, higher than 1\.2\.3/);
  assert.equal(d.get("1")!.action, "keep");
  assert.equal(d.get("1.2")!.action, "move", "1.2.1 → 1.2.3 is forward");
  // A prerelease is lower than its release: an rc never takes `latest` from the release.
  const rc: PlannedTag[] = [{ tag: "latest", rule: "latest", why: "x", moving: true, version: "1.3.0-rc.1" }];
  assert.equal(decideTags(rc, new Map([["latest", at(OTHER, "1.3.0")]]), { imageId: IMAGE, version: "1.3.0-rc.1" })[0]!.action, "keep");
  // Without a version on either side there is nothing to compare: a branch tag moves.
  assert.equal(decideTags(plan, new Map([["main", at(OTHER)]]), { imageId: IMAGE })[5]!.action, "move");
});

test("a commit tag on another image of the same commit (a rebuild) moves", () => {
  assert.equal(decideTags(plan, new Map([["abc1234", at(OTHER)]]), { imageId: IMAGE })[0]!.action, "move");
});

test("tags are put least-followed first and latest last; unchanged, kept and refused ones are not put", () => {
  const remote = new Map([
    ["main", at(IMAGE)],
    ["1", at(OTHER, "9.0.0")],
  ]);
  const order = putOrder(decideTags([...plan].reverse(), remote, { imageId: IMAGE, version: "1.2.3" })).map((d) => d.tag);
  assert.deepEqual(order, ["abc1234", "1.2.3.20261205113301", "1.2.3", "1.2", "latest"]);
});
