/**
 * Service endpoints. Removing a service already gone is success; an update with a stale version is
 * an OutOfSequenceError; an engine that is no swarm manager is a NotASwarmManagerError (SwarmHttp).
 */
import type { Readable } from "node:stream";
import { isNotFound } from "./engine-error.ts";
import { encodeRegistryAuth, type Query } from "./http.ts";
import { OutOfSequenceError, isOutOfSequenceResponse } from "./swarm-errors.ts";
import { encodeFilters, type ServiceFilters } from "./swarm-filters.ts";
import type { SwarmHttp } from "./swarm-http.ts";
import type { Service, ServiceCreateResponse, ServiceSpec, ServiceUpdateResponse } from "./swarm-types.ts";
import type { RegistryAuth } from "./types.ts";

interface Signal {
  signal?: AbortSignal | undefined;
}

export interface RegistryAuthOptions {
  /** Credentials for the registry of the service's image, for the nodes that pull it. */
  registryAuth?: RegistryAuth | undefined;
}

export interface ServiceUpdateOptions extends Signal, RegistryAuthOptions {
  /** Without `registryAuth`: use the credentials stored with the current spec (default) or the previous one. */
  registryAuthFrom?: "spec" | "previous-spec" | undefined;
  /** `previous`: the engine goes back to PreviousSpec (the spec sent is then ignored). */
  rollback?: "previous" | undefined;
}

export interface ServiceLogsOptions extends Signal {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** Unix seconds. */
  since?: number;
  tail?: number | "all";
  timestamps?: boolean;
  /** Each line carries the node, service and task it came from (parseServiceLogLine reads them). */
  details?: boolean;
}

/** The X-Registry-Auth header, or none without credentials (the nodes then pull anonymously). */
export function registryAuthHeaders(auth: RegistryAuth | undefined): Record<string, string> {
  return auth ? { "X-Registry-Auth": encodeRegistryAuth(auth) } : {};
}

/** The query of `POST /services/{id}/update`. */
export function serviceUpdateQuery(version: number, opts: Omit<ServiceUpdateOptions, "signal" | "registryAuth"> = {}): Query {
  return { version, registryAuthFrom: opts.registryAuthFrom, rollback: opts.rollback };
}

/** The query of a service's or task's logs: stdout and stderr unless told otherwise (the engine's default is neither). */
export function logsQuery(opts: ServiceLogsOptions): Query {
  return {
    follow: opts.follow ?? false,
    stdout: opts.stdout ?? true,
    stderr: opts.stderr ?? true,
    since: opts.since,
    tail: opts.tail,
    timestamps: opts.timestamps ?? false,
    details: opts.details ?? false,
  };
}

export class Services {
  readonly #http: SwarmHttp;
  constructor(http: SwarmHttp) {
    this.#http = http;
  }

  /** `status`: with ServiceStatus (running and desired task counts). */
  list(opts: Signal & { filters?: ServiceFilters; status?: boolean } = {}): Promise<Service[]> {
    return this.#http.json("GET", "/services", { query: { filters: encodeFilters(opts.filters), status: opts.status }, signal: opts.signal });
  }

  /** By ID or name. `insertDefaults`: the spec with the engine's defaults filled in. */
  inspect(id: string, opts: Signal & { insertDefaults?: boolean } = {}): Promise<Service> {
    return this.#http.json("GET", `/services/${encodeURIComponent(id)}`, { query: { insertDefaults: opts.insertDefaults }, signal: opts.signal });
  }

  /** Inspect, or `undefined` when there is no such service. */
  async find(id: string, opts: Signal & { insertDefaults?: boolean } = {}): Promise<Service | undefined> {
    try {
      return await this.inspect(id, opts);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** A name already taken is a 409 (isConflict). */
  create(spec: ServiceSpec, opts: Signal & RegistryAuthOptions = {}): Promise<ServiceCreateResponse> {
    return this.#http.json("POST", "/services/create", { json: spec, headers: registryAuthHeaders(opts.registryAuth), signal: opts.signal });
  }

  /**
   * Replaces the service's spec: `version` is Version.Index of the service as it was read, and a
   * service changed since then refuses the update (OutOfSequenceError). The engine rolls the change
   * out after answering; UpdateStatus and the tasks tell how it goes.
   */
  async update(id: string, version: number, spec: ServiceSpec, opts: ServiceUpdateOptions = {}): Promise<ServiceUpdateResponse> {
    try {
      return await this.#http.json("POST", `/services/${encodeURIComponent(id)}/update`, {
        query: serviceUpdateQuery(version, opts),
        json: spec,
        headers: registryAuthHeaders(opts.registryAuth),
        signal: opts.signal,
      });
    } catch (err) {
      if (isOutOfSequenceResponse(err)) throw new OutOfSequenceError(`Service ${id}`, version, err);
      throw err;
    }
  }

  /** Removing a service that is already gone is success. Its tasks stop after this returns. */
  async remove(id: string, opts: Signal = {}): Promise<void> {
    try {
      await this.#http.none("DELETE", `/services/${encodeURIComponent(id)}`, { signal: opts.signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * The raw log stream of all the service's tasks, multiplexed unless the service has a TTY: read
   * it with demuxStream. Only for the json-file, local and journald log drivers.
   */
  async logs(id: string, opts: ServiceLogsOptions = {}): Promise<Readable & AsyncIterable<Buffer>> {
    const response = await this.#http.stream("GET", `/services/${encodeURIComponent(id)}/logs`, { query: logsQuery(opts), signal: opts.signal });
    return response.body;
  }
}
