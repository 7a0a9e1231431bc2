/**
 * A unix-socket proxy in front of the real engine, for the CLI to reach the engine through
 * (`DOCKER_HOST=unix://<socket>`), so a test can take the engine away mid-run for real: `kill()`
 * closes the socket and destroys every connection (dockerd gone); `cutEvents()` destroys only the
 * connections carrying `GET /events` streams, and `refuseEvents()` closes new subscriptions on
 * arrival until `allowEvents()`; `killOnRequest()` kills it as a given request arrives, so that
 * request is in flight when the engine goes. Bytes are forwarded as they are otherwise. The socket lives in a
 * temporary folder: no host port, nothing shared between tests. (The integration tests have a
 * sibling of it, test/integration/readiness/event-stream-proxy.ts, that drives an Engine in-process.)
 */
import { connect, createServer, type Socket } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { EngineEndpoint } from "../../../src/engine/index.ts";

export interface EngineProxy extends AsyncDisposable {
  /** What to set DOCKER_HOST to for the CLI's traffic to go through the proxy. */
  dockerHost: string;
  /** Event subscriptions refused so far (`refuseEvents`). */
  readonly refused: number;
  /** Event subscriptions that arrived so far, refused or not. */
  readonly subscriptions: number;
  /** Destroys every connection carrying an event stream; returns how many there were. */
  cutEvents(): number;
  /** New event subscriptions are closed on arrival, until `allowEvents`. */
  refuseEvents(): void;
  allowEvents(): void;
  /** The engine is gone: no new connections, every open one destroyed. */
  kill(): Promise<void>;
  /**
   * Kills the proxy when a request whose head (`METHOD /path HTTP/1.1`) `predicate` accepts
   * arrives, before it is forwarded: that request is in flight when the engine goes.
   */
  killOnRequest(predicate: (head: string) => boolean): void;
}

/** Why the proxy cannot stand in front of this engine, or undefined when it can. */
export function proxySkipReason(upstream: EngineEndpoint): string | undefined {
  if (upstream.kind === "unix") return undefined;
  if (upstream.kind === "tcp" && !upstream.tls) return undefined;
  return `the engine proxy forwards plain unix and tcp connections only, not ${upstream.kind}${upstream.kind === "tcp" ? " with TLS" : ""}`;
}

const EVENTS_REQUEST = /^GET [^ ]*\/events[? ]/;

interface Connection {
  client: Socket;
  upstream: Socket;
  events: boolean;
}

export async function engineProxy(upstream: EngineEndpoint): Promise<EngineProxy> {
  const dial = (): Socket => {
    if (upstream.kind === "unix") return connect(upstream.socketPath);
    if (upstream.kind === "tcp" && !upstream.tls) return connect(upstream.port, upstream.host);
    throw new Error(proxySkipReason(upstream));
  };
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-engine-proxy-"));
  const socketPath = path.join(dir, "engine.sock");
  const connections = new Set<Connection>();
  let refusing = false;
  let refused = 0;
  let subscriptions = 0;
  let closed: Promise<void> | undefined;
  let killOn: ((head: string) => boolean) | undefined;

  const destroy = (conn: Connection) => {
    conn.client.destroy();
    conn.upstream.destroy();
    connections.delete(conn);
  };
  // Called only once the server listens.
  const kill = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const conn of connections) destroy(conn);
    });
    return closed;
  };
  const server = createServer((client) => {
    const conn: Connection = { client, upstream: dial(), events: false };
    connections.add(conn);
    const drop = () => destroy(conn);
    client.on("error", drop).on("close", drop);
    conn.upstream.on("error", drop).on("close", drop);
    conn.upstream.pipe(client);
    client.on("data", (chunk: Buffer) => {
      // Requests start at a chunk's start (undici writes each request's head in one write).
      const head = chunk.subarray(0, 200).toString("latin1").split("\r\n", 1)[0]!;
      if (killOn?.(head)) {
        void kill();
        return;
      }
      if (EVENTS_REQUEST.test(head)) {
        conn.events = true;
        subscriptions++;
        if (refusing) {
          refused++;
          return drop();
        }
      }
      conn.upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(socketPath, resolve));

  return {
    dockerHost: `unix://${socketPath}`,
    get refused() {
      return refused;
    },
    get subscriptions() {
      return subscriptions;
    },
    cutEvents() {
      const cut = [...connections].filter((c) => c.events);
      for (const conn of cut) destroy(conn);
      return cut.length;
    },
    refuseEvents() {
      refusing = true;
    },
    allowEvents() {
      refusing = false;
    },
    kill,
    killOnRequest(predicate) {
      killOn = predicate;
    },
    async [Symbol.asyncDispose]() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
