import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { route } from '../../src/routes.js';

describe('route', () => {
  it('maps the collection', () => {
    assert.deepEqual(route('GET', '/todos'), { kind: 'list' });
    assert.deepEqual(route('POST', '/todos/'), { kind: 'create' });
    assert.deepEqual(route('PUT', '/todos'), { kind: 'method-not-allowed', allow: ['GET', 'POST'] });
  });

  it('maps a single todo, keeping the raw id for the handler to validate', () => {
    assert.deepEqual(route('GET', '/todos/5'), { kind: 'get', rawId: '5' });
    assert.deepEqual(route('PATCH', '/todos/abc'), { kind: 'update', rawId: 'abc' });
    assert.deepEqual(route('DELETE', '/todos/5/'), { kind: 'remove', rawId: '5' });
    assert.deepEqual(route('POST', '/todos/5'), {
      kind: 'method-not-allowed',
      allow: ['GET', 'PATCH', 'DELETE'],
    });
  });

  it('maps health and version', () => {
    assert.deepEqual(route('GET', '/healthz'), { kind: 'health' });
    assert.deepEqual(route('HEAD', '/healthz'), { kind: 'health' });
    assert.deepEqual(route('GET', '/version'), { kind: 'version' });
    assert.deepEqual(route('POST', '/version'), { kind: 'method-not-allowed', allow: ['GET'] });
  });

  it('gives not-found for anything else', () => {
    for (const path of ['/', '/todo', '/todos/1/items', '/todosx', '/healthz/extra']) {
      assert.deepEqual(route('GET', path), { kind: 'not-found' }, path);
    }
  });
});
