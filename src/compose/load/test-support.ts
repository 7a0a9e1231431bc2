/** Helpers for the loader's unit tests: small compose trees written to a fresh temp dir. */
import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigFileError, type ConfigIssue } from "../../yaml/issues.ts";
import { loadProject, type LoadProjectOptions } from "./load-project.ts";
import type { Project } from "../model/project.ts";

/** Writes `files` (relative path → text) under a new temp dir named `dirName`, returns that dir. */
export async function writeTree(files: Record<string, string>, dirName = "proj"): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "slipway-compose-"));
  const dir = path.join(root, dirName);
  await mkdir(dir, { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, text);
  }
  return dir;
}

export async function load(files: Record<string, string>, opts: Partial<LoadProjectOptions> = {}): Promise<Project> {
  const dir = await writeTree(files);
  return loadProject({ workingDir: dir, env: {}, ...opts });
}

/** Loads and expects a ConfigFileError; returns its issues. */
export async function loadIssues(files: Record<string, string>, opts: Partial<LoadProjectOptions> = {}): Promise<readonly ConfigIssue[]> {
  try {
    await load(files, opts);
  } catch (e) {
    if (e instanceof ConfigFileError) return e.issues;
    throw e;
  }
  throw new Error("expected the compose file to be rejected");
}
