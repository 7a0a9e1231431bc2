/**
 * The build context as a tar stream, honouring .dockerignore the way the docker CLI does
 * (@balena/dockerignore implements its matching rules; dockerode's packing got them wrong, see
 * issue 2). The Dockerfile and .dockerignore are always sent: the builder needs them even when
 * ignored.
 */
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import dockerignoreModule from "@balena/dockerignore";
import tar from "tar-stream";
import { SlipwayError } from "../errors/index.ts";

export async function readDockerignore(contextDir: string, dockerfile: string): Promise<string[]> {
  // BuildKit also reads <Dockerfile>.dockerignore; the legacy builder only .dockerignore.
  for (const name of [`${dockerfile}.dockerignore`, ".dockerignore"]) {
    try {
      return (await readFile(path.join(contextDir, name), "utf8")).split(/\r?\n/);
    } catch {
      // try the next
    }
  }
  return [];
}

/** Relative paths (posix) of the files to send, sorted for a reproducible tar. */
export async function contextFiles(contextDir: string, dockerfile: string): Promise<string[]> {
  // The package is CommonJS with `exports.default`; under ESM the function sits on `.default`.
  type Factory = (options?: { ignorecase?: boolean }) => { add(patterns: string[]): { ignores(path: string): boolean } };
  const loaded = dockerignoreModule as unknown as Factory & { default?: Factory };
  const dockerignore: Factory = loaded.default ?? loaded;
  const patterns = await readDockerignore(contextDir, dockerfile);
  const ig = dockerignore({ ignorecase: false }).add(patterns);
  const hasExceptions = patterns.some((p) => p.trim().startsWith("!"));
  const always = new Set([dockerfile.split(path.sep).join("/"), ".dockerignore"]);
  const out: string[] = [];
  const walk = async (rel: string) => {
    const entries = await readdir(path.join(contextDir, rel), { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      // The context itself missing is the user's to fix; anything else (permissions…) is reported as is.
      if (rel === "" && (err.code === "ENOENT" || err.code === "ENOTDIR")) {
        throw new SlipwayError(`Build context ${contextDir} is not a folder`, { code: "BUILD_CONTEXT_MISSING", kind: "config", hint: "Check build.context in the compose file (relative to the file's folder)." });
      }
      throw err;
    });
    for (const entry of entries) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const ignored = ig.ignores(relPath) && !always.has(relPath);
      if (entry.isDirectory()) {
        // An ignored directory may still hold re-included files (`!dir/keep`): descend only then,
        // so an ignored node_modules costs nothing.
        if (!ignored || hasExceptions) await walk(relPath);
        if (!ignored) out.push(`${relPath}/`);
      } else if (!ignored) {
        out.push(relPath);
      }
    }
  };
  await walk("");
  return out.sort();
}

/** Packs the context; `extra` is a generated file added to it (an inline Dockerfile), replacing any file of that name. */
export async function packContext(contextDir: string, dockerfile = "Dockerfile", extra?: { name: string; content: string }): Promise<Readable> {
  const files = (await contextFiles(contextDir, dockerfile)).filter((f) => f !== extra?.name);
  const pack = tar.pack();
  void (async () => {
    try {
      if (extra) {
        const content = Buffer.from(extra.content);
        await new Promise<void>((resolve, reject) => pack.entry({ name: extra.name, size: content.length, mode: 0o644, uid: 0, gid: 0 }, content, (err) => (err ? reject(err) : resolve())));
      }
      for (const rel of files) {
        const abs = path.join(contextDir, rel);
        const stat = await lstat(abs);
        const common = { mode: stat.mode & 0o7777, mtime: stat.mtime, uid: 0, gid: 0 };
        if (rel.endsWith("/")) {
          pack.entry({ ...common, name: rel, type: "directory" });
        } else if (stat.isSymbolicLink()) {
          pack.entry({ ...common, name: rel, type: "symlink", linkname: await readlink(abs) });
        } else if (stat.isFile()) {
          const content = await readFile(abs);
          await new Promise<void>((resolve, reject) => pack.entry({ ...common, name: rel, size: content.length }, content, (err) => (err ? reject(err) : resolve())));
        }
      }
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  return Readable.from(pack);
}
