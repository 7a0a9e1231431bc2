/**
 * Project name precedence and rules, as compose v2: `-p` > COMPOSE_PROJECT_NAME > top-level
 * `name:` > the project directory's basename. An explicit name must already be valid; a name
 * derived from the directory is normalized (lowercased, other characters dropped).
 */
import path from "node:path";

const VALID = /^[a-z0-9][a-z0-9_-]*$/;

export function normalizeProjectName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "")
    .replace(/^[_-]+/, "");
}

export type ProjectNameResult = { ok: true; name: string } | { ok: false; message: string; source: "flag" | "env" | "file" | "dir" };

export function resolveProjectName(opts: {
  flag?: string | undefined;
  env?: string | undefined;
  fromFile?: string | undefined;
  projectDir: string;
}): ProjectNameResult {
  const explicit: [string | undefined, "flag" | "env" | "file"][] = [
    [opts.flag, "flag"],
    [opts.env, "env"],
    [opts.fromFile, "file"],
  ];
  for (const [value, source] of explicit) {
    if (value === undefined || value === "") continue;
    if (!VALID.test(value)) {
      return {
        ok: false,
        source,
        message: `invalid project name ${JSON.stringify(value)}: it must contain only lowercase letters, digits, '_' and '-', and start with a letter or digit`,
      };
    }
    return { ok: true, name: value };
  }
  const derived = normalizeProjectName(path.basename(path.resolve(opts.projectDir)));
  if (derived === "") {
    return { ok: false, source: "dir", message: `cannot derive a project name from directory ${JSON.stringify(opts.projectDir)}` };
  }
  return { ok: true, name: derived };
}
