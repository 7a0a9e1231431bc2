/**
 * Pure rules for names inside a tar archive that comes from a container. The engine returns the
 * container's symlinks verbatim (GET /containers/{id}/archive), and a container is not trusted:
 * the "docker cp" CVEs (CVE-2018-15664, CVE-2019-14271) and every tar-slip bug came from trusting
 * such names. The rules are deliberately stricter than tar's: a name the engine never produces
 * (absolute, with "..") is rejected rather than repaired.
 */

export type NameCheck = { ok: true; parts: string[] } | { ok: false; reason: string };

/**
 * Splits an archive member name into components, dropping "" and "." ones, or says why the name
 * is unsafe. On Windows a backslash or a drive letter would let a name climb out, so they are
 * refused there.
 */
export function entryParts(name: string, platform: NodeJS.Platform = process.platform): NameCheck {
  if (name.includes("\0")) return { ok: false, reason: "its name contains a NUL byte" };
  if (name.startsWith("/")) return { ok: false, reason: "it is an absolute path" };
  if (platform === "win32" && (name.includes("\\") || name.includes(":"))) {
    return { ok: false, reason: "its name contains a backslash or a colon, which Windows treats as path syntax" };
  }
  const parts = name.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.includes("..")) return { ok: false, reason: 'its name contains a ".." component' };
  return { ok: true, parts };
}

/**
 * Why a symlink at `linkParts` (inside the destination) pointing to `target` is unsafe, judged
 * lexically; undefined when it stays inside. Symlinks chained through other symlinks are checked
 * again on the real tree once the whole archive is known (see contained-path.ts).
 */
export function symlinkTargetProblem(linkParts: readonly string[], target: string, platform: NodeJS.Platform = process.platform): string | undefined {
  if (target === "") return "it is a symlink with an empty target";
  if (target.includes("\0")) return "its symlink target contains a NUL byte";
  if (target.startsWith("/")) return `it is a symlink to the absolute path "${target}"`;
  if (platform === "win32" && (target.includes("\\") || target.includes(":"))) {
    return `its symlink target "${target}" contains a backslash or a colon, which Windows treats as path syntax`;
  }
  let depth = linkParts.length - 1;
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (depth === 0) return `it is a symlink to "${target}", which points outside the destination`;
      depth--;
    } else {
      depth++;
    }
  }
  return undefined;
}

/** The first proper prefix of `parts` that is in `links`, i.e. the symlink a write to `parts` would go through. */
export function symlinkOnPath(parts: readonly string[], links: ReadonlySet<string>): string | undefined {
  for (let i = 1; i < parts.length; i++) {
    const prefix = parts.slice(0, i).join("/");
    if (links.has(prefix)) return prefix;
  }
  return undefined;
}
