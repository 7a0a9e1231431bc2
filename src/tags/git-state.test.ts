/** readGitState against real repositories made here with git (installed wherever the tests run). */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { readGitState } from "./git-state.ts";

let root = "";

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "slipway-git-state-"));
});

after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

// The user's own git configuration (signing, hooks, default branch) must not change what the tests make.
const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "Slipway Test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Slipway Test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
};

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, env: GIT_ENV, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

let count = 0;
/** A new repository on `main` with one commit (README.md), in its own folder. */
async function repository(commits = 1): Promise<string> {
  const dir = path.join(root, `repo-${++count}`);
  await mkdir(dir);
  git(dir, "init", "--quiet", "-b", "main");
  for (let i = 1; i <= commits; i++) {
    await writeFile(path.join(dir, "README.md"), `version ${i}\n`);
    git(dir, "add", "README.md");
    git(dir, "commit", "--quiet", "-m", `commit ${i}`);
  }
  return dir;
}

test("a repository on a branch: its commit, its branch, clean, not shallow, no tags", async () => {
  const dir = await repository();
  const state = await readGitState(dir);
  assert.deepEqual(state, {
    available: true,
    commit: git(dir, "rev-parse", "HEAD"),
    branch: "main",
    detached: false,
    tagsAtHead: [],
    dirty: false,
    changes: [],
    shallow: false,
  });
  assert.match(state.commit!, /^[0-9a-f]{40}$/);
});

test("a folder inside the repository reads the repository's state", async () => {
  const dir = await repository();
  await mkdir(path.join(dir, "sub"));
  await writeFile(path.join(dir, "sub", ".keep"), "");
  git(dir, "add", ".");
  git(dir, "commit", "--quiet", "-m", "sub");
  const state = await readGitState(path.join(dir, "sub"));
  assert.equal(state.branch, "main");
  assert.equal(state.commit, git(dir, "rev-parse", "HEAD"));
});

test("a detached HEAD: no branch, detached", async () => {
  const dir = await repository(2);
  git(dir, "checkout", "--quiet", "--detach", "HEAD~1");
  const state = await readGitState(dir);
  assert.equal(state.available, true);
  assert.equal(state.detached, true);
  assert.equal(state.branch, undefined);
  assert.equal(state.commit, git(dir, "rev-parse", "HEAD"));
});

test("tags at HEAD: lightweight and annotated, sorted; a tag on an older commit is not one", async () => {
  const dir = await repository(2);
  git(dir, "tag", "v0.9.0", "HEAD~1");
  git(dir, "tag", "v1.1.0");
  git(dir, "tag", "-a", "-m", "release 1.0.0", "v1.0.0");
  const state = await readGitState(dir);
  assert.deepEqual(state.tagsAtHead, ["v1.0.0", "v1.1.0"]);
});

test("a dirty tree: changed and untracked files, but not the ignored paths", async () => {
  const dir = await repository();
  await mkdir(path.join(dir, ".slipway"));
  await writeFile(path.join(dir, ".slipway", "run.json"), "{}");
  const ignore = [".slipway", "reports"];
  assert.deepEqual(await readGitState(dir, { ignore }).then((s) => [s.dirty, s.changes]), [false, []], "Slipway's own folder does not count");

  await writeFile(path.join(dir, "README.md"), "changed\n");
  await writeFile(path.join(dir, "new file.txt"), "new\n");
  const state = await readGitState(dir, { ignore });
  assert.equal(state.dirty, true);
  assert.deepEqual([...state.changes].sort(), ["README.md", "new file.txt"]);

  const unignored = await readGitState(dir);
  assert.ok(unignored.changes.includes(".slipway/"), unignored.changes.join(", "));
});

test("a staged rename is one change, under its new name", async () => {
  const dir = await repository();
  git(dir, "mv", "README.md", "READ-ME.md");
  assert.deepEqual((await readGitState(dir)).changes, ["READ-ME.md"]);
});

test("a shallow clone (git clone --depth 1): shallow, the tag at HEAD still there, origin/HEAD's branch; nothing fetched", async () => {
  const source = await repository(3);
  git(source, "tag", "v2.0.0");
  git(source, "tag", "v1.0.0", "HEAD~2");
  const clone = path.join(root, `clone-${++count}`);
  git(root, "clone", "--quiet", "--depth", "1", `file://${source}`, clone);
  const before = git(clone, "for-each-ref", "--format=%(refname)");
  const state = await readGitState(clone);
  assert.equal(state.shallow, true);
  assert.deepEqual(state.tagsAtHead, ["v2.0.0"]);
  assert.equal(state.branch, "main");
  assert.equal(state.originHead, "main");
  assert.equal(state.commit, git(source, "rev-parse", "HEAD"));
  assert.equal(state.dirty, false);
  assert.equal(git(clone, "for-each-ref", "--format=%(refname)"), before, "no ref was added");
  assert.equal(git(clone, "rev-list", "--count", "HEAD"), "1", "still shallow");
});

test("origin/HEAD names the default branch as the clone's remote has it", async () => {
  const source = await repository();
  git(source, "branch", "-m", "main", "trunk");
  const clone = path.join(root, `clone-${++count}`);
  git(root, "clone", "--quiet", `file://${source}`, clone);
  const state = await readGitState(clone);
  assert.equal(state.originHead, "trunk");
  assert.equal(state.shallow, false);
});

test("a folder that is not a repository: not available, with the reason", async () => {
  const dir = path.join(root, `plain-${++count}`);
  await mkdir(dir);
  const state = await readGitState(dir);
  assert.equal(state.available, false);
  assert.match(state.reason!, new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is not in a git repository git can read \\(.+\\)\\.$`));
  assert.deepEqual({ ...state, reason: "" }, { available: false, reason: "", detached: false, tagsAtHead: [], dirty: false, changes: [], shallow: false });
});

test("a repository without a commit yet: not available, with the reason", async () => {
  const dir = path.join(root, `empty-${++count}`);
  await mkdir(dir);
  git(dir, "init", "--quiet", "-b", "main");
  const state = await readGitState(dir);
  assert.equal(state.available, false);
  assert.equal(state.reason, `The git repository of ${dir} has no commit yet.`);
});

test("no git at all: not available, and the reason says git is missing", async () => {
  const dir = await repository();
  const state = await readGitState(dir, { gitBinary: path.join(root, "no-such-git") });
  assert.equal(state.available, false);
  assert.match(state.reason!, /^git is not installed \(or not on PATH\), so the commit, branch and tags of .+ are unknown\.$/);
});

test("a folder that does not exist: not available, and the reason says so", async () => {
  const dir = path.join(root, "nowhere");
  const state = await readGitState(dir);
  assert.equal(state.available, false);
  assert.equal(state.reason, `${dir} does not exist.`);
});

test("an aborted signal rejects with its reason", async () => {
  const dir = await repository();
  const controller = new AbortController();
  controller.abort(new Error("stop"));
  await assert.rejects(readGitState(dir, { signal: controller.signal }), /stop/);
});
