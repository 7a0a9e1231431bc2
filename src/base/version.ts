/**
 * A base image's version (seed 003): the first line of `base.version_file` when slipway.yml names
 * one, else the UTC date (`20261206`, then `20261206.2`, … when that date's version exists). The
 * version ends a tag (`base-<version>`), so it must be one a registry accepts.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { SlipwayError } from "../errors/index.ts";

/** What follows `base-` in a tag: a tag is `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`, and `base-` takes 5 of its 128 characters. */
const VERSION = /^[A-Za-z0-9_.-]{1,123}$/;

/** Why `version` cannot be a base version; undefined when it can. */
export function versionProblem(version: string): string | undefined {
  if (version === "") return "it is empty";
  if (version.length > 123) return `it is ${version.length} characters long (at most 123: the tag base-VERSION is at most 128)`;
  if (!VERSION.test(version)) return "a tag holds only letters, digits, '_', '.' and '-'";
  return undefined;
}

/** The version in the first line of `file` (relative to slipway.yml's folder `dir`), trimmed and checked. */
export async function readVersionFile(dir: string, file: string): Promise<string> {
  const full = path.resolve(dir, file);
  let text: string;
  try {
    text = await readFile(full, "utf8");
  } catch (err) {
    throw new SlipwayError(`The base's version file ${file} cannot be read: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "it does not exist" : (err as Error).message}`, {
      code: "BASE_VERSION_FILE",
      kind: "config",
      hint: `Write the base's version as the first line of ${full} (e.g. \`echo 1 > ${file}\`), or remove base.version_file from slipway.yml to version bases by date.`,
      cause: err,
    });
  }
  const version = (text.split(/\r?\n/, 1)[0] ?? "").trim();
  const problem = versionProblem(version);
  if (problem) {
    throw new SlipwayError(`The first line of ${file} is not a base version (${JSON.stringify(version)}): ${problem}`, {
      code: "BASE_VERSION_INVALID",
      kind: "config",
      hint: `Put a version such as 3 or 2026.1 on the first line of ${file}: the base is tagged base-VERSION.`,
    });
  }
  return version;
}

/** `YYYYMMDD` of `now` in UTC, or `YYYYMMDD.N` (N from 2) when the versions before it are `taken`. */
export function dateVersion(now: Date, taken: Iterable<string>): string {
  const day = now.toISOString().slice(0, 10).replaceAll("-", "");
  const used = new Set(taken);
  if (!used.has(day)) return day;
  let n = 2;
  while (used.has(`${day}.${n}`)) n += 1;
  return `${day}.${n}`;
}
