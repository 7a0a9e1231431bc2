/**
 * `slipway tags` as a user runs it (the published bundle), in fresh git repositories made from this
 * folder's slipway.yml: a release, a pull request build under GitHub Actions, a dirty tree, a
 * folder with no git, and a slipway.yml with a tag that is no tag. No engine is needed.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { scenario, slipway } from "../support.ts";

interface Plan {
  tags: { tag: string; rule: string; why: string; moving: boolean; version?: string }[];
  commit?: string;
  version?: string;
  branch?: string;
  dirty: boolean;
  notes: string[];
}

const noStack = (text: string) => assert.ok(!/^\s+at .+:\d+:\d+\)?$/m.test(text), `no stack trace expected:\n${text}`);
// The runner's own CI variables (when these tests run in CI) must not reach the plan.
const NO_CI = { GITHUB_ACTIONS: "", GITLAB_CI: "" };
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "T", GIT_AUTHOR_EMAIL: "t@example.invalid", GIT_COMMITTER_NAME: "T", GIT_COMMITTER_EMAIL: "t@example.invalid" };
const git = (dir: string, ...args: string[]) => execFileSync("git", args, { cwd: dir, env: GIT_ENV, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

let root = "";
let count = 0;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "slipway-e2e-tags-"));
});

after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** This scenario's files, committed on `main` of a new repository. */
async function repository(): Promise<string> {
  const dir = path.join(root, `repo-${++count}`);
  await cp(scenario("tags"), dir, { recursive: true, filter: (src) => !src.endsWith(".test.ts") });
  git(dir, "init", "--quiet", "-b", "main");
  git(dir, "add", ".");
  git(dir, "commit", "--quiet", "-m", "first");
  return dir;
}

test("a release on main: version, branch, latest, build and extra tags, each with its rule; exit 0", async () => {
  const dir = await repository();
  git(dir, "tag", "-a", "-m", "1.0.0", "v1.0.0");
  const sha = git(dir, "rev-parse", "HEAD");
  const run = slipway(["tags"], { cwd: dir, env: NO_CI });
  assert.equal(await run.exit, 0, run.stderr());
  const out = run.stdout();
  assert.match(out, new RegExp(`^Tags for commit ${sha.slice(0, 12)} \\(branch main, version 1\\.0\\.0, default branch main\\)$`, "m"));
  const expected: [string, string][] = [[sha.slice(0, 7), "short-commit"], ["1.0.0", "semver"], ["1.0", "semver-minor"], ["1", "semver-major"], ["main", "branch"], ["latest", "latest"], ["stable", "extra"]];
  for (const [tag, rule] of expected) {
    assert.match(out, new RegExp(`^${tag.replace(/\./g, "\\.")} +${rule} +\\S`, "m"), `${tag} ${rule}`);
  }
  assert.match(out, /^1\.0\.0\.\d{14} +build +tags\.build "\{version\}\.\{timestamp\}"$/m);
  assert.match(out, /^The work tree is clean\.$/m);

  const json = slipway(["tags", "--json"], { cwd: dir, env: NO_CI });
  assert.equal(await json.exit, 0, json.stderr());
  const plan = JSON.parse(json.stdout()) as Plan;
  assert.equal(plan.version, "1.0.0");
  assert.equal(plan.commit, sha);
  assert.deepEqual(plan.tags.filter((t) => t.moving).map((t) => t.tag), ["1.0", "1", "main", "latest", "stable"]);
});

test("a GitHub pull request build of a detached checkout: pr-N, no branch tag, never latest", async () => {
  const dir = await repository();
  const sha = git(dir, "rev-parse", "HEAD");
  git(dir, "checkout", "--quiet", "--detach");
  const env = { GITHUB_ACTIONS: "true", GITHUB_EVENT_NAME: "pull_request", GITHUB_REF: "refs/pull/42/merge", GITHUB_HEAD_REF: "feature/x", GITHUB_BASE_REF: "main", GITHUB_SHA: sha };
  const run = slipway(["tags", "--json"], { cwd: dir, env });
  assert.equal(await run.exit, 0, run.stderr());
  const plan = JSON.parse(run.stdout()) as Plan;
  assert.deepEqual(plan.tags.map((t) => [t.tag, t.rule]).filter(([, rule]) => rule !== "build"), [[sha.slice(0, 7), "short-commit"], ["pr-42", "ci-pull-request"], ["stable", "extra"]]);
  assert.equal(plan.tags.find((t) => t.rule === "ci-pull-request")!.why, "GITHUB_REF refs/pull/42/merge (feature/x into main)");
});

test("a dirty work tree: said, with what publishing will do about it", async () => {
  const dir = await repository();
  await writeFile(path.join(dir, "compose.yaml"), `${await readFile(path.join(dir, "compose.yaml"), "utf8")}# changed\n`);
  const run = slipway(["tags"], { cwd: dir, env: NO_CI });
  assert.equal(await run.exit, 0, run.stderr());
  assert.match(run.stdout(), /^The work tree is dirty \(1 change: compose\.yaml\): a dirty work tree refuses to publish unless --allow-dirty\.$/m);
});

test("outside a git repository: a clear note, only explicit tags, exit 0", async () => {
  const dir = path.join(root, `plain-${++count}`);
  await mkdir(dir);
  await cp(scenario("tags"), dir, { recursive: true, filter: (src) => !src.endsWith(".test.ts") });
  const run = slipway(["tags"], { cwd: dir, env: NO_CI });
  assert.equal(await run.exit, 0, run.stderr());
  assert.match(run.stdout(), /^stable +extra +tags\.extra in slipway\.yml$/m);
  assert.match(run.stdout(), /No git: .* is not in a git repository git can read .* Only explicit tags and the CI's own tags are made/);
  noStack(run.stdout() + run.stderr());
});

test("a tag in slipway.yml that is no Docker tag: exit 3, the tag named, no stack trace", async () => {
  const dir = await repository();
  const file = path.join(dir, "slipway.yml");
  await writeFile(file, (await readFile(file, "utf8")).replace("extra: [stable]", "extra: [Release/1]"));
  const run = slipway(["tags"], { cwd: dir, env: NO_CI });
  assert.equal(await run.exit, 3, run.stdout() + run.stderr());
  assert.match(run.stderr(), /"Release\/1" is not a valid Docker tag/);
  noStack(run.stderr());
});
