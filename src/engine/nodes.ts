/** Node endpoints: the swarm's machines, their state and availability. */
import { isNotFound } from "./engine-error.ts";
import { OutOfSequenceError, isOutOfSequenceResponse } from "./swarm-errors.ts";
import { encodeFilters, type NodeFilters } from "./swarm-filters.ts";
import type { SwarmHttp } from "./swarm-http.ts";
import type { Node, NodeSpec } from "./swarm-types.ts";

interface Signal {
  signal?: AbortSignal | undefined;
}

export class Nodes {
  readonly #http: SwarmHttp;
  constructor(http: SwarmHttp) {
    this.#http = http;
  }

  list(opts: Signal & { filters?: NodeFilters } = {}): Promise<Node[]> {
    return this.#http.json("GET", "/nodes", { query: { filters: encodeFilters(opts.filters) }, signal: opts.signal });
  }

  /** By ID or hostname (the engine's own node ID is in system.info().Swarm.NodeID). */
  inspect(id: string, opts: Signal = {}): Promise<Node> {
    return this.#http.json("GET", `/nodes/${encodeURIComponent(id)}`, { signal: opts.signal });
  }

  async find(id: string, opts: Signal = {}): Promise<Node | undefined> {
    try {
      return await this.inspect(id, opts);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Replaces the node's spec (labels, role, availability); a stale `version` is an OutOfSequenceError. */
  async update(id: string, version: number, spec: NodeSpec, opts: Signal = {}): Promise<void> {
    try {
      await this.#http.none("POST", `/nodes/${encodeURIComponent(id)}/update`, { query: { version }, json: spec, signal: opts.signal });
    } catch (err) {
      if (isOutOfSequenceResponse(err)) throw new OutOfSequenceError(`Node ${id}`, version, err);
      throw err;
    }
  }
}
