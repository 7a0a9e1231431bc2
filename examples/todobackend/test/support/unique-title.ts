import { randomUUID } from 'node:crypto';

/** Titles unique to one test, so suites can share a database and run in parallel. */
export function uniqueTitle(label: string): string {
  return `${label} ${randomUUID()}`;
}
