/**
 * Checks a positioned tree against a Slipway schema and reports every problem with its
 * position and key path. Values are checked as they are after interpolation.
 */
import type { IssueList } from "../../../yaml/issues.ts";
import { childPath, type ScalarNode, type YNode } from "../../../yaml/node.ts";
import { parseBytes } from "../formats.ts";
import { parseDuration } from "../../../yaml/duration.ts";
import { didYouMean } from "../../../yaml/did-you-mean.ts";
import type { ObjectSchema, Schema } from "./types.ts";

export interface ValidateContext {
  issues: IssueList;
  /** Non-fatal notes (obsolete keys). */
  warn?: (node: YNode, path: string, message: string) => void;
}

const BOOL_TEXT: Record<string, boolean> = { true: true, false: false, yes: true, no: false, on: true, off: false, y: true, n: false };

/** Reads a validated boolean (YAML booleans or compose-go's accepted words). */
export function toBool(n: ScalarNode): boolean | undefined {
  if (typeof n.value === "boolean") return n.value;
  if (typeof n.value === "string") return BOOL_TEXT[n.value.toLowerCase()];
  return undefined;
}

/** Reads a validated integer (YAML ints, or strings of digits produced by interpolation). */
export function toInt(n: ScalarNode): number | undefined {
  if (typeof n.value === "number") return Number.isInteger(n.value) ? n.value : undefined;
  if (typeof n.value === "string" && /^[+-]?\d+$/.test(n.value.trim())) return Number(n.value.trim());
  return undefined;
}

export function toNumber(n: ScalarNode): number | undefined {
  if (typeof n.value === "number") return n.value;
  if (typeof n.value === "string" && n.value.trim() !== "" && Number.isFinite(Number(n.value))) return Number(n.value);
  return undefined;
}

function describe(n: YNode): string {
  if (n.kind === "map") return "a mapping";
  if (n.kind === "seq") return "a sequence";
  if (n.value === null) return "null";
  if (typeof n.value === "string") return JSON.stringify(n.value);
  return `${typeof n.value} ${String(n.value)}`;
}

function expected(s: Schema): string {
  switch (s.t) {
    case "string":
      return s.enum ? `one of ${s.enum.map((e) => JSON.stringify(e)).join(", ")}` : "a string";
    case "int":
      return s.min !== undefined && s.min >= 0 ? "a non-negative integer" : "an integer";
    case "number":
      return "a number";
    case "bool":
      return "a boolean";
    case "duration":
      return 'a duration like "10s"';
    case "bytes":
      return 'a byte size like "512m"';
    case "object":
    case "map":
      return "a mapping";
    case "list":
      return "a sequence";
    case "union":
      return [...new Set(s.options.map(expected))].join(" or ");
    case "null":
      return "null";
    case "scalar":
      return "a string, number or boolean";
  }
}

/** Does the node have the right shape for this schema (before looking inside)? */
function kindMatches(s: Schema, n: YNode): boolean {
  switch (s.t) {
    case "object":
    case "map":
      return n.kind === "map";
    case "list":
      return n.kind === "seq";
    case "null":
      return n.kind === "scalar" && n.value === null;
    case "union":
      return s.options.some((o) => kindMatches(o, n));
    default:
      return n.kind === "scalar" && n.value !== null;
  }
}

export function validate(s: Schema, n: YNode, path: string, ctx: ValidateContext): void {
  const { issues } = ctx;
  const wrong = (message?: string): void => issues.add(n.pos, path, message ?? `expected ${expected(s)}, got ${describe(n)}`);
  switch (s.t) {
    case "union": {
      const candidates = s.options.filter((o) => kindMatches(o, n));
      if (candidates.length === 0) return wrong();
      if (candidates.length === 1) return validate(candidates[0] as Schema, n, path, ctx);
      // Several scalar shapes: accept if any fits. Else a string that fails the one string shape
      // (a port spec, say) is told what is wrong with it as a string — not that a string, an
      // integer or a mapping was expected, which it already is.
      const failures = new Map<Schema, typeof issues.items>();
      for (const c of candidates) {
        const before = issues.size;
        validate(c, n, path, ctx);
        if (issues.size === before) return;
        failures.set(c, issues.items.splice(before));
      }
      const own = n.kind === "scalar" && typeof n.value === "string" ? candidates.filter((c) => c.t === "string") : [];
      if (own.length === 1) {
        issues.items.push(...failures.get(own[0]!)!);
        return;
      }
      return wrong();
    }
    case "object":
      if (n.kind !== "map") return wrong();
      return validateObject(s, n, path, ctx);
    case "map":
      if (n.kind !== "map") return wrong();
      for (const e of n.entries) {
        const p = childPath(path, e.key);
        if (s.keyPattern && !s.keyPattern.test(e.key)) {
          issues.add(e.keyPos, p, `invalid name ${JSON.stringify(e.key)}${s.keyRule ? `: ${s.keyRule}` : ""}`);
          continue;
        }
        validate(s.values, e.value, p, ctx);
      }
      return;
    case "list":
      if (n.kind !== "seq") return wrong();
      if (s.minItems !== undefined && n.items.length < s.minItems) wrong(`expected at least ${s.minItems} item(s)`);
      n.items.forEach((item, i) => validate(s.items, item, childPath(path, i), ctx));
      return;
    case "null":
      if (n.kind !== "scalar" || n.value !== null) wrong();
      return;
    case "scalar":
      if (n.kind !== "scalar" || n.value === null) wrong();
      return;
  }
  if (n.kind !== "scalar" || n.value === null) return wrong();
  switch (s.t) {
    case "string": {
      if (typeof n.value !== "string" && !(s.acceptNumber && typeof n.value === "number")) {
        return wrong(`expected ${expected(s)}, got ${describe(n)}${typeof n.value === "number" ? " (quote it)" : ""}`);
      }
      const v = String(n.value);
      if (s.enum && !s.enum.includes(v)) {
        const guess = didYouMean(v, s.enum);
        return issues.add(n.pos, path, `expected ${expected(s)}, got ${describe(n)}`, guess ? `Did you mean "${guess}"?` : undefined);
      }
      const problem = s.check?.(v);
      if (problem) wrong(problem);
      return;
    }
    case "int": {
      const v = toInt(n);
      if (v === undefined) return wrong();
      if (s.min !== undefined && v < s.min) return wrong(`expected an integer >= ${s.min}, got ${v}`);
      if (s.max !== undefined && v > s.max) return wrong(`expected an integer <= ${s.max}, got ${v}`);
      return;
    }
    case "number": {
      const v = toNumber(n);
      if (v === undefined) return wrong();
      if (s.min !== undefined && v < s.min) wrong(`expected a number >= ${s.min}, got ${v}`);
      return;
    }
    case "bool":
      if (toBool(n) === undefined) wrong();
      return;
    case "duration": {
      if (typeof n.value !== "string") return wrong(`expected a duration like "10s", got ${describe(n)}`);
      const d = parseDuration(n.value);
      if (!d.ok) wrong(d.message);
      return;
    }
    case "bytes": {
      if (typeof n.value === "boolean") return wrong();
      const b = parseBytes(n.value);
      if (!b.ok) wrong(b.message);
      return;
    }
  }
}

function validateObject(s: ObjectSchema, n: YNode & { kind: "map" }, path: string, ctx: ValidateContext): void {
  for (const e of n.entries) {
    const p = childPath(path, e.key);
    if (s.extensions && e.key.startsWith("x-")) continue;
    const field = Object.hasOwn(s.fields, e.key) ? s.fields[e.key] : undefined;
    if (field === undefined) {
      const guess = didYouMean(e.key, Object.keys(s.fields));
      ctx.issues.add(
        e.keyPos,
        p,
        `unknown key ${JSON.stringify(e.key)} in ${s.name}${guess ? `; did you mean "${guess}"?` : ""}`,
        guess ? `Rename it to "${guess}".` : `Remove it, or prefix it with "x-" to keep it as an extension.`,
      );
      continue;
    }
    if (field.status === "refused") {
      ctx.issues.add(
        e.keyPos,
        p,
        `"${e.key}" is not supported by Slipway yet`,
        field.reason ?? `Remove "${e.key}" from the compose file for Slipway runs (an override file can hold it for docker compose).`,
      );
      continue;
    }
    if (field.warning) ctx.warn?.(e.value, p, field.warning);
    validate(field.schema, e.value, p, ctx);
  }
  for (const r of s.required ?? []) {
    if (!n.entries.some((e) => e.key === r)) ctx.issues.add(n.pos, path, `${s.name} is missing required key "${r}"`);
  }
}
