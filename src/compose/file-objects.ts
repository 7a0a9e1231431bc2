/**
 * Where a top-level secret's or config's value comes from, as the file says: a host file, an
 * environment variable (`environment:`, from the project's environment: the shell and .env), or
 * inline `content:` (configs). One reading for the containers that mount them, the builds that
 * take secrets (handed to BuildKit) and the redactor; an external one exists only in a swarm.
 */
import { readFile } from "node:fs/promises";
import type { Project } from "./model/index.ts";
import { SlipwayError } from "../errors/index.ts";

export type FileObjectKind = "secret" | "config";

/** A host file to read (or bind), or the value itself. */
export type FileObjectSource = { file: string } | { content: string };

/** Where `name` comes from; a config error when it is undeclared, external, or from an unset variable. `usedBy` names who needs it, for the message. */
export function fileObjectSource(project: Project, kind: FileObjectKind, name: string, usedBy?: string): FileObjectSource {
  const def = (kind === "secret" ? project.secrets : project.configs)[name];
  const what = `${kind === "secret" ? "Secret" : "Config"} ${name}${usedBy ? ` (used by ${usedBy})` : ""}`;
  const code = kind.toUpperCase();
  if (!def) throw new SlipwayError(`${what} is not declared`, { code: `${code}_UNDECLARED`, kind: "config", hint: `Declare it under the top-level ${kind}s:.` });
  if (def.file !== undefined) return { file: def.file };
  if (def.environment !== undefined) {
    const value = project.environment[def.environment];
    if (value === undefined) {
      throw new SlipwayError(`${what} comes from the environment variable ${def.environment}, which is not set`, {
        code: `${code}_UNSET`,
        kind: "config",
        hint: `Set ${def.environment} in the environment (or in .env) before running Slipway.`,
      });
    }
    return { content: value };
  }
  if (def.content !== undefined) return { content: def.content };
  throw new SlipwayError(`${what} is external; external ${kind}s exist only in a swarm`, {
    code: `${code}_EXTERNAL`,
    kind: "config",
    hint: `Give the top-level ${kind} a file:${kind === "config" ? ", content:" : ""} or environment: for Slipway to use it.`,
  });
}

/** A secret's or config's host file, read; a config error naming it when it cannot be. */
export async function readSourceFile(file: string, kind: FileObjectKind, name: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new SlipwayError(`${kind === "secret" ? "Secret" : "Config"} ${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      code: `${kind.toUpperCase()}_UNREADABLE`,
      kind: "config",
      hint: `Create the file, or point the ${kind}'s file: at it.`,
    });
  }
}

/** A secret's value. */
export async function secretValue(project: Project, name: string): Promise<Buffer> {
  const source = fileObjectSource(project, "secret", name);
  return "file" in source ? readSourceFile(source.file, "secret", name) : Buffer.from(source.content);
}
