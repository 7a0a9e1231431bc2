/** Task endpoints: a service's tasks are how a rollout is watched (state, error, exit code per slot). */
import type { Readable } from "node:stream";
import { isNotFound } from "./engine-error.ts";
import { logsQuery, type ServiceLogsOptions } from "./services.ts";
import { encodeFilters, type TaskFilters } from "./swarm-filters.ts";
import type { SwarmHttp } from "./swarm-http.ts";
import type { Task } from "./swarm-types.ts";

interface Signal {
  signal?: AbortSignal | undefined;
}

export class Tasks {
  readonly #http: SwarmHttp;
  constructor(http: SwarmHttp) {
    this.#http = http;
  }

  /** Tasks of every state, shut-down ones included, unless `desired-state` says otherwise. */
  list(opts: Signal & { filters?: TaskFilters } = {}): Promise<Task[]> {
    return this.#http.json("GET", "/tasks", { query: { filters: encodeFilters(opts.filters) }, signal: opts.signal });
  }

  inspect(id: string, opts: Signal = {}): Promise<Task> {
    return this.#http.json("GET", `/tasks/${encodeURIComponent(id)}`, { signal: opts.signal });
  }

  /** Inspect, or `undefined` when there is no such task (any more: swarm prunes old ones). */
  async find(id: string, opts: Signal = {}): Promise<Task | undefined> {
    try {
      return await this.inspect(id, opts);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** One task's raw log stream, multiplexed unless it has a TTY (demuxStream reads it). */
  async logs(id: string, opts: ServiceLogsOptions = {}): Promise<Readable & AsyncIterable<Buffer>> {
    const response = await this.#http.stream("GET", `/tasks/${encodeURIComponent(id)}/logs`, { query: logsQuery(opts), signal: opts.signal });
    return response.body;
  }
}
