// The HTTP layer over an in-memory store: status codes, headers and bodies, no database.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTodoServer, MAX_BODY_BYTES, requestBaseUrl } from '../../src/server.js';
import { listen, requestJson } from '../support/http.js';
import { MemoryTodoStore } from '../support/memory-todo-store.js';

describe('todo server', () => {
  const store = new MemoryTodoStore();
  const logs: string[] = [];
  let base = '';
  let close: () => Promise<void> = async () => {};

  before(async () => {
    const server = createTodoServer({
      store,
      version: { name: 'todobackend', version: '1.0.0', gitSha: 'abc123' },
      log: (line) => logs.push(line),
    });
    ({ baseUrl: base, close } = await listen(server));
  });
  after(() => close());

  it('creates a todo and answers 201 with its Location', async () => {
    const res = await requestJson(`${base}/todos`, { method: 'POST', body: { title: 'first' } });
    assert.equal(res.status, 201);
    const body = res.body as { id: number; url: string; title: string; completed: boolean };
    assert.equal(body.title, 'first');
    assert.equal(body.completed, false);
    assert.equal(body.url, `${base}/todos/${body.id}`);
    assert.equal(res.headers.get('location'), body.url);
  });

  it('lists, reads, updates and deletes', async () => {
    const created = (await requestJson(`${base}/todos`, { method: 'POST', body: { title: 'second', order: 1 } }))
      .body as { id: number };
    const list = await requestJson(`${base}/todos`);
    assert.equal(list.status, 200);
    assert.ok((list.body as { id: number }[]).some((todo) => todo.id === created.id));

    const got = await requestJson(`${base}/todos/${created.id}`);
    assert.equal((got.body as { title: string }).title, 'second');

    const patched = await requestJson(`${base}/todos/${created.id}`, { method: 'PATCH', body: { completed: true } });
    assert.equal(patched.status, 200);
    assert.equal((patched.body as { completed: boolean }).completed, true);

    assert.equal((await requestJson(`${base}/todos/${created.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await requestJson(`${base}/todos/${created.id}`)).status, 404);
    assert.equal((await requestJson(`${base}/todos/${created.id}`, { method: 'DELETE' })).status, 404);
  });

  it('answers 400 with every validation error', async () => {
    const res = await requestJson(`${base}/todos`, { method: 'POST', body: { title: '', completed: 1 } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, {
      error: 'invalid todo',
      details: ['title must not be blank', 'completed must be a boolean'],
    });
  });

  it('answers 400 for malformed JSON, 415 for other content types, 413 for huge bodies', async () => {
    assert.equal((await requestJson(`${base}/todos`, { method: 'POST', body: '{"title":' })).status, 400);
    const text = await fetch(`${base}/todos`, { method: 'POST', body: 'title=x', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 415);
    const huge = await requestJson(`${base}/todos`, { method: 'POST', body: { title: 'x'.repeat(MAX_BODY_BYTES) } });
    assert.equal(huge.status, 413);
  });

  it('answers 404 for unknown paths and ids that are not ids', async () => {
    assert.equal((await requestJson(`${base}/nope`)).status, 404);
    assert.equal((await requestJson(`${base}/todos/abc`)).status, 404);
    assert.equal((await requestJson(`${base}/todos/0`, { method: 'PATCH', body: { completed: true } })).status, 404);
  });

  it('answers 405 with Allow for a wrong method', async () => {
    const res = await requestJson(`${base}/todos`, { method: 'PUT', body: {} });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, POST');
  });

  it('reports health from the store', async () => {
    assert.deepEqual((await requestJson(`${base}/healthz`)).body, { status: 'ok', database: 'ok' });
    store.failPing = new Error('connection refused');
    try {
      const res = await requestJson(`${base}/healthz`);
      assert.equal(res.status, 503);
      assert.deepEqual(res.body, { status: 'unavailable', database: 'unreachable' });
    } finally {
      store.failPing = undefined;
    }
  });

  it('reports its version', async () => {
    assert.deepEqual((await requestJson(`${base}/version`)).body, {
      name: 'todobackend',
      version: '1.0.0',
      gitSha: 'abc123',
    });
  });

  it('logs one line per request', () => {
    assert.ok(logs.some((line) => /^GET \/version 200 \d+\.\dms$/.test(line)), logs.join('\n'));
  });
});

describe('requestBaseUrl', () => {
  it('uses the Host header when not proxied', () => {
    assert.equal(requestBaseUrl({ host: 'localhost:8000' }), 'http://localhost:8000');
  });

  it('uses the first X-Forwarded-Proto/Host a proxy set', () => {
    assert.equal(
      requestBaseUrl({ host: 'app:8000', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'todo.example, inner' }),
      'https://todo.example',
    );
  });
});
