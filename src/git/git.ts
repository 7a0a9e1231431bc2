/**
 * The `git` CLI as Slipway reads a work tree (the release image's revision, the tag plan's state):
 * no shell, `--no-optional-locks` (so `status` never takes .git/index.lock from under a git
 * command the user runs at the same time), and a failure to start kept apart from git's own
 * refusals, so that "no git" and "not a repository" can each be said in their own words.
 */
import { execFile } from "node:child_process";

export interface GitResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  /** The error of a git that could not start (not installed, `cwd` missing). */
  spawnError?: NodeJS.ErrnoException;
}

export function runGit(dir: string, args: string[], opts: { signal?: AbortSignal | undefined; binary?: string } = {}): Promise<GitResult> {
  const { signal } = opts;
  return new Promise((resolve, reject) => {
    execFile(opts.binary ?? "git", ["--no-optional-locks", ...args], { cwd: dir, signal, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
      if (signal?.aborted) return reject(signal.reason);
      const spawnError = err && typeof (err as NodeJS.ErrnoException).code === "string" ? (err as NodeJS.ErrnoException) : undefined;
      resolve({ ok: !err, stdout, stderr, ...(spawnError ? { spawnError } : {}) });
    });
  });
}

/** The first line of git's output, for a message. */
export const firstLine = (text: string): string => text.trim().split("\n")[0] ?? "";

/** The paths of `git status --porcelain -z` (a rename's or copy's origin follows it as its own field). */
export function porcelainPaths(output: string): string[] {
  const fields = output.split("\0");
  const paths: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i]!;
    if (entry.length < 4) continue;
    paths.push(entry.slice(3));
    if (entry[0] === "R" || entry[0] === "C") i++;
  }
  return paths;
}
