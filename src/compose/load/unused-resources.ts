/**
 * Top-level networks, volumes, secrets and configs that no active service uses are left out of
 * the project, as compose-go's Project.WithoutUnnecessaryResources does once profiles are
 * applied: `up` does not create them, `config` does not print them.
 */
import type { Project } from "../model/project.ts";

export function dropUnusedResources(project: Project): void {
  const used = { networks: new Set<string>(), volumes: new Set<string>(), secrets: new Set<string>(), configs: new Set<string>() };
  for (const s of Object.values(project.services)) {
    for (const n of Object.keys(s.networks)) used.networks.add(n);
    for (const v of s.volumes) if (v.type === "volume" && v.source !== undefined) used.volumes.add(v.source);
    for (const m of [...s.secrets, ...(s.build?.secrets ?? [])]) used.secrets.add(m.source);
    for (const m of s.configs) used.configs.add(m.source);
  }
  for (const kind of ["networks", "volumes", "secrets", "configs"] as const) {
    const section: Record<string, unknown> = project[kind];
    for (const key of Object.keys(section)) if (!used[kind].has(key)) delete section[key];
  }
}
