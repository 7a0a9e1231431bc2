/**
 * Variable substitution as compose-go's template package does it: `$VAR`, `${VAR}`,
 * `${VAR:-default}` / `${VAR-default}`, `${VAR:?error}` / `${VAR?error}`,
 * `${VAR:+alt}` / `${VAR+alt}`, `$$` for a literal `$`; defaults and alternatives may nest
 * (`${A:-${B:-x}}`). The colon forms treat an empty variable like an unset one.
 * Only string scalar values are interpolated, never keys (compose-spec 12-interpolation).
 */
import { IssueList } from "../../yaml/issues.ts";
import { childPath, type Pos, type YNode } from "../../yaml/node.ts";

export type Lookup = (name: string) => string | undefined;

export class InterpolationError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/**
 * Substitutes variables in one string. `onUnset` hears of variables used without a default
 * (compose warns "defaulting to a blank string").
 */
export function interpolateString(input: string, lookup: Lookup, onUnset?: (name: string) => void): string {
  let out = "";
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (next !== undefined && NAME_START.test(next)) {
      let j = i + 1;
      while (j < input.length && NAME_CHAR.test(input[j] ?? "")) j++;
      const name = input.slice(i + 1, j);
      const v = lookup(name);
      if (v === undefined) onUnset?.(name);
      out += v ?? "";
      i = j;
      continue;
    }
    if (next === "{") {
      const end = findClosingBrace(input, i + 2);
      if (end < 0) throw new InterpolationError(`invalid interpolation format for ${JSON.stringify(input)}: missing closing "}"`);
      out += substituteBraced(input.slice(i + 2, end), input, lookup, onUnset);
      i = end + 1;
      continue;
    }
    throw new InterpolationError(
      `invalid interpolation format for ${JSON.stringify(input)}: a "$" must start a variable`,
      'Write "$$" for a literal dollar sign.',
    );
  }
  return out;
}

/** Index of the `}` closing a `${` whose body starts at `from`, skipping nested `${...}`. */
function findClosingBrace(s: string, from: number): number {
  let depth = 0;
  for (let k = from; k < s.length; k++) {
    const ch = s[k];
    if (ch === "$" && s[k + 1] === "$") {
      k++;
      continue;
    }
    if (ch === "$" && s[k + 1] === "{") {
      depth++;
      k++;
      continue;
    }
    if (ch === "}") {
      if (depth === 0) return k;
      depth--;
    }
  }
  return -1;
}

const OPERATORS = [":-", ":?", ":+", "-", "?", "+"] as const;

function substituteBraced(body: string, whole: string, lookup: Lookup, onUnset?: (name: string) => void): string {
  let n = 0;
  while (n < body.length && (n === 0 ? NAME_START : NAME_CHAR).test(body[n] ?? "")) n++;
  const name = body.slice(0, n);
  if (name === "") throw new InterpolationError(`invalid interpolation format for ${JSON.stringify(whole)}: "\${${body}}" has no variable name`);
  const rest = body.slice(n);
  const value = lookup(name);
  if (rest === "") {
    if (value === undefined) onUnset?.(name);
    return value ?? "";
  }
  const op = OPERATORS.find((o) => rest.startsWith(o));
  if (op === undefined) {
    throw new InterpolationError(`invalid interpolation format for ${JSON.stringify(whole)}: unexpected "${rest}" after "\${${name}"`);
  }
  const arg = rest.slice(op.length);
  const unsetOrEmpty = value === undefined || value === "";
  // Nested templates are substituted lazily: only the branch taken is evaluated, so
  // `${A:-${B:?b is required}}` fails only when A is empty.
  const expand = (): string => interpolateString(arg, lookup, onUnset);
  switch (op) {
    case ":-":
      return unsetOrEmpty ? expand() : (value ?? "");
    case "-":
      return value === undefined ? expand() : value;
    case ":?":
      if (unsetOrEmpty) throw requiredError(name, expand());
      return value ?? "";
    case "?":
      if (value === undefined) throw requiredError(name, expand());
      return value;
    case ":+":
      return unsetOrEmpty ? "" : expand();
    case "+":
      return value === undefined ? "" : expand();
  }
}

function requiredError(name: string, message: string): InterpolationError {
  return new InterpolationError(
    `required variable ${name} is missing a value${message ? `: ${message}` : ""}`,
    `Set ${name} in the environment or in an env file (.env / --env-file).`,
  );
}

export interface InterpolateOptions {
  lookup: Lookup;
  issues: IssueList;
  onUnset?: (name: string, pos: Pos, path: string) => void;
}

/** Interpolates every string value of the tree in place; errors are collected with positions. */
export function interpolateTree(node: YNode, opts: InterpolateOptions, path = ""): void {
  switch (node.kind) {
    case "scalar":
      if (typeof node.value === "string" && node.value.includes("$")) {
        try {
          node.value = interpolateString(node.value, opts.lookup, (name) => opts.onUnset?.(name, node.pos, path));
        } catch (e) {
          if (!(e instanceof InterpolationError)) throw e;
          opts.issues.add(node.pos, path, e.message, e.hint);
        }
      }
      return;
    case "seq":
      node.items.forEach((item, i) => interpolateTree(item, opts, childPath(path, i)));
      return;
    case "map":
      for (const e of node.entries) interpolateTree(e.value, opts, childPath(path, e.key));
      return;
  }
}
