// The todo model: what a stored todo is, what a client may send, and how a todo looks on the wire.
// Everything here is pure, so the unit suite covers it without a database.

export interface Todo {
  readonly id: number;
  readonly title: string;
  readonly completed: boolean;
  readonly order: number | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewTodo {
  readonly title: string;
  readonly completed: boolean;
  readonly order: number | null;
}

export interface TodoPatch {
  readonly title?: string;
  readonly completed?: boolean;
  readonly order?: number | null;
}

/** A todo as the API returns it (the todobackend.com shape: a `url` for each todo). */
export interface TodoJson {
  readonly id: number;
  readonly url: string;
  readonly title: string;
  readonly completed: boolean;
  readonly order: number | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const TITLE_MAX_LENGTH = 200;

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: string[] };

const NEW_TODO_FIELDS = new Set(['title', 'completed', 'order']);

export function parseNewTodo(input: unknown): Parsed<NewTodo> {
  if (!isPlainObject(input)) return { ok: false, errors: ['body must be a JSON object'] };
  const errors = unknownFields(input);
  const title = parseTitle(input['title'], errors);
  const completed = input['completed'] === undefined ? false : parseCompleted(input['completed'], errors);
  const order = input['order'] === undefined ? null : parseOrder(input['order'], errors);
  if (errors.length > 0 || title === undefined || completed === undefined || order === undefined) {
    return { ok: false, errors };
  }
  return { ok: true, value: { title, completed, order } };
}

export function parseTodoPatch(input: unknown): Parsed<TodoPatch> {
  if (!isPlainObject(input)) return { ok: false, errors: ['body must be a JSON object'] };
  const errors = unknownFields(input);
  const patch: { title?: string; completed?: boolean; order?: number | null } = {};
  if ('title' in input) {
    const title = parseTitle(input['title'], errors);
    if (title !== undefined) patch.title = title;
  }
  if ('completed' in input) {
    const completed = parseCompleted(input['completed'], errors);
    if (completed !== undefined) patch.completed = completed;
  }
  if ('order' in input) {
    const order = parseOrder(input['order'], errors);
    if (order !== undefined) patch.order = order;
  }
  if (errors.length > 0) return { ok: false, errors };
  if (Object.keys(patch).length === 0) {
    return { ok: false, errors: ['body must change at least one of: title, completed, order'] };
  }
  return { ok: true, value: patch };
}

/** Path ids are positive integers that fit PostgreSQL's `integer`; anything else is "no such todo". */
export function parseId(raw: string): number | undefined {
  if (!/^[1-9][0-9]{0,9}$/.test(raw)) return undefined;
  const id = Number(raw);
  return id <= 2_147_483_647 ? id : undefined;
}

export function serializeTodo(todo: Todo, baseUrl: string): TodoJson {
  return {
    id: todo.id,
    url: `${baseUrl.replace(/\/+$/, '')}/todos/${todo.id}`,
    title: todo.title,
    completed: todo.completed,
    order: todo.order,
    createdAt: todo.createdAt.toISOString(),
    updatedAt: todo.updatedAt.toISOString(),
  };
}

function parseTitle(value: unknown, errors: string[]): string | undefined {
  if (typeof value !== 'string') {
    errors.push('title is required and must be a string');
    return undefined;
  }
  const title = value.trim();
  if (title.length === 0) errors.push('title must not be blank');
  else if (title.length > TITLE_MAX_LENGTH) errors.push(`title must be at most ${TITLE_MAX_LENGTH} characters`);
  else return title;
  return undefined;
}

function parseCompleted(value: unknown, errors: string[]): boolean | undefined {
  if (typeof value === 'boolean') return value;
  errors.push('completed must be a boolean');
  return undefined;
}

// `undefined` means invalid; `null` is a valid "no order".
function parseOrder(value: unknown, errors: string[]): number | null | undefined {
  if (value === null) return null;
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2_147_483_647) return value;
  errors.push('order must be an integer or null');
  return undefined;
}

function unknownFields(input: Record<string, unknown>): string[] {
  return Object.keys(input)
    .filter((key) => !NEW_TODO_FIELDS.has(key))
    .map((key) => `unknown field: ${key}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
