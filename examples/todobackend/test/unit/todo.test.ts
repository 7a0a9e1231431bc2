import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseId, parseNewTodo, parseTodoPatch, serializeTodo, TITLE_MAX_LENGTH, type Todo } from '../../src/todo.js';

describe('parseNewTodo', () => {
  it('accepts a title and fills in defaults', () => {
    assert.deepEqual(parseNewTodo({ title: 'walk the dog' }), {
      ok: true,
      value: { title: 'walk the dog', completed: false, order: null },
    });
  });

  it('trims the title and keeps completed and order', () => {
    assert.deepEqual(parseNewTodo({ title: '  buy milk ', completed: true, order: 3 }), {
      ok: true,
      value: { title: 'buy milk', completed: true, order: 3 },
    });
  });

  it('rejects anything but a JSON object', () => {
    for (const input of [null, 'title', 42, [{ title: 'x' }]]) {
      assert.deepEqual(parseNewTodo(input), { ok: false, errors: ['body must be a JSON object'] });
    }
  });

  it('requires a non-blank title no longer than the limit', () => {
    assert.deepEqual(parseNewTodo({}), { ok: false, errors: ['title is required and must be a string'] });
    assert.deepEqual(parseNewTodo({ title: '   ' }), { ok: false, errors: ['title must not be blank'] });
    assert.deepEqual(parseNewTodo({ title: 'x'.repeat(TITLE_MAX_LENGTH + 1) }), {
      ok: false,
      errors: [`title must be at most ${TITLE_MAX_LENGTH} characters`],
    });
    assert.equal(parseNewTodo({ title: 'x'.repeat(TITLE_MAX_LENGTH) }).ok, true);
  });

  it('reports every problem at once, unknown fields included', () => {
    assert.deepEqual(parseNewTodo({ title: 7, completed: 'yes', order: 1.5, owner: 'me' }), {
      ok: false,
      errors: [
        'unknown field: owner',
        'title is required and must be a string',
        'completed must be a boolean',
        'order must be an integer or null',
      ],
    });
  });
});

describe('parseTodoPatch', () => {
  it('keeps only the fields present', () => {
    assert.deepEqual(parseTodoPatch({ completed: true }), { ok: true, value: { completed: true } });
    assert.deepEqual(parseTodoPatch({ title: ' renamed ', order: null }), {
      ok: true,
      value: { title: 'renamed', order: null },
    });
  });

  it('rejects an empty patch and invalid fields', () => {
    assert.deepEqual(parseTodoPatch({}), {
      ok: false,
      errors: ['body must change at least one of: title, completed, order'],
    });
    assert.deepEqual(parseTodoPatch({ title: '' }), { ok: false, errors: ['title must not be blank'] });
    assert.deepEqual(parseTodoPatch({ id: 4 }), { ok: false, errors: ['unknown field: id'] });
  });
});

describe('parseId', () => {
  it('accepts positive integers that fit a PostgreSQL integer', () => {
    assert.equal(parseId('1'), 1);
    assert.equal(parseId('2147483647'), 2_147_483_647);
  });

  it('rejects everything else', () => {
    for (const raw of ['0', '-1', '01', '1.5', '1e3', 'abc', '', '2147483648', '99999999999']) {
      assert.equal(parseId(raw), undefined, raw);
    }
  });
});

describe('serializeTodo', () => {
  const todo: Todo = {
    id: 12,
    title: 'write tests',
    completed: false,
    order: null,
    createdAt: new Date('2024-05-06T07:08:09.000Z'),
    updatedAt: new Date('2024-05-06T08:00:00.000Z'),
  };

  it('gives the todobackend shape with an absolute url', () => {
    assert.deepEqual(serializeTodo(todo, 'http://todo.example'), {
      id: 12,
      url: 'http://todo.example/todos/12',
      title: 'write tests',
      completed: false,
      order: null,
      createdAt: '2024-05-06T07:08:09.000Z',
      updatedAt: '2024-05-06T08:00:00.000Z',
    });
  });

  it('does not double the slash after a base url ending in one', () => {
    assert.equal(serializeTodo(todo, 'https://todo.example/').url, 'https://todo.example/todos/12');
  });
});
