/**
 * The list filters of the Swarm endpoints, typed by the keys each one takes (from the Engine API's
 * swagger), and their encoding: the engine wants `map[string][]string` as JSON in `filters`.
 */
import type { Filters } from "./containers.ts";

/** One value or several (any of them matches); undefined leaves the key out. */
export type FilterValue = string | readonly string[] | undefined;

export interface ServiceFilters {
  id?: FilterValue;
  /** `key` or `key=value`. */
  label?: FilterValue;
  mode?: "replicated" | "global" | readonly ("replicated" | "global")[] | undefined;
  /** A name prefix, as the engine matches it. */
  name?: FilterValue;
}

export type DesiredState = "running" | "shutdown" | "accepted";

export interface TaskFilters {
  /** A service's name or ID. */
  service?: FilterValue;
  "desired-state"?: DesiredState | readonly DesiredState[] | undefined;
  /** A node's ID or name. */
  node?: FilterValue;
  /** `key` or `key=value`. */
  label?: FilterValue;
  id?: FilterValue;
  name?: FilterValue;
}

export interface NodeFilters {
  id?: FilterValue;
  /** An engine label. */
  label?: FilterValue;
  /** A node label (NodeSpec.Labels). */
  "node.label"?: FilterValue;
  membership?: "accepted" | "pending" | undefined;
  name?: FilterValue;
  role?: "manager" | "worker" | undefined;
}

export interface SwarmObjectFilters {
  id?: FilterValue;
  /** `key` or `key=value`. */
  label?: FilterValue;
  name?: FilterValue;
  /** Exact names (`name` matches a prefix). */
  names?: FilterValue;
}

/**
 * The `filters` query value: every key with at least one value, each as a list; undefined when
 * nothing filters (no parameter is sent then, rather than `{}`).
 */
export function encodeFilters<F extends { [K in keyof F]: FilterValue }>(filters: F | undefined): Filters | undefined {
  if (!filters) return undefined;
  const encoded: Filters = {};
  for (const [key, value] of Object.entries(filters) as [string, FilterValue][]) {
    if (value === undefined) continue;
    const values = typeof value === "string" ? [value] : [...value];
    if (values.length > 0) encoded[key] = values;
  }
  return Object.keys(encoded).length > 0 ? encoded : undefined;
}
