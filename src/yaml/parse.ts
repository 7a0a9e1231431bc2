/**
 * YAML text → positioned tree. Merge keys (`<<: *anchor`) are resolved here, as compose does
 * (go-yaml resolves them while decoding), so later stages never see `<<`.
 */
import { LineCounter, parseDocument, isAlias, isMap, isScalar, isSeq, type Document, type Node as YamlNode } from "yaml";
import { COMPOSE_FILE, ConfigFileError, fail, IssueList, type IssueSubject } from "./issues.ts";
import { mapNode, scalar, type MapEntry, type MapNode, type Pos, type YNode } from "./node.ts";

/** The merge tags compose defines; the `yaml` library warns about unknown tags, these are expected. */
const COMPOSE_TAGS = new Set(["!reset", "!override"]);

export function parseYaml(text: string, file: string, subject: IssueSubject = COMPOSE_FILE): MapNode {
  try {
    return parseTree(text, file);
  } catch (err) {
    if (err instanceof ConfigFileError && err.subject !== subject) throw new ConfigFileError(err.issues, subject);
    throw err;
  }
}

function parseTree(text: string, file: string): MapNode {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { merge: true, prettyErrors: true, lineCounter, uniqueKeys: true });
  const issues = new IssueList();
  const posAt = (offset: number): Pos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  for (const err of doc.errors) {
    // prettyErrors makes the message multi-line with a code frame; keep only the first line.
    const first = err.message.split("\n")[0] ?? err.message;
    issues.add(posAt(err.pos[0]), "", `YAML syntax error: ${first.replace(/ at line \d+, column \d+:?$/, "")}`);
  }
  issues.throwIfAny();
  const root = doc.contents;
  if (root === null) return mapNode({ file, line: 1, column: 1 });
  const tree = convert(doc, root, posAt, 0);
  if (tree.kind !== "map") {
    fail(tree.pos, "", `the top level must be a mapping (key: value), got a ${tree.kind === "seq" ? "sequence" : "scalar"}`);
  }
  return tree;
}

type PosAt = (offset: number) => Pos;

function convert(doc: Document, node: unknown, posAt: PosAt, depth: number): YNode {
  if (depth > 200) fail(undefined, "", "YAML nesting too deep (recursive anchors?)");
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (target === undefined) fail(posAt(node.range?.[0] ?? 0), "", `unknown YAML alias *${node.source}`);
    return convert(doc, target, posAt, depth + 1);
  }
  const yn = node as YamlNode;
  const pos = posAt(yn.range?.[0] ?? 0);
  const tag = yn.tag !== undefined && COMPOSE_TAGS.has(yn.tag) ? { tag: yn.tag } : {};
  if (isScalar(node)) {
    const v = node.value;
    // compose-go's YAML parser (go-yaml v3) reads a plain `0440` as octal, as YAML 1.1 did; file
    // modes are written that way in compose files, so follow it (yaml's 1.2 core schema says 440).
    if (typeof v === "number" && node.type === "PLAIN" && typeof node.source === "string" && /^[-+]?0[0-7]+$/.test(node.source)) {
      return { ...scalar(Number.parseInt(node.source, 8), pos), ...tag };
    }
    if (node.type === "PLAIN" && typeof node.source === "string") {
      const goValue = goYamlNumber(node.source, v);
      if (goValue !== undefined) return { ...scalar(goValue, pos), ...tag };
    }
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
      return { ...scalar(v, pos), ...tag };
    }
    // Binary, dates etc. are not compose values; keep their source text.
    return { ...scalar(String(node.source ?? v), pos), ...tag };
  }
  if (isSeq(node)) {
    return { kind: "seq", items: node.items.map((i) => convert(doc, i, posAt, depth + 1)), pos, ...tag };
  }
  if (isMap(node)) {
    const entries: MapEntry[] = [];
    const merged: MapEntry[][] = [];
    for (const pair of node.items) {
      const key = pair.key;
      if (isScalar(key) && typeof key.value === "symbol") {
        merged.push(mergeSources(doc, pair.value, posAt, depth));
        continue;
      }
      const keyPos = posAt((key as YamlNode | null)?.range?.[0] ?? yn.range?.[0] ?? 0);
      if (!isScalar(key)) fail(keyPos, "", "mapping keys must be plain strings");
      const value = pair.value === null ? scalar(null, keyPos) : convert(doc, pair.value, posAt, depth + 1);
      entries.push({ key: String(key.value), keyPos, value });
    }
    // Explicit keys win over merged ones; among merged sources the first listed wins (YAML merge spec).
    for (const source of merged) {
      for (const e of source) if (!entries.some((x) => x.key === e.key)) entries.push(e);
    }
    return { kind: "map", entries, pos, ...tag };
  }
  return scalar(null, pos);
}

/**
 * Where go-yaml v3 (compose-go's parser) reads a plain scalar differently from the YAML 1.2
 * core schema: digits with `_` separators and `0b` binary are numbers there (`1_000` is 1000),
 * and an integer beyond 2^53 keeps all its digits (a JS number would round it), so it stays as
 * its text. Undefined when both read it the same.
 */
export function goYamlNumber(source: string, parsed: unknown): number | string | undefined {
  if (typeof parsed === "number" && Number.isInteger(parsed) && !Number.isSafeInteger(parsed) && /^[-+]?\d+$/.test(source)) {
    return source.replace(/^\+/, "");
  }
  if (typeof parsed !== "string") return undefined;
  const binary = /^([-+]?)0b([01_]+)$/.exec(source);
  if (binary) return (binary[1] === "-" ? -1 : 1) * Number.parseInt((binary[2] ?? "").replaceAll("_", ""), 2);
  // go-yaml tries numbers only for scalars that start like one (its resolve table's hint).
  if (!source.includes("_") || !/^[-+]?[\d.]/.test(source)) return undefined;
  const plain = source.replaceAll("_", "");
  if (/^[-+]?\d+$/.test(plain)) return Number(plain);
  if (/^[-+]?(\.\d+|\d+(\.\d*)?)([eE][-+]?\d+)?$/.test(plain)) return Number(plain);
  return undefined;
}

function mergeSources(doc: Document, value: unknown, posAt: PosAt, depth: number): MapEntry[] {
  const sources = isSeq(value) ? value.items : [value];
  const out: MapEntry[] = [];
  for (const s of sources) {
    const n = convert(doc, s, posAt, depth + 1);
    if (n.kind !== "map") fail(n.pos, "", "merge key `<<` needs a mapping or a list of mappings");
    for (const e of n.entries) if (!out.some((x) => x.key === e.key)) out.push(e);
  }
  return out;
}
