// Write world.json, the test world's description that test/support/world.ts reads.
// Input comes from setup.sh as environment variables (W_*); the file is replaced atomically, since
// tests of a concurrent run may be reading it.
import { renameSync, writeFileSync } from 'node:fs';

const env = process.env;
const orNull = (v) => (v ? v : null);
const lines = (v) => (v ? v.split('\n').filter(Boolean) : []);

const unavailable = {};
for (const line of lines(env.W_UNAVAILABLE)) {
  const i = line.indexOf('\t');
  unavailable[line.slice(0, i)] = line.slice(i + 1);
}

const world = {
  schemaVersion: 1,
  createdAt: new Date().toISOString(),
  dockerHost: env.W_DOCKER_HOST,
  managed: env.W_MANAGED === '1',
  engine: { version: env.W_ENGINE_VERSION, apiVersion: env.W_ENGINE_API, arch: env.W_ENGINE_ARCH },
  mirror: env.W_MIRROR ? { address: env.W_MIRROR } : null,
  registries: {
    plain: env.W_PLAIN ? { address: env.W_PLAIN } : null,
    auth: env.W_AUTH ? { address: env.W_AUTH, username: env.W_AUTH_USER, password: env.W_AUTH_PASSWORD } : null,
    // Bearer-token auth: the tests run the token service (realm) themselves, test/support/token-issuer.ts.
    token: env.W_TOKEN
      ? {
          address: env.W_TOKEN,
          realm: env.W_TOKEN_REALM,
          service: env.W_TOKEN_SERVICE,
          issuer: env.W_TOKEN_ISSUER,
          username: env.W_TOKEN_USER,
          password: env.W_TOKEN_PASSWORD,
          issuerKey: env.W_TOKEN_KEY,
          issuerCert: env.W_TOKEN_CERT,
        }
      : null,
  },
  images: lines(env.W_IMAGES),
  composeV2: orNull(env.W_COMPOSE_V2),
  composeV1: orNull(env.W_COMPOSE_V1),
  unavailable,
  fixturesHash: env.W_FIXTURES_HASH,
  stateDir: env.W_STATE,
  cacheDir: env.W_CACHE,
};

const target = process.argv[2];
writeFileSync(`${target}.tmp`, `${JSON.stringify(world, null, 2)}\n`, { mode: 0o644 });
renameSync(`${target}.tmp`, target);
