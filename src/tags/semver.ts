/**
 * SemVer 2.0.0 (https://semver.org/spec/v2.0.0.html), as much of it as tagging needs: reading a
 * git tag (`v1.2.3` or `1.2.3`) as a version, and precedence, so that the highest of two version
 * tags wins and `latest`, `X` and `X.Y` only ever move forward.
 *
 * Strict on purpose: `v1.2` or `01.2.3` is no version (a tag that is almost one says nothing
 * reliable about the release it names). Numbers above 2^53 - 1 are refused too, as node-semver
 * does, so that the parts stay plain numbers.
 */

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  /** Dot-separated prerelease identifiers (`rc.1` → `["rc", "1"]`); empty for a release. */
  prerelease: string[];
  /** Build metadata identifiers (`+build.5`); they do not count for precedence. */
  build: string[];
}

const NUMERIC = /^(0|[1-9][0-9]*)$/;
const IDENTIFIER = /^[0-9A-Za-z-]+$/;
// major.minor.patch, then -prerelease and +build, each a dot-separated list of identifiers.
const VERSION = /^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;

/** The version a tag such as `v1.2.3-rc.1+build.5` names; undefined when it names none. */
export function parseVersion(text: string): SemVer | undefined {
  const m = VERSION.exec(text);
  if (!m) return undefined;
  const [major, minor, patch] = [m[1]!, m[2]!, m[3]!].map(Number) as [number, number, number];
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined;
  const prerelease = m[4] === undefined ? [] : m[4].split(".");
  const build = m[5] === undefined ? [] : m[5].split(".");
  // Identifiers are non-empty; a numeric prerelease identifier has no leading zero (build ones may).
  if (!prerelease.every((id) => IDENTIFIER.test(id) && (!/^[0-9]+$/.test(id) || NUMERIC.test(id)))) return undefined;
  if (!build.every((id) => IDENTIFIER.test(id))) return undefined;
  return { major, minor, patch, prerelease, build };
}

/** `1.2.3-rc.1+build.5`: the version without a `v`. */
export function formatVersion(v: SemVer): string {
  return `${v.major}.${v.minor}.${v.patch}${v.prerelease.length ? `-${v.prerelease.join(".")}` : ""}${v.build.length ? `+${v.build.join(".")}` : ""}`;
}

export function isPrerelease(v: SemVer): boolean {
  return v.prerelease.length > 0;
}

const sign = (n: number): -1 | 0 | 1 => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** Two prerelease identifiers: numeric ones by value and below alphanumeric ones, those in ASCII order. */
function compareIdentifiers(a: string, b: string): -1 | 0 | 1 {
  const an = /^[0-9]+$/.test(a);
  const bn = /^[0-9]+$/.test(b);
  if (an && bn) return sign(a.length - b.length) || (a < b ? -1 : a > b ? 1 : 0); // no leading zeros: longer is larger
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Precedence (SemVer §11): major, minor, patch by value; a prerelease is below its release; then
 * prerelease identifiers one by one, a longer list winning when one is a prefix of the other.
 * Build metadata is ignored, so `1.0.0+a` and `1.0.0+b` compare equal.
 */
export function compareVersions(a: SemVer, b: SemVer): -1 | 0 | 1 {
  const core = sign(a.major - b.major) || sign(a.minor - b.minor) || sign(a.patch - b.patch);
  if (core) return core;
  if (!a.prerelease.length || !b.prerelease.length) return sign(b.prerelease.length - a.prerelease.length);
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
    const c = compareIdentifiers(a.prerelease[i]!, b.prerelease[i]!);
    if (c) return c;
  }
  return sign(a.prerelease.length - b.prerelease.length);
}
