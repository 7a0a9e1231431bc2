/**
 * Schema first: one definition of slipway.yml gives its TypeScript types (inferred), its
 * validation (every error with file:line:column and the key path, typos with a did-you-mean), and
 * its reference documentation (docs/config.md is generated from the same definition).
 */
import type { IssueList } from "../yaml/issues.ts";
import type { YNode } from "../yaml/node.ts";
import { childPath } from "../yaml/node.ts";
import { didYouMean } from "../yaml/did-you-mean.ts";
import { parseDuration } from "../yaml/duration.ts";

export interface Type<T> {
  /** Human description of the type for docs and messages ("string", "list of strings"). */
  label: string;
  read(node: YNode, path: string, issues: IssueList): T | undefined;
  /** Nested object, for documentation. */
  object?: ObjectType<Record<string, AnyField>>;
  /** For maps/lists of objects, the element's object, for documentation. */
  element?: ObjectType<Record<string, AnyField>>;
}

export interface FieldSpec<T, Required extends boolean> {
  type: Type<T>;
  description: string;
  required: Required;
  default?: T;
  /** Default as shown in the docs when it is not a literal (e.g. "the folder name"). */
  defaultText?: string;
  example?: string;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyField = FieldSpec<any, boolean>;

type FieldValue<F> = F extends FieldSpec<infer T, infer R> ? (R extends true ? T : F extends { default: T } ? T : T | undefined) : never;
export type ObjectOf<F extends Record<string, AnyField>> = { [K in keyof F]: FieldValue<F[K]> };
export type Infer<X> = X extends Type<infer T> ? T : never;

export interface ObjectType<F extends Record<string, AnyField>> extends Type<ObjectOf<F>> {
  name: string;
  description: string;
  fields: F;
}

const kindOf = (n: YNode) => (n.kind === "scalar" ? (n.value === null ? "null" : typeof n.value) : n.kind === "seq" ? "list" : "mapping");

export function field<T>(type: Type<T>, description: string, more: { default: T; defaultText?: string; example?: string }): FieldSpec<T, false> & { default: T };
export function field<T>(type: Type<T>, description: string, more?: { required?: false; defaultText?: string; example?: string }): FieldSpec<T, false>;
export function field<T>(type: Type<T>, description: string, more: { required: true; example?: string }): FieldSpec<T, true>;
export function field<T>(type: Type<T>, description: string, more: { required?: boolean; default?: T; defaultText?: string; example?: string } = {}): FieldSpec<T, boolean> {
  return { type, description, required: more.required ?? false, ...more } as FieldSpec<T, boolean>;
}

export const string = (opts: { pattern?: RegExp; rule?: string } = {}): Type<string> => ({
  label: "string",
  read(node, path, issues) {
    if (node.kind !== "scalar" || node.value === null || typeof node.value === "boolean") {
      issues.add(node.pos, path, `expected a string, got ${kindOf(node)}`);
      return undefined;
    }
    const value = String(node.value);
    if (opts.pattern && !opts.pattern.test(value)) {
      issues.add(node.pos, path, `"${value}" is not valid: ${opts.rule ?? `must match ${opts.pattern}`}`);
      return undefined;
    }
    return value;
  },
});

export const integer = (min = 0): Type<number> => ({
  label: `integer ≥ ${min}`,
  read(node, path, issues) {
    const value = node.kind === "scalar" ? node.value : undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
      issues.add(node.pos, path, `expected an integer ≥ ${min}, got ${node.kind === "scalar" ? JSON.stringify(node.value) : kindOf(node)}`);
      return undefined;
    }
    return value;
  },
});

export const boolean = (): Type<boolean> => ({
  label: "boolean",
  read(node, path, issues) {
    if (node.kind !== "scalar" || typeof node.value !== "boolean") {
      issues.add(node.pos, path, `expected true or false, got ${node.kind === "scalar" ? JSON.stringify(node.value) : kindOf(node)}`);
      return undefined;
    }
    return node.value;
  },
});

/** A duration such as `90s`, `10m`, `1h30m`; read in milliseconds. */
export const duration = (): Type<number> => ({
  label: "duration (e.g. 90s, 10m)",
  read(node, path, issues) {
    const text = node.kind === "scalar" && typeof node.value === "string" ? node.value : undefined;
    const parsed = text === undefined ? undefined : parseDuration(text);
    if (!parsed?.ok) {
      issues.add(node.pos, path, `expected a duration such as 90s or 10m, got ${node.kind === "scalar" ? JSON.stringify(node.value) : kindOf(node)}`);
      return undefined;
    }
    return Math.round(parsed.value / 1e6);
  },
});

export const oneOf = <const V extends readonly string[]>(...values: V): Type<V[number]> => ({
  label: values.map((v) => `\`${v}\``).join(" \\| "),
  read(node, path, issues) {
    const value = node.kind === "scalar" ? String(node.value) : undefined;
    if (value === undefined || !values.includes(value)) {
      const guess = value === undefined ? undefined : didYouMean(value, values);
      issues.add(node.pos, path, `expected one of ${values.join(", ")}, got ${node.kind === "scalar" ? JSON.stringify(node.value) : kindOf(node)}${guess ? ` (did you mean "${guess}"?)` : ""}`);
      return undefined;
    }
    return value as V[number];
  },
});

export function list<T>(item: Type<T>, opts: { acceptSingle?: boolean } = {}): Type<T[]> {
  return {
    label: `list of ${item.label}${opts.acceptSingle ? ` (or one ${item.label})` : ""}`,
    ...(item.object ? { element: item.object } : {}),
    read(node, path, issues) {
      if (node.kind !== "seq") {
        if (opts.acceptSingle && node.kind !== "map") {
          const one = item.read(node, path, issues);
          return one === undefined ? undefined : [one];
        }
        issues.add(node.pos, path, `expected a list, got ${kindOf(node)}`);
        return undefined;
      }
      const out: T[] = [];
      node.items.forEach((child, i) => {
        const value = item.read(child, childPath(path, i), issues);
        if (value !== undefined) out.push(value);
      });
      return out;
    },
  };
}

export function map<T>(value: Type<T>, opts: { keyPattern?: RegExp; keyRule?: string } = {}): Type<Record<string, T>> {
  return {
    label: `mapping of name → ${value.label}`,
    ...(value.object ? { element: value.object } : {}),
    read(node, path, issues) {
      if (node.kind !== "map") {
        issues.add(node.pos, path, `expected a mapping, got ${kindOf(node)}`);
        return undefined;
      }
      const out: Record<string, T> = {};
      for (const entry of node.entries) {
        if (opts.keyPattern && !opts.keyPattern.test(entry.key)) {
          issues.add(entry.keyPos, childPath(path, entry.key), `"${entry.key}" is not a valid name: ${opts.keyRule ?? `must match ${opts.keyPattern}`}`);
          continue;
        }
        const v = value.read(entry.value, childPath(path, entry.key), issues);
        if (v !== undefined) out[entry.key] = v;
      }
      return out;
    },
  };
}

/** An object with known keys; any other key is an error with a did-you-mean. */
export function object<F extends Record<string, AnyField>>(name: string, description: string, fields: F, opts: { shorthand?: (node: YNode) => YNode | undefined } = {}): ObjectType<F> {
  const type: ObjectType<F> = {
    name,
    description,
    fields,
    label: name,
    read(input, path, issues) {
      const node = opts.shorthand?.(input) ?? input;
      if (node.kind !== "map") {
        issues.add(node.pos, path, `expected a mapping (${name}), got ${kindOf(node)}`);
        return undefined;
      }
      const out: Record<string, unknown> = {};
      let ok = true;
      for (const entry of node.entries) {
        const spec = fields[entry.key];
        if (!spec) {
          if (entry.key.startsWith("x-")) continue;
          const guess = didYouMean(entry.key, Object.keys(fields));
          issues.add(entry.keyPos, childPath(path, entry.key), `unknown key in ${name}${guess ? `; did you mean "${guess}"?` : ""}`, `Known keys: ${Object.keys(fields).join(", ")}.`);
          ok = false;
          continue;
        }
        const value = spec.type.read(entry.value, childPath(path, entry.key), issues);
        if (value === undefined) ok = false;
        else out[entry.key] = value;
      }
      for (const [key, spec] of Object.entries(fields)) {
        if (key in out) continue;
        if (spec.required && !node.entries.some((e) => e.key === key)) {
          issues.add(node.pos, path, `missing required key "${key}" in ${name}`);
          ok = false;
        } else if (spec.default !== undefined) {
          out[key] = structuredClone(spec.default);
        }
      }
      return ok ? (out as ObjectOf<F>) : undefined;
    },
  };
  type.object = type as unknown as ObjectType<Record<string, AnyField>>;
  return type;
}

/** Markdown reference for an object schema and every object nested in it. */
export function renderDocs(root: ObjectType<Record<string, AnyField>>, title: string, intro: string): string {
  const sections: string[] = [`# ${title}`, "", intro, ""];
  const seen = new Set<string>();
  const visit = (obj: ObjectType<Record<string, AnyField>>, where: string) => {
    if (seen.has(obj.name)) return;
    seen.add(obj.name);
    sections.push(`## ${where}`, "", obj.description, "", "| key | type | default | description |", "|---|---|---|---|");
    const nested: [ObjectType<Record<string, AnyField>>, string][] = [];
    for (const [key, spec] of Object.entries(obj.fields)) {
      const dflt = spec.required ? "**required**" : spec.defaultText ?? (spec.default === undefined ? "" : `\`${JSON.stringify(spec.default)}\``);
      const child = spec.type.object ?? spec.type.element;
      const link = child ? `[${child.name}](#${anchor(`${where}.${key}`)})` : "";
      const label = child ? spec.type.label.split(child.name).join(link) : spec.type.label;
      sections.push(`| \`${key}\` | ${label} | ${dflt} | ${spec.description}${spec.example ? ` Example: \`${spec.example}\`.` : ""} |`);
      if (child) nested.push([child, `${where}.${key}`]);
    }
    sections.push("");
    for (const [child, at] of nested) visit(child, at);
  };
  visit(root, root.name);
  return `${sections.join("\n").trimEnd()}\n`;
}

function anchor(heading: string): string {
  return heading.toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-");
}
