/**
 * A unix-socket proxy in front of the real engine, to break the engine's event stream for real:
 * every connection is forwarded byte for byte; the ones that carry `GET …/events` are known, can
 * be cut, and new event subscriptions can be held (until `release`) or refused meanwhile.
 * The socket lives in a temporary folder: no host port, nothing shared between tests.
 */
import { createServer, connect, type Socket } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Engine, type EngineEndpoint } from "../../../src/engine/index.ts";

export interface EventStreamProxy extends AsyncDisposable {
  /** Connect an Engine here to have its traffic go through the proxy. */
  endpoint: EngineEndpoint;
  /** Destroys every connection carrying an event subscription; returns how many there were. */
  cutEvents(): number;
  /** New event subscriptions wait, unanswered, until `release`. */
  hold(): void;
  /** New event subscriptions are closed on arrival. */
  refuse(): void;
  /** Lets held and future subscriptions through. */
  release(): void;
}

/** Why the proxy cannot stand in front of this engine, or undefined when it can. */
export function proxySkipReason(upstream: EngineEndpoint): string | undefined {
  if (upstream.kind === "unix") return undefined;
  if (upstream.kind === "tcp" && !upstream.tls) return undefined;
  return `the event-stream proxy forwards plain unix and tcp connections only, not ${upstream.kind}${upstream.kind === "tcp" ? " with TLS" : ""}`;
}

const EVENTS_REQUEST = /^GET [^ ]*\/events[? ]/;

interface Connection {
  client: Socket;
  upstream: Socket;
  events: boolean;
}

export async function eventStreamProxy(upstream: EngineEndpoint): Promise<EventStreamProxy> {
  const dial = (): Socket => {
    if (upstream.kind === "unix") return connect(upstream.socketPath);
    if (upstream.kind === "tcp" && !upstream.tls) return connect(upstream.port, upstream.host);
    throw new Error(proxySkipReason(upstream));
  };
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-events-proxy-"));
  const socketPath = path.join(dir, "engine.sock");
  const connections = new Set<Connection>();
  let mode: "pass" | "hold" | "refuse" = "pass";
  const held: { conn: Connection; chunk: Buffer }[] = [];

  const server = createServer((client) => {
    const conn: Connection = { client, upstream: dial(), events: false };
    connections.add(conn);
    const drop = () => {
      client.destroy();
      conn.upstream.destroy();
      connections.delete(conn);
    };
    client.on("error", drop).on("close", drop);
    conn.upstream.on("error", drop).on("close", drop);
    conn.upstream.pipe(client);
    client.on("data", (chunk: Buffer) => {
      if (EVENTS_REQUEST.test(chunk.subarray(0, 200).toString("latin1"))) {
        conn.events = true;
        if (mode === "refuse") return drop();
        if (mode === "hold") {
          client.pause();
          held.push({ conn, chunk });
          return;
        }
      }
      if (held.some((h) => h.conn === conn)) held.push({ conn, chunk });
      else conn.upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(socketPath, resolve));

  return {
    endpoint: { kind: "unix", socketPath, source: "test event-stream proxy" },
    cutEvents() {
      const cut = [...connections].filter((c) => c.events);
      for (const c of cut) {
        c.client.destroy();
        c.upstream.destroy();
      }
      return cut.length;
    },
    hold() {
      mode = "hold";
    },
    refuse() {
      mode = "refuse";
    },
    release() {
      mode = "pass";
      const resumed = new Set<Connection>();
      for (const { conn, chunk } of held.splice(0)) {
        if (!connections.has(conn)) continue;
        conn.upstream.write(chunk);
        resumed.add(conn);
      }
      for (const conn of resumed) conn.client.resume();
    },
    async [Symbol.asyncDispose]() {
      for (const c of connections) {
        c.client.destroy();
        c.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An Engine whose every connection goes through `proxy`; closes itself on dispose. */
export async function engineThrough(proxy: EventStreamProxy): Promise<Engine> {
  return Engine.connect({ endpoint: proxy.endpoint });
}
