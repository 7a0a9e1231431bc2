/** Host path resolution as compose-go does it: `~` is the user's home, relative paths are resolved against a base directory. */
import path from "node:path";

export function expandHome(p: string, home: string | undefined): string {
  if (home !== undefined && (p === "~" || p.startsWith("~/"))) return path.join(home, p.slice(1));
  return p;
}

export function resolveHostPath(p: string, baseDir: string, home: string | undefined): string {
  const expanded = expandHome(p, home);
  return path.isAbsolute(expanded) ? path.normalize(expanded) : path.resolve(baseDir, expanded);
}

/** Build contexts may be remote (git, https); those are left as written. */
export function isRemoteContext(ctx: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ctx) || ctx.startsWith("git@") || ctx.startsWith("github.com/");
}
