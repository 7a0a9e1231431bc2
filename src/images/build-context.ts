/**
 * The build context as a tar stream, with the entries the docker CLI would send: its .dockerignore
 * reading (moby/patternmatcher's ignorefile.ReadAll), its pattern matching (patternmatcher) and its
 * walk (moby's archive.TarWithOptions, which `docker build` packs with), ported rule for rule, and
 * held to the CLI itself by test/integration/images/dockerignore-parity.test.ts. A generic ignore
 * library is not enough: @balena/dockerignore, used before, did not escape `+ ( ) | { } $` (so
 * `a+b.txt` ignored nothing), re-included `!**\/x` inside an ignored folder the CLI never opens,
 * and left out a Dockerfile inside an ignored folder, which the CLI always sends (dockerode's
 * packing got the rules wrong too, see issue 2).
 *
 * The pipeline also leaves out the folders Slipway writes (`exclude`: its evidence, reports and
 * artifacts), whatever .dockerignore says: a previous run's reports baked into a test image were
 * copied out and counted again, and files that change on every run made every build look changed.
 */
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import tar, { type Header } from "tar-stream";
import { SlipwayError } from "../errors/index.ts";

export async function readDockerignore(contextDir: string, dockerfile: string): Promise<string[]> {
  // BuildKit also reads <Dockerfile>.dockerignore; the legacy builder only .dockerignore.
  for (const name of [`${dockerfile}.dockerignore`, ".dockerignore"]) {
    let text: string;
    try {
      text = await readFile(path.join(contextDir, name), "utf8");
    } catch {
      continue;
    }
    return parseDockerignore(text);
  }
  return [];
}

/**
 * The patterns of an ignore file as the docker CLI reads them: a UTF-8 byte order mark dropped,
 * lines starting with `#` skipped (only in the first column: "  # x" is a pattern), blanks
 * trimmed, each pattern (after its `!`) cleaned as a path (`./a/` is `a`, `a/../b` is `b`) and
 * anchored at the context's root (`/a` is `a`).
 */
export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = text.split("\n");
  for (const [index, raw] of lines.entries()) {
    let line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (index === 0 && line.startsWith("\ufeff")) line = line.slice(1);
    if (line.startsWith("#")) continue;
    let pattern = trimSpace(line);
    if (pattern === "") continue;
    const invert = pattern.startsWith("!");
    if (invert) pattern = trimSpace(pattern.slice(1));
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith("/")) pattern = pattern.slice(1);
    }
    out.push(invert ? `!${pattern}` : pattern);
  }
  return out;
}

/** Go's strings.TrimSpace: Unicode white space, but not U+FEFF (which String.prototype.trim removes). */
function trimSpace(s: string): string {
  return s.replace(/^(?:[^\S\ufeff]|\u0085)+|(?:[^\S\ufeff]|\u0085)+$/gu, "");
}

/** Go's path.Clean: the shortest equivalent path, no trailing slash (but "/"), "." for nothing. */
function cleanPath(p: string): string {
  const rooted = p.startsWith("/");
  const parts: string[] = [];
  for (const segment of p.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
      else if (!rooted) parts.push("..");
      continue;
    }
    parts.push(segment);
  }
  const out = (rooted ? "/" : "") + parts.join("/");
  return out === "" ? "." : out;
}

/** Regular expression characters that mean nothing in a pattern, escaped (patternmatcher's shouldEscape). */
const REGEXP_ONLY = new Set([...".+()|{}$"]);

/** One pattern, compiled as patternmatcher compiles it (exact, prefix, suffix or regular expression). */
class IgnorePattern {
  readonly exclusion: boolean;
  /** The cleaned pattern, without its `!`. */
  readonly text: string;
  readonly dirs: number;
  readonly #match: (p: string) => boolean;

  constructor(text: string, exclusion: boolean) {
    this.text = text;
    this.exclusion = exclusion;
    this.dirs = text.split("/").length;
    this.#match = compile(text);
  }

  match(p: string): boolean {
    return this.#match(p);
  }
}

function compile(pattern: string): (p: string) => boolean {
  let re = "^";
  let kind: "exact" | "prefix" | "suffix" | "regexp" = "exact";
  const chars = [...pattern];
  let pos = 0;
  for (let i = 0; pos < chars.length; i++) {
    const ch = chars[pos++]!;
    if (ch === "*") {
      if (chars[pos] === "*") {
        pos++;
        // `**/` is `**`
        if (chars[pos] === "/") pos++;
        if (pos === chars.length) {
          // A trailing `**` matches everything below, as in .gitignore.
          if (kind === "exact") kind = "prefix";
          else {
            re += ".*";
            kind = "regexp";
          }
        } else {
          // Any number of folders, none included.
          re += "(.*/)?";
          kind = "regexp";
        }
        if (i === 0) kind = "suffix";
      } else {
        re += "[^/]*";
        kind = "regexp";
      }
    } else if (ch === "?") {
      re += "[^/]";
      kind = "regexp";
    } else if (REGEXP_ONLY.has(ch)) {
      re += `\\${ch}`;
    } else if (ch === "\\") {
      if (pos < chars.length) {
        re += `\\${chars[pos++]!}`;
        kind = "regexp";
      } else {
        re += "\\";
      }
    } else if (ch === "[" || ch === "]") {
      re += ch;
      kind = "regexp";
    } else {
      re += ch;
    }
  }
  switch (kind) {
    case "exact":
      return (p) => p === pattern;
    case "prefix": {
      const prefix = pattern.slice(0, -2);
      return (p) => p.startsWith(prefix);
    }
    case "suffix": {
      const suffix = pattern.slice(2);
      // `**/foo` matches `foo` too.
      return (p) => p.endsWith(suffix) || (suffix.startsWith("/") && p === suffix.slice(1));
    }
    case "regexp": {
      let regexp: RegExp;
      try {
        regexp = new RegExp(`${re}$`);
      } catch {
        throw new SlipwayError(`.dockerignore: syntax error in pattern ${pattern}`, { code: "DOCKERIGNORE_INVALID", kind: "config", hint: "Fix the pattern (an unclosed [ … ]?): docker build refuses it too." });
      }
      return (p) => regexp.test(p);
    }
  }
}

/** What each pattern said about a folder, for its entries: a pattern that matched a folder matches everything in it. */
type ParentMatches = boolean[] | undefined;

/** patternmatcher.PatternMatcher: the last pattern that matches a path (or one of its folders) decides. */
class IgnoreMatcher {
  readonly patterns: IgnorePattern[] = [];
  readonly exclusions: boolean = false;

  constructor(lines: string[]) {
    for (const line of lines) {
      let p = trimSpace(line);
      if (p === "") continue;
      p = cleanPath(p);
      const exclusion = p.startsWith("!");
      if (exclusion) {
        if (p.length === 1) throw new SlipwayError(`.dockerignore: illegal exclusion pattern: "!"`, { code: "DOCKERIGNORE_INVALID", kind: "config", hint: "Name what to re-include after the !: docker build refuses a lone ! too." });
        p = p.slice(1);
        this.exclusions = true;
      }
      this.patterns.push(new IgnorePattern(p, exclusion));
    }
  }

  /** MatchesUsingParentResults: whether `file` is ignored, and what each pattern said, for its entries. */
  matches(file: string, parent: ParentMatches): [boolean, boolean[]] {
    let matched = false;
    const info = Array.from({ length: this.patterns.length }, () => false);
    for (const [i, pattern] of this.patterns.entries()) {
      let match = parent?.[i] ?? false;
      if (!match) {
        // Neither an inclusion of what is ignored already nor an exclusion of what is not can change anything.
        if (pattern.exclusion !== matched) continue;
        match = pattern.match(file);
        if (!match && parent === undefined) {
          const dirs = path.posix.dirname(file).split("/");
          if (dirs[0] !== ".") {
            for (let n = 1; n <= dirs.length && !match; n++) match = pattern.match(dirs.slice(0, n).join("/"));
          }
        }
      }
      info[i] = match;
      if (match) matched = !pattern.exclusion;
    }
    return [matched, info];
  }

  /**
   * The deprecated patternmatcher.Matches, which the CLI still uses to decide whether to re-include
   * the Dockerfile and .dockerignore: it checks only the parent folder as deep as the pattern.
   */
  matchesShallow(file: string): boolean {
    let matched = false;
    const dirs = path.posix.dirname(file).split("/");
    for (const pattern of this.patterns) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      if (!match && dirs[0] !== "." && pattern.dirs <= dirs.length) match = pattern.match(dirs.slice(0, pattern.dirs).join("/"));
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /** An ignored folder is walked only when a `!` pattern's text starts with its path: `!**\/keep` opens none. */
  mayReinclude(dir: string): boolean {
    return this.exclusions && this.patterns.some((p) => p.exclusion && `${p.text}/`.startsWith(`${dir}/`));
  }
}

/**
 * The docker CLI's TrimBuildFilesFromExcludes: the builder needs the Dockerfile and .dockerignore
 * even when they are ignored, so they are re-included (`!Dockerfile`), with what that implies
 * (the folders on the way to a nested Dockerfile are walked).
 */
function withBuildFiles(patterns: string[], dockerfile: string): string[] {
  const out = [...patterns];
  const keep = (file: string) => {
    const cleaned = cleanPath(file);
    if (cleaned !== "." && new IgnoreMatcher(out).matchesShallow(cleaned)) out.push(`!${file}`);
  };
  keep(".dockerignore");
  keep(dockerfile);
  return out;
}

/**
 * Slipway's own folders, relative to the context: cleaned, and only those inside it (a folder
 * that is the context or holds it excludes nothing).
 */
function normalizeExclude(exclude: readonly string[]): string[] {
  return [...new Set(exclude.map((e) => cleanPath(e.split(path.sep).join("/"))))].filter((e) => e !== "." && e !== ".." && !e.startsWith("../") && !e.startsWith("/"));
}

/**
 * Relative paths (posix) of the entries to send, folders ending in "/", sorted for a reproducible
 * tar: what `docker build` sends for this .dockerignore, less the folders `exclude` names (paths
 * relative to the context; the Dockerfile is sent even from inside one, as the build needs it).
 */
export async function contextFiles(contextDir: string, dockerfile: string, exclude: readonly string[] = []): Promise<string[]> {
  const dockerfilePath = cleanPath(dockerfile.split(path.sep).join("/"));
  const matcher = new IgnoreMatcher(withBuildFiles(await readDockerignore(contextDir, dockerfile), dockerfilePath));
  const left = normalizeExclude(exclude);
  const leftOut = (rel: string) => left.some((e) => rel === e || rel.startsWith(`${e}/`)) && rel !== dockerfilePath && !dockerfilePath.startsWith(`${rel}/`);
  const out: string[] = [];
  const walk = async (rel: string, parent: ParentMatches) => {
    const entries = await readdir(path.join(contextDir, rel), { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      // The context itself missing is the user's to fix; anything else (permissions…) is reported as is.
      if (rel === "" && (err.code === "ENOENT" || err.code === "ENOTDIR")) {
        throw new SlipwayError(`Build context ${contextDir} is not a folder`, { code: "BUILD_CONTEXT_MISSING", kind: "config", hint: "Check build.context in the compose file (relative to the file's folder)." });
      }
      throw err;
    });
    for (const entry of entries) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (leftOut(relPath)) continue;
      const [ignored, matches] = matcher.matches(relPath, parent);
      if (entry.isDirectory()) {
        // An ignored folder is not sent itself; it is walked only for what a `!` pattern may bring
        // back, so an ignored node_modules costs nothing.
        if (!ignored) out.push(`${relPath}/`);
        if (!ignored || matcher.mayReinclude(relPath)) await walk(relPath, matches);
      } else if (!ignored) {
        out.push(relPath);
      }
    }
  };
  await walk("", undefined);
  return out.sort();
}

/** Files up to this size are read whole; larger ones are streamed, so memory never grows with a file's size. */
const READ_WHOLE_MAX = 256 * 1024;
/** How many files are looked at and read ahead of the one being packed. */
const READ_AHEAD = 16;

/**
 * One file into its tar entry, with the size `lstat` saw. A large file is streamed in chunks,
 * with backpressure (a 2 GB context held 113 MB of buffers for its 100 MB file when read whole). A
 * file that changes size while it is sent cannot make a valid archive: that is said, not sent.
 */
async function packFile(pack: tar.Pack, abs: string, header: Partial<Header> & { name: string; size: number }, readAhead?: Buffer): Promise<void> {
  const changed = (err: unknown) =>
    new SlipwayError(`${abs} changed while the build context was being sent (${err instanceof Error ? err.message : String(err)})`, {
      code: "CONTEXT_CHANGED",
      kind: "build",
      hint: "Something wrote to the build context during the build: stop it, or leave that folder out with .dockerignore.",
      cause: err,
    });
  if (header.size <= READ_WHOLE_MAX) {
    const content = readAhead ?? (await readFile(abs));
    if (content.length !== header.size) throw changed(new Error(`${header.size} bytes became ${content.length}`));
    await new Promise<void>((resolve, reject) => pack.entry(header, content, (err) => (err ? reject(changed(err)) : resolve())));
    return;
  }
  let entry!: ReturnType<tar.Pack["entry"]>;
  const finished = new Promise<void>((resolve, reject) => {
    entry = pack.entry(header, (err) => (err ? reject(changed(err)) : resolve()));
  });
  finished.catch(() => undefined);
  let sent = 0;
  // Exactly the size the header says: a file that grew is sent as it was when it was listed.
  for await (const chunk of createReadStream(abs, { start: 0, end: header.size - 1, highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    sent += chunk.length;
    if (!entry.write(chunk)) await new Promise<void>((resolve) => entry.once("drain", () => resolve()));
  }
  if (sent !== header.size) throw changed(new Error(`${header.size} bytes became ${sent}`));
  entry.end(undefined);
  await finished;
}

/**
 * Packs the context; `extra` is a generated file added to it (an inline Dockerfile), replacing any
 * file of that name; `exclude` as for contextFiles.
 */
export async function packContext(contextDir: string, dockerfile = "Dockerfile", extra?: { name: string; content: string }, exclude: readonly string[] = []): Promise<Readable> {
  const files = (await contextFiles(contextDir, dockerfile, exclude)).filter((f) => f !== extra?.name);
  const pack = tar.pack();
  void (async () => {
    try {
      if (extra) {
        const content = Buffer.from(extra.content);
        await new Promise<void>((resolve, reject) => pack.entry({ name: extra.name, size: content.length, mode: 0o644, uid: 0, gid: 0 }, content, (err) => (err ? reject(err) : resolve())));
      }
      // Files are looked at (and small ones read) a few ahead of the one being written, in order:
      // packing is then bound by the disk's throughput, not by one file-system call after another.
      // At most READ_AHEAD small files are held: a few MB, whatever the context's size.
      const prepare = async (rel: string) => {
        const abs = path.join(contextDir, rel);
        const stat = await lstat(abs);
        if (rel.endsWith("/")) return { rel, abs, stat };
        if (stat.isSymbolicLink()) return { rel, abs, stat, link: await readlink(abs) };
        if (stat.isFile() && stat.size <= READ_WHOLE_MAX) return { rel, abs, stat, content: await readFile(abs) };
        return { rel, abs, stat };
      };
      const ahead: ReturnType<typeof prepare>[] = [];
      let next = 0;
      const fill = () => {
        while (ahead.length < READ_AHEAD && next < files.length) {
          const prepared = prepare(files[next++]!);
          prepared.catch(() => undefined); // awaited in order below; its failure is thrown there
          ahead.push(prepared);
        }
      };
      fill();
      while (ahead.length > 0) {
        const { rel, abs, stat, link, content } = await ahead.shift()!;
        fill();
        const common = { mode: stat.mode & 0o7777, mtime: stat.mtime, uid: 0, gid: 0 };
        if (rel.endsWith("/")) {
          pack.entry({ ...common, name: rel, type: "directory" });
        } else if (link !== undefined) {
          pack.entry({ ...common, name: rel, type: "symlink", linkname: link });
        } else if (stat.isFile()) {
          await packFile(pack, abs, { ...common, name: rel, size: stat.size }, content);
        }
      }
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  return Readable.from(pack);
}
