/**
 * Profiles: a service that lists profiles is active only when one of them is enabled
 * (`--profile`, COMPOSE_PROFILES; `*` enables all) or when the command names it explicitly,
 * in which case what it depends on is enabled too (compose v2 behaviour).
 */
import type { Project } from "../model/project.ts";

export function applyProfiles(project: Project, enabled: readonly string[], explicitServices: readonly string[] = []): void {
  const all = enabled.includes("*");
  const active = new Set<string>();
  for (const [name, s] of Object.entries(project.services)) {
    if (s.profiles.length === 0 || all || s.profiles.some((p) => enabled.includes(p))) active.add(name);
  }
  const queue = explicitServices.filter((n) => n in project.services);
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (active.has(name) && !explicitServices.includes(name)) continue;
    active.add(name);
    for (const dep of Object.keys(project.services[name]?.depends_on ?? {})) if (!active.has(dep) && dep in project.services) queue.push(dep);
  }
  for (const name of Object.keys(project.services)) {
    if (active.has(name)) continue;
    const s = project.services[name];
    if (s) project.disabledServices[name] = s;
    delete project.services[name];
  }
  project.profiles = [...enabled];
}

/** COMPOSE_PROFILES is a comma-separated list. */
export function profilesFromEnv(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}
