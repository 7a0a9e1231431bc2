/**
 * An HTTP proxy on 127.0.0.1 in front of a registry, for tests, that misbehaves on purpose: it
 * answers a status instead of the registry, drops the connection after some bytes of a request's
 * body (mid blob upload), or stalls (never answers), for the first N requests a rule matches;
 * everything else passes through. It records every request it saw (method, path, what it did).
 *
 *   await using proxy = await startFaultProxy({
 *     target: "127.0.0.1:5002",
 *     rules: [{ method: "PUT", path: /\/manifests\/2$/, times: 2, fault: { status: 500 } }],
 *   });
 *   // …use proxy.address ("127.0.0.1:<port>") as the registry, then:
 *   proxy.requests.filter((r) => r.method === "PUT")   // [{ status: 500 }, { status: 500 }, { status: 201 }]
 *
 * The engine can push through it (127.0.0.0/8 is insecure for dockerd: plain HTTP): the Host header
 * passes as the client sent it, and an absolute Location naming the registry (upload URLs) is
 * rewritten to the proxy, so that the rest of an upload comes back through it too.
 *
 * Bounded in time: it closes itself after `lifetimeMs` (default 5 min) should a test forget to,
 * and `close()` ends every connection, stalled ones included.
 */
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault =
  /** Answer this status (with a registry-style JSON error body) instead of the registry. */
  | { status: number; retryAfterSeconds?: number }
  /** Forward, then drop both connections once this many bytes of the request body went through (0: at once). */
  | { dropAfterRequestBytes: number }
  /** Never answer: hold the request until the client gives up or the proxy closes. */
  | { stall: true };

export interface FaultRule {
  /** e.g. "PUT"; any method when absent. */
  method?: string;
  /** Matched against the path (without the query). */
  path: RegExp;
  /** How many matching requests get the fault (default 1); later ones pass through. */
  times?: number;
  fault: Fault;
}

export interface SeenRequest {
  method: string;
  path: string;
  /** The status the client got, or what the proxy did instead; "pending" until known. */
  status: number | "dropped" | "stalled" | "pending" | "upstream-error";
  /** True when a rule's fault was applied. */
  fault: boolean;
}

export interface FaultProxyOptions {
  /** host:port of the registry. */
  target: string;
  rules?: FaultRule[];
  lifetimeMs?: number;
}

export interface StartedFaultProxy extends AsyncDisposable {
  /** 127.0.0.1:<port>, to use as the registry's address. */
  address: string;
  port: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<StartedFaultProxy> {
  const [targetHost, targetPort] = splitHostPort(opts.target);
  const rules = (opts.rules ?? []).map((rule) => ({ rule, left: rule.times ?? 1 }));
  const requests: SeenRequest[] = [];
  const upstream = new Agent({ keepAlive: true });
  let address = "";

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const seen: SeenRequest = { method: req.method ?? "GET", path, status: "pending", fault: false };
    requests.push(seen);
    const match = rules.find((r) => r.left > 0 && (!r.rule.method || r.rule.method === req.method) && r.rule.path.test(path));
    if (match) {
      match.left--;
      seen.fault = true;
    }
    const fault = match?.rule.fault;
    if (fault && "stall" in fault) {
      seen.status = "stalled";
      return;
    }
    if (fault && "status" in fault) {
      // Read the body first, so that the connection stays usable for the client's next request.
      req.resume();
      req.on("end", () => {
        seen.status = fault.status;
        const body = JSON.stringify({ errors: [{ code: "UNKNOWN", message: `fault proxy: HTTP ${fault.status} instead of the registry's answer` }] });
        res.writeHead(fault.status, {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          ...(fault.retryAfterSeconds !== undefined ? { "retry-after": String(fault.retryAfterSeconds) } : {}),
        });
        res.end(body);
      });
      return;
    }
    const dropAfter = fault && "dropAfterRequestBytes" in fault ? fault.dropAfterRequestBytes : undefined;
    forward(req, res, seen, dropAfter);
  });

  function forward(req: IncomingMessage, res: ServerResponse, seen: SeenRequest, dropAfter: number | undefined): void {
    const drop = () => {
      seen.status = "dropped";
      out.destroy();
      req.socket.destroy();
    };
    const out = httpRequest({ host: targetHost, port: targetPort, method: req.method, path: req.url, headers: forwardedHeaders(req.headers), agent: upstream }, (answer) => {
      if (seen.status === "dropped") return answer.destroy();
      seen.status = answer.statusCode ?? 0;
      const headers = responseHeaders(answer.headers, opts.target, address);
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    });
    out.on("error", () => {
      if (seen.status === "dropped") return;
      seen.status = "upstream-error";
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end("fault proxy: the registry could not be reached");
    });
    if (dropAfter === 0) return drop();
    let sent = 0;
    let dropping = false;
    req.on("data", (chunk: Buffer) => {
      if (dropping || seen.status === "dropped") return;
      if (dropAfter !== undefined && sent + chunk.length >= dropAfter) {
        // The registry gets exactly K bytes of the body, then both connections are cut.
        dropping = true;
        req.pause();
        out.write(chunk.subarray(0, dropAfter - sent), () => drop());
        return;
      }
      sent += chunk.length;
      if (!out.write(chunk)) {
        req.pause();
        out.once("drain", () => req.resume());
      }
    });
    req.on("end", () => {
      if (!dropping && seen.status !== "dropped") out.end();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  address = `127.0.0.1:${port}`;

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= new Promise<void>((resolve) => {
      clearTimeout(lifetime);
      server.close(() => resolve());
      server.closeAllConnections();
      upstream.destroy();
    }));
  const lifetime = setTimeout(() => void close(), opts.lifetimeMs ?? 300_000);
  lifetime.unref();
  return { address, port, requests, close, [Symbol.asyncDispose]: close };
}

/** An absolute Location naming the registry names the proxy instead; anything else is left alone. */
export function rewriteLocation(location: string, target: string, proxy: string): string {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return location; // relative: resolved against the proxy by the client already
  }
  const [host, port] = splitHostPort(target);
  const defaultPort = url.protocol === "https:" ? 443 : 80;
  if (url.hostname !== host || Number(url.port || defaultPort) !== port) return location;
  url.host = proxy;
  return url.toString();
}

/**
 * Hop-by-hop headers stay on their hop (RFC 9110 §7.6.1), and so does `Expect` (node's server has
 * answered the 100-continue already); Host passes as the client sent it.
 */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "upgrade", "expect"]);

function forwardedHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_BY_HOP.has(k)));
}

function responseHeaders(headers: IncomingHttpHeaders, target: string, proxy: string): IncomingHttpHeaders {
  const out = Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_BY_HOP.has(k) && k !== "transfer-encoding"));
  if (typeof out["location"] === "string") out["location"] = rewriteLocation(out["location"], target, proxy);
  return out;
}

function splitHostPort(address: string): [string, number] {
  const colon = address.lastIndexOf(":");
  if (colon < 0) throw new Error(`fault proxy: the target must be host:port, not ${address}`);
  return [address.slice(0, colon).replace(/^\[|\]$/g, ""), Number(address.slice(colon + 1))];
}
