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
import fs, { type Stats } from "node:fs";
import { readdir, readFile, readlink } from "node:fs/promises";
import path from "node:path";
import { SlipwayError } from "../errors/index.ts";
import type { ByteSource } from "../engine/streams/byte-source.ts";
import { TAR_BLOCK, encodeHeader, paddingAfter } from "./tar-header.ts";

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

/** Files up to this size are read whole, ahead of their turn; larger ones straight into the reader's buffer. */
const READ_WHOLE_MAX = 256 * 1024;
/** How many entries are looked at (and small files read) ahead of the one being packed. */
const READ_AHEAD = 16;
const ZEROS = Buffer.alloc(TAR_BLOCK * 2);

export interface ContextEntry {
  /** As contextFiles lists it: folders end in "/". */
  rel: string;
  abs: string;
  stat: Stats;
  /** A symlink's target. */
  link?: string;
  /** A file's content, when it is at most READ_WHOLE_MAX bytes: valid until the next entry is asked for. */
  content?: Buffer;
}

// The file-system calls of packing, one per entry or chunk, on file descriptors and callbacks:
// fs/promises' FileHandle is an event emitter with a promise per call, and a 20,000-file context
// made 360 MB of garbage through it (V8 then grew its young generation by 17 MB).
function lstatOf(abs: string): Promise<Stats> {
  return new Promise((resolve, reject) => fs.lstat(abs, (err, stat) => (err ? reject(err) : resolve(stat))));
}

function openForReading(abs: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(abs, "r", (err, fd) => (err ? reject(err) : resolve(fd))));
}

function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())));
}

/** One read of `length` bytes at `position` into `into` at `offset`: the bytes read (0 at the file's end). */
function readAt(fd: number, into: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, into, offset, length, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead))));
}

/** Up to `size` bytes of a file into `into`: fewer only when the file is shorter now. */
async function readWhole(abs: string, into: Buffer, size: number): Promise<number> {
  const fd = await openForReading(abs);
  try {
    let got = 0;
    while (got < size) {
      const n = await readAt(fd, into, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return got;
  } finally {
    await closeFd(fd);
  }
}

/**
 * The entries, in order, each looked at (and a small file read) up to READ_AHEAD entries before
 * it is needed: reading the context is then bound by the disk's throughput, not by one
 * file-system call after another. Small files are read into a ring of READ_AHEAD + 1 buffers,
 * so reading a context makes no garbage whatever its size: an entry's `content` is valid until
 * the next entry is asked for.
 */
export async function* contextEntries(contextDir: string, files: readonly string[]): AsyncGenerator<ContextEntry> {
  const base = `${path.resolve(contextDir)}/`;
  const ring: Buffer[] = [];
  const prepare = async (rel: string, index: number): Promise<ContextEntry> => {
    const abs = base + rel;
    const stat = await lstatOf(abs).catch((err: NodeJS.ErrnoException) => {
      throw err.code === "ENOENT" ? contextChanged(abs, "it was removed") : err;
    });
    if (rel.endsWith("/")) return { rel, abs, stat };
    if (stat.isSymbolicLink()) return { rel, abs, stat, link: await readlink(abs) };
    if (!stat.isFile() || stat.size > READ_WHOLE_MAX) return { rel, abs, stat };
    const slot = (ring[index % (READ_AHEAD + 1)] ??= Buffer.allocUnsafeSlow(READ_WHOLE_MAX));
    // Exactly the size lstat saw, or less when the file shrank (the reader says so).
    return { rel, abs, stat, content: slot.subarray(0, await readWhole(abs, slot, stat.size)) };
  };
  const ahead: Promise<ContextEntry>[] = [];
  let next = 0;
  const fill = () => {
    while (ahead.length < READ_AHEAD && next < files.length) {
      const prepared = prepare(files[next]!, next);
      next++;
      prepared.catch(() => undefined); // awaited in order below; its failure is thrown there
      ahead.push(prepared);
    }
  };
  fill();
  while (ahead.length > 0) {
    const entry = await ahead.shift()!;
    fill();
    yield entry;
  }
}

/** A file that changes size while it is sent cannot make a valid archive: that is said, not sent. */
function contextChanged(abs: string, detail: string): SlipwayError {
  return new SlipwayError(`${abs} changed while the build context was being sent (${detail})`, {
    code: "CONTEXT_CHANGED",
    kind: "build",
    hint: "Something wrote to the build context during the build: stop it, or leave that folder out with .dockerignore.",
  });
}

/**
 * The context's tar as a ByteSource, written into the reader's buffers: headers and small files
 * copied from where they were read ahead, large files read from disk straight into them. Memory
 * stays bounded whatever the context's size, and packing makes little garbage. Nothing is opened
 * before the first read.
 */
export class ContextArchive implements ByteSource {
  readonly #contextDir: string;
  readonly #files: string[];
  readonly #extra: { name: string; content: string } | undefined;
  #entries: AsyncGenerator<ContextEntry> | undefined;
  /** The bytes of the current entry still to be written, in order. */
  readonly #pending: Buffer[] = [];
  /** How much of #pending[0] is written already. */
  #offset = 0;
  /** The large file being sent: its descriptor, size and how much of it is sent. */
  #file: { abs: string; fd: number | undefined; size: number; sent: number } | undefined;
  #ended = false;
  #closed = false;

  constructor(contextDir: string, files: string[], extra?: { name: string; content: string }) {
    this.#contextDir = contextDir;
    this.#files = files;
    this.#extra = extra;
  }

  async read(into: Buffer): Promise<number> {
    if (this.#closed) return 0;
    if (this.#entries === undefined) {
      this.#entries = contextEntries(this.#contextDir, this.#files);
      if (this.#extra) {
        const content = Buffer.from(this.#extra.content);
        this.#pending.push(encodeHeader({ name: this.#extra.name, type: "file", mode: 0o644, mtime: Date.now() / 1000, size: content.length }), content, ZEROS.subarray(0, paddingAfter(content.length)));
      }
    }
    let filled = 0;
    while (filled < into.length) {
      const bytes = this.#pending[0];
      if (bytes !== undefined) {
        const n = bytes.copy(into, filled, this.#offset);
        filled += n;
        this.#offset += n;
        if (this.#offset === bytes.length) {
          this.#pending.shift();
          this.#offset = 0;
        }
      } else if (this.#file !== undefined) {
        filled += await this.#readFile(into, filled);
      } else if (!(await this.#nextEntry())) {
        break;
      }
    }
    return filled;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const fd = this.#file?.fd;
    this.#file = undefined;
    await this.#entries?.return(undefined);
    if (fd !== undefined) await closeFd(fd);
  }

  /** Queues the next entry's bytes; false at the end of the archive. */
  async #nextEntry(): Promise<boolean> {
    if (this.#ended) return false;
    const next = await this.#entries!.next();
    if (next.done) {
      this.#ended = true;
      this.#pending.push(ZEROS);
      return true;
    }
    const { rel, abs, stat, link, content } = next.value;
    const common = { mode: stat.mode & 0o7777, mtime: stat.mtimeMs / 1000 };
    if (rel.endsWith("/")) {
      this.#pending.push(encodeHeader({ ...common, name: rel, type: "directory" }));
    } else if (link !== undefined) {
      this.#pending.push(encodeHeader({ ...common, name: rel, type: "symlink", linkname: link }));
    } else if (stat.isFile()) {
      this.#pending.push(encodeHeader({ ...common, name: rel, type: "file", size: stat.size }));
      if (content === undefined) this.#file = { abs, fd: undefined, size: stat.size, sent: 0 };
      else if (content.length !== stat.size) throw contextChanged(abs, `${stat.size} bytes became ${content.length}`);
      else this.#pending.push(content, ZEROS.subarray(0, paddingAfter(stat.size)));
    }
    return true;
  }

  /** Reads the large file being sent into `into` from `at`; its padding follows once it is all sent. */
  async #readFile(into: Buffer, at: number): Promise<number> {
    const file = this.#file!;
    file.fd ??= await openForReading(file.abs).catch((err: NodeJS.ErrnoException) => {
      throw err.code === "ENOENT" ? contextChanged(file.abs, "it was removed") : err;
    });
    // Exactly the size lstat saw: a file that grew is sent as it was when it was listed.
    const n = await readAt(file.fd, into, at, Math.min(file.size - file.sent, into.length - at), file.sent);
    if (n === 0) throw contextChanged(file.abs, `${file.size} bytes became ${file.sent}`);
    file.sent += n;
    if (file.sent === file.size) {
      this.#file = undefined;
      await closeFd(file.fd);
      this.#pending.push(ZEROS.subarray(0, paddingAfter(file.size)));
    }
    return n;
  }
}

/**
 * Packs the context; `extra` is a generated file added to it (an inline Dockerfile), replacing any
 * file of that name; `exclude` as for contextFiles.
 */
export async function packContext(contextDir: string, dockerfile = "Dockerfile", extra?: { name: string; content: string }, exclude: readonly string[] = []): Promise<ContextArchive> {
  const files = (await contextFiles(contextDir, dockerfile, exclude)).filter((f) => f !== extra?.name);
  return new ContextArchive(contextDir, files, extra);
}
