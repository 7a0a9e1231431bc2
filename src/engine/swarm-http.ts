/**
 * The request core for the Swarm endpoints: EngineHttp's, with the engine's "not a swarm manager"
 * (503) turned into the one error that says what to do about it.
 */
import type { Dispatcher } from "./undici-core.ts";
import { describeEndpoint } from "./endpoint.ts";
import type { EngineHttp, RequestOptions, StreamResponse } from "./http.ts";
import { swarmFailure } from "./swarm-errors.ts";

export class SwarmHttp {
  readonly #http: EngineHttp;
  constructor(http: EngineHttp) {
    this.#http = http;
  }

  json<T>(method: Dispatcher.HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    return this.#classified(this.#http.json<T>(method, path, opts));
  }

  none(method: Dispatcher.HttpMethod, path: string, opts: RequestOptions = {}): Promise<void> {
    return this.#classified(this.#http.none(method, path, opts));
  }

  stream(method: Dispatcher.HttpMethod, path: string, opts: RequestOptions = {}): Promise<StreamResponse> {
    return this.#classified(this.#http.stream(method, path, opts));
  }

  async #classified<T>(request: Promise<T>): Promise<T> {
    try {
      return await request;
    } catch (err) {
      throw swarmFailure(err, describeEndpoint(this.#http.endpoint));
    }
  }
}
