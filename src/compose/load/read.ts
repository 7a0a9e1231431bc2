/**
 * Typed reads from a tree that has already passed the schema: the checks here are the schema's
 * guarantees restated, so normalization code stays short.
 */
import { parseBytes } from "./formats.ts";
import { parseDuration } from "../../yaml/duration.ts";
import { get, scalarText, toPlain, type MapNode, type YNode } from "../../yaml/node.ts";
import { toBool, toInt, toNumber } from "./schema/validate.ts";
import type { ScalarValue } from "../../yaml/node.ts";

export function asMap(n: YNode | undefined): MapNode | undefined {
  return n?.kind === "map" ? n : undefined;
}

export function readStr(m: MapNode | undefined, key: string): string | undefined {
  const n = get(m, key);
  return n?.kind === "scalar" && n.value !== null ? scalarText(n) : undefined;
}

export function readInt(m: MapNode | undefined, key: string): number | undefined {
  const n = get(m, key);
  return n?.kind === "scalar" ? toInt(n) : undefined;
}

export function readNum(m: MapNode | undefined, key: string): number | undefined {
  const n = get(m, key);
  return n?.kind === "scalar" ? toNumber(n) : undefined;
}

export function readBool(m: MapNode | undefined, key: string): boolean | undefined {
  const n = get(m, key);
  return n?.kind === "scalar" ? toBool(n) : undefined;
}

export function readDuration(m: MapNode | undefined, key: string): number | undefined {
  const s = readStr(m, key);
  if (s === undefined) return undefined;
  const d = parseDuration(s);
  return d.ok ? d.value : undefined;
}

export function readBytes(m: MapNode | undefined, key: string): number | undefined {
  const n = get(m, key);
  if (n?.kind !== "scalar" || n.value === null || typeof n.value === "boolean") return undefined;
  const b = parseBytes(n.value);
  return b.ok ? b.value : undefined;
}

/** A string or a list of strings → list. */
export function readList(m: MapNode | undefined, key: string): string[] {
  const n = get(m, key);
  if (n === undefined) return [];
  if (n.kind === "scalar") return n.value === null ? [] : [scalarText(n)];
  if (n.kind === "seq") return n.items.filter((i) => i.kind === "scalar").map((i) => scalarText(i as YNode & { kind: "scalar" }));
  return [];
}

function valueText(v: ScalarValue): string | null {
  return v === null ? null : String(v);
}

/**
 * List (`K=V`, `K`) or mapping syntax → map. `K` alone (or `K:` with no value) is `null`,
 * which callers resolve (environment) or turn into "" (labels).
 */
export function readKeyed(m: MapNode | undefined, key: string, sep: "=" | "=:" = "="): Record<string, string | null> {
  const n = get(m, key);
  const out: Record<string, string | null> = {};
  if (n?.kind === "map") {
    for (const e of n.entries) out[e.key] = e.value.kind === "scalar" ? valueText(e.value.value) : JSON.stringify(toPlain(e.value));
  } else if (n?.kind === "seq") {
    for (const item of n.items) {
      if (item.kind !== "scalar") continue;
      const text = scalarText(item);
      let i = text.indexOf("=");
      if (i < 0 && sep === "=:") i = text.indexOf(":");
      if (i < 0) out[text] = null;
      else out[text.slice(0, i)] = text.slice(i + 1);
    }
  }
  return out;
}

export function readStringMap(m: MapNode | undefined, key: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(readKeyed(m, key))) out[k] = v ?? "";
  return out;
}

/** `x-*` keys as plain data. */
export function readExtensions(m: MapNode | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of m?.entries ?? []) if (e.key.startsWith("x-")) out[e.key] = toPlain(e.value);
  return out;
}
