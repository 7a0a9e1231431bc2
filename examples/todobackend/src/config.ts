import path from 'node:path';

export interface Config {
  /** TCP port the API listens on. */
  readonly port: number;
  /** postgres://user:password@host:port/database; when unset, pg falls back to the PG* variables. */
  readonly databaseUrl: string | undefined;
  /** Directory holding package.json, VERSION and migrations/ (the image's WORKDIR). */
  readonly appRoot: string;
  readonly migrationsDir: string;
  /** The commit the running code was built from, when the environment says so. */
  readonly gitSha: string | undefined;
}

/** Pure: the entry points pass process.env and process.cwd(), tests pass what they like. */
export function readConfig(env: Record<string, string | undefined>, cwd: string): Config {
  const port = Number(env['PORT'] ?? '8000');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be an integer between 0 and 65535, got ${JSON.stringify(env['PORT'])}`);
  }
  const appRoot = path.resolve(cwd, env['APP_ROOT'] ?? '.');
  return {
    port,
    databaseUrl: nonEmpty(env['DATABASE_URL']),
    appRoot,
    migrationsDir: path.resolve(appRoot, env['MIGRATIONS_DIR'] ?? 'migrations'),
    gitSha: nonEmpty(env['GIT_SHA']),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
