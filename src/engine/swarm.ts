/** The swarm itself, as its managers see it. */
import type { SwarmHttp } from "./swarm-http.ts";
import type { SwarmInspect } from "./swarm-types.ts";

interface Signal {
  signal?: AbortSignal | undefined;
}

export class Swarm {
  readonly #http: SwarmHttp;
  constructor(http: SwarmHttp) {
    this.#http = http;
  }

  /** `GET /swarm`, less its join tokens (see SwarmInspect). A NotASwarmManagerError off a manager. */
  async inspect(opts: Signal = {}): Promise<SwarmInspect> {
    const { JoinTokens: _tokens, ...swarm } = await this.#http.json<SwarmInspect & { JoinTokens?: unknown }>("GET", "/swarm", { signal: opts.signal });
    return swarm;
  }
}
