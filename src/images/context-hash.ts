/**
 * A build's identity: the files sent as its context, the Dockerfile, the build arguments and
 * target, and the ids of its base images as pulled in this run. An image labelled with the same
 * hash is the same build: the stage's status says "unchanged" and the build is skipped.
 */
import { createHash } from "node:crypto";
import { lstat, readFile, readlink } from "node:fs/promises";
import path from "node:path";
import { contextFiles } from "./build-context.ts";

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

/** The files the context sends (after .dockerignore and `exclude`), with their paths, modes and contents. */
export async function contextFilesDigest(context: string, dockerfile: string, exclude: readonly string[] = []): Promise<string> {
  const hash = createHash("sha256");
  for (const rel of await contextFiles(context, dockerfile, exclude)) {
    const abs = path.join(context, rel);
    const stat = await lstat(abs);
    hash.update(`\0${rel}\0${stat.mode & 0o7777}\0`); // the mode bits the context's tar carries
    if (stat.isSymbolicLink()) hash.update(await readlink(abs));
    else if (stat.isFile()) hash.update(await readFile(abs));
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
