import type { NewTodo, Todo, TodoPatch } from '../../src/todo.js';
import type { TodoStore } from '../../src/todo-store.js';

/** A TodoStore in a Map, for unit tests of the HTTP layer. `failPing` makes /healthz unhealthy. */
export class MemoryTodoStore implements TodoStore {
  private readonly todos = new Map<number, Todo>();
  private nextId = 1;
  failPing: Error | undefined;

  constructor(private readonly now: () => Date = () => new Date('2024-01-02T03:04:05.000Z')) {}

  async list(): Promise<Todo[]> {
    return [...this.todos.values()].sort(
      (a, b) => (a.order ?? Number.POSITIVE_INFINITY) - (b.order ?? Number.POSITIVE_INFINITY) || a.id - b.id,
    );
  }

  async get(id: number): Promise<Todo | undefined> {
    return this.todos.get(id);
  }

  async create(todo: NewTodo): Promise<Todo> {
    const created: Todo = { id: this.nextId++, ...todo, createdAt: this.now(), updatedAt: this.now() };
    this.todos.set(created.id, created);
    return created;
  }

  async update(id: number, patch: TodoPatch): Promise<Todo | undefined> {
    const existing = this.todos.get(id);
    if (!existing) return undefined;
    const updated: Todo = { ...existing, ...patch, updatedAt: this.now() };
    this.todos.set(id, updated);
    return updated;
  }

  async remove(id: number): Promise<boolean> {
    return this.todos.delete(id);
  }

  async ping(): Promise<void> {
    if (this.failPing) throw this.failPing;
  }
}
