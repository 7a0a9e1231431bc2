/**
 * One extraction of a container's tar archive into a private temporary root, entry by entry,
 * refusing whatever could reach outside it (see archive.ts for the rules and why). The caller
 * renames the root into place only after `checkSymlinks` and `applyDirectoryMetadata`.
 */
import { lstat, mkdir, open, symlink, link, chmod, utimes, lutimes } from "node:fs/promises";
import path from "node:path";
import type { Header } from "tar-stream";
import { InternalError, SlipwayError } from "../../errors/index.ts";
import { entryParts, symlinkOnPath, symlinkTargetProblem } from "./archive-paths.ts";
import { symlinkStaysInside } from "./contained-path.ts";

/** The archive would write outside its destination, or is otherwise refused. Nothing was written. */
export class ArchiveUnsafeError extends SlipwayError {
  /** The archive member at fault, as named in the archive. */
  readonly entry: string;
  readonly reason: string;

  constructor(message: string, entry: string, reason: string) {
    super(message, {
      code: "ARCHIVE_UNSAFE",
      kind: "engine",
      hint:
        "The files copied from the container include links or names that lead outside the copied path. " +
        "Copy a path without them, or change the image so they are not there.",
      details: { entry, reason },
    });
    this.entry = entry;
    this.reason = reason;
  }
}

export interface ExtractResult {
  /** The absolute destination directory. */
  dest: string;
  files: number;
  directories: number;
  symlinks: number;
  hardlinks: number;
  /** Bytes of regular-file content written. */
  bytes: number;
  /** Entries of kinds that are never extracted (devices, FIFOs, unknown), as named in the archive. */
  skipped: { name: string; type: string }[];
}

type Kind = "directory" | "file" | "symlink" | "hardlink";

/** One member as tar-stream hands it over: its header, then its content. */
interface Entry extends AsyncIterable<unknown> {
  header: Header;
}

interface DirectoryMeta {
  mode: number;
  mtime: Date | undefined;
}

const DEFAULT_DIR_MODE = 0o755;
const DEFAULT_FILE_MODE = 0o644;
/** Permission bits only: a setuid binary from a container must not become one on the host. */
const PERMISSION_BITS = 0o777;
/** The state of one extraction into its temporary root. Keys are archive paths joined with "/". */
export class Extraction {
  readonly #root: string;
  readonly #dest: string;
  readonly #strip: number;
  readonly #what: string | undefined;
  readonly #kinds = new Map<string, Kind>();
  readonly #symlinks = new Set<string>();
  /** Directories confirmed on disk as real directories; "" is the root. They cannot change later: duplicates are refused. */
  readonly #verified = new Set<string>([""]);
  readonly #directories = new Map<string, DirectoryMeta>();
  #rootMeta: DirectoryMeta | undefined;
  #modesApplied = false;
  moved = false;
  readonly result: ExtractResult;

  constructor(root: string, dest: string, strip: number, what: string | undefined) {
    this.#root = root;
    this.#dest = dest;
    this.#strip = strip;
    this.#what = what;
    this.result = { dest, files: 0, directories: 0, symlinks: 0, hardlinks: 0, bytes: 0, skipped: [] };
  }

  async add(entry: Entry): Promise<void> {
    const header = entry.header;
    const type = header.type ?? "unknown";
    const name = header.name;
    // Names are judged even for entries that are skipped: a hostile name condemns the whole archive.
    const parts = this.#parts(name, name);
    if (type !== "file" && type !== "contiguous-file" && type !== "directory" && type !== "symlink" && type !== "link") {
      this.result.skipped.push({ name, type });
      await drain(entry);
      return;
    }
    if (parts.length === 0) {
      await this.#addRoot(entry, type);
      return;
    }
    const key = parts.join("/");
    const through = symlinkOnPath(parts, this.#symlinks);
    if (through !== undefined) this.#refuse(name, `it would be written through the symlink "${through}" created by the archive`);
    const earlier = this.#kinds.get(key);
    if (earlier !== undefined && !(earlier === "directory" && type === "directory")) {
      this.#refuse(name, `it appears twice in the archive (first as a ${earlier})`);
    }
    await this.#ensureParents(name, parts);
    switch (type) {
      case "directory":
        return this.#addDirectory(entry, name, parts, key);
      case "file":
      case "contiguous-file":
        return this.#addFile(entry, name, parts, key);
      case "symlink":
        return this.#addSymlink(entry, name, parts, key);
      case "link":
        return this.#addHardlink(entry, name, parts, key);
    }
  }

  /** Refuses the archive if any symlink resolves outside the root through other symlinks. */
  async checkSymlinks(): Promise<void> {
    for (const key of this.#symlinks) {
      if (!(await symlinkStaysInside(this.#root, key.split("/")))) {
        this.#refuse(key, "it is a symlink that resolves outside the destination through other symlinks (or loops)");
      }
    }
  }

  /** Directory modes go last, deepest first: a read-only directory would have refused its own children. */
  async applyDirectoryMetadata(): Promise<void> {
    this.#modesApplied = true;
    const keys = [...this.#directories.keys()].sort((a, b) => b.split("/").length - a.split("/").length);
    for (const key of keys) {
      const meta = this.#directories.get(key);
      if (meta === undefined) continue;
      const full = path.join(this.#root, ...key.split("/"));
      await chmod(full, meta.mode);
      if (meta.mtime !== undefined) await utimes(full, meta.mtime, meta.mtime);
    }
    await chmod(this.#root, this.#rootMeta?.mode ?? DEFAULT_DIR_MODE);
    const rootTime = this.#rootMeta?.mtime;
    if (rootTime !== undefined) await utimes(this.#root, rootTime, rootTime);
  }

  /** Undoes restrictive directory modes so that a failed extraction can be deleted. */
  async makeRemovable(): Promise<void> {
    if (!this.#modesApplied || this.moved) return;
    await chmod(this.#root, 0o700).catch(() => {});
    for (const key of this.#directories.keys()) {
      await chmod(path.join(this.#root, ...key.split("/")), 0o700).catch(() => {});
    }
  }

  #parts(name: string, entryName: string): string[] {
    const check = entryParts(name);
    if (!check.ok) this.#refuse(entryName, check.reason);
    return check.parts.slice(this.#strip);
  }

  async #addRoot(entry: Entry, type: string): Promise<void> {
    if (type !== "directory") {
      throw new SlipwayError(
        `Cannot extract ${this.#what ?? "the archive"} as a directory: its top entry "${entry.header.name}" is a ${type === "link" ? "hardlink" : type}.`,
        {
          code: "ARCHIVE_NOT_DIRECTORY",
          kind: "config",
          hint: "The path in the container is a file: copy it without stripping the top component, or copy its directory.",
        },
      );
    }
    this.#rootMeta = directoryMeta(entry.header);
    await drain(entry);
  }

  async #addDirectory(entry: Entry, name: string, parts: string[], key: string): Promise<void> {
    const full = path.join(this.#root, ...parts);
    const stats = await lstat(full).catch(() => undefined);
    if (stats === undefined) {
      await mkdir(full, { mode: 0o700 });
      this.result.directories++;
    } else if (!stats.isDirectory() || stats.isSymbolicLink()) {
      this.#refuse(name, "it collides with an earlier entry (on a case-insensitive or Unicode-normalizing filesystem?)");
    }
    this.#kinds.set(key, "directory");
    this.#verified.add(key);
    this.#directories.set(key, directoryMeta(entry.header));
    await drain(entry);
  }

  async #addFile(entry: Entry, name: string, parts: string[], key: string): Promise<void> {
    this.#kinds.set(key, "file");
    const full = path.join(this.#root, ...parts);
    // "wx" is O_CREAT|O_EXCL: it fails rather than follow a symlink or reuse a file already there.
    const handle = await open(full, "wx", 0o600).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === "EEXIST") {
        this.#refuse(name, "it collides with an earlier entry (on a case-insensitive or Unicode-normalizing filesystem?)");
      }
      throw error;
    });
    try {
      for await (const chunk of entry) {
        const bytes = asBytes(chunk);
        await handle.write(bytes);
        this.result.bytes += bytes.length;
      }
      await handle.chmod((entry.header.mode ?? DEFAULT_FILE_MODE) & PERMISSION_BITS);
      const mtime = entry.header.mtime;
      if (mtime !== undefined) await handle.utimes(mtime, mtime);
    } finally {
      await handle.close();
    }
    this.result.files++;
  }

  async #addSymlink(entry: Entry, name: string, parts: string[], key: string): Promise<void> {
    const linkTarget = entry.header.linkname ?? "";
    const problem = symlinkTargetProblem(parts, linkTarget);
    if (problem !== undefined) this.#refuse(name, problem);
    const full = path.join(this.#root, ...parts);
    await symlink(linkTarget, full).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === "EEXIST") {
        this.#refuse(name, "it collides with an earlier entry (on a case-insensitive or Unicode-normalizing filesystem?)");
      }
      throw error;
    });
    this.#kinds.set(key, "symlink");
    this.#symlinks.add(key);
    const mtime = entry.header.mtime;
    if (mtime !== undefined) await lutimes(full, mtime, mtime).catch(() => {});
    this.result.symlinks++;
    await drain(entry);
  }

  async #addHardlink(entry: Entry, name: string, parts: string[], key: string): Promise<void> {
    const linkName = entry.header.linkname ?? "";
    const targetParts = this.#parts(linkName, name);
    const targetKey = targetParts.join("/");
    const targetKind = this.#kinds.get(targetKey);
    if (targetParts.length === 0 || (targetKind !== "file" && targetKind !== "hardlink")) {
      this.#refuse(name, `it is a hardlink to "${linkName}", which is not a regular file extracted earlier from this archive`);
    }
    const through = symlinkOnPath(targetParts, this.#symlinks);
    if (through !== undefined) this.#refuse(name, `it is a hardlink through the symlink "${through}" created by the archive`);
    const from = path.join(this.#root, ...targetParts);
    const stats = await lstat(from).catch(() => undefined);
    // link(2) follows a symlink on some systems (macOS): only ever link to a real regular file.
    if (stats === undefined || !stats.isFile()) this.#refuse(name, `its hardlink target "${linkName}" is not a regular file on disk`);
    await link(from, path.join(this.#root, ...parts)).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === "EEXIST") {
        this.#refuse(name, "it collides with an earlier entry (on a case-insensitive or Unicode-normalizing filesystem?)");
      }
      throw error;
    });
    this.#kinds.set(key, "hardlink");
    this.result.hardlinks++;
    await drain(entry);
  }

  /** Creates missing parents, and proves existing ones are real directories, not symlinks. */
  async #ensureParents(name: string, parts: readonly string[]): Promise<void> {
    for (let i = 1; i < parts.length; i++) {
      const key = parts.slice(0, i).join("/");
      if (this.#verified.has(key)) continue;
      const kind = this.#kinds.get(key);
      if (kind !== undefined && kind !== "directory") this.#refuse(name, `its parent "${key}" is a ${kind}, not a directory`);
      const full = path.join(this.#root, ...parts.slice(0, i));
      const stats = await lstat(full).catch(() => undefined);
      if (stats === undefined) {
        await mkdir(full, { mode: 0o700 });
        this.#kinds.set(key, "directory");
        this.#directories.set(key, { mode: DEFAULT_DIR_MODE, mtime: undefined });
        this.result.directories++;
      } else if (stats.isSymbolicLink()) {
        this.#refuse(name, `it would be written through the symlink at "${key}" (the filesystem aliases names the archive spells differently)`);
      } else if (!stats.isDirectory()) {
        this.#refuse(name, `its parent "${key}" is not a directory`);
      }
      this.#verified.add(key);
    }
  }

  #refuse(entry: string, reason: string): never {
    const what = this.#what ?? "the archive";
    throw new ArchiveUnsafeError(
      `Refusing to extract ${what} into ${this.#dest}: entry "${entry}" is unsafe because ${reason}. Nothing was extracted.`,
      entry,
      reason,
    );
  }
}
function asBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  throw new InternalError(`tar-stream produced a ${typeof chunk} chunk instead of bytes`);
}

function directoryMeta(header: Header): DirectoryMeta {
  return { mode: (header.mode ?? DEFAULT_DIR_MODE) & PERMISSION_BITS, mtime: header.mtime };
}

/** tar-stream only moves to the next entry once this one's data has been read. */
async function drain(entry: Entry): Promise<void> {
  for await (const _ of entry) {
    // Content of an entry we do not write (or that has none) is discarded.
  }
}
