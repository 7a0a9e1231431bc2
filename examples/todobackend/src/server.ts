import http from 'node:http';
import { route } from './routes.js';
import { parseId, parseNewTodo, parseTodoPatch, serializeTodo } from './todo.js';
import type { TodoStore } from './todo-store.js';
import type { VersionInfo } from './version.js';

export interface ServerDeps {
  readonly store: TodoStore;
  readonly version: VersionInfo;
  /** One line per request and per unexpected error; main.ts sends it to stdout. */
  readonly log: (line: string) => void;
}

export const MAX_BODY_BYTES = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: string[],
  ) {
    super(message);
  }
}

export function createTodoServer(deps: ServerDeps): http.Server {
  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      deps.log(`${req.method} ${req.url} ${res.statusCode} ${ms.toFixed(1)}ms`);
    });
    handle(deps, req, res).catch((error: unknown) => {
      if (error instanceof HttpError) {
        sendJson(res, error.status, { error: error.message, ...(error.details ? { details: error.details } : {}) });
        return;
      }
      deps.log(`error: ${req.method} ${req.url}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal server error' });
      else res.destroy();
    });
  });
  // Behind nginx with keep-alive upstreams, the app must not close idle connections before the proxy
  // does, or the proxy sometimes sends a request down a socket being closed (a sporadic 502).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

async function handle(deps: ServerDeps, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  const match = route(req.method ?? 'GET', url.pathname);
  const baseUrl = requestBaseUrl(req.headers);

  switch (match.kind) {
    case 'health': {
      try {
        await deps.store.ping();
      } catch (error) {
        deps.log(`healthz: database check failed: ${error instanceof Error ? error.message : String(error)}`);
        return sendJson(res, 503, { status: 'unavailable', database: 'unreachable' });
      }
      return sendJson(res, 200, { status: 'ok', database: 'ok' });
    }
    case 'version':
      return sendJson(res, 200, deps.version);
    case 'list': {
      const todos = await deps.store.list();
      return sendJson(res, 200, todos.map((todo) => serializeTodo(todo, baseUrl)));
    }
    case 'create': {
      const parsed = parseNewTodo(await readJson(req));
      if (!parsed.ok) throw new HttpError(400, 'invalid todo', parsed.errors);
      const todo = await deps.store.create(parsed.value);
      const body = serializeTodo(todo, baseUrl);
      res.setHeader('Location', body.url);
      return sendJson(res, 201, body);
    }
    case 'get': {
      const todo = await deps.store.get(idOr404(match.rawId));
      if (!todo) throw notFound();
      return sendJson(res, 200, serializeTodo(todo, baseUrl));
    }
    case 'update': {
      const id = idOr404(match.rawId);
      const parsed = parseTodoPatch(await readJson(req));
      if (!parsed.ok) throw new HttpError(400, 'invalid todo', parsed.errors);
      const todo = await deps.store.update(id, parsed.value);
      if (!todo) throw notFound();
      return sendJson(res, 200, serializeTodo(todo, baseUrl));
    }
    case 'remove': {
      if (!(await deps.store.remove(idOr404(match.rawId)))) throw notFound();
      res.writeHead(204).end();
      return;
    }
    case 'method-not-allowed':
      res.setHeader('Allow', match.allow.join(', '));
      throw new HttpError(405, 'method not allowed');
    case 'not-found':
      throw notFound();
  }
}

/**
 * The URL clients reached us at, for the `url` of each todo. The app only ever runs behind its own
 * nginx (or directly in tests), so it trusts X-Forwarded-Proto/Host as that proxy sets them.
 */
export function requestBaseUrl(headers: http.IncomingHttpHeaders): string {
  const first = (value: string | string[] | undefined): string | undefined => {
    const raw = Array.isArray(value) ? value[0] : value;
    const head = raw?.split(',')[0]?.trim();
    return head ? head : undefined;
  };
  const proto = first(headers['x-forwarded-proto']) ?? 'http';
  const host = first(headers['x-forwarded-host']) ?? first(headers.host) ?? 'localhost';
  return `${proto}://${host}`;
}

function idOr404(rawId: string): number {
  const id = parseId(rawId);
  if (id === undefined) throw notFound();
  return id;
}

function notFound(): HttpError {
  return new HttpError(404, 'not found');
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(415, 'request body must be application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body must be at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    'Cache-Control': 'no-store',
  });
  res.end(payload);
}
