/** Volume endpoints. Removing a volume already gone is success. */
import { isNotFound } from "./engine-error.ts";
import type { EngineHttp } from "./http.ts";
import type { Filters } from "./containers.ts";
import type { Volume, VolumeCreateBody } from "./types.ts";

interface Signal {
  signal?: AbortSignal | undefined;
}

export class Volumes {
  readonly #http: EngineHttp;
  constructor(http: EngineHttp) {
    this.#http = http;
  }

  create(body: VolumeCreateBody, opts: Signal = {}): Promise<Volume> {
    return this.#http.json("POST", "/volumes/create", { json: body, signal: opts.signal });
  }

  inspect(name: string, opts: Signal = {}): Promise<Volume> {
    return this.#http.json("GET", `/volumes/${encodeURIComponent(name)}`, { signal: opts.signal });
  }

  async find(name: string, opts: Signal = {}): Promise<Volume | undefined> {
    try {
      return await this.inspect(name, opts);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(opts: Signal & { filters?: Filters } = {}): Promise<Volume[]> {
    const body = await this.#http.json<{ Volumes: Volume[] | null }>("GET", "/volumes", {
      query: { filters: opts.filters },
      signal: opts.signal,
    });
    return body.Volumes ?? [];
  }

  async remove(name: string, opts: Signal & { force?: boolean } = {}): Promise<void> {
    try {
      await this.#http.none("DELETE", `/volumes/${encodeURIComponent(name)}`, { query: { force: opts.force }, signal: opts.signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
