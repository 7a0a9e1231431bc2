/**
 * The revision a release image is built from, read from the work tree with the `git` CLI (no
 * shell): the commit, the commit's time, whether the work tree differs from it, and where the
 * source lives. The commit's time — never the clock — dates the image, so an unchanged commit
 * builds an unchanged image (seed 002: the commit is what identifies a release).
 *
 * Outside a git repository, in one without a commit, or without git, nothing fails: the revision
 * is `{ commit: "unknown", dirty: false }` with a `warning` for the caller to emit. A build from
 * such a folder is still a build; it just cannot say which source it came from ("dirty" means "not
 * the commit", and there is no commit to differ from).
 */
import { stat } from "node:fs/promises";
import { firstLine, porcelainPaths, runGit } from "../git/git.ts";

export const UNKNOWN_COMMIT = "unknown";

export interface Revision {
  /** The full commit id (`git rev-parse HEAD`), or "unknown". */
  commit: string;
  /** The commit's committer date, ISO-8601 with its offset (`%cI`); absent when the commit is unknown. */
  committedAt?: string;
  /** Any tracked or untracked change (`git status --porcelain`) outside the ignored folders. */
  dirty: boolean;
  /** The changed paths, relative to the repository's top (untracked folders as one entry). */
  changes: string[];
  /** The `origin` remote's URL without credentials; absent without one. */
  source?: string;
  /** Why the revision is unknown, for the caller to emit; absent when it is known. */
  warning?: string;
}

export interface ReadRevisionOptions {
  /**
   * Folders and files, relative to `dir`, whose changes do not make the tree dirty: what Slipway
   * itself writes there (`.slipway`, `reports`, `target`).
   */
  ignore?: string[];
  signal?: AbortSignal;
}

const git = (dir: string, args: string[], signal?: AbortSignal) => runGit(dir, args, { signal });

function unknown(warning: string): Revision {
  return { commit: UNKNOWN_COMMIT, dirty: false, changes: [], warning };
}

export async function readRevision(dir: string, opts: ReadRevisionOptions = {}): Promise<Revision> {
  const { signal } = opts;
  const consequence = 'the image is labelled revision "unknown", without a creation time';
  const repo = await git(dir, ["rev-parse", "--git-dir"], signal);
  if (repo.spawnError) {
    if (repo.spawnError.code === "ENOENT" && !(await stat(dir).catch(() => undefined))) return unknown(`${dir} does not exist: ${consequence}`);
    if (repo.spawnError.code === "ENOENT") return unknown(`git is not installed, so the commit of ${dir} is unknown: ${consequence}`);
    return unknown(`git could not run in ${dir} (${repo.spawnError.message}): ${consequence}`);
  }
  // Not a repository, or one git refuses to read (a checkout owned by another user: "dubious ownership").
  if (!repo.ok) return unknown(`${dir} is not in a git repository git can read (${firstLine(repo.stderr)}): ${consequence}`);
  const head = await git(dir, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], signal);
  if (!head.ok) return unknown(`The git repository of ${dir} has no commit yet: ${consequence}`);
  const commit = head.stdout.trim();

  // Excluded from the whole tree (`:/`); the excluded paths are relative to `dir`, as git takes them.
  const pathspecs = [":/", ...(opts.ignore ?? []).map((p) => `:(exclude)${p}`)];
  const [date, status, origin] = await Promise.all([
    git(dir, ["show", "-s", "--format=%cI", commit], signal),
    git(dir, ["status", "--porcelain", "-z", "--", ...pathspecs], signal),
    git(dir, ["remote", "get-url", "origin"], signal),
  ]);
  if (!date.ok) return unknown(`git could not read commit ${commit} in ${dir} (${firstLine(date.stderr)}): ${consequence}`);
  if (!status.ok) return unknown(`git status failed in ${dir} (${firstLine(status.stderr)}): ${consequence}`);
  const changes = porcelainPaths(status.stdout);
  const source = origin.ok && origin.stdout.trim() ? withoutCredentials(origin.stdout.trim()) : undefined;
  return { commit, committedAt: date.stdout.trim(), dirty: changes.length > 0, changes, ...(source ? { source } : {}) };
}


/**
 * A remote's URL without the credentials a clone may carry (`https://user:token@host/…`; a token
 * alone sits in the user part). An ssh user (`ssh://git@host/…`) names an account, not a secret,
 * and stays; scp-like `git@host:path` and local paths are not URLs and stay as they are.
 */
export function withoutCredentials(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (!parsed.username && !parsed.password) return url;
  if (parsed.protocol !== "ssh:" && parsed.protocol !== "git+ssh:") parsed.username = "";
  parsed.password = "";
  return parsed.href;
}
