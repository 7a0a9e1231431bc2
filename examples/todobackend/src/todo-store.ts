import type { NewTodo, Todo, TodoPatch } from './todo.js';

/** Where todos live. The server depends on this, so unit tests can hand it an in-memory one. */
export interface TodoStore {
  list(): Promise<Todo[]>;
  get(id: number): Promise<Todo | undefined>;
  create(todo: NewTodo): Promise<Todo>;
  /** Returns the updated todo, or undefined when there is no todo with that id. */
  update(id: number, patch: TodoPatch): Promise<Todo | undefined>;
  /** Returns false when there was no todo with that id. */
  remove(id: number): Promise<boolean>;
  /** Throws when the store cannot serve requests; GET /healthz reports that as unhealthy. */
  ping(): Promise<void>;
}
