/**
 * Project name precedence and rules, as compose v2: `-p` > COMPOSE_PROJECT_NAME > top-level
 * `name:` > the project directory's basename. A name given by `-p` or COMPOSE_PROJECT_NAME must
 * already be valid; `name:` and the directory's name are normalized (lowercased, other
 * characters dropped), as compose-go's loader does (`name: My.App` is project `myapp`).
 */
import path from "node:path";

const VALID = /^[a-z0-9][a-z0-9_-]*$/;

export function normalizeProjectName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "")
    .replace(/^[_-]+/, "");
}

export type ProjectNameResult = { ok: true; name: string } | { ok: false; message: string; source: "flag" | "env" | "dir" };

export function resolveProjectName(opts: {
  flag?: string | undefined;
  env?: string | undefined;
  fromFile?: string | undefined;
  projectDir: string;
}): ProjectNameResult {
  const explicit: [string | undefined, "flag" | "env"][] = [
    [opts.flag, "flag"],
    [opts.env, "env"],
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
  const fromFile = normalizeProjectName(opts.fromFile ?? "");
  if (fromFile !== "") return { ok: true, name: fromFile };
  const derived = normalizeProjectName(path.basename(path.resolve(opts.projectDir)));
  if (derived === "") {
    return { ok: false, source: "dir", message: `cannot derive a project name from directory ${JSON.stringify(opts.projectDir)}` };
  }
  return { ok: true, name: derived };
}
