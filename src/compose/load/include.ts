/**
 * Top-level `include`: each entry loads another compose application (its own project
 * directory and env files) and imports its services, networks, volumes, secrets and configs.
 * Its relative paths are made absolute against its own project directory before import, so
 * they do not move to the including project's directory. A resource defined both here and
 * in an included file is an error, as in compose.
 */
import path from "node:path";
import type { IssueList } from "../../yaml/issues.ts";
import { childPath, get, toPlain, type MapNode, type Pos } from "../../yaml/node.ts";
import { rebaseFileObjects, rebaseService } from "./paths.ts";
import { readList, readStr } from "./read.ts";

export interface IncludeRequest {
  files: string[];
  projectDir: string;
  envFiles: string[] | undefined;
  pos: Pos;
  path: string;
}

/** Reads `include:` of a file into load requests; relative paths are relative to that file. */
export function includeRequests(root: MapNode, fileAbs: string, issues: IssueList): IncludeRequest[] {
  const inc = get(root, "include");
  if (inc?.kind !== "seq") return [];
  const dir = path.dirname(fileAbs);
  const out: IncludeRequest[] = [];
  inc.items.forEach((item, i) => {
    const p = childPath("include", i);
    let files: string[] = [];
    let projectDir: string | undefined;
    let envFiles: string[] | undefined;
    if (item.kind === "scalar" && typeof item.value === "string") files = [item.value];
    else if (item.kind === "map") {
      files = readList(item, "path");
      const pd = readStr(item, "project_directory");
      if (pd !== undefined) projectDir = path.resolve(dir, pd);
      if (get(item, "env_file") !== undefined) envFiles = readList(item, "env_file").map((f) => path.resolve(dir, f));
    }
    if (files.length === 0) {
      issues.add(item.pos, p, "include needs a path");
      return;
    }
    const abs = files.map((f) => path.resolve(dir, f));
    out.push({ files: abs, projectDir: projectDir ?? path.dirname(abs[0] ?? dir), envFiles, pos: item.pos, path: p });
  });
  return out;
}

const SECTIONS = ["services", "networks", "volumes", "secrets", "configs"] as const;

/** Adds an included tree's resources to `root`, rebased on the included project directory. */
export function importIncluded(root: MapNode, included: MapNode, req: IncludeRequest, home: string | undefined, issues: IssueList): void {
  const services = get(included, "services");
  if (services?.kind === "map") for (const e of services.entries) if (e.value.kind === "map") rebaseService(e.value, req.projectDir, home);
  rebaseFileObjects(get(included, "secrets"), req.projectDir, home);
  rebaseFileObjects(get(included, "configs"), req.projectDir, home);
  for (const section of SECTIONS) {
    const from = get(included, section);
    if (from?.kind !== "map") continue;
    let to = get(root, section);
    if (to === undefined || (to.kind === "scalar" && to.value === null)) {
      to = { kind: "map", entries: [], pos: from.pos };
      const existing = root.entries.find((e) => e.key === section);
      if (existing) existing.value = to;
      else root.entries.push({ key: section, keyPos: from.pos, value: to });
    }
    if (to.kind !== "map") continue;
    for (const e of from.entries) {
      const clash = to.entries.find((x) => x.key === e.key);
      if (clash) {
        if (JSON.stringify(toPlain(clash.value)) !== JSON.stringify(toPlain(e.value))) {
          issues.add(clash.keyPos, `${section}.${e.key}`, `${section.slice(0, -1)} ${JSON.stringify(e.key)} is also defined by included file ${req.files.join(", ")}`, "Rename one of them, or remove the duplicate definition.");
        }
        continue;
      }
      to.entries.push(e);
    }
  }
}
