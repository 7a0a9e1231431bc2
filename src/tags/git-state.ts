/**
 * The git facts a tag plan is made of, read from the work tree with the `git` CLI (no shell):
 * HEAD's commit, its branch (none when detached), the tags on it, whether the tree is dirty,
 * whether the clone is shallow, and the default branch `origin/HEAD` names.
 *
 * Read only: never a fetch (a shallow CI clone is taken as it is; what it lacks, the plan notes),
 * and `--no-optional-locks` so that `status` does not take .git/index.lock from under a git
 * command the user runs at the same time. Without git, outside a repository or before the first
 * commit nothing fails: the state is `available: false` with the reason, in a sentence.
 */
import { stat } from "node:fs/promises";
import { firstLine, porcelainPaths, runGit } from "../git/git.ts";

export interface GitState {
  /** False: no git, not a repository, or no commit yet. */
  available: boolean;
  /** Why the state is not available: a full sentence for the user. */
  reason?: string;
  /** The full id of HEAD's commit. */
  commit?: string;
  /** The current branch; undefined when HEAD is detached. */
  branch?: string;
  detached: boolean;
  /** The tags pointing at HEAD (`git tag --points-at HEAD`), lightweight or annotated, sorted. */
  tagsAtHead: string[];
  /** Any tracked or untracked change outside the ignored paths. */
  dirty: boolean;
  /** The changed paths, relative to the repository's top (an untracked folder is one entry). */
  changes: string[];
  /** A shallow clone (`git rev-parse --is-shallow-repository`): tags not fetched are invisible. */
  shallow: boolean;
  /** The default branch `refs/remotes/origin/HEAD` points at (`main`), when it is set. */
  originHead?: string;
}

export interface ReadGitStateOptions {
  /**
   * Folders and files, relative to `dir`, whose changes do not make the tree dirty: what Slipway
   * itself writes there (`.slipway`, `reports`, the artifacts folder).
   */
  ignore?: string[];
  signal?: AbortSignal;
  /** The git executable; `git` from PATH by default. */
  gitBinary?: string;
}

function unavailable(reason: string): GitState {
  return { available: false, reason, detached: false, tagsAtHead: [], dirty: false, changes: [], shallow: false };
}

export async function readGitState(dir: string, opts: ReadGitStateOptions = {}): Promise<GitState> {
  const { signal } = opts;
  const run = (args: string[]) => runGit(dir, args, { signal, ...(opts.gitBinary ? { binary: opts.gitBinary } : {}) });
  const repo = await run(["rev-parse", "--git-dir"]);
  if (repo.spawnError) {
    if (repo.spawnError.code === "ENOENT" && !(await stat(dir).catch(() => undefined))) return unavailable(`${dir} does not exist.`);
    if (repo.spawnError.code === "ENOENT") return unavailable(`git is not installed (or not on PATH), so the commit, branch and tags of ${dir} are unknown.`);
    return unavailable(`git could not run in ${dir} (${repo.spawnError.message}).`);
  }
  // Not a repository, or one git refuses to read (a checkout owned by another user: "dubious ownership").
  if (!repo.ok) return unavailable(`${dir} is not in a git repository git can read (${firstLine(repo.stderr)}).`);
  const head = await run(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
  if (!head.ok) return unavailable(`The git repository of ${dir} has no commit yet.`);
  const commit = head.stdout.trim();

  // Excluded from the whole tree (`:/`); the excluded paths are relative to `dir`, as git takes them.
  const pathspecs = [":/", ...(opts.ignore ?? []).map((p) => `:(exclude)${p}`)];
  const [branch, tags, status, shallow, originHead] = await Promise.all([
    // Exits 1 when HEAD is detached; prints the branch of an attached HEAD.
    run(["symbolic-ref", "--quiet", "--short", "HEAD"]),
    run(["tag", "--points-at", commit]),
    run(["status", "--porcelain", "-z", "--", ...pathspecs]),
    run(["rev-parse", "--is-shallow-repository"]),
    run(["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"]),
  ]);
  if (!status.ok) return unavailable(`git status failed in ${dir} (${firstLine(status.stderr)}).`);
  const changes = porcelainPaths(status.stdout);
  const branchName = branch.ok ? branch.stdout.trim() || undefined : undefined;
  const origin = originHead.ok ? originHead.stdout.trim().replace(/^refs\/remotes\/origin\//, "") || undefined : undefined;
  return {
    available: true,
    commit,
    ...(branchName ? { branch: branchName } : {}),
    detached: !branchName,
    tagsAtHead: tags.ok ? tags.stdout.split("\n").map((t) => t.trim()).filter(Boolean).sort() : [],
    dirty: changes.length > 0,
    changes,
    shallow: shallow.ok && shallow.stdout.trim() === "true",
    ...(origin ? { originHead: origin } : {}),
  };
}

