/**
 * Docker tag names. A tag is 1 to 128 characters: letters, digits, `_`, `.` and `-`, not starting
 * with `.` or `-` (the distribution spec's `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`).
 *
 * Names Slipway derives (branches, the CI's tags) are sanitised into one; names a user wrote as a
 * tag (slipway.yml's `tags.extra`) are checked and refused when invalid, never silently changed:
 * a user who wrote `Release/1` should learn that it is no tag, not find `release-1` in the registry.
 */
import { createHash } from "node:crypto";
import { SlipwayError } from "../errors/index.ts";

export const MAX_TAG_LENGTH = 128;
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const TAG_RULE = "1 to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'";

export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

/**
 * Any text as a tag: lowercased, each run of characters a tag cannot hold (`/`, spaces, `+`, `@`,
 * non-ASCII…) and of `-` made one `-`, without a leading `.`/`-` or a trailing `-`/`.`:
 * `feature/Login_v2` → `feature-login_v2`. Text longer than a tag keeps its first characters and
 * ends with 7 hex digits of its hash, so that two long branches that differ only near their end
 * keep two tags. Undefined when nothing usable is left (`///`).
 */
export function sanitizeTag(text: string): string | undefined {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[.-]+/, "")
    .replace(/[.-]+$/, "");
  if (!cleaned) return undefined;
  if (cleaned.length <= MAX_TAG_LENGTH) return cleaned;
  const suffix = createHash("sha256").update(text).digest("hex").slice(0, 7);
  const head = cleaned.slice(0, MAX_TAG_LENGTH - suffix.length - 1).replace(/[.-]+$/, "");
  return `${head}-${suffix}`;
}

/**
 * A tag the user wrote, unchanged, or an error naming it: a config error for slipway.yml's,
 * a usage error for one given to a command.
 */
export function checkTag(tag: string, where: { kind: "config" | "usage"; source: string }): string {
  if (isValidTag(tag)) return tag;
  throw new SlipwayError(`${where.source}: ${JSON.stringify(tag)} is not a valid Docker tag (${TAG_RULE})`, {
    code: "TAG_INVALID",
    kind: where.kind,
    hint: where.kind === "config" ? `Change it in slipway.yml; Slipway does not rewrite a tag you wrote.` : `Pass a valid tag; Slipway does not rewrite a tag you wrote.`,
    details: { tag },
  });
}
