/**
 * Safe extraction of a tar archive from a container (GET /containers/{id}/archive) into a host
 * directory. The archive is built from container-controlled files and the engine passes their
 * symlinks through verbatim, so the archive is treated as hostile:
 *
 * - all of it lands in a fresh temporary directory next to the destination and is renamed into
 *   place only once every entry has been checked, so a rejected archive leaves nothing behind;
 * - names that are absolute or contain "..", symlinks that point outside (lexically, or through
 *   other symlinks once the whole tree is known), hardlinks to anything but a regular file
 *   extracted earlier, and any entry written *through* a symlink the archive created (even one
 *   pointing inside: there is no legitimate reason for it and it is how tar-slip chains start) make
 *   the whole archive rejected with ARCHIVE_UNSAFE, naming the entry and the reason;
 * - every parent directory is checked on the real filesystem too (lstat, not only by name), so a
 *   case-insensitive or Unicode-normalizing host filesystem cannot alias a symlink past the checks,
 *   and files are created with O_EXCL, which never follows a symlink;
 * - setuid, setgid and sticky bits are dropped; ownership is not restored; devices and FIFOs are
 *   skipped and listed in the result.
 */
import { lstat, mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { extract as tarExtract, type Extract } from "tar-stream";
import { InternalError, SlipwayError } from "../../errors/index.ts";
import { abortable, throwIfCancelled } from "./abortable.ts";
import { Extraction, type ExtractResult } from "./archive-extraction.ts";
import { drained } from "./drained.ts";

export { ArchiveUnsafeError, type ExtractResult } from "./archive-extraction.ts";
export { tarFromEntries, packDirectory, type TarEntry, type PackDirectoryOptions } from "./tar-pack.ts";

export interface ExtractOptions {
  /**
   * Leading path components to drop from every name (and from hardlink targets), as tar's
   * --strip-components. The archive of `/app/reports` has everything under `reports/`, as
   * `docker cp ctr:/app/reports dest` expects when dest does not exist; pass 1 to get the
   * directory's content directly in `dest`, like `docker cp ctr:/app/reports/. dest`. With 0 the
   * archive is extracted as is (`dest/reports/...`). An archive whose stripped root is a file
   * (the archive of a single file) is refused with 1: extract it with 0.
   */
  stripComponents?: number;
  /** What is being extracted, for messages: "reports from web-1:/app/reports". */
  what?: string;
  signal?: AbortSignal | undefined;
}

/**
 * Extracts the tar `source` into `dest`, which must not exist or be an empty directory (its parent
 * is created if missing). All or nothing: on any error the temporary directory is removed and
 * `dest` is untouched. Rejects with ArchiveUnsafeError (ARCHIVE_UNSAFE) for a hostile archive,
 * SlipwayError ARCHIVE_DEST_EXISTS / ARCHIVE_NOT_DIRECTORY / ARCHIVE_INVALID /
 * ARCHIVE_WRITE_FAILED, CancelledError on abort, or the source's own error.
 */
export async function extractArchive(source: AsyncIterable<Uint8Array>, dest: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  const target = path.resolve(dest);
  const strip = options.stripComponents ?? 0;
  if (!Number.isInteger(strip) || strip < 0) {
    throw new InternalError(`stripComponents must be a non-negative integer, got ${strip}`);
  }
  let temp: string;
  try {
    throwIfCancelled(options.signal);
    await assertDestinationFree(target);
    await mkdir(path.dirname(target), { recursive: true });
    // Same directory as the destination, so the final rename is atomic and never crosses filesystems.
    temp = await mkdtemp(path.join(path.dirname(target), `.${path.basename(target)}.slipway-extract-`));
  } catch (error) {
    // Never read: close it all the same (an HTTP body left open holds its connection).
    if (source instanceof Readable) source.destroy();
    else await source[Symbol.asyncIterator]().return?.();
    throw error;
  }
  const extraction = new Extraction(temp, target, strip, options.what);
  const extract = tarExtract();
  // A parse error surfaces in the entry being read as a bare "Stream was destroyed": keep the real one.
  let parseError: Error | undefined;
  extract.on("error", (error) => {
    parseError ??= error;
  });
  const feeding = feed(source, extract, options.signal);
  try {
    for await (const entry of extract) {
      throwIfCancelled(options.signal);
      await extraction.add(entry);
    }
    if (feeding.failure !== undefined) throw feeding.failure;
    await extraction.checkSymlinks();
    await extraction.applyDirectoryMetadata();
    await moveIntoPlace(temp, target, extraction);
    return extraction.result;
  } catch (error) {
    // Read before tearing down, which makes the feeder fail in turn: the first failure is the story.
    const sourceFailure = feeding.failure;
    const failure = error instanceof SlipwayError ? error : (parseError ?? error);
    extract.destroy();
    // A body stuck mid-read would keep the connection open; we are done with it either way.
    if (source instanceof Readable) source.destroy();
    await extraction.makeRemovable();
    await rm(temp, { recursive: true, force: true });
    // The source's own errors (the transport's, an abort) are already what the caller should see.
    throw sourceFailure ?? classify(failure, options.what);
  }
}

/** The feeder's outcome: the source's own error, kept apart from tar-stream's parse errors. */
interface Feeding {
  failure: unknown;
}

function feed(source: AsyncIterable<Uint8Array>, sink: Extract, signal: AbortSignal | undefined): Feeding {
  const feeding: Feeding = { failure: undefined };
  void (async () => {
    try {
      for await (const chunk of abortable(source, signal)) {
        if (sink.destroyed) return;
        if (!sink.write(chunk)) await drained(sink);
      }
      sink.end(undefined);
    } catch (error) {
      feeding.failure = error;
      sink.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  })();
  return feeding;
}


function classify(error: unknown, what: string | undefined): unknown {
  if (error instanceof SlipwayError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
    return new SlipwayError(`Could not write ${what ?? "the archive"} to disk: ${(error as Error).message}`, {
      code: "ARCHIVE_WRITE_FAILED",
      kind: "config",
      hint: "Check that the destination is writable and that the disk has room.",
      cause: error,
    });
  }
  if (error instanceof Error && /tar|header|end of data|size mismatch/i.test(error.message)) {
    return new SlipwayError(`The engine sent ${what ?? "an archive"} that is not a valid tar archive: ${error.message}`, {
      code: "ARCHIVE_INVALID",
      kind: "engine",
      hint: "The connection may have been cut; retry, and check the engine's health if it happens again.",
      cause: error,
    });
  }
  return error;
}

async function assertDestinationFree(target: string): Promise<void> {
  const stats = await lstat(target).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === "ENOENT") return undefined;
    throw error;
  });
  if (stats === undefined) return;
  if (stats.isDirectory() && (await readdir(target)).length === 0) return;
  throw destinationExists(target);
}

function destinationExists(target: string): SlipwayError {
  return new SlipwayError(`Cannot extract into ${target}: it already exists and is not an empty directory.`, {
    code: "ARCHIVE_DEST_EXISTS",
    kind: "config",
    hint: "Remove it, or choose a destination that does not exist yet.",
  });
}

async function moveIntoPlace(temp: string, target: string, extraction: Extraction): Promise<void> {
  try {
    await rename(temp, target);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // Something appeared at the destination since we checked it.
    if (code === "ENOTEMPTY" || code === "EEXIST" || code === "ENOTDIR" || code === "EISDIR") throw destinationExists(target);
    throw error;
  }
  extraction.moved = true;
}
