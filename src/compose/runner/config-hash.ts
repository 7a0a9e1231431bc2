/**
 * A service's config hash, stored in a label so `up` can tell an unchanged container (keep it)
 * from a changed one (recreate it) without comparing engine state field by field — compose's
 * `com.docker.compose.config-hash`. Scale is left out: changing replicas adds or removes
 * containers, it does not change the existing ones.
 */
import { createHash } from "node:crypto";
import type { Service } from "../model/index.ts";

/** JSON with sorted keys, so equal values hash equally whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

export function serviceConfigHash(service: Service, imageId?: string): string {
  const { scale: _scale, deploy, profiles: _profiles, ...rest } = service;
  const relevant = { ...rest, deploy: deploy ? { ...deploy, replicas: undefined } : undefined, imageId };
  return createHash("sha256").update(canonicalJson(relevant)).digest("hex");
}
