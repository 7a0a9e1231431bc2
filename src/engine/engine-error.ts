/**
 * Engine API failures, classified by HTTP status — never by message text, which changes between
 * engine versions. Callers branch on `status` / the `is*` helpers.
 */
import { SlipwayError, type ErrorKind } from "../errors/index.ts";

export type EngineErrorReason =
  | "bad-request"
  | "unauthorized"
  | "forbidden"
  | "not-found"
  | "conflict"
  | "not-modified"
  | "not-acceptable"
  | "server-error"
  | "unavailable"
  | "unexpected";

export function reasonForStatus(status: number): EngineErrorReason {
  switch (status) {
    case 304:
      return "not-modified";
    case 400:
      return "bad-request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not-found";
    case 406:
      return "not-acceptable";
    case 409:
      return "conflict";
    case 500:
      return "server-error";
    case 503:
      return "unavailable";
    default:
      return "unexpected";
  }
}

/** The engine answered with a non-success status. */
export class EngineApiError extends SlipwayError {
  readonly status: number;
  readonly reason: EngineErrorReason;
  readonly method: string;
  readonly path: string;

  constructor(opts: { status: number; method: string; path: string; message: string; kind?: ErrorKind; hint?: string }) {
    const reason = reasonForStatus(opts.status);
    super(opts.message, {
      code: `ENGINE_${reason.toUpperCase().replace(/-/g, "_")}`,
      kind: opts.kind ?? "engine",
      ...(opts.hint ? { hint: opts.hint } : {}),
      details: { status: opts.status, method: opts.method, path: opts.path },
    });
    this.status = opts.status;
    this.reason = reason;
    this.method = opts.method;
    this.path = opts.path;
  }
}

/** The engine could not be reached at all. */
export class EngineUnreachableError extends SlipwayError {
  constructor(endpoint: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`Cannot connect to the Docker engine at ${endpoint}: ${detail}`, {
      code: "ENGINE_UNREACHABLE",
      kind: "engine",
      cause,
      hint:
        "Is the Docker daemon running? Start it, or point DOCKER_HOST at a reachable engine " +
        "(e.g. DOCKER_HOST=unix:///var/run/docker.sock). `slipway doctor` checks the setup.",
    });
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof EngineApiError && e.status === 404;
export const isConflict = (e: unknown): boolean => e instanceof EngineApiError && e.status === 409;
export const isNotModified = (e: unknown): boolean => e instanceof EngineApiError && e.status === 304;

/** The engine was reached, then the connection broke mid-run (the daemon stopped or restarted). */
export class EngineConnectionLostError extends SlipwayError {
  constructor(cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`The connection to the Docker engine was lost mid-run (${detail})`, {
      code: "ENGINE_CONNECTION_LOST",
      kind: "engine",
      cause,
      hint: "Check that the engine is running again (`slipway doctor`). The next Slipway command sweeps what this run left behind.",
    });
  }
}

// undici's and node's codes for a connection that broke or could not be made: stable, unlike messages.
const CONNECTION_CODES = new Set(["UND_ERR_SOCKET", "UND_ERR_CLOSED", "UND_ERR_CONNECT_TIMEOUT", "ECONNRESET", "ECONNREFUSED", "EPIPE", "ECONNABORTED"]);

/**
 * An error that says the connection to the engine broke (anywhere in its cause chain), as the
 * engine's failure; undefined for anything else. Streams (logs, attach, wait, events) fail this way
 * while their body is read, after the request itself had succeeded.
 */
export function connectionLost(err: unknown): EngineConnectionLostError | undefined {
  if (err instanceof EngineConnectionLostError) return err;
  if (err instanceof SlipwayError) return undefined;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_CODES.has(code)) return new EngineConnectionLostError(err);
  }
  return undefined;
}
