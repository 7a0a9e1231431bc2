/** Host path resolution as compose-go does it: `~` is the user's home, relative paths are resolved against a base directory. */
import path from "node:path";
import { parseVolumeSpec } from "./formats.ts";
import { get, scalar, scalarText, type MapNode, type YNode } from "../../yaml/node.ts";

export function expandHome(p: string, home: string | undefined): string {
  if (home !== undefined && (p === "~" || p.startsWith("~/"))) return path.join(home, p.slice(1));
  return p;
}

export function resolveHostPath(p: string, baseDir: string, home: string | undefined): string {
  const expanded = expandHome(p, home);
  // A Windows path (`c:/data`, `C:\data`) is absolute where it means anything; compose keeps it as written.
  if (/^[A-Za-z]:[\\/]/.test(expanded)) return expanded;
  return path.isAbsolute(expanded) ? path.normalize(expanded) : path.resolve(baseDir, expanded);
}

/** Build contexts may be remote (git, https); those are left as written. */
export function isRemoteContext(ctx: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ctx) || ctx.startsWith("git@") || ctx.startsWith("github.com/");
}


/**
 * Makes the relative paths of a service absolute against `fromDir`. Used where compose resolves
 * paths against another directory than the project's: a service pulled in by `extends: {file}`
 * (paths relative to that file) and the resources of an `include` (its project_directory).
 */
export function rebaseService(service: MapNode, fromDir: string, home: string | undefined): void {
  const abs = (p: string): string => resolveHostPath(p, fromDir, home);
  const rewrite = (n: YNode | undefined, f: (s: string) => string): void => {
    if (n?.kind === "scalar" && typeof n.value === "string") n.value = f(n.value);
  };
  const build = get(service, "build");
  const ctx = (s: string): string => (isRemoteContext(s) ? s : abs(s));
  if (build?.kind === "scalar") rewrite(build, ctx);
  else if (build?.kind === "map") {
    if (get(build, "context") === undefined) build.entries.push({ key: "context", keyPos: build.pos, value: scalar(".", build.pos) });
    rewrite(get(build, "context"), ctx);
  }
  const envFile = get(service, "env_file");
  for (const item of envFile?.kind === "seq" ? envFile.items : envFile ? [envFile] : []) {
    if (item.kind === "scalar") rewrite(item, abs);
    else if (item.kind === "map") rewrite(get(item, "path"), abs);
  }
  const ext = get(service, "extends");
  if (ext?.kind === "map") rewrite(get(ext, "file"), abs);
  const volumes = get(service, "volumes");
  if (volumes?.kind === "seq") {
    for (const v of volumes.items) {
      if (v.kind === "scalar") {
        const text = scalarText(v);
        const parsed = parseVolumeSpec(text);
        if (parsed.ok && parsed.value.type === "bind" && parsed.value.source !== undefined) {
          v.value = abs(parsed.value.source) + text.slice(parsed.value.source.length);
        }
      } else if (v.kind === "map") {
        const type = get(v, "type");
        if (type?.kind === "scalar" && type.value === "bind") rewrite(get(v, "source"), abs);
      }
    }
  }
}

/** Rebases `file:` of top-level secrets or configs. */
export function rebaseFileObjects(section: YNode | undefined, fromDir: string, home: string | undefined): void {
  if (section?.kind !== "map") return;
  for (const e of section.entries) {
    if (e.value.kind !== "map") continue;
    const file = get(e.value, "file");
    if (file?.kind === "scalar" && typeof file.value === "string") file.value = resolveHostPath(file.value, fromDir, home);
  }
}
