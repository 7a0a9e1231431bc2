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
  args: Record<string, string>;
  target?: string;
  baseImageIds: string[];
}

export async function contextHash(input: ContextHashInput): Promise<string> {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ dockerfile: input.dockerfile, args: Object.entries(input.args).sort(), target: input.target ?? "", bases: input.baseImageIds }));
  for (const rel of await contextFiles(input.context, input.dockerfile)) {
    const abs = path.join(input.context, rel);
    const stat = await lstat(abs);
    hash.update(`\0${rel}\0${stat.mode & 0o777}\0`);
    if (stat.isSymbolicLink()) hash.update(await readlink(abs));
    else if (stat.isFile()) hash.update(await readFile(abs));
  }
  return hash.digest("hex");
}
