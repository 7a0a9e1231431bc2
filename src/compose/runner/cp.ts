/**
 * `cp`: files and folders between a service's container and the host, through the archive API
 * (no bind mount, so a remote engine works too), with docker compose v2's (and `docker cp`'s)
 * rules for where things land: into an existing folder under their own name, as the destination
 * when it does not exist, a folder's content alone with `SRC/.`.
 *
 * From a container, the archive is hostile (see engine/streams/archive.ts): it is extracted with
 * the same checks as test reports, into a staging folder beside the destination, and moved into
 * place only when every entry passed — a symlink leading outside the copied path, a `..` name, is
 * refused and nothing is written. `docker cp` copies such a symlink as it is; Slipway refuses it
 * (`-L` copies what a symlink given as the source points to). Moving into place never goes through a
 * symlink on the host, and never replaces a folder with a file or the reverse.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, type Stats } from "node:fs";
import { lstat, readdir, readlink, realpath, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pack as tarPack } from "tar-stream";
import { SlipwayError } from "../../errors/index.ts";
import type { Engine } from "../../engine/index.ts";
import { ArchiveUnsafeError, extractArchive } from "../../engine/streams/archive.ts";
import { drained } from "../../engine/streams/drained.ts";
import { packDirectory } from "../../engine/streams/tar-pack.ts";
import type { EventBus } from "../../events/index.ts";
import { serviceContainers } from "./exec.ts";

/** One side of `cp`: a service's path, a host path, or `-` (a tar archive on the standard streams). */
export type CpLocation = { service: string; path: string } | { local: string };

/**
 * Reads a `cp` argument as compose v2 does (splitCpArg): an absolute host path is local even with a
 * colon in it; otherwise `SERVICE:PATH` when there is a colon, unless what is before it starts with
 * `.` (`./file:name` is a host path).
 */
export function parseCpArg(arg: string, platform: NodeJS.Platform = process.platform): CpLocation {
  const absolute = arg.startsWith("/") || (platform === "win32" && (/^[A-Za-z]:[\\/]/.test(arg) || arg.startsWith("\\")));
  const colon = arg.indexOf(":");
  if (absolute || colon < 0 || arg.startsWith(".")) return { local: arg };
  return { service: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

export type CpPlan =
  | { direction: "from"; service: string; containerPath: string; local: string }
  | { direction: "to"; service: string; containerPath: string; local: string };

function usage(message: string, hint: string): SlipwayError {
  return new SlipwayError(message, { code: "USAGE", kind: "usage", hint });
}

/** Which way the copy goes; exactly one side must be a service's path. */
export function cpPlan(source: string, destination: string): CpPlan {
  const from = parseCpArg(source);
  const to = parseCpArg(destination);
  const hint = "Name the service on exactly one side: `cp SERVICE:SRC_PATH DEST_PATH` or `cp SRC_PATH SERVICE:DEST_PATH`.";
  if ("service" in from && "service" in to) throw usage("Copying between services is not supported", `${hint} Copy to the host first, then to the other service.`);
  if ("service" in from) {
    if (from.service === "" || from.path === "") throw usage(`Invalid source ${JSON.stringify(source)}: expected SERVICE:PATH`, hint);
    return { direction: "from", service: from.service, containerPath: from.path, local: (to as { local: string }).local };
  }
  if ("service" in to) {
    if (to.service === "" || to.path === "") throw usage(`Invalid destination ${JSON.stringify(destination)}: expected SERVICE:PATH`, hint);
    return { direction: "to", service: to.service, containerPath: to.path, local: from.local };
  }
  throw usage(`Neither ${JSON.stringify(source)} nor ${JSON.stringify(destination)} names a service`, hint);
}

/** `dir/.`: the folder's content, not the folder (docker's "copy contents" form). */
export function copiesContents(p: string): boolean {
  return p === "." || /[/\\]\.$/.test(p);
}

const endsWithSeparator = (p: string) => /[/\\]$/.test(p);

/** An absolute host path for `p`, keeping a trailing `/` or `/.` (they decide how the copy goes, as docker's PreserveTrailingDotOrSeparator). */
export function resolveLocalPath(cwd: string, p: string): string {
  const abs = path.resolve(cwd, p);
  const sep = abs.endsWith(path.sep) ? "" : path.sep;
  if (copiesContents(p)) return `${abs}${sep}.`;
  if (endsWithSeparator(p)) return `${abs}${sep}`;
  return abs;
}

/** Kind of what is at a path, as the copy rules need it. */
export type PathKind = "missing" | "directory" | "file";

/**
 * Where the root of a copy out of a container goes on the host (pure): `dest` itself when it does
 * not exist (or is a file the copied file replaces, or is the folder whose content `SRC/.` merges
 * into), else `dest/<name>`. Throws as `docker cp` refuses.
 */
export function hostTarget(input: { srcIsDir: boolean; contents: boolean; srcName: string; dest: string; destKind: PathKind; destParentExists: boolean }): string {
  const { dest } = input;
  switch (input.destKind) {
    case "directory":
      return input.contents && input.srcIsDir ? dest : path.join(dest, input.srcName);
    case "file":
      if (input.srcIsDir) throw cpError(`Cannot copy a directory to a file: ${dest} is a file`, "CP_DIR_TO_FILE", "Give a folder (or a path that does not exist yet) as the destination.");
      return dest;
    case "missing":
      if (!input.destParentExists) throw cpError(`Invalid output path: directory ${path.dirname(path.resolve(dest))} does not exist`, "CP_NO_PARENT", "Create the folder first, or copy into one that exists.");
      if (!input.srcIsDir && endsWithSeparator(dest)) throw cpError(`No such directory: ${dest}`, "CP_NO_DIRECTORY", "Create the folder first, or drop the trailing / to copy to a file of that name.");
      return dest;
  }
}

/**
 * Where a copy into a container is extracted (pure): the folder given to PUT /archive, and the name
 * of the copied root in the archive (none: a folder's content goes straight into `dir`).
 */
export function containerTarget(input: { srcIsDir: boolean; contents: boolean; srcName: string; dest: string; destKind: PathKind }): { dir: string; name?: string } {
  const dest = input.dest.length > 1 ? input.dest.replace(/\/+$/, "") || "/" : input.dest;
  const parent = path.posix.dirname(dest);
  const base = path.posix.basename(dest);
  if (input.srcIsDir) {
    if (input.destKind === "directory") return input.contents ? { dir: dest } : { dir: dest, name: input.srcName };
    if (input.destKind === "file") throw cpError(`Cannot copy a directory to a file: ${input.dest} is a file in the container`, "CP_DIR_TO_FILE", "Give a folder (or a path that does not exist yet) as the destination.");
    return { dir: parent, name: base };
  }
  if (input.destKind === "directory") return { dir: dest, name: input.srcName };
  if (input.destKind === "missing" && endsWithSeparator(input.dest)) {
    throw cpError(`No such directory in the container: ${input.dest}`, "CP_NO_DIRECTORY", "Create the folder first, or drop the trailing / to copy to a file of that name.");
  }
  return { dir: parent, name: base };
}

function cpError(message: string, code: string, hint: string, cause?: unknown): SlipwayError {
  return new SlipwayError(message, { code, kind: "config", hint, ...(cause !== undefined ? { cause } : {}) });
}

export interface CpContext {
  engine: Engine;
  events: EventBus;
  signal: AbortSignal;
}

export interface CopyOptions {
  projectName: string;
  /** `--index`: that replica only. */
  index?: number;
  /** `-L`: a symlink given as the source is followed. */
  followLink?: boolean;
  /** `-a`: the copied files belong to the container's user (into a container). */
  archive?: boolean;
  /** `--all` (deprecated in compose v2): into one-off containers too. */
  all?: boolean;
  /** With `-` as the host side: where the archive goes (from a container). */
  toStdout?: (tar: AsyncIterable<Buffer>) => Promise<void>;
  /** With `-` as the host side: the archive to extract (into a container). */
  fromStdin?: () => Promise<Buffer>;
}

/** Go's os.ModeSymlink in the engine's path stat. */
const MODE_SYMLINK = 1 << 27;

/** Runs the copy `plan` describes; returns the containers it copied from or to. */
export async function composeCopy(ctx: CpContext, plan: CpPlan, opts: CopyOptions): Promise<string[]> {
  const query = { ...(opts.index ? { index: opts.index } : {}), stopped: true, signal: ctx.signal };
  if (plan.direction === "from") {
    if (opts.all) throw usage("Cannot use the --all flag when copying from a service", "Drop --all; --index N chooses the container to copy from.");
    const [container] = await serviceContainers(ctx.engine, opts.projectName, plan.service, { ...query, oneoff: false });
    const name = containerName(container!);
    await step(ctx, `copy ${name}:${plan.containerPath} to ${plan.local}`, () => copyFromContainer(ctx, container!.Id, name, plan, opts));
    return [name];
  }
  const containers = await serviceContainers(ctx.engine, opts.projectName, plan.service, { ...query, oneoff: !!opts.all && !opts.index });
  const stdin = plan.local === "-" && opts.fromStdin ? opts.fromStdin() : undefined;
  await Promise.all(
    containers.map((c) => {
      const name = containerName(c);
      return step(ctx, `copy ${plan.local} to ${name}:${plan.containerPath}`, () => copyToContainer(ctx, c.Id, name, plan, opts, stdin));
    }),
  );
  return containers.map(containerName);
}

/** Closes an archive body that will not be read; its abort is expected, not an error to report. */
function discard(tar: Readable): void {
  tar.once("error", () => undefined);
  tar.destroy();
}

const containerName = (c: { Names: string[]; Id: string }) => c.Names[0]?.replace(/^\//, "") ?? c.Id.slice(0, 12);

async function step(ctx: CpContext, name: string, work: () => Promise<void>): Promise<void> {
  const started = performance.now();
  ctx.events.emit({ type: "step.start", step: name });
  try {
    await work();
    ctx.events.emit({ type: "step.end", step: name, ok: true, durationMs: performance.now() - started });
  } catch (err) {
    // The error itself is rendered once, at the edge.
    ctx.events.emit({ type: "step.end", step: name, ok: false, durationMs: performance.now() - started });
    throw err;
  }
}

async function kindOf(p: string, follow: boolean): Promise<PathKind> {
  const s = await (follow ? stat(p) : lstat(p)).catch((err: unknown) => {
    if ((err as { code?: unknown }).code === "ENOENT" || (err as { code?: unknown }).code === "ENOTDIR") return undefined;
    throw err;
  });
  return s === undefined ? "missing" : s.isDirectory() ? "directory" : "file";
}

async function copyFromContainer(ctx: CpContext, id: string, container: string, plan: CpPlan, opts: CopyOptions): Promise<void> {
  const contents = copiesContents(plan.containerPath);
  const requested = contents ? plan.containerPath.replace(/\/?\.$/, "") || "/" : plan.containerPath;
  let archive = await ctx.engine.containers.readArchive(id, requested, { signal: ctx.signal });
  if (!archive) throw cpError(`Could not find ${plan.containerPath} in ${container}`, "CP_NOT_FOUND", `Check the path; \`slipway compose exec ${plan.service} ls -la ${path.posix.dirname(requested)}\` lists what is there.`);
  const srcName = path.posix.basename(requested.replace(/\/+$/, "")) || "root";
  if (opts.followLink && (archive.stat.mode & MODE_SYMLINK) !== 0 && archive.stat.linkTarget) {
    discard(archive.tar);
    const target = path.posix.isAbsolute(archive.stat.linkTarget) ? archive.stat.linkTarget : path.posix.join(path.posix.dirname(requested), archive.stat.linkTarget);
    archive = await ctx.engine.containers.readArchive(id, target, { signal: ctx.signal });
    if (!archive) throw cpError(`${plan.containerPath} in ${container} is a symlink to ${target}, which does not exist`, "CP_NOT_FOUND", "Copy the link itself, without -L.");
  }
  const { stat: srcStat, tar } = archive;
  if (plan.local === "-") {
    if (!opts.toStdout) {
      discard(tar);
      throw usage("Copying to - needs the standard output", "Give a host path instead.");
    }
    await opts.toStdout(tar);
    return;
  }
  let dest = plan.local;
  let target: string;
  try {
    const destKind = await kindOf(dest, true);
    // The folder the user named may be a symlink to one: it is the destination they chose, and is
    // followed; nothing below it is.
    if (destKind === "directory") dest = await realpath(dest);
    target = hostTarget({
      srcIsDir: srcStat.isDirectory,
      contents,
      srcName,
      dest,
      destKind,
      destParentExists: destKind !== "missing" || (await kindOf(path.dirname(path.resolve(dest)), true)) === "directory",
    });
  } catch (err) {
    discard(tar);
    throw err;
  }
  const targetKind = await kindOf(target, false);
  const stagingParent = path.resolve(targetKind === "directory" ? target : path.dirname(target));
  const staging = path.join(stagingParent, `.slipway-cp-${randomBytes(6).toString("hex")}`);
  try {
    try {
      await extractArchive(tar, staging, { what: `${container}:${plan.containerPath}`, signal: ctx.signal });
    } catch (err) {
      if (err instanceof ArchiveUnsafeError) {
        throw new SlipwayError(`Refusing to copy ${container}:${plan.containerPath} to ${dest}: entry "${err.entry}" is unsafe because ${err.reason}. Nothing was copied.`, {
          code: "ARCHIVE_UNSAFE",
          kind: err.kind,
          hint:
            "Slipway never copies a link or a name that leads outside the copied path (docker cp copies such links as they are). " +
            (err.entry.replace(/\/$/, "") === srcName ? "To copy what the link points to, add -L." : "Copy a path without them, or copy the files they point to."),
          details: { entry: err.entry, reason: err.reason },
          cause: err,
        });
      }
      throw err;
    }
    const top = await readdir(staging);
    const root = top.length === 1 ? path.join(staging, top[0]!) : staging;
    const moves = await planMoves(root, path.resolve(target));
    for (const m of moves) await rename(m.from, m.to);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

interface Move {
  from: string;
  to: string;
}

/**
 * How `from` (staged, checked) goes to `to` on the host, as `docker cp` extracts: a folder merges
 * into an existing folder, anything else replaces what is there (a symlink is replaced, never
 * followed), and a folder never replaces a non-folder or the reverse. Every conflict is found
 * before anything moves.
 */
export async function planMoves(from: string, to: string): Promise<Move[]> {
  const source = await lstat(from);
  const existing = await lstat(to).catch((err: unknown) => {
    if ((err as { code?: unknown }).code === "ENOENT") return undefined;
    throw err;
  });
  if (!existing) return [{ from, to }];
  if (source.isDirectory() && existing.isDirectory()) {
    const moves: Move[] = [];
    for (const name of (await readdir(from)).sort()) moves.push(...(await planMoves(path.join(from, name), path.join(to, name))));
    return moves;
  }
  if (existing.isDirectory()) throw cpError(`Cannot overwrite directory ${to} with a non-directory`, "CP_CONFLICT", "Remove or rename the folder first, or copy somewhere else. Nothing was copied.");
  if (source.isDirectory()) throw cpError(`Cannot overwrite non-directory ${to} with a directory`, "CP_CONFLICT", "Remove or rename it first, or copy somewhere else. Nothing was copied.");
  return [{ from, to }];
}

async function copyToContainer(ctx: CpContext, id: string, container: string, plan: CpPlan, opts: CopyOptions, stdin: Promise<Buffer> | undefined): Promise<void> {
  const engine = ctx.engine;
  let dest = plan.containerPath;
  let destStat = await engine.containers.statPath(id, dest, { signal: ctx.signal });
  // A symlink as the destination is followed once, as docker compose does.
  if (destStat && (destStat.mode & MODE_SYMLINK) !== 0 && destStat.linkTarget) {
    dest = path.posix.isAbsolute(destStat.linkTarget) ? destStat.linkTarget : path.posix.join(path.posix.dirname(dest), destStat.linkTarget);
    destStat = await engine.containers.statPath(id, dest, { signal: ctx.signal });
  }
  const destKind: PathKind = destStat === undefined ? "missing" : destStat.isDirectory ? "directory" : "file";
  if (plan.local === "-") {
    if (!stdin) throw usage("Copying from - needs the standard input", "Give a host path instead.");
    if (destKind !== "directory") throw cpError(`Destination ${container}:${plan.containerPath} must be a directory to extract an archive from the standard input`, "CP_NO_DIRECTORY", "Name a folder that exists in the container.");
    await engine.containers.putArchive(id, dest, await stdin, { signal: ctx.signal, noOverwriteDirNonDir: true, ...(opts.archive ? { copyUIDGID: true } : {}) });
    return;
  }
  const source = path.resolve(plan.local);
  const contents = copiesContents(plan.local);
  const srcStats = await (opts.followLink ? stat(source) : lstat(source)).catch((err: unknown) => {
    if ((err as { code?: unknown }).code === "ENOENT" || (err as { code?: unknown }).code === "ENOTDIR") {
      throw cpError(`Cannot copy ${plan.local}: no such file or directory`, "CP_NOT_FOUND", "Check the path on this machine.");
    }
    throw err;
  });
  const srcName = path.basename(source);
  const target = containerTarget({ srcIsDir: srcStats.isDirectory(), contents, srcName, dest, destKind });
  if (destKind === "missing") {
    const parent = await engine.containers.statPath(id, target.dir, { signal: ctx.signal });
    if (!parent?.isDirectory) throw cpError(`Directory ${target.dir} does not exist in ${container}`, "CP_NO_PARENT", `Create it first (\`slipway compose exec ${plan.service} mkdir -p ${target.dir}\`), or copy into a folder that exists.`);
  }
  const tar = srcStats.isDirectory()
    ? packDirectory(source, { ...(target.name !== undefined ? { prefix: target.name } : {}), hostOwners: true, signal: ctx.signal })
    : packOne(source, target.name ?? srcName, srcStats, srcStats.isSymbolicLink() ? await readlink(source) : undefined);
  await engine.containers.putArchive(id, target.dir, tar, { signal: ctx.signal, noOverwriteDirNonDir: true, ...(opts.archive ? { copyUIDGID: true } : {}) });
}

/** A one-entry archive of a file (streamed) or a symlink, with its mode, time and owner as on the host. */
function packOne(file: string, name: string, stats: Stats, linkTarget: string | undefined): Readable {
  const pack = tarPack();
  const header = { name, mode: stats.mode & 0o7777, mtime: stats.mtime, uid: stats.uid, gid: stats.gid };
  void (async () => {
    try {
      if (linkTarget !== undefined) {
        await new Promise<void>((resolve, reject) => pack.entry({ ...header, type: "symlink", linkname: linkTarget }, (err) => (err ? reject(err) : resolve())));
      } else {
        let sink: ReturnType<typeof pack.entry> | undefined;
        const done = new Promise<void>((resolve, reject) => {
          sink = pack.entry({ ...header, type: "file", size: stats.size }, (err) => (err ? reject(err) : resolve()));
        });
        for await (const chunk of createReadStream(file)) {
          if (!sink!.write(chunk)) await drained(sink!);
        }
        sink!.end(undefined);
        await done;
      }
      pack.finalize();
    } catch (err) {
      pack.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  })();
  return Readable.from(bytes(pack));
}

async function* bytes(pack: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
  for await (const chunk of pack) yield Buffer.from(chunk as Uint8Array);
}
