/**
 * Who owns a run's resources. Enough to tell, from labels alone, when the owner is gone: the host
 * and its boot id (a reboot kills every process), the pid (dead or reused), and an expiry for
 * owners on other hosts that we cannot check.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { RunOwner } from "./labels.ts";

export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

export function bootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "unknown";
  }
}

export const DEFAULT_RUN_TTL_MS = 6 * 60 * 60 * 1000;

export function currentOwner(runId: string, now: Date = new Date(), ttlMs = DEFAULT_RUN_TTL_MS): RunOwner {
  return {
    runId,
    host: hostname(),
    bootId: bootId(),
    pid: process.pid,
    expires: new Date(now.getTime() + ttlMs).toISOString(),
  };
}
