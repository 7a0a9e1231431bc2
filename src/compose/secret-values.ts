/**
 * The value of a top-level secret, from where the file says it comes: a file (read as it is),
 * an environment variable (`environment:`, from the project's environment: the shell and .env),
 * or inline `content:`. For build secrets (handed to BuildKit) and for redaction.
 */
import { readFile } from "node:fs/promises";
import type { Project } from "./model/index.ts";
import { SlipwayError } from "../errors/index.ts";

export async function secretValue(project: Project, source: string): Promise<Buffer> {
  const def = project.secrets[source];
  if (!def) throw new SlipwayError(`Secret ${source} is not declared`, { code: "SECRET_UNDECLARED", kind: "config", hint: "Declare it under the top-level secrets:." });
  if (def.file !== undefined) {
    try {
      return await readFile(def.file);
    } catch (err) {
      throw new SlipwayError(`Secret ${source}: cannot read ${def.file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
        code: "SECRET_UNREADABLE",
        kind: "config",
        hint: "Create the file, or point the secret's file: at it.",
      });
    }
  }
  if (def.environment !== undefined) {
    const value = project.environment[def.environment];
    if (value === undefined) {
      throw new SlipwayError(`Secret ${source} comes from the environment variable ${def.environment}, which is not set`, {
        code: "SECRET_UNSET",
        kind: "config",
        hint: `Set ${def.environment} in the environment (or in .env) before running Slipway.`,
      });
    }
    return Buffer.from(value);
  }
  if (def.content !== undefined) return Buffer.from(def.content);
  throw new SlipwayError(`Secret ${source} has no value Slipway can read (external secrets live in a swarm)`, { code: "SECRET_EXTERNAL", kind: "config" });
}
