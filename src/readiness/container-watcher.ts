/**
 * Follows the engine's container events for a set of containers and remembers the last state of
 * each, so a waiter that arrives late still sees an exit or a health change that already
 * happened. Subscribe before starting anything: then no event can be missed.
 */
import type { Engine } from "../engine/index.ts";
import type { EngineEvent } from "../engine/types.ts";

export type ContainerEventState =
  | { kind: "started" }
  | { kind: "exited"; exitCode: number }
  | { kind: "health"; status: "healthy" | "unhealthy" | "starting" };

type Listener = (state: ContainerEventState) => void;

export class ContainerWatcher implements AsyncDisposable {
  readonly #controller = new AbortController();
  readonly #last = new Map<string, ContainerEventState[]>();
  readonly #listeners = new Map<string, Set<Listener>>();
  #done: Promise<void> = Promise.resolve();

  private constructor() {}

  /** Subscribes to container events with the given label filter; live once this resolves. */
  static async start(engine: Engine, labelFilter: string[], signal?: AbortSignal): Promise<ContainerWatcher> {
    const watcher = new ContainerWatcher();
    const combined = signal ? AbortSignal.any([signal, watcher.#controller.signal]) : watcher.#controller.signal;
    const events = await engine.system.events({
      filters: { type: ["container"], label: labelFilter },
      signal: combined,
    });
    watcher.#done = (async () => {
      try {
        for await (const event of events) watcher.#dispatch(event);
      } catch {
        // The stream ends when we stop it; a broken stream leaves waiters to their inspect fallback.
      }
    })();
    return watcher;
  }

  /**
   * Keyed by container id, not name: a recreated container reuses its name, and the old one's
   * `die` must not count as the new one's exit.
   */
  #dispatch(event: EngineEvent): void {
    const id = event.Actor.ID;
    if (!id) return;
    let state: ContainerEventState | undefined;
    if (event.Action === "start") state = { kind: "started" };
    else if (event.Action === "die") state = { kind: "exited", exitCode: Number(event.Actor.Attributes["exitCode"] ?? -1) };
    else if (event.Action.startsWith("health_status")) {
      const status = event.Action.split(":")[1]?.trim();
      if (status === "healthy" || status === "unhealthy" || status === "starting") state = { kind: "health", status };
    }
    if (!state) return;
    const history = this.#last.get(id) ?? [];
    history.push(state);
    this.#last.set(id, history);
    for (const listener of this.#listeners.get(id) ?? []) listener(state);
  }

  /** Everything seen so far for a container (by id), oldest first. */
  history(id: string): readonly ContainerEventState[] {
    return this.#last.get(id) ?? [];
  }

  /** Calls `listener` for past and future events of container `id`; returns the unsubscribe function. */
  follow(id: string, listener: Listener): () => void {
    for (const state of this.history(id)) listener(state);
    const set = this.#listeners.get(id) ?? new Set<Listener>();
    set.add(listener);
    this.#listeners.set(id, set);
    return () => set.delete(listener);
  }

  async close(): Promise<void> {
    this.#controller.abort();
    await this.#done;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
