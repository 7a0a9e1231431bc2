import type pg from 'pg';
import type { NewTodo, Todo, TodoPatch } from './todo.js';
import type { TodoStore } from './todo-store.js';

interface TodoRow {
  id: number;
  title: string;
  completed: boolean;
  sort_order: number | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, title, completed, sort_order, created_at, updated_at';

/** TodoStore on PostgreSQL; the schema is migrations/*.sql (run by `migrate` before the app starts). */
export class PgTodoStore implements TodoStore {
  constructor(private readonly pool: pg.Pool) {}

  async list(): Promise<Todo[]> {
    const { rows } = await this.pool.query<TodoRow>(
      `SELECT ${COLUMNS} FROM todos ORDER BY sort_order ASC NULLS LAST, id ASC`,
    );
    return rows.map(toTodo);
  }

  async get(id: number): Promise<Todo | undefined> {
    const { rows } = await this.pool.query<TodoRow>(`SELECT ${COLUMNS} FROM todos WHERE id = $1`, [id]);
    return rows[0] && toTodo(rows[0]);
  }

  async create(todo: NewTodo): Promise<Todo> {
    const { rows } = await this.pool.query<TodoRow>(
      `INSERT INTO todos (title, completed, sort_order) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
      [todo.title, todo.completed, todo.order],
    );
    const row = rows[0];
    if (!row) throw new Error('INSERT ... RETURNING returned no row');
    return toTodo(row);
  }

  async update(id: number, patch: TodoPatch): Promise<Todo | undefined> {
    // Column names come from this fixed list, never from the request; values are parameters.
    const sets: string[] = [];
    const values: unknown[] = [];
    const set = (column: string, value: unknown): void => {
      values.push(value);
      sets.push(`${column} = $${values.length}`);
    };
    if (patch.title !== undefined) set('title', patch.title);
    if (patch.completed !== undefined) set('completed', patch.completed);
    if (patch.order !== undefined) set('sort_order', patch.order);
    if (sets.length === 0) return this.get(id);
    values.push(id);
    const { rows } = await this.pool.query<TodoRow>(
      `UPDATE todos SET ${sets.join(', ')}, updated_at = now() WHERE id = $${values.length} RETURNING ${COLUMNS}`,
      values,
    );
    return rows[0] && toTodo(rows[0]);
  }

  async remove(id: number): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM todos WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }

  async ping(): Promise<void> {
    // Checks the schema too, not just the connection: an app whose migrations never ran is not healthy.
    await this.pool.query('SELECT 1 FROM todos LIMIT 1');
  }
}

function toTodo(row: TodoRow): Todo {
  return {
    id: row.id,
    title: row.title,
    completed: row.completed,
    order: row.sort_order,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
