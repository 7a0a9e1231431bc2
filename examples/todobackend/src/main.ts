// The API's entry point: `node dist/main.js` in the release image.
// No waiting for the database here, on purpose: the environment starts this only once `db` is healthy
// and `migrate` has completed (compose's depends_on), and the example exists to show that ordering.
import { readConfig } from './config.js';
import { createPool } from './database.js';
import { PgTodoStore } from './pg-todo-store.js';
import { createTodoServer } from './server.js';
import { loadVersionInfo } from './version.js';

const config = readConfig(process.env, process.cwd());
const version = await loadVersionInfo(config.appRoot, config.gitSha);
const pool = createPool(config.databaseUrl);
const server = createTodoServer({
  store: new PgTodoStore(pool),
  version,
  log: (line) => console.log(line),
});

server.listen(config.port, () => {
  console.log(`todobackend ${version.version} (${version.gitSha}) listening on :${config.port}`);
});

// As PID 1 in a container node gets no default signal handling: without these, `docker stop` waits
// its full timeout and then kills.
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log(`${signal}: closing`);
    server.close(() => {
      pool.end().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
    server.closeIdleConnections();
  });
}
