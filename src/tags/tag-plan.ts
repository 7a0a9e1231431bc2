/**
 * The tag plan: which tags a release image gets, each with the rule that made it and why. A pure
 * function of the git state, the CI's variables, slipway.yml's `tags:` rules and one clock
 * reading, so that `slipway tags` shows exactly what a publish will push, and tests need no git.
 *
 * The plan does not decide whether a tag may move: each tag says whether it is meant to
 * (`moving`) and which version it stands for, and the publish step holds the registry to the
 * forward-only rules (an exact tag is never re-pointed; `latest`, `X`, `X.Y` never go to a lower
 * version).
 */
import { SlipwayError } from "../errors/index.ts";
import type { CiVariables } from "./ci-variables.ts";
import type { GitState } from "./git-state.ts";
import { compareVersions, formatVersion, isPrerelease, parseVersion, type SemVer } from "./semver.ts";
import { checkTag, MAX_TAG_LENGTH, sanitizeTag, TAG_RULE } from "./tag-name.ts";

/**
 * slipway.yml's `tags:` (TagsConfig in config/pipeline-schema.ts, whose field docs say what each
 * rule does). Declared here, not imported: tags/ sits below config/ in the layers, and the
 * config's type is checked against this one where both are visible (tag-plan.test.ts).
 */
export interface TagRules {
  commit: "short" | "full" | "both" | "none";
  short_length: number;
  semver: boolean;
  branch: boolean;
  latest: boolean;
  default_branch?: string;
  build?: string;
  timestamp: string;
  ci: boolean;
  extra: string[];
}

export type TagRule = "commit" | "short-commit" | "semver" | "semver-minor" | "semver-major" | "branch" | "latest" | "build" | "ci-pull-request" | "ci-branch" | "ci-tag" | "extra";

export interface PlannedTag {
  tag: string;
  rule: TagRule;
  /** Why: "git tag v1.2.3 on HEAD", "default branch main", "GITHUB_REF refs/pull/42/merge". */
  why: string;
  /** True for tags that move from release to release (latest, X, X.Y, branch, pr-N, extra); false for commit, exact version, build and git tag tags. */
  moving: boolean;
  /** The version this tag stands for (for "never move X.Y / latest to a lower version"); undefined without one. */
  version?: string;
}

export interface TagPlan {
  tags: PlannedTag[];
  commit?: string;
  /** The release's version (`1.2.3`, no `v`), when HEAD or the CI names one. */
  version?: string;
  /** The branch built: git's, else (detached) the CI's. */
  branch?: string;
  defaultBranch: string;
  dirty: boolean;
  /** What a reader would otherwise wonder about: a tag not made, a choice between two. */
  notes: string[];
}

export interface PlanTagsInput {
  git: GitState;
  ci: CiVariables;
  rules: TagRules;
  /** The run's one clock reading, for `{timestamp}`. */
  now: Date;
  /** Tags a command adds (a publish's `--tag`); checked, never rewritten. */
  explicit?: string[];
}

const PLACEHOLDERS = ["version", "commit", "short", "branch", "timestamp"] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const TIME_FIELDS: Record<string, (d: Date) => string> = {
  Y: (d) => String(d.getUTCFullYear()).padStart(4, "0"),
  m: (d) => String(d.getUTCMonth() + 1).padStart(2, "0"),
  d: (d) => String(d.getUTCDate()).padStart(2, "0"),
  H: (d) => String(d.getUTCHours()).padStart(2, "0"),
  M: (d) => String(d.getUTCMinutes()).padStart(2, "0"),
  S: (d) => String(d.getUTCSeconds()).padStart(2, "0"),
  "%": () => "%",
};
/** Characters a tag may hold anywhere but first. */
const TAG_CHARS = /^[A-Za-z0-9_.-]*$/;

/** `%Y%m%d%H%M%S` at `now`, in UTC: `20261205113301`. */
export function formatTimestamp(format: string, now: Date): string {
  return format.replace(/%(.)/gs, (whole, field: string) => TIME_FIELDS[field]?.(now) ?? whole);
}

function configError(message: string, hint: string): SlipwayError {
  return new SlipwayError(message, { code: "TAG_RULES_INVALID", kind: "config", hint });
}

/**
 * The rules' own mistakes, found before any git state is looked at: an `extra` tag that is no
 * tag, a build template or timestamp format that names something unknown or holds characters a
 * tag cannot. They are the same mistakes on every branch, so they fail every plan.
 */
export function checkTagRules(rules: TagRules): void {
  for (const tag of rules.extra) checkTag(tag, { kind: "config", source: "slipway.yml tags.extra" });
  const fields = [...rules.timestamp.matchAll(/%(.?)/gs)].map((m) => m[1]!);
  const unknownField = fields.find((f) => !(f in TIME_FIELDS));
  if (unknownField !== undefined) {
    throw configError(`slipway.yml tags.timestamp ${JSON.stringify(rules.timestamp)}: %${unknownField} is not a known field`, "Use %Y, %m, %d, %H, %M, %S (UTC) and %% for a literal %.");
  }
  if (!TAG_CHARS.test(formatTimestamp(rules.timestamp, new Date(0)))) {
    throw configError(`slipway.yml tags.timestamp ${JSON.stringify(rules.timestamp)} makes characters a tag cannot hold`, `A tag holds ${TAG_RULE}; separate the fields with '.', '_' or '-', or nothing.`);
  }
  if (rules.build === undefined) return;
  const build = rules.build;
  const names = [...build.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);
  const unknown = names.find((n) => !(PLACEHOLDERS as readonly string[]).includes(n));
  if (unknown !== undefined) {
    throw configError(`slipway.yml tags.build ${JSON.stringify(build)}: {${unknown}} is not a known placeholder`, `Known placeholders: ${PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}.`);
  }
  // Every placeholder's value is tag-safe and starts with a letter or digit, so the template's own text decides.
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(build.replace(/\{[^{}]*\}/g, "0"))) {
    throw configError(`slipway.yml tags.build ${JSON.stringify(build)} does not make a valid Docker tag`, `A tag is ${TAG_RULE}; Slipway does not rewrite a template you wrote.`);
  }
}

interface Version {
  semver: SemVer;
  text: string;
  why: string;
  /** Read from the CI's tag, not from git. */
  fromCi: boolean;
}

/** A tag Docker accepts for a version: build metadata's `+` is no tag character, and `_` is no SemVer one, so the mapping is reversible (Helm's choice for OCI tags). */
const versionTag = (text: string) => text.replace(/\+/g, "_");

const list = (items: string[]) => (items.length <= 2 ? items.join(" and ") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`);

/**
 * Tags only the version rules make: `latest`, `X`, `X.Y` and an exact version. A branch named
 * `2.0` must not re-point the `2.0` of the 2.0.x releases (a branch tag has no version for the
 * publish step to hold it to).
 */
function reservedTag(tag: string): boolean {
  return tag === "latest" || /^[0-9]+(\.[0-9]+){0,2}$/.test(tag) || (/^[0-9]/.test(tag) && parseVersion(tag.replace(/_/g, "+")) !== undefined);
}

export function planTags(input: PlanTagsInput): TagPlan {
  const { git, ci, rules, now } = input;
  checkTagRules(rules);
  const explicit = (input.explicit ?? []).map((tag) => checkTag(tag, { kind: "usage", source: "tag given to the command" }));
  const notes: string[] = [];
  const tags: PlannedTag[] = [];
  const hasGit = git.available && git.commit !== undefined;
  const commit = hasGit ? git.commit : undefined;

  // The CI's variables describe this checkout only if they name its commit (a job may check out another).
  let useCi = rules.ci && ci.provider !== undefined;
  if (useCi && commit && ci.commit && ci.commit !== commit) {
    useCi = false;
    notes.push(`${ci.from?.commit ?? `the CI's commit ${ci.commit}`} is not HEAD (${commit}): the CI's branch, tag and pull request are not used.`);
  }
  const pullRequest = useCi ? ci.pullRequest : undefined;

  const defaultBranch = rules.default_branch
    ? { name: rules.default_branch, source: "tags.default_branch in slipway.yml" }
    : ci.defaultBranch
      ? { name: ci.defaultBranch, source: ci.from?.defaultBranch ?? "the CI's default branch" }
      : git.originHead
        ? { name: git.originHead, source: "origin/HEAD" }
        : { name: "main", source: "assumed: no tags.default_branch, CI variable or origin/HEAD names one" };

  if (!hasGit) notes.push(`No git: ${git.reason ?? "the repository cannot be read."} Only explicit tags and the CI's own tags are made; no commit, version, branch, latest or build tags.`);

  // The branch built: git's; when detached (or without git), the CI's, unless the build is a pull
  // request's (its merge commit is no branch's head, and a fork may name its branch `main`).
  let branch: { name: string; rule: "branch" | "ci-branch"; why: string } | undefined;
  if (hasGit && git.branch) branch = { name: git.branch, rule: "branch", why: `branch ${git.branch}` };
  else if (useCi && ci.branch && pullRequest === undefined) branch = { name: ci.branch, rule: "ci-branch", why: ci.from?.branch ?? `the CI's branch ${ci.branch}` };
  if (pullRequest !== undefined) {
    const untagged = !branch && ci.branch ? `; its branch ${ci.branch} is not tagged (pr-${pullRequest} stands for it)` : "";
    notes.push(`Pull request ${pullRequest}: the build of a pull request is never latest${untagged}.`);
  }

  // The version: the highest version tag on HEAD, else the tag the CI names (a shallow clone may lack it).
  let version: Version | undefined;
  if (hasGit && rules.semver) {
    const found = git.tagsAtHead.map((tag) => ({ tag, semver: parseVersion(tag) }));
    const versions = found.filter((f): f is { tag: string; semver: SemVer } => f.semver !== undefined);
    const others = found.filter((f) => f.semver === undefined).map((f) => f.tag);
    if (others.length) notes.push(`${others.length === 1 ? "git tag" : "git tags"} ${list(others)} on HEAD ${others.length === 1 ? "is not a version" : "are not versions"} (vX.Y.Z): no version tags from ${others.length === 1 ? "it" : "them"}.`);
    // Highest precedence first; equal ones (build metadata only) in a stable order.
    versions.sort((a, b) => compareVersions(b.semver, a.semver) || (a.tag < b.tag ? -1 : 1));
    const best = versions[0];
    if (best) {
      version = { semver: best.semver, text: formatVersion(best.semver), why: `git tag ${best.tag} on HEAD`, fromCi: false };
      if (versions.length > 1) {
        const count = versions.length === 2 ? "two" : String(versions.length);
        notes.push(`${count} version tags on HEAD: ${list(versions.map((v) => v.tag).reverse())}; using ${version.text}.`);
      }
    } else if (useCi && ci.tag && parseVersion(ci.tag)) {
      const semver = parseVersion(ci.tag)!;
      version = { semver, text: formatVersion(semver), why: ci.from?.tag ?? `the CI's tag ${ci.tag}`, fromCi: true };
    }
    if (!version && git.shallow) notes.push(`The clone is shallow and git sees no version tag on HEAD: a tag that was not fetched is invisible (Slipway never fetches; fetch tags in the CI's checkout).`);
  }

  // 1. Commit tags: what identifies a release.
  if (commit && rules.commit !== "none") {
    if (rules.commit === "full" || rules.commit === "both") tags.push({ tag: commit, rule: "commit", why: `HEAD is commit ${commit}`, moving: false });
    if (rules.commit === "short" || rules.commit === "both") {
      tags.push({ tag: commit.slice(0, rules.short_length), rule: "short-commit", why: `first ${rules.short_length} characters of commit ${commit}`, moving: false });
    }
  }

  // 2. Version tags: X.Y.Z always; X.Y and X only for a release.
  if (version) {
    const { semver, text } = version;
    tags.push({ tag: versionTag(text), rule: "semver", why: version.why, moving: false, version: text });
    if (isPrerelease(semver)) {
      notes.push(`${text} is a prerelease: only its own tag, no ${semver.major}.${semver.minor}, ${semver.major} or latest.`);
    } else {
      tags.push({ tag: `${semver.major}.${semver.minor}`, rule: "semver-minor", why: `release ${text} (${version.why})`, moving: true, version: text });
      tags.push({ tag: `${semver.major}`, rule: "semver-major", why: `release ${text} (${version.why})`, moving: true, version: text });
    }
  }

  // 3. The branch, sanitised.
  if (branch && rules.branch) {
    const tag = sanitizeTag(branch.name);
    if (tag === undefined) notes.push(`${branch.why}: no tag can be made of its name.`);
    else if (reservedTag(tag)) notes.push(`${branch.why}: its tag would be ${tag}, which only the version rules make; not tagged.`);
    else tags.push({ tag, rule: branch.rule, why: tag === branch.name ? branch.why : `${branch.why} (as a valid tag)`, moving: true });
  }

  // 4. latest: a release version, or the default branch; never a prerelease or a pull request.
  if (hasGit && rules.latest && pullRequest === undefined) {
    if (version && !isPrerelease(version.semver)) {
      tags.push({ tag: "latest", rule: "latest", why: `release ${version.text} (${version.why})`, moving: true, version: version.text });
    } else if (!version && branch && branch.name === defaultBranch.name) {
      tags.push({ tag: "latest", rule: "latest", why: `default branch ${defaultBranch.name} (${defaultBranch.source})`, moving: true });
    }
  }

  // 5. The build tag, from its template.
  if (hasGit && rules.build !== undefined) {
    const values: Record<Placeholder, string | undefined> = {
      version: version ? versionTag(version.text) : "0.0.0",
      commit,
      short: commit?.slice(0, rules.short_length),
      branch: branch ? sanitizeTag(branch.name) : undefined,
      timestamp: formatTimestamp(rules.timestamp, now),
    };
    const used = [...rules.build.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] as Placeholder);
    // Only {branch} can be missing: with git there is a commit, and the others have defaults.
    if (used.includes("branch") && values.branch === undefined) {
      notes.push(`No build tag: tags.build ${JSON.stringify(rules.build)} uses {branch}, and HEAD is on no branch (detached, and the CI names none for it).`);
    } else {
      const tag = rules.build.replace(/\{([^{}]*)\}/g, (_, p: string) => values[p as Placeholder]!);
      if (tag.length > MAX_TAG_LENGTH) notes.push(`No build tag: tags.build ${JSON.stringify(rules.build)} makes ${tag.length} characters, over Docker's ${MAX_TAG_LENGTH}.`);
      else {
        tags.push({ tag, rule: "build", why: `tags.build ${JSON.stringify(rules.build)}`, moving: false });
        if (used.includes("version") && !version) notes.push(`The build tag uses version 0.0.0: HEAD has no version tag.`);
      }
    }
  }

  // 6. The CI's own tags.
  let ciTagVersion: string | undefined;
  if (useCi) {
    if (pullRequest !== undefined) {
      const into = ci.branch && ci.targetBranch ? ` (${ci.branch} into ${ci.targetBranch})` : "";
      tags.push({ tag: `pr-${pullRequest}`, rule: "ci-pull-request", why: `${ci.from?.pullRequest ?? `pull request ${pullRequest}`}${into}`, moving: true });
    }
    // The CI's tag of a detached checkout (or one without git), unless the version rules made its
    // tags already. A version gives its exact tag only, as the semver rule would: without git,
    // nothing says whether it is the highest, so no X.Y, X or latest.
    const versionTagged = version?.fromCi || (hasGit && rules.semver && ci.tag !== undefined && parseVersion(ci.tag) !== undefined && git.tagsAtHead.includes(ci.tag));
    if (ci.tag && (!hasGit || git.detached) && !versionTagged) {
      const why = ci.from?.tag ?? `the CI's tag ${ci.tag}`;
      const semver = parseVersion(ci.tag);
      const tag = semver ? versionTag(formatVersion(semver)) : sanitizeTag(ci.tag);
      if (tag === undefined) notes.push(`${why}: no tag can be made of its name.`);
      else if (semver) {
        tags.push({ tag, rule: "ci-tag", why, moving: false, version: formatVersion(semver) });
        ciTagVersion = formatVersion(semver);
      }
      else if (reservedTag(tag)) notes.push(`${why}: its tag would be ${tag}, which only the version rules make; not tagged.`);
      else tags.push({ tag, rule: "ci-tag", why: tag === ci.tag ? why : `${why} (as a valid tag)`, moving: false });
    }
  }

  // 7. Tags written in slipway.yml, then those given to the command, as written.
  for (const tag of rules.extra) tags.push({ tag, rule: "extra", why: "tags.extra in slipway.yml", moving: true });
  for (const tag of explicit) tags.push({ tag, rule: "extra", why: "given to the command", moving: true });

  // One tag once: the first rule that made it keeps it.
  const kept = new Map<string, PlannedTag>();
  for (const t of tags) {
    const first = kept.get(t.tag);
    if (!first) kept.set(t.tag, t);
    else notes.push(`${t.tag} (${t.rule}: ${t.why}) is already made by the ${first.rule} rule; kept once.`);
  }

  return {
    tags: [...kept.values()],
    ...(commit ? { commit } : {}),
    ...(version || ciTagVersion ? { version: version?.text ?? ciTagVersion } : {}),
    ...(branch ? { branch: branch.name } : {}),
    defaultBranch: defaultBranch.name,
    dirty: hasGit && git.dirty,
    notes,
  };
}
