// Acceptance: the release image behind nginx, exercised over HTTP only, as a client would.
// BASE_URL is the proxy (http://nginx in docker-compose.release.yml); EXPECTED_GIT_SHA, when set,
// must be what the running release reports.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestJson } from '../support/http.js';
import { uniqueTitle } from '../support/unique-title.js';

const baseUrl = (() => {
  const value = process.env['BASE_URL'];
  if (!value) throw new Error('BASE_URL is not set: the acceptance suite needs the running release (service `nginx`)');
  return value.replace(/\/+$/, '');
})();

describe('todobackend release', () => {
  it('is healthy through the proxy', async () => {
    const res = await requestJson(`${baseUrl}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok', database: 'ok' });
  });

  it('reports the version it was built from', async () => {
    const res = await requestJson(`${baseUrl}/version`);
    assert.equal(res.status, 200);
    const body = res.body as { name: string; version: string; gitSha: string };
    assert.equal(body.name, 'todobackend');
    assert.match(body.version, /^\d+\.\d+\.\d+/);
    const expected = process.env['EXPECTED_GIT_SHA'];
    if (expected) assert.equal(body.gitSha, expected);
  });

  it('serves the todo lifecycle with urls that point through the proxy', async () => {
    const title = uniqueTitle('acceptance');
    const created = await requestJson(`${baseUrl}/todos`, { method: 'POST', body: { title, order: 1 } });
    assert.equal(created.status, 201);
    const todo = created.body as { id: number; url: string; completed: boolean };
    assert.equal(todo.url, `${baseUrl}/todos/${todo.id}`);
    assert.equal(created.headers.get('location'), todo.url);
    assert.equal(todo.completed, false);

    const done = await requestJson(todo.url, { method: 'PATCH', body: { completed: true } });
    assert.equal(done.status, 200);
    assert.equal((done.body as { completed: boolean }).completed, true);

    const list = (await requestJson(`${baseUrl}/todos`)).body as { id: number; title: string }[];
    assert.equal(list.find((item) => item.id === todo.id)?.title, title);

    assert.equal((await requestJson(todo.url, { method: 'DELETE' })).status, 204);
    assert.equal((await requestJson(todo.url)).status, 404);
  });

  it('rejects invalid todos with the reasons', async () => {
    const res = await requestJson(`${baseUrl}/todos`, { method: 'POST', body: { completed: 'no' } });
    assert.equal(res.status, 400);
    assert.deepEqual((res.body as { details: string[] }).details, [
      'title is required and must be a string',
      'completed must be a boolean',
    ]);
  });

  it('is fronted by nginx', async () => {
    const res = await fetch(`${baseUrl}/version`, { signal: AbortSignal.timeout(10_000) });
    assert.match(res.headers.get('server') ?? '', /^nginx/);
  });
});
