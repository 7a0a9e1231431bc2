/**
 * The request core every resource module uses: versioned paths, query encoding, JSON bodies,
 * status classification and AbortSignal on every call. It traces method, path, status and
 * duration only — never headers, so X-Registry-Auth can never reach a log at any level.
 */
import type { Duplex, Readable } from "node:stream";
import { request, upgrade, type Dispatcher } from "./undici-core.ts";
import { CancelledError, isAbortError, type SlipwayError } from "../errors/index.ts";
import { EngineApiError, EngineConnectionLostError, EngineUnreachableError } from "./engine-error.ts";
import { describeEndpoint, type EngineEndpoint } from "./endpoint.ts";
import type { Transport } from "./transport.ts";

export type QueryValue = string | number | boolean | undefined | Record<string, unknown> | string[];
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  /** A JSON body (object) or a raw body (stream/buffer). */
  json?: unknown;
  body?: Readable | Buffer | string | AsyncIterable<Buffer>;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** `false` for `/_ping`, which is served unversioned. */
  versioned?: boolean;
}

export interface TraceRecord {
  method: string;
  path: string;
  status: number | "error";
  ms: number;
}

export type Trace = (record: TraceRecord) => void;

export function encodeQuery(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    // A list is a repeated parameter (`t=a&t=b` for build tags); a mapping is JSON (`filters`).
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else if (typeof value === "object") params.set(key, JSON.stringify(value));
    else params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** undici's response body: a stream, plus the helpers that read it whole or throw it away. */
export type EngineBody = Readable & AsyncIterable<Buffer> & { text(): Promise<string>; dump(): Promise<void> };

export interface StreamResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: EngineBody;
}

export class EngineHttp {
  readonly endpoint: EngineEndpoint;
  readonly #transport: Transport;
  readonly #trace: Trace | undefined;
  /** The engine has answered a request: a request that cannot reach it now means the connection was lost. */
  #answered = false;
  apiVersion: string | undefined;

  constructor(endpoint: EngineEndpoint, transport: Transport, trace?: Trace) {
    this.endpoint = endpoint;
    this.#transport = transport;
    this.#trace = trace;
  }

  get dispatcher(): Dispatcher {
    return this.#transport.dispatcher;
  }

  path(p: string, versioned = true): string {
    return versioned && this.apiVersion ? `/v${this.apiVersion}${p}` : p;
  }

  /** Sends a request and returns the raw response once its headers arrive; non-2xx throws. */
  async stream(method: Dispatcher.HttpMethod, p: string, opts: RequestOptions = {}): Promise<StreamResponse> {
    const fullPath = this.path(p, opts.versioned ?? true) + encodeQuery(opts.query);
    const headers: Record<string, string> = { ...opts.headers };
    let body: RequestOptions["body"] = opts.body;
    if (opts.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(opts.json);
    }
    const started = performance.now();
    if (opts.signal?.aborted) throw new CancelledError(`${method} ${p} cancelled`, opts.signal.reason);
    let response: Dispatcher.ResponseData;
    try {
      response = await request(this.#transport.dispatcher, {
        origin: this.#transport.origin,
        method,
        path: fullPath,
        headers,
        // undici takes an (async) iterable body too (docs/api/Dispatcher.md); its .d.ts omits it.
        body: (body ?? null) as Dispatcher.RequestOptions["body"],
        signal: opts.signal ?? null,
      });
    } catch (err) {
      this.#trace?.({ method, path: p, status: "error", ms: performance.now() - started });
      if (isAbortError(err) || opts.signal?.aborted) throw new CancelledError(`${method} ${p} cancelled`, err);
      throw this.#unreachable(err);
    }
    this.#answered = true;
    this.#trace?.({ method, path: p, status: response.statusCode, ms: performance.now() - started });
    if (response.statusCode >= 300 || response.statusCode < 200) {
      const text = await response.body.text().catch(() => "");
      throw new EngineApiError({
        status: response.statusCode,
        method,
        path: p,
        message: engineMessage(text) || `${method} ${p} failed with HTTP ${response.statusCode}`,
      });
    }
    return {
      statusCode: response.statusCode,
      headers: response.headers,
      body: response.body as unknown as EngineBody,
    };
  }

  async json<T>(method: Dispatcher.HttpMethod, p: string, opts: RequestOptions = {}): Promise<T> {
    const response = await this.stream(method, p, opts);
    const text = await response.body.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async none(method: Dispatcher.HttpMethod, p: string, opts: RequestOptions = {}): Promise<void> {
    const response = await this.stream(method, p, opts);
    await response.body.dump();
  }

  /**
   * An upgraded connection (`101 Switching Protocols`), e.g. `POST /session` to h2c: the raw
   * socket, on the same transport as every other request (unix, tcp, tls, ssh).
   */
  async upgrade(method: Dispatcher.HttpMethod, p: string, opts: { protocol: string; query?: Query; json?: unknown; headers?: Record<string, string | string[]>; signal?: AbortSignal | undefined }): Promise<Duplex> {
    const started = performance.now();
    if (opts.signal?.aborted) throw new CancelledError(`${method} ${p} cancelled`, opts.signal.reason);
    try {
      const { socket } = await upgrade(this.#transport.dispatcher, {
        origin: this.#transport.origin,
        path: this.path(p, true) + encodeQuery(opts.query),
        method,
        protocol: opts.protocol,
        ...(opts.json !== undefined
          ? { headers: { ...opts.headers, "content-type": "application/json" }, body: JSON.stringify(opts.json) }
          : opts.headers
            ? { headers: opts.headers }
            : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      } as unknown as Parameters<typeof upgrade>[1]);
      this.#trace?.({ method, path: p, status: 101, ms: performance.now() - started });
      return socket;
    } catch (err) {
      this.#trace?.({ method, path: p, status: "error", ms: performance.now() - started });
      if (isAbortError(err) || opts.signal?.aborted) throw new CancelledError(`${method} ${p} cancelled`, err);
      // undici's word for an answer other than 101: the engine is there, it refused.
      if (err instanceof Error && /bad upgrade/i.test(err.message)) {
        throw new EngineApiError({ status: 0, method, path: p, message: `the engine did not switch ${p} to ${opts.protocol}` });
      }
      throw this.#unreachable(err);
    }
  }

  /** An engine never reached is unreachable; one that answered before has been lost (a request in flight when it went, or one after). */
  #unreachable(err: unknown): SlipwayError {
    return this.#answered ? new EngineConnectionLostError(err) : new EngineUnreachableError(describeEndpoint(this.endpoint), err);
  }

  async close(): Promise<void> {
    await this.#transport.close();
  }
}

/** The engine's error bodies are `{"message": "..."}`; fall back to the raw text. */
function engineMessage(text: string): string {
  if (!text) return "";
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // not JSON: use the text as is
  }
  return text.trim().slice(0, 500);
}

/**
 * Registry credentials as the engine wants them: the JSON auth config in Go's base64.URLEncoding,
 * which is base64url *with* padding. Engine 20.10 decodes it strictly: unpadded input is ignored
 * and the push fails with "no basic auth credentials" whenever the JSON's length is not a
 * multiple of 3 (test/integration/engine/push.test.ts).
 */
export function encodeRegistryAuth(auth: object | undefined): string {
  return Buffer.from(JSON.stringify(auth ?? {}), "utf8").toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}
