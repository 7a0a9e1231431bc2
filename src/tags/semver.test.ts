import { test } from "node:test";
import assert from "node:assert/strict";
import { compareVersions, formatVersion, isPrerelease, parseVersion, type SemVer } from "./semver.ts";

const v = (text: string): SemVer => {
  const parsed = parseVersion(text);
  assert.ok(parsed, `${text} parses`);
  return parsed;
};

test("v1.2.3 and 1.2.3 are the same version", () => {
  assert.deepEqual(v("v1.2.3"), { major: 1, minor: 2, patch: 3, prerelease: [], build: [] });
  assert.deepEqual(v("1.2.3"), v("v1.2.3"));
  assert.equal(formatVersion(v("v1.2.3")), "1.2.3");
});

test("prerelease and build metadata are read as dot-separated identifiers", () => {
  assert.deepEqual(v("1.2.0-rc.1"), { major: 1, minor: 2, patch: 0, prerelease: ["rc", "1"], build: [] });
  assert.deepEqual(v("1.0.0+build.5"), { major: 1, minor: 0, patch: 0, prerelease: [], build: ["build", "5"] });
  assert.deepEqual(v("v1.0.0-x-y.z--1+sha.0abc.001"), { major: 1, minor: 0, patch: 0, prerelease: ["x-y", "z--1"], build: ["sha", "0abc", "001"] });
  assert.equal(formatVersion(v("v1.0.0-alpha.1+exp.sha.5114f85")), "1.0.0-alpha.1+exp.sha.5114f85");
});

test("what is not a SemVer 2.0.0 version is refused, not guessed at", () => {
  for (const text of ["1.2", "v1", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "1.2.3-01", "1.2.3-", "1.2.3+", "1.2.3-rc..1", "1.2.3+a..b", "1.2.3-rc_1", "V1.2.3", "vv1.2.3", " 1.2.3", "1.2.3 ", "release-1.2.3", "latest", "", "99999999999999999999.0.0"]) {
    assert.equal(parseVersion(text), undefined, JSON.stringify(text));
  }
  // Leading zeros are allowed in build metadata and in alphanumeric prerelease identifiers.
  assert.ok(parseVersion("1.2.3-0a+001"));
  assert.ok(parseVersion("0.0.0"));
});

test("isPrerelease: only a version with prerelease identifiers", () => {
  assert.equal(isPrerelease(v("1.2.0-rc.1")), true);
  assert.equal(isPrerelease(v("1.2.0")), false);
  assert.equal(isPrerelease(v("1.2.0+build.1")), false);
});

test("precedence follows SemVer §11's own example chain", () => {
  const chain = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.10.0", "2.0.0", "2.1.0", "2.1.1", "10.0.0"];
  for (let i = 0; i < chain.length; i++) {
    for (let j = 0; j < chain.length; j++) {
      assert.equal(compareVersions(v(chain[i]!), v(chain[j]!)), Math.sign(i - j), `${chain[i]} vs ${chain[j]}`);
    }
  }
});

test("build metadata does not count; numeric identifiers compare by value, also past 2^53", () => {
  assert.equal(compareVersions(v("1.0.0+a"), v("1.0.0+b")), 0);
  assert.equal(compareVersions(v("1.0.0-rc.9"), v("1.0.0-rc.10")), -1);
  assert.equal(compareVersions(v("1.0.0-rc.123456789012345678901"), v("1.0.0-rc.123456789012345678902")), -1);
  assert.equal(compareVersions(v("1.0.0-1"), v("1.0.0-a")), -1, "numeric below alphanumeric");
  assert.equal(compareVersions(v("1.0.0-B"), v("1.0.0-a")), -1, "ASCII order");
});

test("sorting by precedence finds the highest", () => {
  const tags = ["v1.3.0-rc.2", "v1.2.9", "v1.3.0", "v1.3.0-rc.10"];
  const sorted = tags.map((t) => ({ t, s: v(t) })).sort((a, b) => compareVersions(b.s, a.s)).map((x) => x.t);
  assert.deepEqual(sorted, ["v1.3.0", "v1.3.0-rc.10", "v1.3.0-rc.2", "v1.2.9"]);
});
