/**
 * Tar archives for PUT /containers/{id}/archive: secrets and configs made from strings
 * (`tarFromEntries`), and whole host directories (`packDirectory`). The engine extracts them
 * under the path given to PUT, so names are kept relative and free of "..": a compose target of
 * "../etc/x" must fail here with the user's own name in the message, not be resolved by the engine.
 */
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pack as tarPack, type Pack } from "tar-stream";
import { InternalError, SlipwayError } from "../../errors/index.ts";
import { throwIfCancelled } from "./abortable.ts";
import { entryParts } from "./archive-paths.ts";
import { drained } from "./drained.ts";

export interface TarEntry {
  /** Relative path inside the archive, e.g. "app.conf" or "certs/ca.pem". */
  name: string;
  type?: "file" | "directory" | "symlink";
  /** Content of a file (UTF-8 when a string). */
  content?: string | Uint8Array;
  /** Target of a symlink. */
  linkname?: string;
  /** Permission bits; 0o644 for files and 0o755 for directories when omitted. */
  mode?: number;
  /** Owner inside the container; root when omitted. */
  uid?: number;
  gid?: number;
  /** Defaults to the Unix epoch, so that the same entries always give the same bytes. */
  mtime?: Date;
}

type Sink = ReturnType<Pack["entry"]>;
type EntryHeader = Parameters<Pack["entry"]>[0];

const EPOCH = new Date(0);

/**
 * The tar archive holding `entries`, in order, as one Buffer (these are small: the engine needs
 * the whole body anyway, and a Buffer lets the client send a Content-Length). Throws
 * ARCHIVE_BAD_ENTRY (kind "config") for an absolute name, a ".." component, or a bad mode or owner.
 */
export async function tarFromEntries(entries: readonly TarEntry[]): Promise<Buffer> {
  const prepared = entries.map((entry) => ({ header: toHeader(entry), content: entry.content }));
  const pack = tarPack();
  const collected = collect(pack);
  try {
    for (const { header, content } of prepared) {
      await addEntry(pack, header, header.type === "file" ? (content ?? "") : undefined);
    }
    pack.finalize();
  } catch (error) {
    pack.destroy(error instanceof Error ? error : new Error(String(error)));
  }
  return collected;
}

export interface PackDirectoryOptions {
  /** Put everything under this directory name, like `docker cp dir ctr:/path` does with dir's basename. */
  prefix?: string;
  /** Owner of every entry inside the container; root when omitted. */
  uid?: number;
  gid?: number;
  /** Each entry keeps its owner on the host instead (`docker cp`'s archives do). */
  hostOwners?: boolean;
  signal?: AbortSignal | undefined;
}

/**
 * Streams `dir` as a tar archive: files, directories and symlinks (kept as links, never followed),
 * in sorted order so that the same tree gives the same archive. Sockets, FIFOs and devices are
 * left out. A file that changes size while being read fails the stream.
 */
export function packDirectory(dir: string, options: PackDirectoryOptions = {}): Readable {
  const prefixParts = options.prefix === undefined ? [] : checkedParts(options.prefix);
  const pack = tarPack();
  void (async () => {
    try {
      const owner = ownerOf(options, dir);
      if (prefixParts.length > 0) {
        const stats = await lstat(dir);
        await addEntry(pack, { name: prefixParts.join("/"), type: "directory", mode: stats.mode & 0o7777, mtime: stats.mtime, ...(options.hostOwners ? { uid: stats.uid, gid: stats.gid } : owner) }, undefined);
      }
      await packTree(pack, dir, [], prefixParts, options.hostOwners ? "host" : owner, options.signal);
      pack.finalize();
    } catch (error) {
      pack.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  })();
  return Readable.from(bytesOf(pack));
}

async function packTree(
  pack: Pack,
  root: string,
  relative: readonly string[],
  prefix: readonly string[],
  owner: { uid: number; gid: number } | "host",
  signal: AbortSignal | undefined,
): Promise<void> {
  const names = (await readdir(path.join(root, ...relative))).sort();
  for (const entryName of names) {
    throwIfCancelled(signal);
    const parts = [...relative, entryName];
    const full = path.join(root, ...parts);
    const name = [...prefix, ...parts].join("/");
    const stats = await lstat(full);
    const common = { name, mode: stats.mode & 0o7777, mtime: stats.mtime, ...(owner === "host" ? { uid: stats.uid, gid: stats.gid } : owner) };
    if (stats.isDirectory()) {
      await addEntry(pack, { ...common, type: "directory" }, undefined);
      await packTree(pack, root, parts, prefix, owner, signal);
    } else if (stats.isSymbolicLink()) {
      await addEntry(pack, { ...common, type: "symlink", linkname: await readlink(full) }, undefined);
    } else if (stats.isFile()) {
      await addFile(pack, { ...common, type: "file", size: stats.size }, full);
    }
  }
}

async function addFile(pack: Pack, header: EntryHeader, file: string): Promise<void> {
  let sink: Sink | undefined;
  const done = new Promise<void>((resolve, reject) => {
    sink = pack.entry(header, (error) => (error ? reject(error) : resolve()));
  });
  if (sink === undefined) throw new InternalError("tar-stream did not create an entry synchronously");
  for await (const chunk of createReadStream(file)) {
    if (!sink.write(chunk)) await drained(sink);
  }
  sink.end(undefined);
  await done;
}

function addEntry(pack: Pack, header: EntryHeader, content: string | Uint8Array | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const callback = (error?: Error | null): void => (error ? reject(error) : resolve());
    if (content === undefined) pack.entry(header, callback);
    else pack.entry(header, content, callback);
  });
}


async function* bytesOf(pack: Pack): AsyncGenerator<Uint8Array> {
  for await (const chunk of pack) {
    if (!(chunk instanceof Uint8Array)) throw new InternalError(`tar-stream produced a ${typeof chunk} chunk instead of bytes`);
    yield chunk;
  }
}

async function collect(pack: Pack): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of bytesOf(pack)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function toHeader(entry: TarEntry): EntryHeader {
  const type = entry.type ?? "file";
  const parts = checkedParts(entry.name);
  const mode = entry.mode ?? (type === "directory" ? 0o755 : 0o644);
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) badEntry(entry.name, `its mode ${String(entry.mode)} is not a permission mode`);
  if (type === "symlink" && (entry.linkname === undefined || entry.linkname === "")) badEntry(entry.name, "it is a symlink without a target");
  if (type !== "file" && entry.content !== undefined) badEntry(entry.name, `it is a ${type} with content`);
  return {
    name: parts.join("/"),
    type,
    mode,
    mtime: entry.mtime ?? EPOCH,
    ...ownerOf(entry, entry.name),
    ...(type === "symlink" ? { linkname: entry.linkname } : {}),
  };
}

function ownerOf(owner: { uid?: number | undefined; gid?: number | undefined }, name: string): { uid: number; gid: number } {
  for (const [label, id] of [["uid", owner.uid] as const, ["gid", owner.gid] as const]) {
    if (id !== undefined && (!Number.isInteger(id) || id < 0)) badEntry(name, `its ${label} ${String(id)} is not a non-negative integer`);
  }
  return { uid: owner.uid ?? 0, gid: owner.gid ?? 0 };
}

function checkedParts(name: string): string[] {
  const check = entryParts(name);
  if (!check.ok) return badEntry(name, check.reason);
  if (check.parts.length === 0) return badEntry(name, "its name is empty");
  return check.parts;
}

function badEntry(name: string, reason: string): never {
  throw new SlipwayError(`Cannot put "${name}" into a container archive: ${reason}.`, {
    code: "ARCHIVE_BAD_ENTRY",
    kind: "config",
    hint: "Use a relative path inside the target directory, without '..'.",
    details: { entry: name, reason },
  });
}
