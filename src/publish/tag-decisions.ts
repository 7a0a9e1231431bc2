/**
 * What publishing does to each tag, decided before anything is pushed: pure, from the tag plan,
 * what each tag points at now in the registry, and the image being published. Tags only move
 * forward: an exact version (or build) tag is never pointed at another image without `force`, and
 * `latest`, `X` and `X.Y` never move to a lower version than the one they point at.
 *
 * "The same image" is judged by the image's config digest (its image ID), not the manifest's
 * digest: the same image pushed from another machine may compress its layers differently.
 */
import { compareVersions, parseVersion } from "../tags/semver.ts";
import type { PlannedTag } from "../tags/tag-plan.ts";

/** What a tag points at now, read from the registry before publishing; undefined: no such tag. */
export interface RemoteTag {
  manifestDigest: string;
  /** The image's config digest (its image ID). */
  configDigest: string;
  /** `org.opencontainers.image.version` of that image, when it has one. */
  version?: string;
}

export type TagAction =
  /** A new tag. */
  | "create"
  /** Points at another image now, and moves to this one. */
  | "move"
  /** Points at this image already. */
  | "unchanged"
  /** A moving tag (latest, X, X.Y) at a higher version than this image's: left where it is. */
  | "keep"
  /** An exact tag that points at another image: publishing is refused without --force. */
  | "refuse";

export interface TagDecision {
  tag: string;
  rule: PlannedTag["rule"];
  action: TagAction;
  /** What it points at now. */
  current?: RemoteTag;
  /** Why, for `keep`, `refuse` and a forced `move`. */
  reason?: string;
}

export interface PublishedImage {
  /** The local image ID, which is the config digest the registry will hold. */
  imageId: string;
  version?: string;
}

/** Rules whose tags name one image for good: the exact version and build tags. */
const EXACT_RULES: ReadonlySet<PlannedTag["rule"]> = new Set(["semver", "build", "ci-tag"]);

export function decideTags(planned: readonly PlannedTag[], remote: ReadonlyMap<string, RemoteTag | undefined>, image: PublishedImage, opts: { force?: boolean } = {}): TagDecision[] {
  return planned.map((p) => {
    const current = remote.get(p.tag);
    const base = { tag: p.tag, rule: p.rule, ...(current ? { current } : {}) };
    if (!current) return { ...base, action: "create" };
    if (current.configDigest === image.imageId) return { ...base, action: "unchanged" };
    if (EXACT_RULES.has(p.rule)) {
      const what = `${p.tag} already names image ${shortId(current.configDigest)}${current.version ? ` (version ${current.version})` : ""}`;
      return opts.force ? { ...base, action: "move", reason: `${what}; moved by --force` } : { ...base, action: "refuse", reason: what };
    }
    if (p.version !== undefined && current.version !== undefined && lower(p.version, current.version)) {
      return { ...base, action: "keep", reason: `${p.tag} points at version ${current.version}, higher than ${p.version}: tags never move back` };
    }
    return { ...base, action: "move" };
  });
}

function lower(next: string, current: string): boolean {
  const a = parseVersion(next);
  const b = parseVersion(current);
  return a !== undefined && b !== undefined && compareVersions(a, b) < 0;
}

/**
 * The order tags are put in: those fewest consumers follow first (commit, build, exact version),
 * `latest` last, so that a failure midway leaves the most-followed tags untouched.
 */
const PUT_ORDER: readonly PlannedTag["rule"][] = ["commit", "short-commit", "build", "semver", "ci-pull-request", "ci-branch", "branch", "ci-tag", "extra", "semver-minor", "semver-major", "latest"];

export function putOrder(decisions: readonly TagDecision[]): TagDecision[] {
  const rank = (d: TagDecision) => {
    const at = PUT_ORDER.indexOf(d.rule);
    return at === -1 ? PUT_ORDER.length : at;
  };
  return decisions.filter((d) => d.action === "create" || d.action === "move").sort((a, b) => rank(a) - rank(b));
}

export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}
