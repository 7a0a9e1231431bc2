/**
 * Which compose files to load, as compose v2 (compose-go cli options) finds them: explicit
 * `-f` files; else COMPOSE_FILE (split on COMPOSE_PATH_SEPARATOR, default ":"); else the first
 * of compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml in the working
 * directory or its nearest parent that has one, plus the override file next to it.
 */
import { stat } from "node:fs/promises";
import path from "node:path";

export const DEFAULT_FILE_NAMES = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"] as const;
export const OVERRIDE_FILE_NAMES = ["compose.override.yml", "compose.override.yaml", "docker-compose.override.yml", "docker-compose.override.yaml"] as const;

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

export type Discovery = { files: string[]; source: "flag" | "env" | "search" } | { files: []; source: "none"; searched: string[] };

export async function discoverComposeFiles(workingDir: string, explicit: readonly string[] | undefined, env: Record<string, string>): Promise<Discovery> {
  if (explicit && explicit.length > 0) return { files: explicit.map((f) => path.resolve(workingDir, f)), source: "flag" };
  const fromEnv = env["COMPOSE_FILE"];
  if (fromEnv) {
    const sep = env["COMPOSE_PATH_SEPARATOR"] || path.delimiter;
    const files = fromEnv.split(sep).filter((f) => f !== "");
    return { files: files.map((f) => path.resolve(workingDir, f)), source: "env" };
  }
  const searched: string[] = [];
  let dir = path.resolve(workingDir);
  for (;;) {
    searched.push(dir);
    for (const name of DEFAULT_FILE_NAMES) {
      const candidate = path.join(dir, name);
      if (await isFile(candidate)) {
        const files = [candidate];
        for (const o of OVERRIDE_FILE_NAMES) {
          const override = path.join(dir, o);
          if (await isFile(override)) {
            files.push(override);
            break;
          }
        }
        return { files, source: "search" };
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return { files: [], source: "none", searched };
    dir = parent;
  }
}
