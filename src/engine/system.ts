/** System endpoints: ping (version negotiation), version, info, events, disk usage. */
import { StringDecoder } from "node:string_decoder";
import type { EngineHttp } from "./http.ts";
import type { Filters } from "./containers.ts";
import type { EngineEvent, SystemInfo, SystemVersion } from "./types.ts";

interface Signal {
  signal?: AbortSignal | undefined;
}

export interface PingResult {
  apiVersion: string | undefined;
  osType: string | undefined;
  builderVersion: string | undefined;
  swarm: string | undefined;
}

export interface BuildCacheRecord {
  ID: string;
  Type: string;
  Size: number;
  InUse: boolean;
  Shared: boolean;
}

export class System {
  readonly #http: EngineHttp;
  constructor(http: EngineHttp) {
    this.#http = http;
  }

  /** `GET /_ping`, unversioned: its `Api-Version` header is what we negotiate against. */
  async ping(opts: Signal = {}): Promise<PingResult> {
    const response = await this.#http.stream("GET", "/_ping", { versioned: false, signal: opts.signal });
    await response.body.dump();
    const header = (name: string): string | undefined => {
      const v = response.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    return {
      apiVersion: header("api-version"),
      osType: header("ostype"),
      builderVersion: header("builder-version"),
      swarm: header("swarm"),
    };
  }

  version(opts: Signal = {}): Promise<SystemVersion> {
    return this.#http.json("GET", "/version", { signal: opts.signal });
  }

  info(opts: Signal = {}): Promise<SystemInfo> {
    return this.#http.json("GET", "/info", { signal: opts.signal });
  }

  /**
   * The builder's cache records (`GET /system/df`, their part). Engines before API 1.42 ignore
   * `type` and compute every part, which is slower but the same answer.
   */
  async buildCache(opts: Signal = {}): Promise<BuildCacheRecord[]> {
    const df = await this.#http.json<{ BuildCache?: BuildCacheRecord[] | null }>("GET", "/system/df", { query: { type: "build-cache" }, signal: opts.signal });
    return df.BuildCache ?? [];
  }

  /** Removes the builder's whole cache that no build is using (`POST /build/prune?all=true`). */
  pruneBuildCache(opts: Signal = {}): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    return this.#http.json("POST", "/build/prune", { query: { all: true }, signal: opts.signal });
  }

  /**
   * Subscribes to engine events. The engine sends the response headers just before it registers
   * the subscription (moby getEvents), so an event in the microseconds between may be missed;
   * callers that must not miss one (readiness) also inspect the state once after subscribing.
   */
  async events(opts: Signal & { filters?: Filters; since?: number; until?: number } = {}): Promise<AsyncIterable<EngineEvent>> {
    const response = await this.#http.stream("GET", "/events", {
      query: { filters: opts.filters, since: opts.since, until: opts.until },
      signal: opts.signal,
    });
    return parseEventStream(response.body);
  }
}

/** The events stream is newline-delimited JSON. */
async function* parseEventStream(body: AsyncIterable<Buffer>): AsyncGenerator<EngineEvent> {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  try {
    for await (const chunk of body) {
      pending += decoder.write(chunk);
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (!line) continue;
        const event = JSON.parse(line) as EngineEvent;
        // The engine writes timeNano last; anchored, so that no label named like it can match.
        const nanos = /"timeNano":(\d+)\}$/.exec(line);
        if (nanos) event.timeNanoText = nanos[1]!;
        yield event;
      }
    }
  } catch (err) {
    // An aborted subscription simply ends.
    if (!(err instanceof Error && (err.name === "AbortError" || err.name === "CancelledError"))) throw err;
  }
}
