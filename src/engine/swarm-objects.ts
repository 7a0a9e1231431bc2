/**
 * Secret and config endpoints: the same shape twice. Both are immutable once created (only their
 * labels can change), so a new value is a new object under a new name; removing one already gone
 * is success, one a service still uses is refused (400).
 */
import { isNotFound } from "./engine-error.ts";
import { encodeFilters, type SwarmObjectFilters } from "./swarm-filters.ts";
import type { SwarmHttp } from "./swarm-http.ts";
import type { SwarmConfig, SwarmConfigSpec, SwarmObjectCreate, SwarmSecret, SwarmSecretSpec } from "./swarm-types.ts";

interface Signal {
  signal?: AbortSignal | undefined;
}

/** `Data` as the engine takes it: standard base64 (RFC 4648 §4, padded) of the bytes; a string is UTF-8 text. */
export function encodeObjectData(data: string | Uint8Array): string {
  return (typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data.buffer, data.byteOffset, data.byteLength)).toString("base64");
}

/** The bytes of a config's `Data` (secrets' is never returned). */
export function decodeObjectData(data: string | undefined): Buffer {
  return Buffer.from(data ?? "", "base64");
}

class SwarmObjects<Spec extends { Name: string; Data?: string }, Inspect> {
  readonly #http: SwarmHttp;
  readonly #kind: "secrets" | "configs";
  constructor(http: SwarmHttp, kind: "secrets" | "configs") {
    this.#http = http;
    this.#kind = kind;
  }

  list(opts: Signal & { filters?: SwarmObjectFilters } = {}): Promise<Inspect[]> {
    return this.#http.json("GET", `/${this.#kind}`, { query: { filters: encodeFilters(opts.filters) }, signal: opts.signal });
  }

  inspect(id: string, opts: Signal = {}): Promise<Inspect> {
    return this.#http.json("GET", `/${this.#kind}/${encodeURIComponent(id)}`, { signal: opts.signal });
  }

  async find(id: string, opts: Signal = {}): Promise<Inspect | undefined> {
    try {
      return await this.inspect(id, opts);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Creates it from its bytes, which are sent base64-encoded. A name already taken is a 409 (isConflict). */
  create(spec: SwarmObjectCreate<Spec>, opts: Signal = {}): Promise<{ ID: string }> {
    const body = { ...spec, Data: encodeObjectData(spec.Data) };
    return this.#http.json("POST", `/${this.#kind}/create`, { json: body, signal: opts.signal });
  }

  async remove(id: string, opts: Signal = {}): Promise<void> {
    try {
      await this.#http.none("DELETE", `/${this.#kind}/${encodeURIComponent(id)}`, { signal: opts.signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** Secrets: their value never comes back from the engine; tasks see it at /run/secrets/<name>. */
export class Secrets extends SwarmObjects<SwarmSecretSpec, SwarmSecret> {
  constructor(http: SwarmHttp) {
    super(http, "secrets");
  }
}

/** Configs: like secrets, but not encrypted in the container and readable back through the API. */
export class Configs extends SwarmObjects<SwarmConfigSpec, SwarmConfig> {
  constructor(http: SwarmHttp) {
    super(http, "configs");
  }
}
