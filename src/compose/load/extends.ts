/**
 * `extends`: a service starts from another service's definition (same file, or `file:` another
 * file whose relative paths stay relative to that file) and the local keys merge over it with
 * the usual merge rules. Chains are followed; cycles are an error naming the chain.
 */
import path from "node:path";
import type { IssueList } from "../../yaml/issues.ts";
import { mergeNode } from "./merge.ts";
import { clone, get, remove, type MapNode } from "../../yaml/node.ts";
import { rebaseService } from "./paths.ts";
import { readStr } from "./read.ts";

export interface ExtendsContext {
  /** Parsed and interpolated tree of another compose file (cached by the caller). */
  loadFile: (absPath: string) => MapNode;
  home: string | undefined;
  issues: IssueList;
}

export function resolveExtends(root: MapNode, fileAbs: string, ctx: ExtendsContext): void {
  const services = get(root, "services");
  if (services?.kind !== "map") return;
  for (const e of services.entries) {
    if (e.value.kind !== "map" || get(e.value, "extends") === undefined) continue;
    const resolved = resolveService(root, fileAbs, e.key, [], ctx);
    if (resolved) e.value = resolved;
  }
}

function resolveService(tree: MapNode, fileAbs: string, name: string, stack: string[], ctx: ExtendsContext): MapNode | undefined {
  const services = get(tree, "services");
  const svc = services?.kind === "map" ? get(services, name) : undefined;
  if (svc?.kind !== "map") return undefined;
  const ext = get(svc, "extends");
  if (ext === undefined) return clone(svc);
  const extPath = `services.${name}.extends`;
  const baseName = ext.kind === "scalar" ? String(ext.value ?? "") : readStr(ext.kind === "map" ? ext : undefined, "service");
  const fileText = ext.kind === "map" ? readStr(ext, "file") : undefined;
  if (!baseName) {
    ctx.issues.add(ext.pos, extPath, "extends needs the name of a service");
    return undefined;
  }
  const baseFile = fileText === undefined ? fileAbs : path.resolve(path.dirname(fileAbs), fileText);
  const key = `${baseFile}#${baseName}`;
  const chain = [...stack, `${fileAbs}#${name}`];
  if (chain.includes(key)) {
    ctx.issues.add(ext.pos, extPath, `extends cycle: ${[...chain, key].map((k) => k.split("#")[1]).join(" -> ")}`);
    return undefined;
  }
  let baseTree: MapNode;
  try {
    baseTree = baseFile === fileAbs ? tree : ctx.loadFile(baseFile);
  } catch (e) {
    if (e instanceof Error && e.name === "ConfigFileError") throw e;
    ctx.issues.add(ext.pos, extPath, `cannot read extended file ${baseFile}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  const baseServices = get(baseTree, "services");
  if (baseServices?.kind !== "map" || get(baseServices, baseName)?.kind !== "map") {
    ctx.issues.add(ext.pos, extPath, `extends refers to service ${JSON.stringify(baseName)}, which is not defined${baseFile === fileAbs ? "" : ` in ${baseFile}`}`);
    return undefined;
  }
  const base = resolveService(baseTree, baseFile, baseName, chain, ctx);
  if (!base) return undefined;
  if (baseFile !== fileAbs) rebaseService(base, path.dirname(baseFile), ctx.home);
  const local = clone(svc);
  remove(local, "extends");
  const merged = mergeNode(base, local, ["services", name]);
  return merged.kind === "map" ? merged : undefined;
}
