import { test } from "node:test";
import assert from "node:assert/strict";
import { SlipwayError } from "../errors/index.ts";
import { ciVariables, type CiVariables } from "./ci-variables.ts";
import type { GitState } from "./git-state.ts";
import { checkTagRules, formatTimestamp, planTags, type PlanTagsInput, type TagPlan, type TagRules } from "./tag-plan.ts";
import { isValidTag } from "./tag-name.ts";

const SHA = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";
const OTHER_SHA = "ffffffffffffffffffffffffffffffffffffffff";
const NOW = new Date("2026-12-05T11:33:01.987Z");

/** slipway.yml's defaults for `tags:` (src/cli/commands/tags.test.ts holds the schema to the same). */
const DEFAULTS: TagRules = { commit: "short", short_length: 7, semver: true, branch: true, latest: true, timestamp: "%Y%m%d%H%M%S", ci: true, extra: [] };

const rules = (more: Partial<TagRules> = {}): TagRules => ({ ...DEFAULTS, ...more });

function git(more: Partial<GitState> = {}): GitState {
  return { available: true, commit: SHA, branch: "main", detached: false, tagsAtHead: [], dirty: false, changes: [], shallow: false, ...more };
}
const detached = (more: Partial<GitState> = {}) => git({ branch: undefined, detached: true, ...more });
const NO_GIT: GitState = { available: false, reason: "/src is not in a git repository git can read (fatal: not a git repository).", detached: false, tagsAtHead: [], dirty: false, changes: [], shallow: false };

function plan(input: Partial<PlanTagsInput> = {}): TagPlan {
  return planTags({ git: git(), ci: {}, rules: rules(), now: NOW, ...input });
}
const tagsOf = (p: TagPlan) => p.tags.map((t) => t.tag);
const ruleOf = (p: TagPlan, tag: string) => p.tags.find((t) => t.tag === tag)?.rule;
const find = (p: TagPlan, tag: string) => {
  const t = p.tags.find((x) => x.tag === tag);
  assert.ok(t, `${tag} in ${tagsOf(p).join(", ")}`);
  return t;
};

const github = (env: Record<string, string>): CiVariables => ciVariables({ GITHUB_ACTIONS: "true", GITHUB_SHA: SHA, ...env });
const gitlab = (env: Record<string, string>): CiVariables => ciVariables({ GITLAB_CI: "true", CI_COMMIT_SHA: SHA, ...env });

test("the default rules: short commit, branch and latest on the default branch", () => {
  const p = plan();
  assert.deepEqual(p.tags, [
    { tag: "1a2b3c4", rule: "short-commit", why: `first 7 characters of commit ${SHA}`, moving: false },
    { tag: "main", rule: "branch", why: "branch main", moving: true },
    { tag: "latest", rule: "latest", why: "default branch main (assumed: no tags.default_branch, CI variable or origin/HEAD names one)", moving: true },
  ]);
  assert.deepEqual({ ...p, tags: [] }, { tags: [], commit: SHA, branch: "main", defaultBranch: "main", dirty: false, notes: [] });
});

test("commit tags: short (short_length), full, both, none", () => {
  assert.deepEqual(tagsOf(plan({ rules: rules({ short_length: 12, branch: false, latest: false }) })), ["1a2b3c4d5e6f"]);
  assert.deepEqual(tagsOf(plan({ rules: rules({ commit: "full", branch: false, latest: false }) })), [SHA]);
  const both = plan({ rules: rules({ commit: "both", branch: false, latest: false }) });
  assert.deepEqual(both.tags.map((t) => [t.tag, t.rule, t.moving]), [[SHA, "commit", false], ["1a2b3c4", "short-commit", false]]);
  assert.deepEqual(tagsOf(plan({ rules: rules({ commit: "none", branch: false, latest: false }) })), []);
});

test("a short length of the whole id with commit: both makes one tag, and says so", () => {
  const p = plan({ rules: rules({ commit: "both", short_length: 40, branch: false, latest: false }) });
  assert.deepEqual(tagsOf(p), [SHA]);
  assert.match(p.notes.join("\n"), new RegExp(`${SHA} \\(short-commit: .*\\) is already made by the commit rule; kept once`));
});

test("branches with slashes, capitals and illegal characters are sanitised; the reason says so", () => {
  const p = plan({ git: git({ branch: "feature/Login_v2" }) });
  assert.deepEqual(tagsOf(p), ["1a2b3c4", "feature-login_v2"]);
  assert.equal(find(p, "feature-login_v2").why, "branch feature/Login_v2 (as a valid tag)");
  assert.equal(p.branch, "feature/Login_v2", "the plan keeps the branch's own name");
  assert.equal(find(plan({ git: git({ branch: "Fix: Ümlaut & co" }) }), "fix-mlaut-co").rule, "branch");
});

test("a 200-character branch gives a valid tag of at most 128 characters", () => {
  const p = plan({ git: git({ branch: `feature/${"x".repeat(192)}` }) });
  const tag = p.tags.find((t) => t.rule === "branch")!.tag;
  assert.ok(tag.length <= 128 && isValidTag(tag), tag);
});

test("a branch whose tag would be latest or a version is not tagged (it would move a version's tag)", () => {
  for (const branch of ["latest", "2.0", "2", "1.2.3", "1.2.3-rc.1"]) {
    const p = plan({ git: git({ branch }), rules: rules({ latest: false }) });
    assert.deepEqual(tagsOf(p), ["1a2b3c4"], branch);
    assert.match(p.notes.join("\n"), /which only the version rules make; not tagged/, branch);
  }
  // A version-like name with a prefix is an ordinary branch.
  assert.equal(ruleOf(plan({ git: git({ branch: "release/2.0" }) }), "release-2.0"), "branch");
  assert.equal(ruleOf(plan({ git: git({ branch: "v2.0" }) }), "v2.0"), "branch");
});

test("a release version tag on HEAD: X.Y.Z, X.Y, X and latest, each with its version", () => {
  const p = plan({ git: git({ tagsAtHead: ["v1.2.3"] }) });
  assert.deepEqual(
    p.tags.map((t) => [t.tag, t.rule, t.moving, t.version]),
    [
      ["1a2b3c4", "short-commit", false, undefined],
      ["1.2.3", "semver", false, "1.2.3"],
      ["1.2", "semver-minor", true, "1.2.3"],
      ["1", "semver-major", true, "1.2.3"],
      ["main", "branch", true, undefined],
      ["latest", "latest", true, "1.2.3"],
    ],
  );
  assert.equal(find(p, "1.2.3").why, "git tag v1.2.3 on HEAD");
  assert.equal(find(p, "latest").why, "release 1.2.3 (git tag v1.2.3 on HEAD)");
  assert.equal(p.version, "1.2.3");
  assert.equal(tagsOf(plan({ git: git({ tagsAtHead: ["1.2.3"] }) })).includes("1.2.3"), true, "without a v too");
});

test("a release version tag on a feature branch still gets latest", () => {
  const p = plan({ git: git({ branch: "feature/x", tagsAtHead: ["v1.2.3"] }) });
  assert.deepEqual(tagsOf(p), ["1a2b3c4", "1.2.3", "1.2", "1", "feature-x", "latest"]);
  assert.equal(find(p, "latest").version, "1.2.3");
});

test("a prerelease gets only its own version tag: no X.Y, X or latest, even on the default branch", () => {
  for (const branch of ["main", "feature/x"]) {
    const p = plan({ git: git({ branch, tagsAtHead: ["v2.0.0-rc.1"] }) });
    assert.deepEqual(tagsOf(p).filter((t) => t !== "1a2b3c4" && t !== "main" && t !== "feature-x"), ["2.0.0-rc.1"], branch);
    assert.equal(find(p, "2.0.0-rc.1").moving, false);
    assert.ok(p.notes.includes("2.0.0-rc.1 is a prerelease: only its own tag, no 2.0, 2 or latest."), p.notes.join("\n"));
  }
});

test("two version tags on one commit: the highest wins, and the plan says so", () => {
  const p = plan({ git: git({ tagsAtHead: ["v1.2.0", "v1.3.0"] }) });
  assert.equal(p.version, "1.3.0");
  assert.deepEqual(tagsOf(p).slice(1, 4), ["1.3.0", "1.3", "1"]);
  assert.ok(p.notes.includes("two version tags on HEAD: v1.2.0 and v1.3.0; using 1.3.0."), p.notes.join("\n"));
  // Precedence, not string order: 1.10.0 > 1.9.0, and a release > its prereleases.
  assert.equal(plan({ git: git({ tagsAtHead: ["v1.10.0", "v1.9.0"] }) }).version, "1.10.0");
  const three = plan({ git: git({ tagsAtHead: ["v1.3.0", "v1.3.0-rc.10", "v1.3.0-rc.2"] }) });
  assert.equal(three.version, "1.3.0");
  assert.ok(three.notes.includes("3 version tags on HEAD: v1.3.0-rc.2, v1.3.0-rc.10 and v1.3.0; using 1.3.0."), three.notes.join("\n"));
});

test("build metadata: the version keeps '+', its tag has '_' (no '+' in a Docker tag)", () => {
  const p = plan({ git: git({ tagsAtHead: ["v1.2.3+build.5"] }) });
  assert.equal(p.version, "1.2.3+build.5");
  assert.equal(find(p, "1.2.3_build.5").rule, "semver");
  assert.equal(find(p, "1.2").version, "1.2.3+build.5");
});

test("git tags that are no version are noted, not tagged", () => {
  const p = plan({ git: git({ tagsAtHead: ["deployed", "v1.2"] }) });
  assert.equal(p.version, undefined);
  assert.deepEqual(tagsOf(p), ["1a2b3c4", "main", "latest"]);
  assert.ok(p.notes.includes("git tags deployed and v1.2 on HEAD are not versions (vX.Y.Z): no version tags from them."), p.notes.join("\n"));
});

test("semver: false ignores version tags; latest then comes only from the default branch", () => {
  const p = plan({ git: git({ branch: "feature/x", tagsAtHead: ["v1.2.3"] }), rules: rules({ semver: false }) });
  assert.deepEqual(tagsOf(p), ["1a2b3c4", "feature-x"]);
  assert.equal(p.version, undefined);
});

test("branch: false and latest: false turn their tags off", () => {
  assert.deepEqual(tagsOf(plan({ rules: rules({ branch: false }) })), ["1a2b3c4", "latest"]);
  assert.deepEqual(tagsOf(plan({ rules: rules({ latest: false }) })), ["1a2b3c4", "main"]);
  assert.deepEqual(tagsOf(plan({ git: git({ tagsAtHead: ["v1.0.0"] }), rules: rules({ latest: false }) })), ["1a2b3c4", "1.0.0", "1.0", "1", "main"]);
});

test("the default branch: tags.default_branch, else the CI's, else origin/HEAD, else main", () => {
  const latestWhy = (p: TagPlan) => p.tags.find((t) => t.rule === "latest")?.why;
  // slipway.yml first, over every other source.
  const configured = plan({ git: git({ branch: "trunk", originHead: "master" }), ci: gitlab({ CI_DEFAULT_BRANCH: "develop" }), rules: rules({ default_branch: "trunk" }) });
  assert.equal(configured.defaultBranch, "trunk");
  assert.equal(latestWhy(configured), "default branch trunk (tags.default_branch in slipway.yml)");
  // The CI's variable (GitLab has one).
  const fromCi = plan({ git: git({ branch: "develop", originHead: "master" }), ci: gitlab({ CI_DEFAULT_BRANCH: "develop" }) });
  assert.equal(latestWhy(fromCi), "default branch develop (CI_DEFAULT_BRANCH develop)");
  // origin/HEAD of the clone.
  const fromOrigin = plan({ git: git({ branch: "master", originHead: "master" }) });
  assert.equal(latestWhy(fromOrigin), "default branch master (origin/HEAD)");
  // Nothing names one: main.
  assert.equal(plan({ git: git({ branch: "master" }) }).defaultBranch, "main");
  assert.equal(latestWhy(plan({ git: git({ branch: "master" }) })), undefined);
  // main is not latest when another branch is the default.
  assert.equal(latestWhy(plan({ git: git({ branch: "main", originHead: "trunk" }) })), undefined);
});

test("the CI's default branch counts even with ci: false (it names the project's default, it makes no tag)", () => {
  const p = plan({ git: git({ branch: "develop" }), ci: gitlab({ CI_DEFAULT_BRANCH: "develop" }), rules: rules({ ci: false }) });
  assert.equal(ruleOf(p, "latest"), "latest");
});

test("build tag: {version}.{timestamp} at the run's clock reading, in UTC", () => {
  const p = plan({ git: git({ tagsAtHead: ["v1.0.0"] }), rules: rules({ build: "{version}.{timestamp}" }) });
  const build = find(p, "1.0.0.20261205113301");
  assert.deepEqual(build, { tag: "1.0.0.20261205113301", rule: "build", why: 'tags.build "{version}.{timestamp}"', moving: false });
});

test("build tag without a version uses 0.0.0, and says so", () => {
  const p = plan({ rules: rules({ build: "{version}.{timestamp}" }) });
  assert.equal(ruleOf(p, "0.0.0.20261205113301"), "build");
  assert.ok(p.notes.includes("The build tag uses version 0.0.0: HEAD has no version tag."));
});

test("build tag placeholders: {commit}, {short}, {branch}; a custom timestamp format", () => {
  const p = plan({ git: git({ branch: "feature/X" }), rules: rules({ build: "{branch}-{short}-{timestamp}", timestamp: "%Y.%m.%d_%H%M" }) });
  assert.equal(ruleOf(p, "feature-x-1a2b3c4-2026.12.05_1133"), "build");
  assert.equal(ruleOf(plan({ rules: rules({ build: "b-{commit}", commit: "none" }) }), `b-${SHA}`), "build");
  assert.equal(ruleOf(plan({ rules: rules({ build: "nightly" }) }), "nightly"), "build", "a template without placeholders");
});

test("build tag with {branch} on a detached HEAD the CI names no branch for: none, and a note", () => {
  const p = plan({ git: detached(), rules: rules({ build: "{branch}.{timestamp}" }) });
  assert.equal(p.tags.some((t) => t.rule === "build"), false);
  assert.match(p.notes.join("\n"), /No build tag: tags\.build "\{branch\}\.\{timestamp\}" uses \{branch\}, and HEAD is on no branch/);
});

test("build tag longer than 128 characters: none, and a note", () => {
  const p = plan({ git: git({ branch: "b".repeat(120) }), rules: rules({ build: "{branch}-{commit}" }) });
  assert.equal(p.tags.some((t) => t.rule === "build"), false);
  assert.match(p.notes.join("\n"), /makes 161 characters, over Docker's 128/);
});

test("formatTimestamp: zero-padded UTC fields, %% for a literal %", () => {
  assert.equal(formatTimestamp("%Y%m%d%H%M%S", NOW), "20261205113301");
  assert.equal(formatTimestamp("%Y%m%d%H%M%S", new Date("2027-01-02T03:04:05Z")), "20270102030405");
  assert.equal(formatTimestamp("%Y-%m-%d %%", new Date(Date.UTC(2026, 0, 1, 23, 59, 59))), "2026-01-01 %");
});

test("rule mistakes are config errors (exit 3) naming what is wrong", () => {
  const fails = (more: Partial<TagRules>, message: RegExp) =>
    assert.throws(() => checkTagRules(rules(more)), (err: unknown) => err instanceof SlipwayError && err.kind === "config" && err.exitCode === 3 && message.test(err.message), JSON.stringify(more));
  fails({ build: "{version}.{date}" }, /tags\.build "\{version\}\.\{date\}": \{date\} is not a known placeholder/);
  fails({ build: "{branch}/{short}" }, /tags\.build "\{branch\}\/\{short\}" does not make a valid Docker tag/);
  fails({ build: "-{version}" }, /does not make a valid Docker tag/);
  fails({ build: "{version" }, /does not make a valid Docker tag/);
  fails({ timestamp: "%Y%q" }, /tags\.timestamp "%Y%q": %q is not a known field/);
  fails({ timestamp: "%Y-%m-%dT%H:%M" }, /tags\.timestamp "%Y-%m-%dT%H:%M" makes characters a tag cannot hold/);
  fails({ timestamp: "%%" }, /makes characters a tag cannot hold/);
  fails({ extra: ["stable", "Release/1"] }, /slipway\.yml tags\.extra: "Release\/1" is not a valid Docker tag/);
  // Every plan checks them, whatever the git state.
  assert.throws(() => plan({ git: NO_GIT, rules: rules({ extra: ["a b"] }) }), (err: unknown) => err instanceof SlipwayError && err.code === "TAG_INVALID");
});

test("extra tags, as written (capitals kept), moving; explicit tags after them; an invalid explicit tag is a usage error", () => {
  const p = plan({ rules: rules({ extra: ["Stable", "prod"] }), explicit: ["hotfix-7"] });
  assert.deepEqual(p.tags.slice(-3), [
    { tag: "Stable", rule: "extra", why: "tags.extra in slipway.yml", moving: true },
    { tag: "prod", rule: "extra", why: "tags.extra in slipway.yml", moving: true },
    { tag: "hotfix-7", rule: "extra", why: "given to the command", moving: true },
  ]);
  assert.throws(() => plan({ explicit: ["no/slash"] }), (err: unknown) => err instanceof SlipwayError && err.kind === "usage" && err.exitCode === 2);
});

test("no duplicates: the first rule that makes a tag keeps it, and the plan notes the others", () => {
  const p = plan({ rules: rules({ extra: ["latest", "main", "stable", "stable"] }) });
  assert.deepEqual(tagsOf(p), ["1a2b3c4", "main", "latest", "stable"]);
  assert.equal(ruleOf(p, "latest"), "latest");
  assert.ok(p.notes.includes("latest (extra: tags.extra in slipway.yml) is already made by the latest rule; kept once."), p.notes.join("\n"));
  assert.ok(p.notes.includes("main (extra: tags.extra in slipway.yml) is already made by the branch rule; kept once."));
  assert.ok(p.notes.includes("stable (extra: tags.extra in slipway.yml) is already made by the extra rule; kept once."));
});

test("a dirty tree is flagged; it changes no tag", () => {
  const clean = plan({ git: git({ tagsAtHead: ["v1.0.0"] }) });
  const dirty = plan({ git: git({ tagsAtHead: ["v1.0.0"], dirty: true, changes: ["src/a.ts"] }) });
  assert.equal(dirty.dirty, true);
  assert.equal(clean.dirty, false);
  assert.deepEqual(dirty.tags, clean.tags);
});

test("detached HEAD without CI variables: commit and version tags only, no branch, no latest from a branch", () => {
  assert.deepEqual(tagsOf(plan({ git: detached() })), ["1a2b3c4"]);
  assert.deepEqual(tagsOf(plan({ git: detached({ tagsAtHead: ["v3.1.4"] }) })), ["1a2b3c4", "3.1.4", "3.1", "3", "latest"]);
});

test("detached HEAD with GitHub's branch variables: the CI's branch, and latest on the default branch", () => {
  const p = plan({ git: detached(), ci: github({ GITHUB_REF: "refs/heads/main" }) });
  assert.deepEqual(p.tags.map((t) => [t.tag, t.rule, t.why]), [
    ["1a2b3c4", "short-commit", `first 7 characters of commit ${SHA}`],
    ["main", "ci-branch", "GITHUB_REF refs/heads/main"],
    ["latest", "latest", "default branch main (assumed: no tags.default_branch, CI variable or origin/HEAD names one)"],
  ]);
  assert.equal(p.branch, "main");
});

test("detached HEAD with GitLab's branch variables: the CI's branch sanitised, the CI's default branch", () => {
  const feature = plan({ git: detached(), ci: gitlab({ CI_COMMIT_BRANCH: "Feature/Y", CI_DEFAULT_BRANCH: "trunk" }) });
  assert.deepEqual(tagsOf(feature), ["1a2b3c4", "feature-y"]);
  assert.equal(find(feature, "feature-y").why, "CI_COMMIT_BRANCH Feature/Y (as a valid tag)");
  const trunk = plan({ git: detached(), ci: gitlab({ CI_COMMIT_BRANCH: "trunk", CI_DEFAULT_BRANCH: "trunk" }) });
  assert.equal(find(trunk, "latest").why, "default branch trunk (CI_DEFAULT_BRANCH trunk)");
});

test("an attached HEAD's own branch wins over the CI's", () => {
  const p = plan({ git: git({ branch: "feature/x" }), ci: github({ GITHUB_REF: "refs/heads/main" }) });
  assert.deepEqual(tagsOf(p), ["1a2b3c4", "feature-x"]);
});

test("the CI's variables about another commit than HEAD are not used, and the plan says why", () => {
  const p = plan({ git: detached(), ci: ciVariables({ GITHUB_ACTIONS: "true", GITHUB_SHA: OTHER_SHA, GITHUB_REF: "refs/pull/42/merge", GITHUB_HEAD_REF: "x" }) });
  assert.deepEqual(tagsOf(p), ["1a2b3c4"]);
  assert.ok(p.notes.includes(`GITHUB_SHA ${OTHER_SHA} is not HEAD (${SHA}): the CI's branch, tag and pull request are not used.`), p.notes.join("\n"));
});

test("ci: false: no tags from the CI's variables", () => {
  const p = plan({ git: detached(), ci: github({ GITHUB_REF: "refs/pull/42/merge", GITHUB_HEAD_REF: "x" }), rules: rules({ ci: false }) });
  assert.deepEqual(tagsOf(p), ["1a2b3c4"]);
  const branch = plan({ git: detached(), ci: github({ GITHUB_REF: "refs/heads/main" }), rules: rules({ ci: false }) });
  assert.deepEqual(tagsOf(branch), ["1a2b3c4"]);
});

test("GitHub pull request: pr-N, no branch tag, never latest", () => {
  const p = plan({ git: detached(), ci: github({ GITHUB_EVENT_NAME: "pull_request", GITHUB_REF: "refs/pull/42/merge", GITHUB_HEAD_REF: "main", GITHUB_BASE_REF: "main" }) });
  assert.deepEqual(p.tags.map((t) => [t.tag, t.rule, t.moving]), [["1a2b3c4", "short-commit", false], ["pr-42", "ci-pull-request", true]]);
  assert.equal(find(p, "pr-42").why, "GITHUB_REF refs/pull/42/merge (main into main)");
  assert.equal(p.branch, undefined, "a fork's `main` is not our main");
  assert.ok(p.notes.includes("Pull request 42: the build of a pull request is never latest; its branch main is not tagged (pr-42 stands for it)."), p.notes.join("\n"));
});

test("GitLab merge request: pr-N from the IID", () => {
  const p = plan({ git: detached(), ci: gitlab({ CI_MERGE_REQUEST_IID: "7", CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: "feature/y", CI_MERGE_REQUEST_TARGET_BRANCH_NAME: "main", CI_DEFAULT_BRANCH: "main" }) });
  assert.deepEqual(tagsOf(p), ["1a2b3c4", "pr-7"]);
  assert.equal(find(p, "pr-7").why, "CI_MERGE_REQUEST_IID 7 (feature/y into main)");
});

test("a pull request build is never latest, even on an attached default branch", () => {
  const p = plan({ ci: github({ GITHUB_REF: "refs/pull/3/merge" }) });
  assert.deepEqual(tagsOf(p), ["1a2b3c4", "main", "pr-3"]);
});

test("GitHub tag build in a shallow clone without the tag: the version from GITHUB_REF", () => {
  const p = plan({ git: detached({ shallow: true }), ci: github({ GITHUB_REF: "refs/tags/v1.2.3" }) });
  assert.deepEqual(tagsOf(p), ["1a2b3c4", "1.2.3", "1.2", "1", "latest"]);
  assert.equal(find(p, "1.2.3").why, "GITHUB_REF refs/tags/v1.2.3");
  assert.equal(find(p, "latest").why, "release 1.2.3 (GITHUB_REF refs/tags/v1.2.3)");
  assert.equal(p.notes.some((n) => /shallow/.test(n)), false, "the version was found: nothing to warn about");
});

test("GitLab tag build where git sees the tag too: one set of version tags, no ci-tag", () => {
  const p = plan({ git: detached({ tagsAtHead: ["v1.2.3"] }), ci: gitlab({ CI_COMMIT_TAG: "v1.2.3" }) });
  assert.deepEqual(tagsOf(p), ["1a2b3c4", "1.2.3", "1.2", "1", "latest"]);
  assert.equal(find(p, "1.2.3").why, "git tag v1.2.3 on HEAD");
});

test("the CI's tag that is no version: a ci-tag, fixed (not moving)", () => {
  const p = plan({ git: detached(), ci: gitlab({ CI_COMMIT_TAG: "Nightly/2026" }) });
  assert.deepEqual(find(p, "nightly-2026"), { tag: "nightly-2026", rule: "ci-tag", why: "CI_COMMIT_TAG Nightly/2026 (as a valid tag)", moving: false });
  const reserved = plan({ git: detached(), ci: gitlab({ CI_COMMIT_TAG: "2.0" }) });
  assert.deepEqual(tagsOf(reserved), ["1a2b3c4"]);
  assert.ok(reserved.notes.includes("CI_COMMIT_TAG 2.0: its tag would be 2.0, which only the version rules make; not tagged."));
});

test("a shallow clone with no version tag at HEAD: a note that unfetched tags are invisible", () => {
  const p = plan({ git: detached({ shallow: true }) });
  assert.match(p.notes.join("\n"), /The clone is shallow and git sees no version tag on HEAD/);
  assert.equal(plan({ git: detached({ shallow: true, tagsAtHead: ["v1.0.0"] }) }).notes.some((n) => /shallow/.test(n)), false);
});

test("no git: only explicit tags, a note with the reason, nothing dirty", () => {
  const p = plan({ git: NO_GIT, rules: rules({ extra: ["stable"], build: "{version}.{timestamp}", commit: "both" }), explicit: ["x"] });
  assert.deepEqual(tagsOf(p), ["stable", "x"]);
  assert.deepEqual({ ...p, tags: [] }, {
    tags: [],
    defaultBranch: "main",
    dirty: false,
    notes: ["No git: /src is not in a git repository git can read (fatal: not a git repository). Only explicit tags and the CI's own tags are made; no commit, version, branch, latest or build tags."],
  });
  assert.deepEqual(tagsOf(plan({ git: NO_GIT })), []);
});

test("no git under a CI: the CI's own tags (branch, pull request, the exact version of its tag), no latest", () => {
  assert.deepEqual(plan({ git: NO_GIT, ci: github({ GITHUB_REF: "refs/heads/main" }) }).tags.map((t) => [t.tag, t.rule]), [["main", "ci-branch"]]);
  assert.deepEqual(tagsOf(plan({ git: NO_GIT, ci: github({ GITHUB_REF: "refs/pull/9/merge", GITHUB_HEAD_REF: "f" }) })), ["pr-9"]);
  const tagged = plan({ git: NO_GIT, ci: github({ GITHUB_REF: "refs/tags/v1.2.3" }) });
  assert.deepEqual(tagged.tags, [{ tag: "1.2.3", rule: "ci-tag", why: "GITHUB_REF refs/tags/v1.2.3", moving: false, version: "1.2.3" }]);
  assert.equal(tagged.version, "1.2.3");
});

test("pure: the same input gives the same plan, and the input is not changed", () => {
  const freeze = <T>(o: T): T => {
    if (o && typeof o === "object") {
      Object.values(o).forEach(freeze);
      Object.freeze(o);
    }
    return o;
  };
  const input = freeze({ git: git({ tagsAtHead: ["v1.3.0", "v1.2.0", "x"], dirty: true, changes: ["a"] }), ci: github({ GITHUB_REF: "refs/heads/main" }), rules: rules({ build: "{version}-{timestamp}", extra: ["s"] }), now: NOW });
  assert.deepEqual(planTags(input), planTags(input));
});

test("every tag of every plan is a valid Docker tag, and tags are unique", () => {
  const branches = [undefined, "main", "feature/Login_v2", "UPPER/case", "a".repeat(300), "weird:*?[]name", "..dots..", "-lead"];
  const tagSets = [[], ["v1.2.3"], ["v2.0.0-rc.1+b.7"], ["v1.0.0", "v1.0.1", "junk"]];
  const cis: CiVariables[] = [{}, github({ GITHUB_REF: "refs/heads/Feature/Ü" }), github({ GITHUB_REF: "refs/pull/5/merge" }), gitlab({ CI_COMMIT_TAG: "Release Candidate 1" }), gitlab({ CI_COMMIT_TAG: "v9.9.9" })];
  for (const branch of branches) {
    for (const tagsAtHead of tagSets) {
      for (const ci of cis) {
        for (const g of [git({ branch, detached: !branch, tagsAtHead }), NO_GIT]) {
          const p = plan({ git: g, ci, rules: rules({ commit: "both", build: "{version}-{branch}-{short}-{timestamp}", extra: ["stable"] }) });
          for (const t of p.tags) assert.ok(isValidTag(t.tag), `${JSON.stringify(t)} from ${branch} ${tagsAtHead}`);
          assert.equal(new Set(tagsOf(p)).size, p.tags.length);
        }
      }
    }
  }
});
