import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { migrate } from '../../src/migrations.js';
import { PgTodoStore } from '../../src/pg-todo-store.js';
import { integrationPool, migrationsDir } from '../support/database.js';
import { uniqueTitle } from '../support/unique-title.js';

describe('PgTodoStore', () => {
  const pool = integrationPool();
  const store = new PgTodoStore(pool);
  before(() => migrate(pool, migrationsDir));
  after(() => pool.end());

  it('creates and reads back a todo', async () => {
    const title = uniqueTitle('create');
    const created = await store.create({ title, completed: false, order: 5 });
    assert.ok(created.id > 0);
    assert.equal(created.title, title);
    assert.equal(created.order, 5);
    assert.ok(created.createdAt instanceof Date);
    assert.deepEqual(await store.get(created.id), created);
  });

  it('lists in order, unordered todos last', async () => {
    const late = await store.create({ title: uniqueTitle('unordered'), completed: false, order: null });
    const early = await store.create({ title: uniqueTitle('ordered'), completed: false, order: -1_000_000 });
    const ids = (await store.list()).map((todo) => todo.id);
    assert.ok(ids.indexOf(early.id) < ids.indexOf(late.id), `${early.id} before ${late.id} in ${ids}`);
  });

  it('updates only the patched fields and bumps updatedAt', async () => {
    const created = await store.create({ title: uniqueTitle('update'), completed: false, order: 1 });
    const updated = await store.update(created.id, { completed: true });
    assert.ok(updated);
    assert.equal(updated.completed, true);
    assert.equal(updated.title, created.title);
    assert.equal(updated.order, 1);
    assert.ok(updated.updatedAt.getTime() >= created.updatedAt.getTime());
    assert.equal((await store.update(created.id, { order: null }))?.order, null);
  });

  it('reports missing todos as undefined/false', async () => {
    const created = await store.create({ title: uniqueTitle('remove'), completed: false, order: null });
    assert.equal(await store.remove(created.id), true);
    assert.equal(await store.remove(created.id), false);
    assert.equal(await store.get(created.id), undefined);
    assert.equal(await store.update(created.id, { completed: true }), undefined);
  });

  it('is protected by the schema as well as by validation', async () => {
    await assert.rejects(store.create({ title: '', completed: false, order: null }), /check constraint/);
  });

  it('pings', async () => {
    await store.ping();
  });
});
