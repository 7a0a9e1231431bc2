// One-shot: applies pending migrations and exits 0, or exits 1 naming the failure. The `migrate`
// service runs this; the app starts only after it completed successfully.
import { readConfig } from './config.js';
import { createPool } from './database.js';
import { migrate } from './migrations.js';

const config = readConfig(process.env, process.cwd());
const pool = createPool(config.databaseUrl);
try {
  const { applied, skipped } = await migrate(pool, config.migrationsDir);
  console.log(`migrate: applied ${applied.length} (${applied.join(', ') || 'none'}), already applied ${skipped.length}`);
} catch (error) {
  console.error('migrate: failed:', error);
  process.exitCode = 1;
} finally {
  await pool.end();
}
