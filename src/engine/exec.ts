/** Exec endpoints: run a command in a running container and get its output and exit code. */
import type { Duplex, Readable } from "node:stream";
import type { EngineHttp } from "./http.ts";
import type { ExecCreateBody, ExecInspect } from "./types.ts";

interface Signal {
  signal?: AbortSignal | undefined;
}

export class Execs {
  readonly #http: EngineHttp;
  constructor(http: EngineHttp) {
    this.#http = http;
  }

  create(container: string, body: ExecCreateBody, opts: Signal = {}): Promise<{ Id: string }> {
    return this.#http.json("POST", `/containers/${encodeURIComponent(container)}/exec`, { json: body, signal: opts.signal });
  }

  /**
   * Starts the exec attached; resolves with its output stream (multiplexed unless `tty`). The
   * engine answers with a raw stream that ends when the command exits.
   */
  async start(id: string, opts: Signal & { tty?: boolean } = {}): Promise<Readable & AsyncIterable<Buffer>> {
    const response = await this.#http.stream("POST", `/exec/${encodeURIComponent(id)}/start`, {
      json: { Detach: false, Tty: opts.tty ?? false },
      signal: opts.signal,
    });
    return response.body;
  }

  /**
   * Starts the exec attached with its input: one two-way connection (the engine switches it to
   * raw TCP). Output comes multiplexed unless `tty`; ending the writable side closes the
   * command's stdin. Create the exec with AttachStdin.
   */
  startInteractive(id: string, opts: Signal & { tty?: boolean } = {}): Promise<Duplex> {
    return this.#http.upgrade("POST", `/exec/${encodeURIComponent(id)}/start`, { protocol: "tcp", json: { Detach: false, Tty: opts.tty ?? false }, signal: opts.signal });
  }

  /** The exec's terminal size (a TTY exec), in characters. */
  async resize(id: string, size: { rows: number; cols: number }, opts: Signal = {}): Promise<void> {
    await this.#http.none("POST", `/exec/${encodeURIComponent(id)}/resize`, { query: { h: size.rows, w: size.cols }, signal: opts.signal });
  }

  /** Starts the exec detached (`exec -d`): the engine runs it without anyone attached. */
  async startDetached(id: string, opts: Signal = {}): Promise<void> {
    await this.#http.none("POST", `/exec/${encodeURIComponent(id)}/start`, { json: { Detach: true, Tty: false }, signal: opts.signal });
  }

  inspect(id: string, opts: Signal = {}): Promise<ExecInspect> {
    return this.#http.json("GET", `/exec/${encodeURIComponent(id)}/json`, { signal: opts.signal });
  }
}
