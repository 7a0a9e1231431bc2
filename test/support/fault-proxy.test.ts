/**
 * The fault proxy on its own, in front of a local stand-in for a registry. (The engine and the
 * registry client through it: test/integration/registry/faults.test.ts, engine-through-proxy.test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { rewriteLocation, startFaultProxy, type FaultRule } from "./fault-proxy.ts";

test("Location: an absolute URL naming the registry names the proxy; anything else is left alone", () => {
  const target = "127.0.0.1:5002";
  const proxy = "127.0.0.1:40001";
  assert.equal(rewriteLocation("http://127.0.0.1:5002/v2/a/blobs/uploads/u1?_state=x%3D", target, proxy), "http://127.0.0.1:40001/v2/a/blobs/uploads/u1?_state=x%3D");
  assert.equal(rewriteLocation("/v2/a/blobs/uploads/u1", target, proxy), "/v2/a/blobs/uploads/u1");
  assert.equal(rewriteLocation("https://storage.example.com/blob", target, proxy), "https://storage.example.com/blob");
  assert.equal(rewriteLocation("http://127.0.0.1:5003/v2/", target, proxy), "http://127.0.0.1:5003/v2/", "another port");
  assert.equal(rewriteLocation("http://127.0.0.1/v2/", "127.0.0.1:80", proxy), "http://127.0.0.1:40001/v2/", "the default port");
});

interface UpstreamSeen {
  method: string;
  url: string;
  host: string;
  bytes: number;
  complete: boolean;
  /** Resolves when the request's connection is gone or its body read. */
  settled?: Promise<void>;
}

/** A stand-in registry: answers 202 with an absolute Location naming itself, after reading the body. */
async function withUpstream(fn: (address: string, seen: UpstreamSeen[], arrival: () => Promise<UpstreamSeen>) => Promise<void>): Promise<void> {
  const seen: UpstreamSeen[] = [];
  const waiting: ((entry: UpstreamSeen) => void)[] = [];
  /** The next request the stand-in gets (the first one not yet claimed). */
  let claimed = 0;
  const arrival = () => new Promise<UpstreamSeen>((resolve) => (seen.length > claimed ? resolve(seen[claimed++]!) : waiting.push((e) => (claimed++, resolve(e)))));
  let address = "";
  const server = createServer((req, res) => {
    const entry: UpstreamSeen = { method: req.method!, url: req.url!, host: req.headers.host!, bytes: 0, complete: false };
    Object.defineProperty(entry, "settled", { value: new Promise<void>((resolve) => req.on("close", resolve)), enumerable: false });
    seen.push(entry);
    waiting.shift()?.(entry);
    req.on("data", (c: Buffer) => (entry.bytes += c.length));
    req.on("end", () => {
      entry.complete = true;
      res.writeHead(202, { location: `http://${address}/v2/a/blobs/uploads/next`, "content-length": "2" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await fn(address, seen, arrival);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

interface Answer {
  status: number;
  location?: string;
  body: string;
}

/** One request through node's http client (not fetch: the Host header is the point). */
function send(address: string, method: string, path: string, body?: Buffer, signal?: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const [host, port] = address.split(":");
    const req = request({ host, port: Number(port), method, path, ...(signal ? { signal } : {}), headers: body ? { "content-length": body.length } : {} }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, ...(res.headers.location ? { location: res.headers.location } : {}), body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function withProxy(
  rules: FaultRule[],
  fn: (proxy: Awaited<ReturnType<typeof startFaultProxy>>, upstream: UpstreamSeen[], arrival: () => Promise<UpstreamSeen>) => Promise<void>,
): Promise<void> {
  await withUpstream(async (address, upstream, arrival) => {
    await using proxy = await startFaultProxy({ target: address, rules });
    await fn(proxy, upstream, arrival);
  });
}

test("passes requests through with the client's Host, and rewrites the registry's Location to itself", () =>
  withProxy([], async (proxy, upstream) => {
    const answer = await send(proxy.address, "POST", "/v2/a/blobs/uploads/?x=1", Buffer.from("data"));
    assert.deepEqual(answer, { status: 202, location: `http://${proxy.address}/v2/a/blobs/uploads/next`, body: "ok" });
    assert.deepEqual(upstream, [{ method: "POST", url: "/v2/a/blobs/uploads/?x=1", host: proxy.address, bytes: 4, complete: true }]);
    assert.deepEqual(proxy.requests, [{ method: "POST", path: "/v2/a/blobs/uploads/", status: 202, fault: false }]);
  }));

test("a status fault for the first N matches of method and path, then the registry's answers", () =>
  withProxy([{ method: "PUT", path: /\/manifests\/2$/, times: 2, fault: { status: 500 } }], async (proxy, upstream) => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(proxy.address, "PUT", "/v2/a/manifests/2", Buffer.from("{}"))).status);
    statuses.push((await send(proxy.address, "GET", "/v2/a/manifests/2")).status);
    assert.deepEqual(statuses, [500, 500, 202, 202]);
    assert.equal(upstream.length, 2, "the faults never reached the registry");
    assert.deepEqual(proxy.requests.map((r) => [r.method, r.status, r.fault]), [["PUT", 500, true], ["PUT", 500, true], ["PUT", 202, false], ["GET", 202, false]]);
  }));

test("a drop after K bytes of the request body: the registry saw a cut-off upload, the client a closed connection", () =>
  withProxy([{ method: "PATCH", path: /\/blobs\/uploads\//, fault: { dropAfterRequestBytes: 1000 } }], async (proxy, _upstream, arrival) => {
    await assert.rejects(send(proxy.address, "PATCH", "/v2/a/blobs/uploads/u1", Buffer.alloc(64 * 1024)), (e: NodeJS.ErrnoException) => e.code === "ECONNRESET" || /socket hang up/.test(e.message));
    assert.equal(proxy.requests[0]?.status, "dropped");
    // The proxy cuts the registry's connection once it has sent the bytes: the registry sees them, then the cut.
    const cut = await arrival();
    await cut.settled;
    assert.equal(cut.complete, false);
    assert.equal(cut.bytes, 1000);
    const after = await send(proxy.address, "PATCH", "/v2/a/blobs/uploads/u1", Buffer.alloc(10));
    assert.equal(after.status, 202, "once only");
    assert.equal((await arrival()).bytes, 10);
  }));

test("a drop at 0 bytes never reaches the registry", () =>
  withProxy([{ path: /manifests/, fault: { dropAfterRequestBytes: 0 } }], async (proxy, upstream) => {
    await assert.rejects(send(proxy.address, "GET", "/v2/a/manifests/1"));
    assert.deepEqual(proxy.requests.map((r) => r.status), ["dropped"]);
    assert.equal(upstream.length, 0);
  }));

test("a stall holds the request unanswered until the client gives up; close() ends what is held", () =>
  withProxy([{ path: /manifests/, times: 2, fault: { stall: true } }], async (proxy) => {
    const controller = new AbortController();
    const abandoned = send(proxy.address, "GET", "/v2/a/manifests/1", undefined, controller.signal);
    const held = send(proxy.address, "GET", "/v2/a/manifests/1");
    while (proxy.requests.length < 2) await new Promise((r) => setImmediate(r));
    controller.abort();
    await assert.rejects(abandoned, { name: "AbortError" });
    assert.deepEqual(proxy.requests.map((r) => r.status), ["stalled", "stalled"]);
    await proxy.close();
    await assert.rejects(held);
  }));
