/**
 * Reports come out of the test container through the archive API — no bind mounts, so the run is
 * self-contained and works against a remote engine (seed 000) — and also when the tests failed.
 */
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import type { Engine } from "../engine/index.ts";
import { extractArchive } from "../engine/streams/archive.ts";
import { notJUnitReason, readJUnit, summarize, type JUnitSummary, type TestCaseResult } from "./junit.ts";

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
  /** Present when at least one JUnit file was read: no JUnit file is not "0 tests". */
  junit?: JUnitSummary;
  /** Report files that had to be JUnit and are not; `report` is the path of their report spec. */
  unreadable: UnreadableReport[];
}

export interface UnreadableReport {
  /** Relative to `dir`. */
  file: string;
  /** "empty file", "not XML, line …", "not JUnit, root element …". */
  reason: string;
  /** The report spec's `path`, the file came from. */
  report: string;
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

/**
 * Empties a stage's report folder (`reports/<environment>/`), so that no file of an earlier run is
 * taken for this run's (issue "slipway ci": stale JUnit files were counted twice). Only that
 * folder: a symlink there is removed, not what it points to, and its siblings stay.
 */
export async function emptyReportsDir(dest: string): Promise<void> {
  await rm(dest, { recursive: true, force: true });
}

/**
 * Copies each report path of `container` into `dest` (one sub-folder per path when there are
 * several), emptied first: what `dest` holds afterwards is this run's and nothing else.
 */
export async function copyReports(engine: Engine, container: string, specs: ReportSpec[], dest: string, signal?: AbortSignal): Promise<CopiedReports> {
  await emptyReportsDir(dest);
  const missing: string[] = [];
  const junitCandidates: { file: string; spec: ReportSpec; folder: boolean }[] = [];
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
    const copied = await listFiles(target);
    if (stat.isDirectory && spec.required && copied.length === 0) missing.push(spec.path);
    if (!spec.junit) continue;
    for (const f of copied.filter((f) => f.endsWith(".xml"))) {
      const file = path.relative(dest, path.join(target, f));
      if (!junitCandidates.some((c) => c.file === file)) junitCandidates.push({ file, spec, folder: stat.isDirectory });
    }
  }
  const files = await listFiles(dest);
  const result: CopiedReports = { dir: dest, missing, files, unreadable: [] };
  const junitCases: TestCaseResult[] = [];
  const junitFiles: string[] = [];
  for (const { file, spec, folder } of junitCandidates) {
    const doc = readJUnit(await readFile(path.join(dest, file), "utf8"));
    if (doc.kind === "junit") {
      junitCases.push(...doc.cases);
      junitFiles.push(file);
    } else if (doc.kind === "unreadable") {
      result.unreadable.push({ file, reason: doc.reason, report: spec.path });
    } else if (!folder) {
      result.unreadable.push({ file, reason: notJUnitReason(doc.root), report: spec.path });
    }
    // Other XML in a folder is another kind of report (pytest's and jest's coverage.xml sit beside
    // junit.xml): not a JUnit file, and not a broken one either.
  }
  if (junitFiles.length > 0) result.junit = summarize(junitCases, junitFiles);
  return result;
}
