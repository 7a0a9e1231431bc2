/**
 * While the tests run, the services they depend on must stay up: a database killed mid-test is a
 * dependency failure (its own exit code, kind and logs), not a test failure. The monitor follows
 * the project's container events and reports the first dependency that exits or turns unhealthy.
 * When the event stream breaks, the watcher catches up by itself (resubscribes and delivers what
 * it missed); when it gives up, the monitor reads each dependency's state once and, if none has
 * failed, reports that the dependencies can no longer be watched rather than going silent.
 */
import type { Project } from "../compose/model/index.ts";
import { serviceContainerName } from "../compose/runner/names.ts";
import { replicas } from "../compose/runner/up.ts";
import type { ContainerWatcher, WatcherStatus } from "../readiness/container-watcher.ts";
import type { ContainerInspect, Engine } from "../engine/index.ts";
import type { SlipwayError } from "../errors/index.ts";

export interface DependencyFailure {
  service: string;
  container: string;
  what: string;
  /** Set when the failure is the engine's, not the dependency's: its event stream was lost for good. */
  error?: SlipwayError;
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

/** What a dependency's inspect (undefined: removed) says went wrong while the tests ran, if anything. */
export function failedState(info: ContainerInspect | undefined): string | undefined {
  if (!info) return "was removed while the tests were running";
  if (!info.State.Running) return `exited with code ${info.State.ExitCode} while the tests were running`;
  if (info.State.Health?.Status === "unhealthy") return "became unhealthy while the tests were running";
  return undefined;
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
    const armed: { service: string; container: string; id: string }[] = [];
    for (const [i, { service, container }] of this.#targets.entries()) {
      const info = infos[i];
      if (!info) continue;
      armed.push({ service, container, id: info.Id });
      const startedEvents = this.#watcher.history(info.Id).length;
      let seen = 0;
      this.#unfollow.push(
        this.#watcher.follow(info.Id, (state) => {
          // What happened before the tests started was readiness's business.
          if (seen++ < startedEvents || this.#failure) return;
          let what: string | undefined;
          if (state.kind === "exited") what = `exited with code ${state.exitCode} while the tests were running`;
          else if (state.kind === "health" && state.status === "unhealthy") what = "became unhealthy while the tests were running";
          if (what) this.#fail({ service, container, what });
        }),
      );
      // Gone between readiness and now, without an event we saw as new.
      if (!info.State.Running && !this.#failure) this.#fail({ service, container, what: `exited with code ${info.State.ExitCode} before the tests started` });
    }
    this.#unfollow.push(this.#watcher.onStatus((status) => void this.#onWatcherStatus(status, armed)));
  }

  /** The watcher gave up: no exit will be delivered any more, so read each dependency's state once. */
  async #onWatcherStatus(status: WatcherStatus, armed: readonly { service: string; container: string; id: string }[]): Promise<void> {
    if (status.kind !== "broken" || this.#stopped || this.#failure) return;
    // null: the engine did not answer, which says nothing about the dependency.
    const infos = await Promise.all(armed.map((t) => this.#engine.containers.find(t.id).catch(() => null)));
    if (this.#stopped || this.#failure) return;
    for (const [i, { service, container }] of armed.entries()) {
      const info = infos[i];
      if (info === null) continue;
      const what = failedState(info);
      if (what) return this.#fail({ service, container, what });
    }
    const first = armed[0];
    if (first) this.#fail({ ...first, what: `can no longer be watched: ${status.error.message}`, error: status.error });
  }

  #fail(failure: DependencyFailure): void {
    const { service, container, what, error } = failure;
    this.#failure = { service, container, what, ...(error ? { error } : {}) };
    this.#onFailure(this.#failure);
  }

  get failure(): DependencyFailure | undefined {
    return this.#failure;
  }

  stop(): void {
    this.#stopped = true;
    for (const f of this.#unfollow) f();
  }
}
