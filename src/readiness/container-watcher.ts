/**
 * Follows the engine's container events for a set of containers and remembers the last state of
 * each, so a waiter that arrives late still sees an exit or a health change that already
 * happened. Subscribe before starting anything: then no event can be missed.
 *
 * The stream can break under us (the engine restarts, a proxy cuts a long-lived connection, the
 * connection resets). Then the watcher resubscribes with `since` (the engine replays what it still
 * buffers from then on), re-inspects every container it knows, and hands followers the exits and
 * health changes they missed, each once (container-transitions.ts). After `RESUBSCRIBE_LIMIT`
 * attempts in a row fail it gives up and says so (`onStatus`, `broken`), so that nobody waits for
 * an event that can no longer come.
 */
import { setTimeout as delay } from "node:timers/promises";
import { SlipwayError } from "../errors/index.ts";
import { isNotFound, type Engine } from "../engine/index.ts";
import type { EngineEvent } from "../engine/types.ts";
import { isNews, missedTransitions, type ContainerEventState, type Transition } from "./container-transitions.ts";

export type { ContainerEventState } from "./container-transitions.ts";

type Listener = (state: ContainerEventState) => void;

/** The watcher's own condition, for those who must not wait on events that will not come. */
export type WatcherStatus =
  /** The stream ended or failed without us closing it; resubscribing. */
  | { kind: "lost"; cause: unknown }
  /** Live again; every change missed meanwhile has been delivered to the followers already. */
  | { kind: "resubscribed"; attempt: number }
  /** Gave up resubscribing: no more events will come. */
  | { kind: "broken"; error: SlipwayError };

type StatusListener = (status: WatcherStatus) => void;

export interface ResubscribePolicy {
  /** Failed attempts in a row after which the watcher gives up. */
  limit: number;
  /** Back-off before the first attempt, doubled for each next one… */
  initialDelayMs: number;
  /** …up to this. A stream that stayed up this long counts as having recovered. */
  maxDelayMs: number;
}

/** About 20 s of attempts: longer than an engine restart takes, short of any ready_timeout. */
export const RESUBSCRIBE_LIMIT = 8;
const DEFAULT_POLICY: ResubscribePolicy = { limit: RESUBSCRIBE_LIMIT, initialDelayMs: 200, maxDelayMs: 5_000 };

/** The back-off before attempt `attempt` (1-based) to resubscribe. */
export function resubscribeDelayMs(attempt: number, policy: ResubscribePolicy = DEFAULT_POLICY): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
}

/**
 * The `since` of a resubscription, in seconds as the Engine API takes it: the last event seen
 * (engine clock; the replay repeats it, which is no news) or else when we subscribed (our clock:
 * a skewed remote engine may replay too much, which is no news either, or too little, which the
 * inspect after resubscribing makes up for).
 */
export function resumeSince(lastEventNs: number | undefined, subscribedAtMs: number): number {
  const ms = lastEventNs !== undefined ? Math.floor(lastEventNs / 1e6) : Math.floor(subscribedAtMs) - 1_000;
  return ms / 1000;
}

export interface WatcherOptions {
  resubscribe?: Partial<ResubscribePolicy>;
}

export class ContainerWatcher implements AsyncDisposable {
  readonly #controller = new AbortController();
  readonly #history = new Map<string, Transition[]>();
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #statusListeners = new Set<StatusListener>();
  readonly #engine: Engine;
  readonly #filters: Record<string, string[]>;
  readonly #signal: AbortSignal;
  readonly #policy: ResubscribePolicy;
  #subscribedAtMs = 0;
  #lastEventNs: number | undefined;
  #broken: SlipwayError | undefined;
  #done: Promise<void> = Promise.resolve();

  private constructor(engine: Engine, labelFilter: string[], signal: AbortSignal | undefined, options: WatcherOptions) {
    this.#engine = engine;
    this.#filters = { type: ["container"], label: labelFilter };
    this.#signal = signal ? AbortSignal.any([signal, this.#controller.signal]) : this.#controller.signal;
    this.#policy = { ...DEFAULT_POLICY, ...options.resubscribe };
  }

  /** Subscribes to container events with the given label filter; live once this resolves. */
  static async start(engine: Engine, labelFilter: string[], signal?: AbortSignal, options: WatcherOptions = {}): Promise<ContainerWatcher> {
    const watcher = new ContainerWatcher(engine, labelFilter, signal, options);
    watcher.#subscribedAtMs = Date.now();
    const events = await engine.system.events({ filters: watcher.#filters, signal: watcher.#signal });
    watcher.#done = watcher.#run(events);
    return watcher;
  }

  async #run(first: AsyncIterable<EngineEvent>): Promise<void> {
    let events = first;
    let failures = 0;
    for (;;) {
      const liveSince = performance.now();
      let delivered = false;
      let cause: unknown = new Error("the engine ended the event stream");
      try {
        for await (const event of events) {
          delivered = true;
          this.#dispatch(event);
        }
      } catch (err) {
        cause = err;
      }
      if (this.#signal.aborted) return;
      // A stream that broke at once does not count as recovered: the attempts stay bounded.
      if (delivered || performance.now() - liveSince >= this.#policy.maxDelayMs) failures = 0;
      this.#emitStatus({ kind: "lost", cause });
      const resumed = await this.#resubscribe(failures, cause);
      if (!resumed) return;
      ({ events, failures } = resumed);
    }
  }

  /** Attempts until one is live and caught up; undefined when closed or given up (then broken). */
  async #resubscribe(failed: number, cause: unknown): Promise<{ events: AsyncIterable<EngineEvent>; failures: number } | undefined> {
    let failures = failed;
    let lastCause = cause;
    while (failures < this.#policy.limit) {
      failures++;
      await delay(resubscribeDelayMs(failures, this.#policy), undefined, { signal: this.#signal }).catch(() => undefined);
      if (this.#signal.aborted) return undefined;
      // Its own signal: a subscription whose catch-up fails is dropped before the next attempt.
      const attempt = new AbortController();
      const signal = AbortSignal.any([this.#signal, attempt.signal]);
      try {
        const events = await this.#engine.system.events({
          filters: this.#filters,
          since: resumeSince(this.#lastEventNs, this.#subscribedAtMs),
          signal,
        });
        await this.#catchUp(signal);
        this.#emitStatus({ kind: "resubscribed", attempt: failures });
        return { events, failures };
      } catch (err) {
        attempt.abort();
        if (this.#signal.aborted) return undefined;
        lastCause = err;
      }
    }
    this.#broken = new SlipwayError(`Lost the engine's event stream and could not resubscribe (${failures} attempts)`, {
      code: "ENGINE_EVENTS_LOST",
      kind: "engine",
      hint: "Check that the Docker engine is running and reachable (`docker info`); a proxy between Slipway and the engine may be cutting long-lived connections.",
      cause: lastCause,
    });
    this.#emitStatus({ kind: "broken", error: this.#broken });
    return undefined;
  }

  /** Re-inspects every container known or followed, and delivers what the inspect shows was missed. */
  async #catchUp(signal: AbortSignal): Promise<void> {
    const ids = new Set([...this.#history.keys(), ...[...this.#listeners].filter(([, set]) => set.size > 0).map(([id]) => id)]);
    const inspected = await Promise.all(
      [...ids].map((id) =>
        this.#engine.containers.inspect(id, { signal }).catch((err: unknown) => {
          // Removed meanwhile: its `destroy` is no state a follower waits for.
          if (isNotFound(err)) return undefined;
          throw err;
        }),
      ),
    );
    for (const info of inspected) {
      if (!info) continue;
      for (const t of missedTransitions(this.#history.get(info.Id) ?? [], info.State)) this.#record(info.Id, t);
    }
  }

  /**
   * Keyed by container id, not name: a recreated container reuses its name, and the old one's
   * `die` must not count as the new one's exit.
   */
  #dispatch(event: EngineEvent): void {
    const at = event.timeNano ?? event.time * 1e9;
    if (this.#lastEventNs === undefined || at > this.#lastEventNs) this.#lastEventNs = at;
    const id = event.Actor.ID;
    if (!id) return;
    let state: ContainerEventState | undefined;
    if (event.Action === "start") state = { kind: "started" };
    else if (event.Action === "die") state = { kind: "exited", exitCode: Number(event.Actor.Attributes["exitCode"] ?? -1) };
    else if (event.Action.startsWith("health_status")) {
      const status = event.Action.split(":")[1]?.trim();
      if (status === "healthy" || status === "unhealthy" || status === "starting") state = { kind: "health", status };
    }
    if (state) this.#record(id, { state, at });
  }

  #record(id: string, transition: Transition): void {
    const history = this.#history.get(id) ?? [];
    if (!isNews(history, transition)) return;
    history.push(transition);
    this.#history.set(id, history);
    for (const listener of this.#listeners.get(id) ?? []) listener(transition.state);
  }

  #emitStatus(status: WatcherStatus): void {
    for (const listener of this.#statusListeners) listener(status);
  }

  /** Everything seen so far for a container (by id), oldest first. */
  history(id: string): readonly ContainerEventState[] {
    return (this.#history.get(id) ?? []).map((t) => t.state);
  }

  /**
   * Calls `listener` for past and future states of container `id`, including those a
   * resubscription found missed; returns the unsubscribe function.
   */
  follow(id: string, listener: Listener): () => void {
    for (const state of this.history(id)) listener(state);
    const set = this.#listeners.get(id) ?? new Set<Listener>();
    set.add(listener);
    this.#listeners.set(id, set);
    return () => set.delete(listener);
  }

  /** Calls `listener` when the stream is lost, resubscribed or given up (at once if it is already). */
  onStatus(listener: StatusListener): () => void {
    if (this.#broken) listener({ kind: "broken", error: this.#broken });
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /** Set once the watcher gave up resubscribing: no more events will come. */
  get broken(): SlipwayError | undefined {
    return this.#broken;
  }

  async close(): Promise<void> {
    this.#controller.abort();
    await this.#done;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
