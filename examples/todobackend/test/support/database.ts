import path from 'node:path';
import pg from 'pg';

/**
 * A pool on the integration database. DATABASE_URL is required: a suite that quietly skipped without
 * it would pass in an environment that never had a database.
 */
export function integrationPool(): pg.Pool {
  const url = process.env['DATABASE_URL'];
  if (!url) {
    throw new Error('DATABASE_URL is not set: the integration suite needs a PostgreSQL (service `db`)');
  }
  return new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5_000 });
}

/** migrations/ beside package.json; the suites run from the app root (/app in the test image). */
export const migrationsDir = path.resolve(process.cwd(), 'migrations');

