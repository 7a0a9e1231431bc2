import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chown, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { readRevision, withoutCredentials } from "./revision.ts";

const SLIPWAY_OUTPUT = [".slipway", "reports", "target"];

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, encoding: "utf8", env: { ...process.env, GIT_COMMITTER_DATE: "2024-03-01T12:34:56+01:00", GIT_AUTHOR_DATE: "2024-02-01T00:00:00Z" } }).trim();
}

/** A temporary repository with one commit of `app.txt`, its identity set locally. */
async function repository(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-revision-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.name", "Slipway Test");
  git(dir, "config", "user.email", "test@slipway.invalid");
  await writeFile(path.join(dir, "app.txt"), "v1\n");
  git(dir, "add", "app.txt");
  git(dir, "commit", "-q", "-m", "first");
  return dir;
}

async function emptyDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-norepo-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("a clean repository: the commit (rev-parse HEAD), its committer date, not dirty, no source without origin", async (t) => {
  const dir = await repository(t);
  const revision = await readRevision(dir, { ignore: SLIPWAY_OUTPUT });
  assert.deepEqual(revision, { commit: git(dir, "rev-parse", "HEAD"), committedAt: "2024-03-01T12:34:56+01:00", dirty: false, changes: [] });
  assert.match(revision.commit, /^[0-9a-f]{40}$/);
});

test("a changed tracked file, an untracked file, a staged deletion each make the tree dirty", async (t) => {
  const dir = await repository(t);
  await writeFile(path.join(dir, "app.txt"), "v2\n");
  assert.deepEqual((await readRevision(dir)).changes, ["app.txt"]);
  git(dir, "checkout", "--", "app.txt");
  await writeFile(path.join(dir, "new.txt"), "new\n");
  assert.deepEqual(await readRevision(dir).then((r) => [r.dirty, r.changes]), [true, ["new.txt"]]);
  await rm(path.join(dir, "new.txt"));
  git(dir, "rm", "-q", "app.txt");
  assert.deepEqual(await readRevision(dir).then((r) => [r.dirty, r.changes]), [true, ["app.txt"]]);
});

test("what Slipway writes (.slipway, reports, target) and what .gitignore ignores do not make it dirty", async (t) => {
  const dir = await repository(t);
  for (const f of [".slipway/runs/r1/verdict.json", "reports/test/junit.xml", "target/app.whl", "build/out.o"]) {
    await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await writeFile(path.join(dir, f), "x");
  }
  await writeFile(path.join(dir, ".gitignore"), "build/\n");
  git(dir, "add", ".gitignore");
  git(dir, "commit", "-q", "-m", "ignore build");
  const revision = await readRevision(dir, { ignore: SLIPWAY_OUTPUT });
  assert.equal(revision.dirty, false, `changes: ${revision.changes.join(", ")}`);
  // Without the ignore list the same tree is dirty: the list is what keeps it clean.
  assert.deepEqual((await readRevision(dir)).changes.sort(), [".slipway/", "reports/", "target/"]);
});

test("in a subfolder: the ignored paths are relative to it, and a change anywhere in the repository counts", async (t) => {
  const dir = await repository(t);
  const sub = path.join(dir, "service");
  await mkdir(path.join(sub, "reports"), { recursive: true });
  await writeFile(path.join(sub, "reports", "junit.xml"), "x");
  assert.equal((await readRevision(sub, { ignore: SLIPWAY_OUTPUT })).dirty, false);
  await writeFile(path.join(dir, "app.txt"), "v2\n");
  const revision = await readRevision(sub, { ignore: SLIPWAY_OUTPUT });
  assert.deepEqual([revision.dirty, revision.changes], [true, ["app.txt"]], "paths are relative to the repository's top");
});

test("a rename is one change, named by its new path", async (t) => {
  const dir = await repository(t);
  await rename(path.join(dir, "app.txt"), path.join(dir, "main.txt"));
  git(dir, "add", "-A");
  assert.deepEqual((await readRevision(dir)).changes, ["main.txt"]);
});

test("source: origin's URL, without the credentials a clone may carry", async (t) => {
  const dir = await repository(t);
  git(dir, "remote", "add", "origin", "https://ci-bot:s3cret-token@git.example.com/team/app.git");
  assert.equal((await readRevision(dir)).source, "https://git.example.com/team/app.git");
  assert.equal(withoutCredentials("https://ghp_tokenonly@github.com/o/r.git"), "https://github.com/o/r.git");
  assert.equal(withoutCredentials("https://github.com/o/r"), "https://github.com/o/r");
  assert.equal(withoutCredentials("ssh://git:pw@host:2222/o/r.git"), "ssh://git@host:2222/o/r.git");
  assert.equal(withoutCredentials("ssh://git@host/o/r.git"), "ssh://git@host/o/r.git");
  assert.equal(withoutCredentials("git@github.com:o/r.git"), "git@github.com:o/r.git");
  assert.equal(withoutCredentials("/srv/git/r.git"), "/srv/git/r.git");
});

test("outside a git repository: commit unknown, not dirty, with a warning", async (t) => {
  const dir = await emptyDir(t);
  const revision = await readRevision(dir, { ignore: SLIPWAY_OUTPUT });
  assert.equal(revision.commit, "unknown");
  assert.equal(revision.committedAt, undefined);
  assert.equal(revision.dirty, false);
  assert.match(revision.warning ?? "", /is not in a git repository.*not a git repository.*revision "unknown"/);
});

test("a repository without a commit yet: unknown, with a warning that says so", async (t) => {
  const dir = await emptyDir(t);
  git(dir, "init", "-q");
  await writeFile(path.join(dir, "app.txt"), "v1\n");
  const revision = await readRevision(dir);
  assert.equal(revision.commit, "unknown");
  assert.match(revision.warning ?? "", /has no commit yet/);
});

test("a folder that does not exist, and a machine without git: unknown, with a warning naming the cause", async (t) => {
  const dir = await emptyDir(t);
  assert.match((await readRevision(path.join(dir, "missing"))).warning ?? "", /does not exist/);
  const saved = process.env.PATH;
  process.env.PATH = dir; // no git on this PATH
  try {
    const revision = await readRevision(dir);
    assert.equal(revision.commit, "unknown");
    assert.match(revision.warning ?? "", /git is not installed/);
  } finally {
    process.env.PATH = saved;
  }
});

test("a checkout git refuses to read (owned by another user): unknown, with git's reason", { skip: process.getuid?.() !== 0 && "needs root to chown" }, async (t) => {
  const dir = await repository(t);
  await chown(dir, 65534, 65534);
  await chown(path.join(dir, ".git"), 65534, 65534);
  const revision = await readRevision(dir);
  assert.equal(revision.commit, "unknown");
  assert.match(revision.warning ?? "", /dubious ownership/);
});

test("a cancelled read rejects with the signal's reason", async (t) => {
  const dir = await repository(t);
  const controller = new AbortController();
  const reading = readRevision(dir, { signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(reading, /stop/);
});
