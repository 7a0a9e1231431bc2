/** Dependency order of services (depends_on), for starting and, reversed, for stopping. */
import type { Project } from "../model/index.ts";

/** Services that depend on `name` (its dependents), within the project's active services. */
export function dependents(project: Project, name: string): string[] {
  return Object.values(project.services)
    .filter((s) => name in s.depends_on)
    .map((s) => s.name);
}

/**
 * The services to bring up when `selected` are asked for: those plus every (transitive)
 * dependency, as compose does. Unknown names are the caller's to report.
 */
export function withDependencies(project: Project, selected: string[]): string[] {
  const out = new Set<string>();
  const visit = (name: string) => {
    if (out.has(name)) return;
    const service = project.services[name];
    if (!service) return;
    out.add(name);
    for (const [dep, d] of Object.entries(service.depends_on)) {
      if (d.required || project.services[dep]) visit(dep);
    }
  };
  selected.forEach(visit);
  return [...out];
}
