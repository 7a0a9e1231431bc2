/**
 * A build's identity: the files sent as its context, the Dockerfile, the build arguments and
 * target, and the ids of its base images as pulled in this run. An image labelled with the same
 * hash is the same build: the stage's status says "unchanged" and the build is skipped.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { contextEntries, contextFiles } from "./build-context.ts";

export interface ContextHashInput {
  context: string;
  dockerfile: string;
  /** compose's `dockerfile_inline`, which is then the Dockerfile. */
  dockerfileInline?: string;
  args: Record<string, string>;
  /**
   * The other settings that change what the image is (platform, labels, the build's network,
   * hosts, shm and ulimits…): hashed when set, so a build without them keeps its earlier hash.
   */
  settings?: Record<string, unknown>;
  target?: string;
  /** May still be pulling: the files are hashed meanwhile. */
  baseImageIds: string[] | Promise<string[]>;
  /**
   * Folders (relative to the context) left out of it whatever .dockerignore says: the pipeline's
   * own outputs (contextFiles). The same list must go to the build, so that what is hashed is what is sent.
   */
  exclude?: readonly string[];
  /** A digest of the same context's files computed already (services sharing a context). */
  filesDigest?: Promise<string>;
}

export async function contextHash(input: ContextHashInput): Promise<string> {
  const [files, bases] = await Promise.all([input.filesDigest ?? contextFilesDigest(input.context, input.dockerfile, input.exclude), input.baseImageIds]);
  return createHash("sha256")
    .update(
      JSON.stringify({
        dockerfile: input.dockerfile,
        ...(input.dockerfileInline !== undefined ? { inline: input.dockerfileInline } : {}),
        args: Object.entries(input.args).sort(),
        target: input.target ?? "",
        bases,
        ...definedSorted(input.settings ?? {}),
      }),
    )
    .update("\0")
    .update(files)
    .digest("hex");
}

/**
 * The files the context sends (after .dockerignore and `exclude`), with their paths, modes and
 * contents. Read as the context is packed (entries read ahead, in order); a large file goes
 * through one buffer, so hashing a 2 GB context takes no more memory than a small one.
 */
export async function contextFilesDigest(context: string, dockerfile: string, exclude: readonly string[] = []): Promise<string> {
  const hash = createHash("sha256");
  let buffer: Buffer | undefined;
  for await (const { rel, abs, stat, link, content } of contextEntries(context, await contextFiles(context, dockerfile, exclude))) {
    hash.update(`\0${rel}\0${stat.mode & 0o7777}\0`); // the mode bits the context's tar carries
    if (link !== undefined) hash.update(link);
    else if (content !== undefined) hash.update(content);
    else if (stat.isFile()) {
      buffer ??= Buffer.allocUnsafeSlow(1024 * 1024);
      const file = await open(abs, "r");
      try {
        for (;;) {
          const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) break;
          hash.update(buffer.subarray(0, bytesRead));
        }
      } finally {
        await file.close();
      }
    }
  }
  return hash.digest("hex");
}

/** The entries that are set, sorted by key, so that the JSON does not depend on insertion order. */
function definedSorted(settings: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(settings).sort()) {
    const value = settings[key];
    const empty = value === undefined || (Array.isArray(value) && value.length === 0) || (typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);
    if (!empty) out[`setting.${key}`] = value;
  }
  return out;
}
