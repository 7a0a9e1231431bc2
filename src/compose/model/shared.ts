/**
 * References from one service to another's container: `service:x` namespace modes (network_mode,
 * ipc, pid, uts) and `volumes_from`. Read in one place: the loader adds the implied
 * dependencies, the consistency check names undefined services, the planner orders creates and
 * recreates, and the container spec turns them into `container:<name>`.
 */
import type { Service } from "./service.ts";

/** The service a namespace mode joins (`service:db` → `db`), or undefined (`host`, `container:x`, unset). */
export function namespaceService(mode: string | undefined): string | undefined {
  return mode?.startsWith("service:") ? mode.slice("service:".length) : undefined;
}

/** The services whose namespaces this one joins, in network_mode, ipc, pid, uts order. */
export function namespaceServices(s: Pick<Service, "network_mode" | "ipc" | "pid" | "uts">): string[] {
  return [s.network_mode, s.ipc, s.pid, s.uts].map(namespaceService).filter((x): x is string => x !== undefined && x !== "");
}

/** The service a `volumes_from` entry names (`app:ro` → `app`), or undefined for `container:x`. */
export function volumesFromService(from: string): string | undefined {
  return from.startsWith("container:") ? undefined : from.split(":")[0];
}
