/**
 * How the registry client reaches a registry: one undici Agent per client, with the TLS the engine
 * would use for that host (its certs.d folder: extra CAs, a client certificate) and the plain-HTTP
 * rule of the engine's insecure registries; every request bounded by a stall timeout; every failure
 * to get an answer classified (dropped, stalled, unreachable), never matched by message text.
 *
 * Responses are read whole (with a cap): the client only reads manifests, tokens, error bodies
 * and image configs, all small, and a whole response is what makes a retry simple and a digest
 * checkable before anything is returned.
 */
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { Agent, request, type Dispatcher } from "../engine/undici-core.ts";
import { CancelledError, SlipwayError, isAbortError } from "../errors/index.ts";

export const DEFAULT_CERTS_DIR = "/etc/docker/certs.d";

/** The host the registry API is served from: Docker Hub's name in references is not its API's host. */
export function registryHost(registry: string): string {
  return registry === "docker.io" || registry === "index.docker.io" ? "registry-1.docker.io" : registry;
}

/** What a certs.d folder holds for one registry, as the engine reads it. */
export interface TlsMaterial {
  /** `*.crt`: CAs trusted besides the system's. */
  ca: Buffer[];
  /** The first `*.cert` with its `*.key`: the client certificate. */
  cert?: Buffer;
  key?: Buffer;
  /** The folder read, for messages (it need not exist). */
  dir: string;
}

/**
 * Reads `<certsDir>/<registry>/` as dockerd does (registry.ReadCertsDirectory): `*.crt` are CAs,
 * `x.cert` is a client certificate whose key is `x.key`; a certificate without its key (or a key
 * without its certificate) is a configuration error, as it is for the engine. No folder: nothing.
 */
export async function readCertsDir(certsDir: string, registry: string): Promise<TlsMaterial> {
  const dir = path.join(certsDir, registry);
  const material: TlsMaterial = { ca: [], dir };
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return material;
    throw tlsConfigError(`cannot read ${dir}: ${(err as Error).message}`, dir, err);
  }
  const has = new Set(names);
  for (const name of names) {
    const file = path.join(dir, name);
    if (name.endsWith(".crt")) {
      material.ca.push(await readTlsFile(file, dir));
    } else if (name.endsWith(".cert")) {
      const keyName = `${name.slice(0, -".cert".length)}.key`;
      if (!has.has(keyName)) throw tlsConfigError(`${file} has no key ${keyName} beside it (CA certificates must end in .crt)`, dir);
      if (!material.cert) {
        material.cert = await readTlsFile(file, dir);
        material.key = await readTlsFile(path.join(dir, keyName), dir);
      }
    } else if (name.endsWith(".key")) {
      const certName = `${name.slice(0, -".key".length)}.cert`;
      if (!has.has(certName)) throw tlsConfigError(`${file} has no client certificate ${certName} beside it`, dir);
    }
  }
  return material;
}

async function readTlsFile(file: string, dir: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw tlsConfigError(`cannot read ${file}: ${(err as Error).message}`, dir, err);
  }
}

function tlsConfigError(detail: string, dir: string, cause?: unknown): SlipwayError {
  return new SlipwayError(`Registry TLS configuration in ${dir}: ${detail}`, {
    code: "REGISTRY_TLS_CONFIG",
    kind: "registry",
    hint: `Fix the files in ${dir} as for the Docker engine: CAs as *.crt, a client certificate as NAME.cert with its key NAME.key.`,
    cause,
  });
}

/** A request, with an absolute URL: registry calls and token requests go through one transport. */
export interface Exchange {
  method: Dispatcher.HttpMethod;
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Larger bodies fail (default 16 MiB: a manifest may be 4 MiB, an image config a few). */
  maxBytes?: number;
  /** Follow up to this many redirects (blobs are often served from storage elsewhere); 0 by default. */
  redirects?: number;
}

export interface ExchangeResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Where the answer came from (after redirects). */
  url: URL;
}

export interface TransportOptions {
  tls: TlsMaterial;
  /** The engine's insecure registries: certificates are not verified. */
  insecure: boolean;
  stallTimeoutMs: number;
  signal?: AbortSignal | undefined;
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/** Why a request got no answer. `dropped` ones may be tried again; the others may not. */
export type ConnectionFailureReason = "dropped" | "stalled" | "unreachable";

export class RegistryConnectionError extends SlipwayError {
  readonly reason: ConnectionFailureReason;
  constructor(reason: ConnectionFailureReason, message: string, opts: { hint: string; cause?: unknown; details?: Record<string, unknown> }) {
    super(message, {
      code: reason === "dropped" ? "REGISTRY_CONNECTION_LOST" : reason === "stalled" ? "REGISTRY_STALLED" : "REGISTRY_UNREACHABLE",
      kind: "registry",
      hint: opts.hint,
      cause: opts.cause,
      ...(opts.details ? { details: opts.details } : {}),
    });
    this.reason = reason;
  }
}

export class RegistryTransport {
  readonly #agent: Agent;
  readonly #opts: TransportOptions;
  #closed = false;

  constructor(opts: TransportOptions) {
    this.#opts = opts;
    const { tls } = opts;
    this.#agent = new Agent({
      keepAliveTimeout: 10_000,
      headersTimeout: opts.stallTimeoutMs,
      bodyTimeout: opts.stallTimeoutMs,
      connect: {
        timeout: opts.stallTimeoutMs,
        // Extra CAs come on top of the system's, as the engine adds them to its system pool.
        // node:tls is loaded only then (and by undici for an HTTPS request), not at start-up.
        ...(tls.ca.length > 0 ? { ca: [...process.getBuiltinModule("node:tls").rootCertificates, ...tls.ca.map((b) => b.toString("utf8"))] } : {}),
        ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
        // The engine's insecure registries: HTTPS without verification is tried before plain HTTP.
        ...(opts.insecure ? { rejectUnauthorized: false } : {}),
      },
    });
  }

  get stallTimeoutMs(): number {
    return this.#opts.stallTimeoutMs;
  }

  /** One request and its whole answer, whatever the status; throws only when there is no answer. */
  async exchange(req: Exchange): Promise<ExchangeResponse> {
    let url = req.url;
    let headers = req.headers ?? {};
    let method = req.method;
    let body = req.body;
    for (let hop = 0; ; hop++) {
      const response = await this.#once(method, url, headers, body, req.maxBytes ?? DEFAULT_MAX_BYTES);
      const location = header(response.headers, "location");
      if (hop >= (req.redirects ?? 0) || ![301, 302, 303, 307, 308].includes(response.status) || !location) return response;
      const next = new URL(location, url);
      // Credentials are for the registry: never sent on to storage elsewhere (as the docker CLI does).
      if (next.origin !== url.origin) headers = withoutAuthorization(headers);
      if (response.status === 303) {
        method = "GET";
        body = undefined;
      }
      url = next;
    }
  }

  async #once(method: Dispatcher.HttpMethod, url: URL, headers: Record<string, string>, body: Buffer | string | undefined, maxBytes: number): Promise<ExchangeResponse> {
    const signal = this.#opts.signal;
    const what = `${method} ${url.pathname}`;
    if (signal?.aborted) throw new CancelledError(`${what} on ${url.host} cancelled`, signal.reason);
    try {
      const response = await request(this.#agent, {
        origin: url.origin,
        path: url.pathname + url.search,
        method,
        headers,
        body: body ?? null,
        signal: signal ?? null,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) {
          response.body.destroy();
          throw new SlipwayError(`${url.host} answered ${what} with more than ${maxBytes} bytes; Slipway reads only manifests and image configs whole`, {
            code: "REGISTRY_RESPONSE_TOO_LARGE",
            kind: "registry",
            hint: "Check that the address is a registry's, and that the reference names a manifest or an image config.",
          });
        }
        chunks.push(chunk);
      }
      return { status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks, size), url };
    } catch (err) {
      if (err instanceof SlipwayError) throw err;
      if (isAbortError(err) || signal?.aborted) throw new CancelledError(`${what} on ${url.host} cancelled`, err);
      throw this.#failure(err, url, what);
    }
  }

  #failure(err: unknown, url: URL, what: string): SlipwayError {
    const codes = errorCodes(err);
    const detail = describeError(err);
    const details = { url: url.origin + url.pathname, method: what.split(" ")[0], errorCode: codes[0] };
    if (codes.some((c) => STALL_CODES.has(c))) {
      return new RegistryConnectionError("stalled", `${url.host} sent nothing for ${seconds(this.#opts.stallTimeoutMs)} in answer to ${what}; Slipway gave up waiting`, {
        hint: "The registry accepts connections but does not answer: check its health and load, and any proxy or firewall between here and it.",
        cause: err,
        details,
      });
    }
    if (codes.some((c) => DROPPED_CODES.has(c))) {
      // A TLS 1.3 server that wants a client certificate closes the connection after the handshake:
      // to the client, that looks like any dropped connection.
      const clientCert = url.protocol === "https:" && !this.#opts.tls.cert ? ` If it requires a client certificate, put it in ${this.#opts.tls.dir}/client.cert with its key client.key, as for the Docker engine.` : "";
      return new RegistryConnectionError("dropped", `${url.host} dropped the connection during ${what} (${detail})`, {
        hint: `The registry or something between here and it closed the connection: check the registry's health and any proxy in between.${clientCert}`,
        cause: err,
        details,
      });
    }
    const tls = url.protocol === "https:";
    const certificate = codes.some((c) => /CERT|UNABLE_TO_|SELF_SIGNED|ALTNAME/.test(c));
    const notTls = tls && codes.some((c) => /WRONG_VERSION_NUMBER|EPROTO|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST/.test(c));
    const hint = certificate
      ? `Its certificate is not trusted. As for the Docker engine, put the CA that signed it in ${this.#opts.tls.dir}/ca.crt, or list the registry among the engine's insecure-registries.`
      : notTls
        ? "It does not speak HTTPS there. If it serves plain HTTP, list it among the engine's insecure-registries (daemon.json); loopback addresses are insecure by default."
        : "Check the registry address and that the registry is up and reachable from here.";
    return new RegistryConnectionError("unreachable", `Cannot reach ${url.origin} (${what}): ${detail}`, { hint, cause: err, details });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#agent.close().catch(() => this.#agent.destroy());
  }
}

const STALL_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);
const DROPPED_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE"]);

/** An error's code and its causes' codes, outermost first (undici wraps a socket's ECONNRESET). */
export function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
  }
  return codes;
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // OpenSSL's messages carry its internals ("80CC…:error:0A00010B:SSL routines:…"); its reason is the point.
  const reason = (err as { reason?: unknown }).reason;
  if (typeof reason === "string" && reason && /SSL|TLS/i.test(err.message)) return `TLS: ${reason}`;
  const cause = err.cause instanceof Error && err.cause.message !== err.message ? `: ${err.cause.message}` : "";
  return `${err.message}${cause}`;
}

/** "0.3 s", "30 s", "1.25 s". */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== "authorization"));
}
