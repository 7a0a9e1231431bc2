/**
 * The `--format` engine of the compose listings, as docker compose v2 (2.26.1) reads the flag:
 * `table` (the default columns), `table TEMPLATE`, `json` (one object per line), `raw` and a bare
 * `TEMPLATE`, where a template is Go's text/template with the docker CLI's functions. Slipway
 * runs a small, strict subset of that language; whatever falls outside it is refused by name
 * (TemplateError → a usage error, exit 2) rather than guessed at, so a script never gets output
 * that differs from compose's. Tables are laid out as Go's text/tabwriter lays them out.
 *
 * The subset: text; `{{ pipeline }}` with `{{-`/`-}}` trimming and comments; fields and field
 * chains (`.Name`, `.Publishers`, `$.Name`, `(index .Publishers 0).URL`); methods with
 * arguments (`.Label "x"`); string, number and boolean literals; `|` pipes; `if`/`else if`/
 * `else`/`end` and `range`/`else`/`end`; the functions json, split, join, title, lower, upper,
 * pad, truncate (the docker CLI's), index, len, eq, ne, lt, le, gt, ge, and, or, not, print,
 * println and printf (verbs %s %d %v %q, with width and `-`). Not in it: variables, `with`,
 * `define`/`template`/`block`, `break`/`continue`, character and floating-point literals, other
 * functions and printf verbs.
 */
import { SlipwayError } from "../../errors/index.ts";
import { goJson, goQuote } from "../../compose/runner/display-values.ts";

// ---------------------------------------------------------------------------------------------
// Values: what a template sees, typed as Go types are (the type decides printing and errors).

/** Go's invalid value (a map's missing key): printed as `<no value>`. */
export const NO_VALUE: unique symbol = Symbol("<no value>");

export type GoValue = string | number | boolean | GoSlice | GoStruct | typeof NO_VALUE;

/** A Go slice; a nil one prints `[]` and encodes as JSON `null`. */
export class GoSlice {
  constructor(
    readonly type: string,
    readonly items: readonly GoValue[],
    readonly nil = false,
  ) {}
}

export interface GoMethod {
  arity: number;
  call(args: GoValue[]): GoValue;
}

export interface GoStructOptions {
  /** Methods that take arguments (`Label "x"`); fields and niladic methods are `fields`. */
  methods?: Record<string, GoMethod>;
  /** Its JSON text, when the Go type has its own MarshalJSON. */
  json?: () => string;
  /** false for types whose Go printing shows internals (compose's row contexts). */
  printable?: boolean;
  /** A missing field: an error (a struct), or `<no value>` (a map: the table header). */
  missing?: "error" | "no-value";
}

export class GoStruct {
  constructor(
    readonly type: string,
    readonly fields: Readonly<Record<string, GoValue>>,
    readonly options: GoStructOptions = {},
  ) {}
}

export class TemplateError extends Error {
  override name = "TemplateError";
}

/** A template refused or failed: a usage error (exit 2) naming the part. */
export function formatError(err: TemplateError, format: string): SlipwayError {
  return new SlipwayError(`--format ${JSON.stringify(format)}: ${err.message}`, {
    code: "FORMAT_TEMPLATE",
    kind: "usage",
    hint: "Slipway runs a subset of Go templates (fields, .Label \"key\", json, upper, lower, title, truncate, pad, join, split, index, len, eq/ne/lt/le/gt/ge, and/or/not, print/printf, if, range); use `--format json` and a JSON tool for the rest.",
  });
}

// ---------------------------------------------------------------------------------------------
// Parsing.

type Node =
  | { kind: "text"; text: string }
  | { kind: "action"; pipe: Pipe }
  | { kind: "if"; pipe: Pipe; then: Node[]; otherwise: Node[] }
  | { kind: "range"; pipe: Pipe; body: Node[]; otherwise: Node[] };

type Pipe = Cmd[];
type Cmd = Arg[];
type Arg =
  | { kind: "dot"; chain: string[] }
  | { kind: "root"; chain: string[] }
  | { kind: "func"; name: string }
  | { kind: "literal"; value: GoValue }
  | { kind: "paren"; pipe: Pipe; chain: string[] };

export interface Template {
  readonly source: string;
  readonly nodes: readonly Node[];
}

const FUNCTIONS = new Set(["json", "split", "join", "title", "lower", "upper", "pad", "truncate", "index", "len", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "print", "println", "printf"]);
const UNSUPPORTED_KEYWORDS = new Set(["with", "define", "template", "block", "break", "continue"]);
const GO_BUILTINS_NOT_HERE = new Set(["html", "js", "urlquery", "slice", "call"]);

interface Token {
  type: "field" | "var" | "ident" | "string" | "number" | "pipe" | "open" | "close";
  text: string;
  value?: string | number;
  spaceBefore: boolean;
}

/** Parses a Go template; throws TemplateError naming what the subset does not take. */
export function parseTemplate(source: string): Template {
  const items = splitActions(source);
  let pos = 0;
  const parseList = (ends: readonly string[]): { nodes: Node[]; end: string; endTokens: Token[] } => {
    const nodes: Node[] = [];
    while (pos < items.length) {
      const item = items[pos++]!;
      if (typeof item === "string") {
        if (item) nodes.push({ kind: "text", text: item });
        continue;
      }
      const tokens = item;
      if (tokens.length === 0) throw new TemplateError("missing value for command: {{}}");
      const head = tokens[0]!;
      if (head.type === "ident" && (head.text === "end" || head.text === "else")) {
        if (!ends.includes(head.text)) throw new TemplateError(`unexpected {{${head.text}}}`);
        if (head.text === "end" && tokens.length > 1) throw new TemplateError("unexpected tokens after {{end}}");
        return { nodes, end: head.text, endTokens: tokens.slice(1) };
      }
      if (head.type === "ident" && (head.text === "if" || head.text === "range")) {
        nodes.push(parseControl(head.text, tokens.slice(1)));
        continue;
      }
      if (head.type === "ident" && UNSUPPORTED_KEYWORDS.has(head.text)) throw new TemplateError(`{{${head.text}}} is not supported`);
      nodes.push({ kind: "action", pipe: parsePipe(tokens) });
    }
    if (ends.length) throw new TemplateError(`unexpected end of template: missing {{end}}`);
    return { nodes, end: "", endTokens: [] };
  };
  const parseControl = (keyword: "if" | "range", tokens: Token[]): Node => {
    if (tokens.length === 0) throw new TemplateError(`missing value for ${keyword}`);
    const pipe = parsePipe(tokens);
    const first = parseList(["end", "else"]);
    let otherwise: Node[] = [];
    if (first.end === "else") {
      if (first.endTokens.length > 0) {
        // `{{else if …}}` is an if inside the else branch, closed by the same {{end}}.
        const next = first.endTokens;
        if (keyword !== "if" || next[0]?.type !== "ident" || next[0].text !== "if") throw new TemplateError(`unexpected tokens after {{else}}`);
        otherwise = [parseControl("if", next.slice(1))];
      } else {
        const rest = parseList(["end"]);
        otherwise = rest.nodes;
      }
    }
    return keyword === "if" ? { kind: "if", pipe, then: first.nodes, otherwise } : { kind: "range", pipe, body: first.nodes, otherwise };
  };
  const { nodes } = parseList([]);
  return { source, nodes };
}

/** Text and the token lists of actions, trim markers applied and comments dropped. */
function splitActions(source: string): (string | Token[])[] {
  const out: (string | Token[])[] = [];
  let i = 0;
  let trimNext = false;
  while (i < source.length) {
    const open = source.indexOf("{{", i);
    let text = source.slice(i, open < 0 ? source.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, "");
    trimNext = false;
    if (open < 0) {
      out.push(text);
      break;
    }
    let start = open + 2;
    if (/^-[ \t\r\n]/.test(source.slice(start, start + 2))) {
      text = text.replace(/[ \t\r\n]+$/, "");
      start += 2;
    }
    out.push(text);
    const close = findActionEnd(source, start);
    if (close < 0) throw new TemplateError(`unclosed action: ${source.slice(open, open + 20)}`);
    let inner = source.slice(start, close);
    if (/[ \t\r\n]-$/.test(inner)) {
      inner = inner.slice(0, -2);
      trimNext = true;
    }
    i = close + 2;
    const trimmed = inner.trim();
    if (trimmed.startsWith("/*")) {
      if (!trimmed.endsWith("*/")) throw new TemplateError("unclosed comment");
      continue;
    }
    out.push(lexAction(inner));
  }
  return out;
}

function findActionEnd(source: string, from: number): number {
  let quote = "";
  for (let i = from; i < source.length; i++) {
    const c = source[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = "";
      continue;
    }
    if (c === '"' || c === "`" || c === "'") quote = c;
    else if (c === "}" && source[i + 1] === "}") return i;
  }
  return -1;
}

function lexAction(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let space = true;
  while (i < text.length) {
    const rest = text.slice(i);
    const ws = /^[ \t\r\n]+/.exec(rest);
    if (ws) {
      i += ws[0].length;
      space = true;
      continue;
    }
    const push = (t: Omit<Token, "spaceBefore">, length: number) => {
      tokens.push({ ...t, spaceBefore: space });
      i += length;
      space = false;
    };
    let m: RegExpExecArray | null;
    if ((m = /^\.(?:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)?/.exec(rest)) && !/^\.\d/.test(rest)) push({ type: "field", text: m[0] }, m[0].length);
    else if ((m = /^\$(?:\.[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)?(?![\w])/.exec(rest))) push({ type: "var", text: m[0] }, m[0].length);
    else if (rest.startsWith("$")) throw new TemplateError(`variables are not supported: ${/^\$\w*/.exec(rest)![0]}`);
    else if ((m = /^[A-Za-z_]\w*/.exec(rest))) push({ type: "ident", text: m[0] }, m[0].length);
    else if ((m = /^"(?:[^"\\]|\\.)*"/.exec(rest))) push({ type: "string", text: m[0], value: unquoteGo(m[0]) }, m[0].length);
    else if ((m = /^`[^`]*`/.exec(rest))) push({ type: "string", text: m[0], value: m[0].slice(1, -1) }, m[0].length);
    else if ((m = /^[-+]?\d+(?![\w.])/.exec(rest))) push({ type: "number", text: m[0], value: Number(m[0]) }, m[0].length);
    else if (/^[-+]?(\d|\.\d)/.test(rest)) throw new TemplateError(`number ${/^[-+.\w]+/.exec(rest)![0]} is not supported (integers only)`);
    else if (rest.startsWith("|")) push({ type: "pipe", text: "|" }, 1);
    else if (rest.startsWith("(")) push({ type: "open", text: "(" }, 1);
    else if (rest.startsWith(")")) push({ type: "close", text: ")" }, 1);
    else if (rest.startsWith(":=") || rest.startsWith("=")) throw new TemplateError("variables are not supported (:= and =)");
    else if (rest.startsWith("'")) throw new TemplateError(`character literals are not supported: ${rest.slice(0, 3)}`);
    else if (rest.startsWith(",")) throw new TemplateError("range over two variables is not supported");
    else throw new TemplateError(`unexpected ${JSON.stringify(rest[0])} in action`);
  }
  return tokens;
}

function unquoteGo(quoted: string): string {
  const body = quoted.slice(1, -1);
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_m, e: string) => {
    const simple: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", '"': '"' };
    if (e in simple) return simple[e]!;
    if (/^[xuU]/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 16));
    if (/^[0-7]{3}$/.test(e)) return String.fromCodePoint(parseInt(e, 8));
    throw new TemplateError(`unknown escape \\${e} in a string`);
  });
}

function parsePipe(tokens: Token[]): Pipe {
  let pos = 0;
  const parsePipeUntil = (closing: boolean): Pipe => {
    const cmds: Cmd[] = [];
    let cmd: Cmd = [];
    while (pos < tokens.length) {
      const t = tokens[pos]!;
      if (t.type === "close") {
        if (!closing) throw new TemplateError("unexpected ) in action");
        break;
      }
      pos++;
      if (t.type === "pipe") {
        if (cmd.length === 0) throw new TemplateError("missing command before |");
        cmds.push(cmd);
        cmd = [];
        continue;
      }
      cmd.push(parseOperand(t));
    }
    if (cmd.length === 0) throw new TemplateError(cmds.length ? "missing command after |" : "missing value for command");
    cmds.push(cmd);
    for (const c of cmds.slice(1)) {
      const head = c[0]!;
      if (head.kind === "literal") throw new TemplateError(`cannot pipe into a literal`);
    }
    return cmds;
  };
  const parseOperand = (t: Token): Arg => {
    switch (t.type) {
      case "field":
        return { kind: "dot", chain: t.text === "." ? [] : t.text.slice(1).split(".") };
      case "var":
        return { kind: "root", chain: t.text === "$" ? [] : t.text.slice(2).split(".") };
      case "string":
        return { kind: "literal", value: t.value as string };
      case "number":
        return { kind: "literal", value: t.value as number };
      case "open": {
        const pipe = parsePipeUntil(true);
        if (tokens[pos]?.type !== "close") throw new TemplateError("unclosed left paren");
        pos++;
        const next = tokens[pos];
        let chain: string[] = [];
        if (next && next.type === "field" && !next.spaceBefore && next.text !== ".") {
          chain = next.text.slice(1).split(".");
          pos++;
        }
        return { kind: "paren", pipe, chain };
      }
      case "ident": {
        if (t.text === "true" || t.text === "false") return { kind: "literal", value: t.text === "true" };
        if (t.text === "nil") throw new TemplateError("nil is not supported");
        if (FUNCTIONS.has(t.text)) return { kind: "func", name: t.text };
        if (UNSUPPORTED_KEYWORDS.has(t.text) || ["if", "range", "else", "end"].includes(t.text)) throw new TemplateError(`unexpected keyword ${t.text} inside an action`);
        if (GO_BUILTINS_NOT_HERE.has(t.text)) throw new TemplateError(`function "${t.text}" is not supported`);
        throw new TemplateError(`function "${t.text}" not defined`);
      }
      default:
        throw new TemplateError(`unexpected ${t.text} in action`);
    }
  };
  const pipe = parsePipeUntil(false);
  if (pos < tokens.length) throw new TemplateError(`unexpected ${tokens[pos]!.text} in action`);
  return pipe;
}

// ---------------------------------------------------------------------------------------------
// Execution.

type Func = (args: GoValue[]) => GoValue;

/** Runs a template on `dot`; throws TemplateError when Go's would fail. */
export function executeTemplate(t: Template, dot: GoValue): string {
  const out: string[] = [];
  new Execution(DATA_FUNCS, dot, out).walk(t.nodes, dot);
  return out.join("");
}

/**
 * Runs a template for the table header, as the docker CLI does: on the header map (a missing
 * field is `<no value>`), with functions that give back their text, and keeping what was written
 * before an error (the docker CLI ignores the header's errors).
 */
export function executeHeader(t: Template, header: GoStruct): string {
  const out: string[] = [];
  try {
    new Execution({ ...DATA_FUNCS, ...HEADER_FUNCS }, header, out).walk(t.nodes, header);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
  }
  return out.join("");
}

class Execution {
  constructor(
    readonly funcs: Record<string, Func>,
    readonly root: GoValue,
    readonly out: string[],
  ) {}

  walk(nodes: readonly Node[], dot: GoValue): void {
    for (const node of nodes) {
      switch (node.kind) {
        case "text":
          this.out.push(node.text);
          break;
        case "action":
          this.out.push(printValue(this.pipe(node.pipe, dot)));
          break;
        case "if": {
          const value = this.pipe(node.pipe, dot);
          const truth = isTrue(value);
          if (truth === undefined) throw new TemplateError(`if can't use ${printForError(value)}`);
          this.walk(truth ? node.then : node.otherwise, dot);
          break;
        }
        case "range": {
          const value = this.pipe(node.pipe, dot);
          if (!(value instanceof GoSlice)) throw new TemplateError(`range can't iterate over ${printForError(value)}`);
          if (value.items.length === 0) this.walk(node.otherwise, dot);
          for (const item of value.items) this.walk(node.body, item);
          break;
        }
      }
    }
  }

  pipe(pipe: Pipe, dot: GoValue): GoValue {
    let value: GoValue | undefined;
    for (const cmd of pipe) value = this.command(cmd, dot, value);
    return value!;
  }

  command(cmd: Cmd, dot: GoValue, piped: GoValue | undefined): GoValue {
    const [head, ...rest] = cmd as [Arg, ...Arg[]];
    const args = (): GoValue[] => {
      const values = rest.map((a) => this.operand(a, dot));
      if (piped !== undefined) values.push(piped);
      return values;
    };
    if (head.kind === "func") return this.call(head.name, args());
    const hasArgs = rest.length > 0 || piped !== undefined;
    if (hasArgs) {
      if (head.kind === "literal") throw new TemplateError(`can't give argument to non-function ${printForError(head.value)}`);
      const chain = head.chain;
      if (chain.length === 0) throw new TemplateError(`can't give argument to non-function ${head.kind === "root" ? "$" : "."}`);
      const receiver = this.chain(this.base(head, dot), chain.slice(0, -1));
      return field(receiver, chain[chain.length - 1]!, args());
    }
    return this.operand(head, dot);
  }

  operand(arg: Arg, dot: GoValue): GoValue {
    switch (arg.kind) {
      case "literal":
        return arg.value;
      case "func":
        return this.call(arg.name, []);
      default:
        return this.chain(this.base(arg, dot), arg.chain);
    }
  }

  base(arg: Arg, dot: GoValue): GoValue {
    if (arg.kind === "root") return this.root;
    if (arg.kind === "paren") return this.pipe(arg.pipe, dot);
    return dot;
  }

  chain(value: GoValue, names: readonly string[]): GoValue {
    return names.reduce<GoValue>((v, name) => field(v, name, []), value);
  }

  call(name: string, args: GoValue[]): GoValue {
    const fn = this.funcs[name];
    if (!fn) throw new TemplateError(`function "${name}" not defined`);
    return fn(args);
  }
}

function field(receiver: GoValue, name: string, args: GoValue[]): GoValue {
  if (receiver instanceof GoStruct) {
    const method = receiver.options.methods?.[name];
    if (method) {
      if (args.length !== method.arity) throw new TemplateError(`wrong number of args for ${name}: want ${method.arity} got ${args.length}`);
      return method.call(args);
    }
    if (Object.hasOwn(receiver.fields, name)) {
      if (args.length) throw new TemplateError(`${name} is not a method but has arguments`);
      return receiver.fields[name]!;
    }
    if (receiver.options.missing === "no-value") {
      if (args.length) throw new TemplateError(`${name} is not a method but has arguments`);
      return NO_VALUE;
    }
    const known = [...Object.keys(receiver.fields), ...Object.keys(receiver.options.methods ?? {})].sort();
    throw new TemplateError(`can't evaluate field ${name} in type ${receiver.type} (its fields: ${known.join(", ")})`);
  }
  throw new TemplateError(`can't evaluate field ${name} in type ${typeName(receiver)}`);
}

function typeName(v: GoValue): string {
  if (v === NO_VALUE) return "<no value>";
  if (v instanceof GoSlice || v instanceof GoStruct) return v.type;
  if (typeof v === "number") return "int";
  return typeof v === "boolean" ? "bool" : "string";
}

/** Go's fmt printing of a value (what `{{.X}}` writes). */
export function printValue(v: GoValue): string {
  if (v === NO_VALUE) return "<no value>";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v instanceof GoSlice) return `[${v.items.map(printValue).join(" ")}]`;
  if (v.options.printable === false) throw new TemplateError(`printing a whole ${v.type} is not supported (Go prints its internals); use {{json .}} or its fields`);
  return `{${Object.values(v.fields).map(printValue).join(" ")}}`;
}

function printForError(v: GoValue): string {
  try {
    return v === NO_VALUE ? "<no value>" : printValue(v);
  } catch {
    return v instanceof GoStruct ? v.type : String(v);
  }
}

/** Go template truth: false, 0, "" and empty slices are false; `<no value>` cannot be judged. */
function isTrue(v: GoValue): boolean | undefined {
  if (v === NO_VALUE) return undefined;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") return v !== "";
  if (v instanceof GoSlice) return v.items.length > 0;
  return true;
}

/** The value as plain JSON data, as encoding/json sees the Go value. */
function jsonData(v: GoValue): unknown {
  if (v === NO_VALUE) return null;
  if (v instanceof GoSlice) return v.nil ? null : v.items.map(jsonData);
  if (v instanceof GoStruct) return Object.fromEntries(Object.entries(v.fields).map(([k, x]) => [k, jsonData(x)]));
  return v;
}

function str(name: string, v: GoValue | undefined): string {
  if (v === undefined) throw new TemplateError(`wrong number of args for ${name}`);
  if (v === NO_VALUE) throw new TemplateError(`error calling ${name}: invalid value; expected string`);
  if (typeof v !== "string") throw new TemplateError(`wrong type for value; expected string; got ${typeName(v)}`);
  return v;
}

function int(name: string, v: GoValue | undefined): number {
  if (v === undefined) throw new TemplateError(`wrong number of args for ${name}`);
  if (typeof v !== "number") throw new TemplateError(`wrong type for value; expected int; got ${typeName(v)}`);
  return v;
}

function arity(name: string, args: GoValue[], n: number): void {
  if (args.length !== n) throw new TemplateError(`wrong number of args for ${name}: want ${n} got ${args.length}`);
}

const utf8Length = (s: string): number => Buffer.byteLength(s, "utf8");

function compare(name: string, a: GoValue, b: GoValue): number {
  if (a === NO_VALUE || b === NO_VALUE) throw new TemplateError(`error calling ${name}: invalid type for comparison`);
  const kind = (v: GoValue) => (typeof v === "string" ? "string" : typeof v === "number" ? "int" : typeof v === "boolean" ? "bool" : "other");
  if (kind(a) === "other" || kind(b) === "other") throw new TemplateError(`error calling ${name}: invalid type for comparison`);
  if (kind(a) !== kind(b)) throw new TemplateError(`error calling ${name}: incompatible types for comparison`);
  if (typeof a === "boolean") {
    if (name !== "eq" && name !== "ne") throw new TemplateError(`error calling ${name}: invalid type for comparison`);
    return a === b ? 0 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Go's fmt.Sprint: a space between operands when neither side is a string. */
function sprint(args: GoValue[]): string {
  let out = "";
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += printValue(a);
  });
  return out;
}

function sprintf(format: string, args: GoValue[]): string {
  let next = 0;
  return format.replace(/%([-+# 0]*)(\d*)(?:\.(\d+))?([a-zA-Z%])?/g, (whole, flags: string, width: string, precision: string | undefined, verb: string | undefined) => {
    if (verb === "%" && !flags && !width) return "%";
    if (!verb || !"sdvq".includes(verb) || precision !== undefined || /[+# 0]/.test(flags)) throw new TemplateError(`printf verb ${whole} is not supported (only %s %d %v %q, with a width and -)`);
    const arg = args[next++];
    if (arg === undefined) return `%!${verb}(MISSING)`;
    let text: string;
    if (verb === "d") text = typeof arg === "number" ? String(arg) : `%!d(${typeName(arg)}=${printForError(arg)})`;
    else if (verb === "q") text = typeof arg === "string" ? goQuote(arg) : `%!q(${typeName(arg)}=${printForError(arg)})`;
    else text = printValue(arg);
    const pad = Math.max(0, Number(width || 0) - [...text].length);
    return flags.includes("-") ? text + " ".repeat(pad) : " ".repeat(pad) + text;
  });
}

const DATA_FUNCS: Record<string, Func> = {
  json(args) {
    arity("json", args, 1);
    const v = args[0]!;
    if (v instanceof GoStruct && v.options.json) return v.options.json();
    return goJson(jsonData(v), { escapeHtml: false });
  },
  split(args) {
    arity("split", args, 2);
    const s = str("split", args[0]);
    const sep = str("split", args[1]);
    const parts = sep === "" ? [...s] : s.split(sep);
    return new GoSlice("[]string", parts);
  },
  join(args) {
    arity("join", args, 2);
    const list = args[0]!;
    if (!(list instanceof GoSlice) || list.type !== "[]string") throw new TemplateError(`wrong type for value; expected []string; got ${typeName(list)}`);
    return list.items.join(str("join", args[1]));
  },
  title(args) {
    arity("title", args, 1);
    return goTitle(str("title", args[0]));
  },
  lower(args) {
    arity("lower", args, 1);
    return str("lower", args[0]).toLowerCase();
  },
  upper(args) {
    arity("upper", args, 1);
    return str("upper", args[0]).toUpperCase();
  },
  pad(args) {
    arity("pad", args, 3);
    const s = str("pad", args[0]);
    return s === "" ? s : " ".repeat(Math.max(0, int("pad", args[1]))) + s + " ".repeat(Math.max(0, int("pad", args[2])));
  },
  truncate(args) {
    arity("truncate", args, 2);
    const s = str("truncate", args[0]);
    const n = int("truncate", args[1]);
    // Go cuts bytes, not characters.
    return utf8Length(s) < n ? s : Buffer.from(s, "utf8").subarray(0, Math.max(0, n)).toString("utf8");
  },
  index(args) {
    if (args.length === 0) throw new TemplateError("wrong number of args for index: want at least 1 got 0");
    let v = args[0]!;
    for (const i of args.slice(1)) {
      if (!(v instanceof GoSlice) && typeof v !== "string") throw new TemplateError(`error calling index: can't index item of type ${typeName(v)}`);
      if (typeof i !== "number") throw new TemplateError(`error calling index: cannot index slice/array with type ${typeName(i)}`);
      const length = typeof v === "string" ? utf8Length(v) : v.items.length;
      if (i < 0 || i >= length) throw new TemplateError(`error calling index: index out of range: ${i}`);
      v = typeof v === "string" ? Buffer.from(v, "utf8")[i]! : v.items[i]!;
    }
    return v;
  },
  len(args) {
    arity("len", args, 1);
    const v = args[0]!;
    if (typeof v === "string") return utf8Length(v);
    if (v instanceof GoSlice) return v.items.length;
    throw new TemplateError(`error calling len: len of type ${typeName(v)}`);
  },
  eq(args) {
    if (args.length < 2) throw new TemplateError("missing argument for comparison");
    return args.slice(1).some((b) => compare("eq", args[0]!, b) === 0);
  },
  ne: (args) => (arity("ne", args, 2), compare("ne", args[0]!, args[1]!) !== 0),
  lt: (args) => (arity("lt", args, 2), compare("lt", args[0]!, args[1]!) < 0),
  le: (args) => (arity("le", args, 2), compare("le", args[0]!, args[1]!) <= 0),
  gt: (args) => (arity("gt", args, 2), compare("gt", args[0]!, args[1]!) > 0),
  ge: (args) => (arity("ge", args, 2), compare("ge", args[0]!, args[1]!) >= 0),
  and(args) {
    if (args.length === 0) throw new TemplateError("wrong number of args for and: want at least 1 got 0");
    return args.find((a) => !isTrue(a)) ?? args[args.length - 1]!;
  },
  or(args) {
    if (args.length === 0) throw new TemplateError("wrong number of args for or: want at least 1 got 0");
    return args.find((a) => isTrue(a)) ?? args[args.length - 1]!;
  },
  not: (args) => (arity("not", args, 1), !isTrue(args[0]!)),
  print: (args) => sprint(args),
  println: (args) => `${args.map(printValue).join(" ")}\n`,
  printf(args) {
    if (args.length === 0) throw new TemplateError("wrong number of args for printf: want at least 1 got 0");
    return sprintf(str("printf", args[0]), args.slice(1));
  },
};

/**
 * Go's strings.Title: a character after a separator is upper-cased. Separators are ASCII
 * characters other than letters, digits and `_`, and non-ASCII spaces.
 */
function goTitle(s: string): string {
  let prev = " ";
  let out = "";
  for (const r of s) {
    out += isTitleSeparator(prev) ? r.toUpperCase() : r;
    prev = r;
  }
  return out;
}

function isTitleSeparator(r: string): boolean {
  if (r.codePointAt(0)! <= 0x7f) return !/[0-9A-Za-z_]/.test(r);
  return !/[\p{L}\p{Nd}]/u.test(r) && /\s/u.test(r);
}

/** The docker CLI's HeaderFunctions: in a table's header these give back the column's name. */
const HEADER_FUNCS: Record<string, Func> = Object.fromEntries(
  (
    [
      ["json", 1],
      ["split", 2],
      ["join", 2],
      ["title", 1],
      ["lower", 1],
      ["upper", 1],
      ["truncate", 2],
    ] as const
  ).map(([name, n]) => [
    name,
    (args: GoValue[]) => {
      arity(name, args, n);
      return str(name, args[0]);
    },
  ]),
);

// ---------------------------------------------------------------------------------------------
// The --format flag.

/** A `--format` value made ready: a table (header and rows through tabwriter) or lines. */
export interface CompiledFormat {
  table: boolean;
  template: Template;
}

/**
 * The docker CLI's reading of a format (formatter.Context.preFormat): `table…` is a table of the
 * rest, `json` is `{{json .}}`, spaces around are dropped and the escapes `\t` and `\n` are tabs
 * and newlines. `defaultTable` is what `table` (or no format) means for the listing.
 */
export function compileFormat(format: string, defaults: { table: string; raw?: string }): CompiledFormat {
  let source = format === "" || format === "table" ? defaults.table : format === "raw" && defaults.raw ? defaults.raw : format;
  const table = source.startsWith("table");
  if (table) source = source.slice("table".length);
  else if (source === "json") source = "{{json .}}";
  source = source.replace(/^ +| +$/g, "").replaceAll("\\t", "\t").replaceAll("\\n", "\n");
  try {
    return { table, template: parseTemplate(source) };
  } catch (err) {
    if (err instanceof TemplateError) throw formatError(err, format);
    throw err;
  }
}

/** Rows through a compiled format, as the docker CLI writes them (each row then a newline). */
export function renderFormat(compiled: CompiledFormat, rows: readonly GoValue[], header: GoStruct, format: string): string {
  let body = "";
  try {
    for (const row of rows) body += `${executeTemplate(compiled.template, row)}\n`;
  } catch (err) {
    if (err instanceof TemplateError) throw formatError(err, format);
    throw err;
  }
  if (!compiled.table) return body;
  return tabwrite(`${executeHeader(compiled.template, header)}\n${body}`, { minWidth: 10, padding: 3 });
}

/** The docker CLI's table header map: known columns by name, anything else `<no value>`. */
export function headerContext(columns: Record<string, string>): GoStruct {
  return new GoStruct("formatter.SubHeaderContext", columns, {
    missing: "no-value",
    methods: {
      // SubHeaderContext.Label: the last dotted part, dashes and underscores as spaces.
      Label: { arity: 1, call: ([name]) => str("Label", name).split(".").pop()!.replace(/[-_]/g, " ") },
    },
  });
}

/** compose's `--format` of ls and images: table (also `pretty` or empty) or json, any case. */
export function listFormat(format: string): "table" | "json" {
  const lower = format.toLowerCase();
  if (lower === "table" || lower === "pretty" || lower === "") return "table";
  if (lower === "json") return "json";
  throw new SlipwayError(`format value ${JSON.stringify(format)} could not be parsed: parsing failed`, {
    code: "FORMAT_UNKNOWN",
    kind: "usage",
    hint: "This listing takes --format table or --format json.",
  });
}

// ---------------------------------------------------------------------------------------------
// Go's text/tabwriter (flags 0, padding with spaces), which every compose table goes through.

/**
 * Lays out tab-separated cells in columns: a cell ends at a tab; a line's last cell (after its
 * last tab) is not part of a column. A column's width, over a block of consecutive lines that
 * have it, is its widest cell plus `padding`, at least `minWidth`; widths count characters.
 */
export function tabwrite(text: string, opts: { minWidth: number; padding: number }): string {
  const lines = text.split("\n").map((line) => line.split("\t"));
  const out: string[] = [];
  const widths: number[] = [];
  const length = (s: string): number => [...s].length;

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      let line = "";
      cells.forEach((cell, j) => {
        line += cell;
        if (j < widths.length) line += " ".repeat(Math.max(0, widths[j]! - length(cell)));
      });
      out.push(i + 1 === lines.length ? line : `${line}\n`);
    }
  };
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      // A column block starts here: the lines before it are done.
      writeLines(line0, i);
      line0 = i;
      let width = opts.minWidth;
      for (; i < line1; i++) {
        const cells = lines[i]!;
        if (column >= cells.length - 1) break;
        width = Math.max(width, length(cells[column]!) + opts.padding);
      }
      widths.push(width);
      format(line0, i);
      widths.pop();
      line0 = i;
      i--;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out.join("");
}
