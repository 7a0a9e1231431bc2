/**
 * A BuildKit session: what the engine's BuildKit calls back into while it builds, for what must
 * not travel in the build request (build secrets). `POST /session` is upgraded to h2c and the
 * engine, as a gRPC client, calls the services this end exposes over that connection; the build
 * then names the session (`POST /build?version=2&session=<id>`). The build context still goes up
 * as the request body.
 *
 * Served here, on node's own HTTP/2 server (no gRPC library: two unary methods):
 *   /moby.buildkit.secrets.v1.Secrets/GetSecret   GetSecretRequest { string ID = 1; map annotations = 2 }
 *                                                 → GetSecretResponse { bytes data = 1 }
 *   /grpc.health.v1.Health/Check                  → HealthCheckResponse { ServingStatus status = 1 } (SERVING = 1)
 * Anything else is UNIMPLEMENTED; a secret the build asks for and the session lacks is NOT_FOUND,
 * which BuildKit reports as "secret <id> not found" (or skips, for `required=false` mounts).
 *
 * Secret values live only in this process's memory and on the connection to the engine; the
 * engine mounts them on a tmpfs for the RUN step that asks, never in a layer.
 */
import { randomUUID } from "node:crypto";
import type http2 from "node:http2";
import type { Duplex } from "node:stream";
import type { EngineHttp } from "./http.ts";
import { ProtoReader, bytesField, varintField } from "./streams/protobuf.ts";

const GET_SECRET = "/moby.buildkit.secrets.v1.Secrets/GetSecret";
const HEALTH_CHECK = "/grpc.health.v1.Health/Check";

/** gRPC status codes used here. */
const GrpcStatus = { OK: 0, INVALID_ARGUMENT: 3, NOT_FOUND: 5, UNIMPLEMENTED: 12 } as const;

export interface SessionOptions {
  /** Build secrets by id (the `id=` of `RUN --mount=type=secret`). */
  secrets: ReadonlyMap<string, Uint8Array>;
  signal?: AbortSignal | undefined;
}

export class BuildKitSession implements AsyncDisposable {
  readonly id: string;
  readonly #h2: http2.ServerHttp2Session;
  readonly #socket: Duplex;

  private constructor(id: string, h2: http2.ServerHttp2Session, socket: Duplex) {
    this.id = id;
    this.#h2 = h2;
    this.#socket = socket;
  }

  static async open(http: EngineHttp, opts: SessionOptions): Promise<BuildKitSession> {
    const id = randomUUID();
    const socket = await http.upgrade("POST", "/session", {
      protocol: "h2c",
      headers: {
        "X-Docker-Expose-Session-Uuid": id,
        "X-Docker-Expose-Session-Name": "slipway",
        "X-Docker-Expose-Session-Sharedkey": "slipway",
        "X-Docker-Expose-Session-Grpc-Method": [GET_SECRET, HEALTH_CHECK],
      },
      signal: opts.signal,
    });
    // The engine speaks HTTP/2 with prior knowledge on the upgraded connection, and this end
    // serves it. A handshake on the socket itself, not an http2 server fed the socket: such a
    // server treats a TLS socket whose ALPN said http/1.1 (undici's) as HTTP/1 and answers 403.
    // node:http2 is loaded here, for a build with secrets, not at start-up: it and the TLS it
    // loads cost every command ~10 ms before its first request (see scripts/bundle.mjs).
    const { performServerHandshake } = process.getBuiltinModule("node:http2");
    const h2 = performServerHandshake(socket as Parameters<typeof performServerHandshake>[0]);
    // A connection that breaks mid-build fails the build (BuildKit reports it); it must not crash us.
    h2.on("error", () => undefined);
    socket.on("error", () => undefined);
    const session = new BuildKitSession(id, h2, socket);
    h2.on("stream", (stream, headers) => session.#answer(stream, String(headers[":path"] ?? ""), opts.secrets));
    return session;
  }

  #answer(stream: http2.ServerHttp2Stream, path: string, secrets: ReadonlyMap<string, Uint8Array>): void {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", () => undefined);
    stream.on("end", () => {
      try {
        if (path === HEALTH_CHECK) return reply(stream, GrpcStatus.OK, varintField(1, 1));
        if (path !== GET_SECRET) return reply(stream, GrpcStatus.UNIMPLEMENTED, undefined, `${path} is not served by this session`);
        const secretId = secretIdOf(Buffer.concat(chunks));
        if (secretId === undefined) return reply(stream, GrpcStatus.INVALID_ARGUMENT, undefined, "malformed GetSecretRequest");
        const value = secrets.get(secretId);
        if (value === undefined) return reply(stream, GrpcStatus.NOT_FOUND, undefined, `secret ${secretId} not found`);
        reply(stream, GrpcStatus.OK, bytesField(1, value));
      } catch {
        // The stream went away while we answered: BuildKit sees the failure on its side.
        stream.close(process.getBuiltinModule("node:http2").constants.NGHTTP2_INTERNAL_ERROR);
      }
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (this.#h2.closed || this.#h2.destroyed) return resolve();
      this.#h2.close(() => resolve());
      // The engine may keep its end open; closing ours is enough.
      this.#h2.destroy();
    });
    this.#socket.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A unary gRPC message: 1 byte compressed flag (we never negotiate compression), 4 bytes length. */
function unframe(body: Buffer): Buffer | undefined {
  if (body.length < 5 || body[0] !== 0) return undefined;
  const length = body.readUInt32BE(1);
  return body.length >= 5 + length ? body.subarray(5, 5 + length) : undefined;
}

/** GetSecretRequest's ID (field 1), or undefined for a request that is not one. */
export function secretIdOf(body: Buffer): string | undefined {
  const message = unframe(body);
  if (!message) return undefined;
  let id: string | undefined;
  try {
    const r = new ProtoReader(message);
    r.fields((field, wire) => {
      if (field !== 1 || wire !== 2) return false;
      id = r.string();
      return true;
    });
  } catch {
    return undefined;
  }
  return id;
}

function reply(stream: http2.ServerHttp2Stream, status: number, message: Uint8Array | undefined, error?: string): void {
  if (stream.destroyed) return;
  stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": String(status), ...(error ? { "grpc-message": encodeURIComponent(error) } : {}) }));
  if (!message) return void stream.end();
  const frame = Buffer.alloc(5);
  frame.writeUInt32BE(message.length, 1);
  stream.end(Buffer.concat([frame, message]));
}
