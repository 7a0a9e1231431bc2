/**
 * While the tests run, the services they depend on must stay up: a database killed mid-test is a
 * dependency failure (its own exit code, kind and logs), not a test failure. The monitor follows
 * the project's container events and reports the first dependency that exits or turns unhealthy.
 */
import type { Project } from "../compose/model/index.ts";
import { serviceContainerName } from "../compose/runner/names.ts";
import { replicas } from "../compose/runner/up.ts";
import type { ContainerWatcher } from "../readiness/container-watcher.ts";
import type { Engine } from "../engine/index.ts";

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
  readonly #unfollow: (() => void)[] = [];
  readonly #watcher: ContainerWatcher;
  readonly #engine: Engine;
  readonly #targets: { service: string; container: string }[] = [];
  readonly #onFailure: (f: DependencyFailure) => void;
  #stopped = false;

  constructor(engine: Engine, watcher: ContainerWatcher, project: Project, services: string[], onFailure: (f: DependencyFailure) => void) {
    this.#engine = engine;
    this.#watcher = watcher;
    this.#onFailure = onFailure;
    for (const service of services) {
      for (let i = 1; i <= replicas(project, service); i++) {
        this.#targets.push({ service, container: serviceContainerName(project, service, i) });
      }
    }
  }

  /**
   * Called when the tests start (until then, readiness reports dependency failures): from now on
   * a dependency that exits or turns unhealthy fails the run. Followed by id, since names are
   * reused by recreated containers.
   */
  async arm(): Promise<void> {
    const infos = await Promise.all(this.#targets.map((t) => this.#engine.containers.find(t.container)));
    if (this.#stopped) return;
    for (const [i, { service, container }] of this.#targets.entries()) {
      const info = infos[i];
      if (!info) continue;
      const startedEvents = this.#watcher.history(info.Id).length;
      let seen = 0;
      this.#unfollow.push(
        this.#watcher.follow(info.Id, (state) => {
          // What happened before the tests started was readiness's business.
          if (seen++ < startedEvents || this.#failure) return;
          let what: string | undefined;
          if (state.kind === "exited") what = `exited with code ${state.exitCode} while the tests were running`;
          else if (state.kind === "health" && state.status === "unhealthy") what = "became unhealthy while the tests were running";
          if (what) {
            this.#failure = { service, container, what };
            this.#onFailure(this.#failure);
          }
        }),
      );
      // Gone between readiness and now, without an event we saw as new.
      if (!info.State.Running && !this.#failure) {
        this.#failure = { service, container, what: `exited with code ${info.State.ExitCode} before the tests started` };
        this.#onFailure(this.#failure);
      }
    }
  }

  get failure(): DependencyFailure | undefined {
    return this.#failure;
  }

  stop(): void {
    this.#stopped = true;
    for (const f of this.#unfollow) f();
  }
}
