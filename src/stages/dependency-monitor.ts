/**
 * While the tests run, the services they depend on must stay up: a database killed mid-test is a
 * dependency failure (its own exit code, kind and logs), not a test failure. The monitor follows
 * the project's container events and reports the first dependency that exits or turns unhealthy.
 */
import type { Project } from "../compose/model/index.ts";
import { containerName } from "../compose/runner/names.ts";
import { replicas } from "../compose/runner/up.ts";
import type { ContainerWatcher } from "../readiness/container-watcher.ts";

export interface DependencyFailure {
  service: string;
  container: string;
  what: string;
}

/** Dependencies that must keep running: all transitive ones except one-shots awaited to completion. */
export function longRunningDependencies(project: Project, service: string): string[] {
  const out = new Set<string>();
  const oneShots = new Set<string>();
  const visit = (name: string) => {
    const s = project.services[name];
    if (!s) return;
    for (const [dep, d] of Object.entries(s.depends_on)) {
      if (d.condition === "service_completed_successfully") oneShots.add(dep);
      else out.add(dep);
      visit(dep);
    }
  };
  visit(service);
  for (const s of oneShots) out.delete(s);
  return [...out];
}

export class DependencyMonitor {
  #failure: DependencyFailure | undefined;
  /** Until the tests start, readiness reports dependency failures; the monitor only after. */
  #armed = false;
  readonly #unfollow: (() => void)[] = [];

  constructor(watcher: ContainerWatcher, project: Project, services: string[], onFailure: (f: DependencyFailure) => void) {
    for (const service of services) {
      for (let i = 1; i <= replicas(project, service); i++) {
        const container = project.services[service]!.container_name && i === 1 ? project.services[service]!.container_name! : containerName(project.name, service, i);
        this.#unfollow.push(
          watcher.follow(container, (state) => {
            if (!this.#armed || this.#failure) return;
            let what: string | undefined;
            if (state.kind === "exited") what = `exited with code ${state.exitCode} while the tests were running`;
            else if (state.kind === "health" && state.status === "unhealthy") what = "became unhealthy while the tests were running";
            if (what) {
              this.#failure = { service, container, what };
              onFailure(this.#failure);
            }
          }),
        );
      }
    }
  }

  /** Called when the tests start: from now on a dependency that exits or turns unhealthy fails the run. */
  arm(): void {
    this.#armed = true;
  }

  get failure(): DependencyFailure | undefined {
    return this.#failure;
  }

  stop(): void {
    for (const f of this.#unfollow) f();
  }
}
