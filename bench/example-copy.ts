/**
 * The scratch copy of an example a benchmark runs its peers in (in the OS temp folder, never the
 * repository's own example): copied without local builds and outputs, optionally made a git repository
 * with one commit (for pipelines that read the revision), edited for cold rounds, and checked for the
 * reports each run must leave.
 */
import { randomBytes } from "node:crypto";
import { appendFile, cp, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { capture, tail, type ProcessResult } from "./process-run.ts";

/** What a copy leaves out of the example: local builds and every tool's outputs. */
const LEFT_OUT = ["node_modules", "reports", ".slipway", "dist"];

export interface ExampleCopy {
  /** The copy's folder. */
  dir: string;
  remove(): Promise<void>;
}

export async function copyExample(example: string, name: string, opts: { git?: boolean } = {}): Promise<ExampleCopy> {
  const scratch = await mkdtemp(path.join(tmpdir(), `slipway-bench-${name}-`));
  const dir = path.join(scratch, path.basename(example));
  await cp(example, dir, { recursive: true, filter: (src) => !LEFT_OUT.includes(path.basename(src)) || path.dirname(src) !== example });
  if (opts.git) {
    await capture("git", ["init", "-q"], dir);
    // Outputs of the runs stay out of `git status`, so the revision is never dirty because of them;
    // .git/info/exclude is not part of any build context, a .gitignore would be.
    await mkdir(path.join(dir, ".git/info"), { recursive: true });
    await writeFile(path.join(dir, ".git/info/exclude"), LEFT_OUT.map((n) => `/${n}/`).join("\n") + "\n");
    await commitAll(dir, "example as in the repository");
  }
  return { dir, remove: () => rm(scratch, { recursive: true, force: true }) };
}

/** Commits everything in the copy; returns the new commit. */
export async function commitAll(dir: string, message: string): Promise<string> {
  await capture("git", ["add", "-A"], dir);
  await capture("git", ["-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "--no-verify", "-m", message], dir);
  return capture("git", ["rev-parse", "HEAD"], dir);
}

/**
 * A cold round's edit: a comment with new random content appended to a source file, so the build
 * context changes (and no peer can reuse layers another just built) while the program does not.
 */
export async function coldEdit(dir: string, file: string): Promise<void> {
  await appendFile(path.join(dir, file), `// bench: cold build ${randomBytes(6).toString("hex")}\n`);
}

/** Throws unless every file is in the folder and not empty: a run that left no reports is no result. */
export async function checkReports(dir: string, files: readonly string[], peer: string, result: ProcessResult): Promise<void> {
  for (const file of files) {
    const info = await stat(path.join(dir, file)).catch(() => undefined);
    if (!info || info.size === 0) throw new Error(`${peer}: no ${file} in ${dir} (exit ${result.exitCode})\n${tail(result)}`);
  }
}
