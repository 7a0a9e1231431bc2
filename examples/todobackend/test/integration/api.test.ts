// The HTTP API on a real PostgreSQL: the whole application but its entry point.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { migrate } from '../../src/migrations.js';
import { PgTodoStore } from '../../src/pg-todo-store.js';
import { createTodoServer } from '../../src/server.js';
import { integrationPool, migrationsDir } from '../support/database.js';
import { uniqueTitle } from '../support/unique-title.js';
import { listen, requestJson } from '../support/http.js';

const version = { name: 'todobackend', version: 'test', gitSha: 'test' };

describe('API on PostgreSQL', () => {
  const pool = integrationPool();
  let base = '';
  let close: () => Promise<void> = async () => {};

  before(async () => {
    await migrate(pool, migrationsDir);
    const server = createTodoServer({ store: new PgTodoStore(pool), version, log: () => {} });
    ({ baseUrl: base, close } = await listen(server));
  });
  after(async () => {
    await close();
    await pool.end();
  });

  it('is healthy', async () => {
    const res = await requestJson(`${base}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok', database: 'ok' });
  });

  it('round-trips a todo through create, patch, list and delete', async () => {
    const title = uniqueTitle('api');
    const created = await requestJson(`${base}/todos`, { method: 'POST', body: { title } });
    assert.equal(created.status, 201);
    const { id, url } = created.body as { id: number; url: string };
    assert.equal(url, `${base}/todos/${id}`);

    const patched = await requestJson(url, { method: 'PATCH', body: { completed: true, title: `${title}!` } });
    assert.equal(patched.status, 200);
    assert.equal((patched.body as { title: string }).title, `${title}!`);

    const list = (await requestJson(`${base}/todos`)).body as { id: number; completed: boolean }[];
    assert.equal(list.find((todo) => todo.id === id)?.completed, true);

    assert.equal((await requestJson(url, { method: 'DELETE' })).status, 204);
    assert.equal((await requestJson(url)).status, 404);
  });
});

describe('API whose database is missing its schema', () => {
  // A database that exists but was never migrated: /healthz must say so rather than answer 200.
  const admin = integrationPool();
  const database = `unmigrated_${process.pid}_${Date.now()}`;
  let pool: pg.Pool | undefined;
  let base = '';
  let close: () => Promise<void> = async () => {};

  before(async () => {
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(process.env['DATABASE_URL'] ?? '');
    url.pathname = `/${database}`;
    pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
    const server = createTodoServer({ store: new PgTodoStore(pool), version, log: () => {} });
    ({ baseUrl: base, close } = await listen(server));
  });
  after(async () => {
    await close();
    await pool?.end();
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.end();
  });

  it('is unhealthy', async () => {
    const res = await requestJson(`${base}/healthz`);
    assert.equal(res.status, 503);
  });
});
