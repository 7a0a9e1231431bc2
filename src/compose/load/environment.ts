/**
 * The variables used for interpolation: env files (`--env-file`, repeatable, later ones win;
 * or `.env` in the project directory when none is given), with the caller's environment
 * (the shell, passed in by cli/) taking precedence over every file, as in compose v2.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseEnvFile } from "./env-file.ts";
import { fail } from "../../yaml/issues.ts";

export function readTextIfExists(p: string): string | undefined {
  try {
    return readFileSync(p, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "EISDIR") return undefined;
    throw e;
  }
}

export function loadEnvFiles(opts: { shellEnv: Record<string, string>; envFiles?: readonly string[] | undefined; dotEnvDir: string; baseDir: string }): Record<string, string> {
  const fromFiles: Record<string, string> = {};
  const lookup = (name: string): string | undefined => opts.shellEnv[name] ?? fromFiles[name];
  if (opts.envFiles && opts.envFiles.length > 0) {
    for (const f of opts.envFiles) {
      const abs = path.resolve(opts.baseDir, f);
      const text = readTextIfExists(abs);
      if (text === undefined) fail(undefined, "", `env file ${abs} not found`, "Check the --env-file path.");
      Object.assign(fromFiles, parseEnvFile(text, abs, lookup));
    }
  } else {
    const dotEnv = path.join(opts.dotEnvDir, ".env");
    const text = readTextIfExists(dotEnv);
    if (text !== undefined) Object.assign(fromFiles, parseEnvFile(text, dotEnv, lookup));
  }
  return { ...fromFiles, ...opts.shellEnv };
}
