/** Network endpoints. Removing a network already gone is success. */
import { isConflict, isNotFound } from "./engine-error.ts";
import { untilAborted } from "./streams/abortable.ts";
import type { EngineHttp } from "./http.ts";
import type { Filters } from "./containers.ts";
import type { SwarmNetworkFacts, SwarmNetworkOptions } from "./swarm-types.ts";
import type { EndpointSettings, NetworkCreateBody, NetworkInspect } from "./types.ts";

/** A local network's create body, or an overlay's (Driver "overlay", Attachable, Scope "swarm", on a manager). */
export type NetworkCreateRequest = NetworkCreateBody & SwarmNetworkOptions;
/** What inspect and list answer, with what an overlay network adds. */
export type NetworkDetails = NetworkInspect & SwarmNetworkFacts;

interface Signal {
  signal?: AbortSignal | undefined;
}

export class Networks {
  readonly #http: EngineHttp;
  readonly #creating = new Map<string, Promise<{ Id: string; Warning?: string }>>();
  constructor(http: EngineHttp) {
    this.#http = http;
  }

  /**
   * Creates a network unless one of that name exists. The engine's CheckDuplicate is not atomic
   * (Engine 20.10 creates several networks of one name under concurrent requests, and every later
   * use of the name is then ambiguous), so concurrent calls for one name share a single request,
   * and a name already taken (409) is looked up and returned.
   */
  ensure(body: NetworkCreateRequest, opts: Signal = {}): Promise<{ Id: string; Warning?: string }> {
    const pending = this.#creating.get(body.Name);
    if (pending) return untilAborted(pending, opts.signal);
    // Shared by concurrent callers, so no caller's signal cancels it for the others; each stops
    // waiting on its own (a network create takes milliseconds).
    const request = (async () => {
      try {
        // Created straight away (the usual case: the caller saw none); a name taken is a 409.
        return await this.create({ ...body, CheckDuplicate: true });
      } catch (err) {
        if (!isConflict(err)) throw err;
        const existing = await this.find(body.Name);
        if (existing && existing.Name === body.Name) return { Id: existing.Id };
        throw err;
      }
    })();
    this.#creating.set(body.Name, request);
    request.then(
      () => this.#creating.delete(body.Name),
      () => this.#creating.delete(body.Name),
    );
    return untilAborted(request, opts.signal);
  }

  create(body: NetworkCreateRequest, opts: Signal = {}): Promise<{ Id: string; Warning?: string }> {
    return this.#http.json("POST", "/networks/create", { json: body, signal: opts.signal });
  }

  inspect(id: string, opts: Signal = {}): Promise<NetworkDetails> {
    return this.#http.json("GET", `/networks/${encodeURIComponent(id)}`, { signal: opts.signal });
  }

  async find(id: string, opts: Signal = {}): Promise<NetworkDetails | undefined> {
    try {
      return await this.inspect(id, opts);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  list(opts: Signal & { filters?: Filters } = {}): Promise<NetworkDetails[]> {
    return this.#http.json("GET", "/networks", { query: { filters: opts.filters }, signal: opts.signal });
  }

  async connect(network: string, container: string, endpoint: EndpointSettings = {}, opts: Signal = {}): Promise<void> {
    await this.#http.none("POST", `/networks/${encodeURIComponent(network)}/connect`, {
      json: { Container: container, EndpointConfig: endpoint },
      signal: opts.signal,
    });
  }

  async disconnect(network: string, container: string, opts: Signal & { force?: boolean } = {}): Promise<void> {
    try {
      await this.#http.none("POST", `/networks/${encodeURIComponent(network)}/disconnect`, {
        json: { Container: container, Force: opts.force ?? false },
        signal: opts.signal,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async remove(id: string, opts: Signal = {}): Promise<void> {
    try {
      await this.#http.none("DELETE", `/networks/${encodeURIComponent(id)}`, { signal: opts.signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
