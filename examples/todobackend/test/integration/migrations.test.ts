import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { migrate } from '../../src/migrations.js';
import { integrationPool, migrationsDir } from '../support/database.js';

describe('migrate', () => {
  const pool = integrationPool();
  after(() => pool.end());

  it('is idempotent and safe to run concurrently', async () => {
    // The `migrate` service already ran before this suite, and other suites may be migrating now:
    // whatever the order, every file ends up applied exactly once.
    const results = await Promise.all([migrate(pool, migrationsDir), migrate(pool, migrationsDir)]);
    const files = (await readdir(migrationsDir)).filter((name) => name.endsWith('.sql')).sort();
    const appliedNow = results.flatMap((result) => result.applied);
    assert.equal(new Set(appliedNow).size, appliedNow.length, `applied twice: ${appliedNow}`);
    const again = await migrate(pool, migrationsDir);
    assert.deepEqual(again, { applied: [], skipped: files });

    const { rows } = await pool.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    assert.deepEqual(
      rows.map((row) => row.name),
      files,
    );
  });

  it('leaves the todos table in place', async () => {
    const { rows } = await pool.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'todos' ORDER BY ordinal_position`,
    );
    assert.deepEqual(
      rows.map((row) => row.column_name),
      ['id', 'title', 'completed', 'sort_order', 'created_at', 'updated_at'],
    );
  });
});
