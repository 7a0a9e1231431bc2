/**
 * Reports come out of the test container through the archive API — no bind mounts, so the run is
 * self-contained and works against a remote engine (seed 000) — and also when the tests failed.
 */
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import type { Engine } from "../engine/index.ts";
import { extractArchive } from "../engine/streams/archive.ts";
import { parseJUnit, summarize, type JUnitSummary, type TestCaseResult } from "./junit.ts";

export interface ReportSpec {
  path: string;
  junit: boolean;
  required: boolean;
}

export interface CopiedReports {
  /** Where they are on the host. */
  dir: string;
  /** Report paths that were required but not found in the container. */
  missing: string[];
  files: string[];
  junit?: JUnitSummary;
  /** XML files that could not be parsed, with why. */
  unreadable: { file: string; error: string }[];
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    let entries;
    try {
      entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? path.join(rel, e.name) : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  await walk("");
  return out.sort();
}

/** Copies each report path of `container` into `dest` (one sub-folder per path when there are several). */
export async function copyReports(engine: Engine, container: string, specs: ReportSpec[], dest: string, signal?: AbortSignal): Promise<CopiedReports> {
  await rm(dest, { recursive: true, force: true });
  const missing: string[] = [];
  for (const spec of specs) {
    const target = specs.length === 1 ? dest : path.join(dest, path.posix.basename(spec.path));
    // One request: the archive's answer says what the path is.
    const archive = await engine.containers.readArchive(container, spec.path, { signal });
    if (!archive) {
      if (spec.required) missing.push(spec.path);
      continue;
    }
    const { stat, tar } = archive;
    // The archive of a folder holds the folder itself: strip it, so its files land in `target`.
    await extractArchive(tar, target, { stripComponents: stat.isDirectory ? 1 : 0, what: `reports from ${container}:${spec.path}`, signal });
    if (stat.isDirectory && spec.required && (await listFiles(target)).length === 0) missing.push(spec.path);
  }
  const files = await listFiles(dest);
  const result: CopiedReports = { dir: dest, missing, files, unreadable: [] };
  const junitCases: TestCaseResult[] = [];
  const junitFiles: string[] = [];
  const junitWanted = specs.some((s) => s.junit);
  if (junitWanted) {
    for (const file of files.filter((f) => f.endsWith(".xml"))) {
      try {
        junitCases.push(...parseJUnit(await readFile(path.join(dest, file), "utf8")));
        junitFiles.push(file);
      } catch (err) {
        result.unreadable.push({ file, error: err instanceof Error ? err.message : String(err) });
      }
    }
    result.junit = summarize(junitCases, junitFiles);
  }
  return result;
}
