/**
 * A YAML tree that keeps its source position on every node, so that each stage after parsing
 * (interpolation, merge, validation, normalization) can still say "compose.yml:12:7".
 * Plain JS objects lose positions; the `yaml` library's own AST is awkward to merge. This
 * small tree is what flows through the loader until normalization produces the typed model.
 */

export interface Pos {
  /** Path as the user wrote it or as discovered (shown in messages). */
  file: string;
  line: number;
  column: number;
}

export type ScalarValue = string | number | boolean | null;

/** `!reset` and `!override` are the compose merge tags; other tags are kept but unused. */
export interface ScalarNode {
  kind: "scalar";
  value: ScalarValue;
  pos: Pos;
  tag?: string;
}
export interface MapEntry {
  key: string;
  keyPos: Pos;
  value: YNode;
}
export interface MapNode {
  kind: "map";
  entries: MapEntry[];
  pos: Pos;
  tag?: string;
}
export interface SeqNode {
  kind: "seq";
  items: YNode[];
  pos: Pos;
  tag?: string;
}
export type YNode = ScalarNode | MapNode | SeqNode;

export function scalar(value: ScalarValue, pos: Pos): ScalarNode {
  return { kind: "scalar", value, pos };
}

export function mapNode(pos: Pos, entries: MapEntry[] = []): MapNode {
  return { kind: "map", entries, pos };
}

export function seqNode(pos: Pos, items: YNode[] = []): SeqNode {
  return { kind: "seq", items, pos };
}

export function isMap(n: YNode | undefined): n is MapNode {
  return n?.kind === "map";
}
export function isSeq(n: YNode | undefined): n is SeqNode {
  return n?.kind === "seq";
}
export function isScalar(n: YNode | undefined): n is ScalarNode {
  return n?.kind === "scalar";
}
export function isNull(n: YNode | undefined): boolean {
  return n === undefined || (n.kind === "scalar" && n.value === null);
}

export function getEntry(map: MapNode, key: string): MapEntry | undefined {
  return map.entries.find((e) => e.key === key);
}

export function get(map: MapNode | undefined, key: string): YNode | undefined {
  return map === undefined ? undefined : getEntry(map, key)?.value;
}

/** Sets (replacing in place, keeping order) or appends an entry. */
export function set(map: MapNode, key: string, value: YNode, keyPos: Pos = value.pos): void {
  const existing = getEntry(map, key);
  if (existing) existing.value = value;
  else map.entries.push({ key, keyPos, value });
}

export function remove(map: MapNode, key: string): void {
  map.entries = map.entries.filter((e) => e.key !== key);
}

/** Deep copy: merge and extends mutate trees, and one anchor may be used by many services. */
export function clone<T extends YNode>(n: T): T {
  switch (n.kind) {
    case "scalar":
      return { ...n };
    case "map":
      return { ...n, entries: n.entries.map((e) => ({ key: e.key, keyPos: e.keyPos, value: clone(e.value) })) };
    case "seq":
      return { ...n, items: n.items.map((i) => clone(i)) };
  }
}

export type Plain = ScalarValue | Plain[] | { [key: string]: Plain };

/** Drops positions: for comparisons (de-duplication) and for tests. */
export function toPlain(n: YNode): Plain {
  switch (n.kind) {
    case "scalar":
      return n.value;
    case "seq":
      return n.items.map(toPlain);
    case "map": {
      const out: { [key: string]: Plain } = {};
      for (const e of n.entries) out[e.key] = toPlain(e.value);
      return out;
    }
  }
}

/** Builds a tree from plain data, every node at `pos` (for values the loader synthesises). */
export function fromPlain(value: Plain, pos: Pos): YNode {
  if (Array.isArray(value)) return seqNode(pos, value.map((v) => fromPlain(v, pos)));
  if (value !== null && typeof value === "object") {
    return mapNode(
      pos,
      Object.entries(value).map(([key, v]) => ({ key, keyPos: pos, value: fromPlain(v, pos) })),
    );
  }
  return scalar(value, pos);
}

/** Scalar rendered as the string compose would see (numbers and booleans as YAML prints them). */
export function scalarText(n: ScalarNode): string {
  return n.value === null ? "" : String(n.value);
}

/** Joins key paths the way messages print them: `services.web.ports[0]`. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  return parent === "" ? key : `${parent}.${key}`;
}
