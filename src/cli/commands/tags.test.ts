/** `slipway tags` in-process, in real repositories made here with git, with a fixed clock reading. */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { PIPELINE_FILE } from "../../config/load-pipeline-config.ts";
import { tagsSchema, type TagsConfig } from "../../config/pipeline-schema.ts";
import { SlipwayError } from "../../errors/index.ts";
import type { TagPlan, TagRules } from "../../tags/tag-plan.ts";
import { IssueList } from "../../yaml/issues.ts";
import { createStyle } from "../../ui/style.ts";
import type { CliIo } from "../io.ts";
import { tagsCommand } from "./tags.ts";

const NOW = new Date("2026-12-05T11:33:01Z");
let root = "";

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "slipway-tags-cli-"));
});

after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "T", GIT_AUTHOR_EMAIL: "t@example.invalid", GIT_COMMITTER_NAME: "T", GIT_COMMITTER_EMAIL: "t@example.invalid" };
const git = (dir: string, ...args: string[]) => execFileSync("git", args, { cwd: dir, env: GIT_ENV, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

let count = 0;
/** A repository on `branch` with slipway.yml (its `tags:` as given) committed. */
async function repository(tags: string | undefined, branch = "main"): Promise<string> {
  const dir = path.join(root, `repo-${++count}`);
  await mkdir(dir);
  git(dir, "init", "--quiet", "-b", branch);
  await writeFile(path.join(dir, "compose.yml"), "services:\n  test:\n    image: alpine\n");
  await writeFile(path.join(dir, "slipway.yml"), `environments:\n  test:\n    compose: compose.yml\n    service: test\n${tags ?? ""}`);
  git(dir, "add", ".");
  git(dir, "commit", "--quiet", "-m", "first");
  return dir;
}

async function tags(cwd: string, args: string[] = [], env: Record<string, string> = {}): Promise<string> {
  let out = "";
  const stdout = new PassThrough();
  stdout.on("data", (d) => (out += d));
  const io: CliIo = { env, cwd, stdout, stderr: new PassThrough(), out: createStyle(false), err: createStyle(false) };
  await tagsCommand(io, new AbortController().signal, { now: () => NOW }).parseAsync(args, { from: "user" });
  return out;
}

test("slipway.yml's tags: are the plan's rules (tags/ cannot import config/, so they meet here), with the defaults tags/ is tested with", () => {
  const defaults = tagsSchema.read({ kind: "map", entries: [], pos: { file: "slipway.yml", line: 1, column: 1 } }, "tags", new IssueList(PIPELINE_FILE));
  assert.ok(defaults);
  const rules: TagRules = defaults satisfies TagsConfig;
  assert.deepEqual(rules, { commit: "short", short_length: 7, semver: true, branch: true, latest: true, timestamp: "%Y%m%d%H%M%S", ci: true, extra: [] });
});

test("a release tag on main: the table of tags with their rules and reasons, clean tree", async () => {
  const dir = await repository('tags:\n  build: "{version}.{timestamp}"\n  extra: [stable]\n');
  git(dir, "tag", "v1.2.0");
  const sha = git(dir, "rev-parse", "HEAD");
  const out = await tags(dir);
  assert.equal(
    out,
    [
      `Tags for commit ${sha.slice(0, 12)} (branch main, version 1.2.0, default branch main)`,
      "",
      "TAG                   RULE          WHY",
      `${sha.slice(0, 7)}               short-commit  first 7 characters of commit ${sha}`,
      "1.2.0                 semver        git tag v1.2.0 on HEAD",
      "1.2                   semver-minor  release 1.2.0 (git tag v1.2.0 on HEAD)",
      "1                     semver-major  release 1.2.0 (git tag v1.2.0 on HEAD)",
      "main                  branch        branch main",
      "latest                latest        release 1.2.0 (git tag v1.2.0 on HEAD)",
      '1.2.0.20261205113301  build         tags.build "{version}.{timestamp}"',
      "stable                extra         tags.extra in slipway.yml",
      "",
      "The work tree is clean.",
      "",
    ].join("\n"),
  );
});

test("--json prints the plan", async () => {
  const dir = await repository(undefined, "feature/Login_v2");
  const plan = JSON.parse(await tags(dir, ["--json"])) as TagPlan;
  const sha = git(dir, "rev-parse", "HEAD");
  assert.deepEqual(plan, {
    tags: [
      { tag: sha.slice(0, 7), rule: "short-commit", why: `first 7 characters of commit ${sha}`, moving: false },
      { tag: "feature-login_v2", rule: "branch", why: "branch feature/Login_v2 (as a valid tag)", moving: true },
    ],
    commit: sha,
    branch: "feature/Login_v2",
    defaultBranch: "main",
    dirty: false,
    notes: [],
  });
});

test("a dirty tree: the output says publishing refuses it unless --allow-dirty; Slipway's own folders do not count", async () => {
  const dir = await repository(undefined);
  await mkdir(path.join(dir, ".slipway"));
  await writeFile(path.join(dir, ".slipway", "x"), "");
  await mkdir(path.join(dir, "target"));
  await writeFile(path.join(dir, "target", "app.whl"), "");
  assert.match(await tags(dir), /The work tree is clean\./);
  await writeFile(path.join(dir, "compose.yml"), "services: {}\n");
  const out = await tags(dir);
  assert.match(out, /^The work tree is dirty \(1 change: compose\.yml\): a dirty work tree refuses to publish unless --allow-dirty\.$/m);
  assert.equal((JSON.parse(await tags(dir, ["--json"])) as TagPlan).dirty, true);
});

test("outside a git repository, without slipway.yml: a clear note, no tags, no error", async () => {
  const dir = path.join(root, `plain-${++count}`);
  await mkdir(dir);
  const out = await tags(dir);
  assert.match(out, /^Tags \(default branch main\)\n\nno tags\n/);
  assert.match(out, /^ {2}- No git: .* is not in a git repository git can read .* Only explicit tags and the CI's own tags are made/m);
  assert.doesNotMatch(out, /dirty|clean/);
});

test("from a subfolder, slipway.yml in a parent: the repository of slipway.yml", async () => {
  const dir = await repository("tags:\n  commit: full\n");
  await mkdir(path.join(dir, "src"));
  const plan = JSON.parse(await tags(path.join(dir, "src"), ["--json"])) as TagPlan;
  assert.equal(plan.tags[0]!.tag, git(dir, "rev-parse", "HEAD"));
});

test("the CI's variables come from the environment: a GitLab merge request of a detached checkout", async () => {
  const dir = await repository(undefined);
  const sha = git(dir, "rev-parse", "HEAD");
  git(dir, "checkout", "--quiet", "--detach");
  const env = { GITLAB_CI: "true", CI_COMMIT_SHA: sha, CI_MERGE_REQUEST_IID: "7", CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: "feature/y", CI_MERGE_REQUEST_TARGET_BRANCH_NAME: "main" };
  const plan = JSON.parse(await tags(dir, ["--json"], env)) as TagPlan;
  assert.deepEqual(plan.tags.map((t) => t.tag), [sha.slice(0, 7), "pr-7"]);
});

test("an invalid tag in slipway.yml's tags.extra: a config error naming it", async () => {
  const dir = await repository("tags:\n  extra: [Release/1]\n");
  await assert.rejects(tags(dir), (err: unknown) => {
    assert.ok(err instanceof SlipwayError);
    assert.equal(err.code, "TAG_INVALID");
    assert.equal(err.exitCode, 3);
    assert.match(err.message, /"Release\/1"/);
    return true;
  });
});

test("-c names the pipeline file", async () => {
  const dir = await repository("tags:\n  extra: [from-config]\n");
  const elsewhere = path.join(root, `plain-${++count}`);
  await mkdir(elsewhere);
  const plan = JSON.parse(await tags(elsewhere, ["--json", "-c", path.join(dir, "slipway.yml")])) as TagPlan;
  assert.equal(plan.tags.at(-1)!.tag, "from-config");
  assert.equal(plan.commit, git(dir, "rev-parse", "HEAD"), "the repository of the named file");
});
