import pg from 'pg';

/** One pool per process. Connections are opened lazily, so creating it never waits for the database. */
export function createPool(databaseUrl: string | undefined): pg.Pool {
  const pool = new pg.Pool({
    ...(databaseUrl ? { connectionString: databaseUrl } : {}),
    max: 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection (the database restarting) must not crash the process; the
  // next query gets a fresh connection or fails, and /healthz reports it.
  pool.on('error', (error) => console.error(`database pool: ${error.message}`));
  return pool;
}
