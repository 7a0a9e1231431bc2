import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readConfig } from '../../src/config.js';
import { versionInfo } from '../../src/version.js';

describe('versionInfo', () => {
  const pkg = { name: 'todobackend', version: '1.2.3' };

  it('prefers GIT_SHA from the environment', () => {
    assert.deepEqual(versionInfo(pkg, 'abc123', 'def456\n'), { name: 'todobackend', version: '1.2.3', gitSha: 'abc123' });
  });

  it('falls back to the baked VERSION file, then to "unknown"', () => {
    assert.equal(versionInfo(pkg, undefined, 'def456\n').gitSha, 'def456');
    assert.equal(versionInfo(pkg, 'unknown', 'def456').gitSha, 'def456');
    assert.equal(versionInfo(pkg, undefined, '  \n').gitSha, 'unknown');
    assert.equal(versionInfo({}, undefined, undefined).version, 'unknown');
  });
});

describe('readConfig', () => {
  it('has defaults that match the images', () => {
    assert.deepEqual(readConfig({}, '/app'), {
      port: 8000,
      databaseUrl: undefined,
      appRoot: '/app',
      migrationsDir: '/app/migrations',
      gitSha: undefined,
    });
  });

  it('reads the environment', () => {
    const config = readConfig(
      { PORT: '9000', DATABASE_URL: 'postgres://u:p@db/x', MIGRATIONS_DIR: '/sql', GIT_SHA: ' abc ' },
      '/app',
    );
    assert.equal(config.port, 9000);
    assert.equal(config.databaseUrl, 'postgres://u:p@db/x');
    assert.equal(config.migrationsDir, '/sql');
    assert.equal(config.gitSha, 'abc');
  });

  it('rejects a port that is not one', () => {
    assert.throws(() => readConfig({ PORT: 'http' }, '/app'), /PORT must be an integer/);
    assert.throws(() => readConfig({ PORT: '70000' }, '/app'), /PORT must be an integer/);
  });
});
