/**
 * A lexical check cannot see a symlink chain that climbs out: with `x -> .` at the top, `y -> x/..`
 * looks like "." but the kernel resolves it to the destination's parent. So after extraction every
 * symlink is resolved the way the kernel would, one component at a time on the real tree,
 * refusing any step above the root. Components that do not exist are resolved lexically, since
 * nothing can be behind them.
 */
import { lstat, readlink } from "node:fs/promises";
import path from "node:path";

/** Linux's MAXSYMLINKS: a chain longer than this is a loop to the kernel too. */
const MAX_HOPS = 40;

/** Whether the symlink at `linkParts` under `root` resolves to a place inside `root`. */
export async function symlinkStaysInside(root: string, linkParts: readonly string[]): Promise<boolean> {
  let dir = linkParts.slice(0, -1);
  const first = await readlink(path.join(root, ...linkParts));
  if (path.posix.isAbsolute(first)) return false;
  let pending = first.split("/");
  let hops = 0;
  while (pending.length > 0) {
    const [part, ...rest] = pending;
    pending = rest;
    if (part === undefined || part === "" || part === ".") continue;
    if (part === "..") {
      if (dir.length === 0) return false;
      dir = dir.slice(0, -1);
      continue;
    }
    const candidate = [...dir, part];
    const stats = await lstat(path.join(root, ...candidate)).catch(() => undefined);
    if (stats?.isSymbolicLink() === true) {
      if (++hops > MAX_HOPS) return false;
      const target = await readlink(path.join(root, ...candidate));
      if (path.posix.isAbsolute(target)) return false;
      pending = [...target.split("/"), ...pending];
      continue;
    }
    dir = candidate;
  }
  return true;
}
