import { test } from "node:test";
import assert from "node:assert/strict";
import { SlipwayError } from "../errors/index.ts";
import { checkTag, isValidTag, MAX_TAG_LENGTH, sanitizeTag } from "./tag-name.ts";

test("a branch with a slash and capitals: feature/Login_v2 → feature-login_v2", () => {
  assert.equal(sanitizeTag("feature/Login_v2"), "feature-login_v2");
  assert.equal(sanitizeTag("users/ALICE/fix/Issue-42"), "users-alice-fix-issue-42");
  assert.equal(sanitizeTag("main"), "main");
  assert.equal(sanitizeTag("release-1.x"), "release-1.x");
});

test("illegal characters become one '-', runs of '-' collapse, no leading or trailing '.'/'-'", () => {
  assert.equal(sanitizeTag("Fix: Ümlaut & spaces!"), "fix-mlaut-spaces");
  assert.equal(sanitizeTag("a//b@@c++d"), "a-b-c-d");
  assert.equal(sanitizeTag("a---b"), "a-b");
  assert.equal(sanitizeTag(".hidden"), "hidden");
  assert.equal(sanitizeTag("-dash"), "dash");
  assert.equal(sanitizeTag("..-.x"), "x");
  assert.equal(sanitizeTag("feature/"), "feature");
  assert.equal(sanitizeTag("_under_"), "_under_", "'_' may start a tag");
  assert.equal(sanitizeTag("dependabot/npm_and_yarn/lodash-4.17.21"), "dependabot-npm_and_yarn-lodash-4.17.21");
});

test("nothing usable left: undefined, not an empty tag", () => {
  for (const text of ["", "///", "..", "-", "ü", "🚀"]) assert.equal(sanitizeTag(text), undefined, JSON.stringify(text));
});

test("a 200-character branch becomes at most 128 characters, ending in a hash that keeps two long branches apart", () => {
  const long = `feature/${"a".repeat(192)}`;
  const tag = sanitizeTag(long)!;
  assert.equal(tag.length, MAX_TAG_LENGTH);
  assert.ok(isValidTag(tag));
  assert.match(tag, /^feature-a+-[0-9a-f]{7}$/);
  assert.equal(sanitizeTag(long), tag, "deterministic");
  const other = sanitizeTag(`feature/${"a".repeat(191)}b`)!;
  assert.notEqual(other, tag);
  assert.equal(other.length, MAX_TAG_LENGTH);
});

test("a name of exactly 128 characters is kept whole; 129 is shortened", () => {
  assert.equal(sanitizeTag("x".repeat(128)), "x".repeat(128));
  assert.equal(sanitizeTag("x".repeat(129))!.length, 128);
});

test("the shortened head does not end in '-' or '.' before the hash", () => {
  const tag = sanitizeTag(`${"a".repeat(119)}/${"b".repeat(40)}`)!;
  assert.ok(isValidTag(tag));
  assert.doesNotMatch(tag, /[-.]-[0-9a-f]{7}$/);
});

test("whatever the input, the output is a valid Docker tag (seeded random strings)", () => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const alphabet = "aZ09_.-/ +@:#~^ü\t\n…A";
  for (let i = 0; i < 2000; i++) {
    const text = Array.from({ length: Math.floor(random() * 300) }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
    const tag = sanitizeTag(text);
    if (tag !== undefined) assert.ok(isValidTag(tag), `${JSON.stringify(text)} → ${JSON.stringify(tag)}`);
  }
});

test("isValidTag: Docker's rule", () => {
  for (const tag of ["latest", "1.2.3", "1.2.3-rc.1", "_x", "A-Z_a.z", "a".repeat(128)]) assert.ok(isValidTag(tag), tag);
  for (const tag of ["", ".x", "-x", "a/b", "a:b", "1.2.3+build", "a b", "a".repeat(129)]) assert.ok(!isValidTag(tag), tag);
});

test("a tag the user wrote is checked, never changed: a config error (3) or a usage error (2) naming it", () => {
  assert.equal(checkTag("Stable", { kind: "config", source: "slipway.yml tags.extra" }), "Stable");
  assert.throws(
    () => checkTag("Release/1", { kind: "config", source: "slipway.yml tags.extra" }),
    (err: unknown) => {
      assert.ok(err instanceof SlipwayError);
      assert.equal(err.code, "TAG_INVALID");
      assert.equal(err.exitCode, 3);
      assert.match(err.message, /^slipway\.yml tags\.extra: "Release\/1" is not a valid Docker tag/);
      assert.match(err.hint ?? "", /does not rewrite/);
      return true;
    },
  );
  assert.throws(() => checkTag("-x", { kind: "usage", source: "--tag" }), (err: unknown) => err instanceof SlipwayError && err.exitCode === 2 && /"-x"/.test(err.message));
});
