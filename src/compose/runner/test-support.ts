/** Loads a compose project from inline YAML, for the runner's pure tests (no engine). */
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadProject } from "../load/index.ts";
import type { Project } from "../model/index.ts";

export async function projectFromYaml(yaml: string, name = "demo", env: Record<string, string> = {}): Promise<Project> {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-plan-"));
  try {
    await writeFile(path.join(dir, "compose.yaml"), yaml);
    return await loadProject({ workingDir: dir, projectName: name, env });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
