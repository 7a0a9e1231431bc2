/**
 * Merges compose files in order (`-f a.yml -f b.yml`, the override file, `extends`) with the
 * compose-spec merge rules (13-merge.md) and compose-go's special cases:
 * - mappings merge key by key; scalars are replaced; `x-*` keys are replaced whole;
 * - sequences are appended; exact duplicates are dropped; a single string where a list may be
 *   written (`dns: 8.8.8.8`, `tmpfs: /run`) counts as a one-item list;
 * - `command`, `entrypoint`, `healthcheck.test` are replaced, not appended;
 * - environment, labels, annotations, build args, sysctls merge by key whether written as a
 *   list (`K=V`) or a mapping;
 * - extra_hosts (list or mapping) are appended as `host=ip` entries, exact duplicates dropped,
 *   so a host may end up with several addresses, as in compose-go;
 * - ports merge by {host_ip, published, target, protocol}; volumes, secrets and configs by
 *   target path (a relative secret/config target is its own key, as compose-go's mountIndexer
 *   has it); depends_on and service networks by name across list and mapping syntax;
 * - `logging` options merge only when the driver is the same;
 * - `!reset` removes a value, `!override` replaces it without merging.
 */
import { parsePortSpec, parseVolumeSpec } from "./formats.ts";
import { clone, fromPlain, get, mapNode, scalar, scalarText, seqNode, toPlain, type MapNode, type Plain, type SeqNode, type YNode } from "../../yaml/node.ts";
import { toInt } from "./schema/validate.ts";

type Rule = "replace" | "list" | "keyed" | "hosts" | "dependencies" | "names" | "ports" | "volumes" | "secrets" | "configs" | "logging" | "ulimit" | "build" | "extends";

/** Special merge rules by path; `*` matches any one key. */
const RULES: [string, Rule][] = [
  ["services.*.command", "replace"],
  ["services.*.entrypoint", "replace"],
  ["services.*.healthcheck.test", "replace"],
  ["services.*.dns", "list"],
  ["services.*.dns_search", "list"],
  ["services.*.tmpfs", "list"],
  ["services.*.env_file", "list"],
  ["services.*.environment", "keyed"],
  ["services.*.labels", "keyed"],
  ["services.*.annotations", "keyed"],
  ["services.*.sysctls", "keyed"],
  ["services.*.extra_hosts", "hosts"],
  ["services.*.build.args", "keyed"],
  ["services.*.build.labels", "keyed"],
  ["services.*.build.extra_hosts", "hosts"],
  ["services.*.deploy.labels", "keyed"],
  ["services.*.depends_on", "dependencies"],
  ["services.*.networks", "names"],
  ["services.*.ports", "ports"],
  ["services.*.volumes", "volumes"],
  ["services.*.secrets", "secrets"],
  ["services.*.configs", "configs"],
  ["services.*.logging", "logging"],
  ["services.*.ulimits.*", "ulimit"],
  ["services.*.build", "build"],
  ["services.*.extends", "extends"],
  ["networks.*.labels", "keyed"],
  ["volumes.*.labels", "keyed"],
];

function ruleFor(path: readonly string[]): Rule | undefined {
  for (const [pattern, rule] of RULES) {
    const parts = pattern.split(".");
    if (parts.length === path.length && parts.every((p, i) => p === "*" || p === path[i])) return rule;
  }
  return undefined;
}

/** Merges `over` onto `base` (neither is modified); the result carries `over`'s positions where it wins. */
export function mergeFiles(base: MapNode, over: MapNode): MapNode {
  const merged = mergeMaps(clone(base), clone(over), []);
  return merged.kind === "map" ? merged : over;
}

export function mergeNode(base: YNode, over: YNode, path: readonly string[]): YNode {
  if (over.tag === "!override") return withoutTag(over);
  switch (ruleFor(path)) {
    case "replace":
      return over;
    case "list":
      return mergeUnique(asSeq(base), asSeq(over), (n) => JSON.stringify(toPlain(n)));
    case "keyed":
      return mergeMaps(toKeyedMap(base), toKeyedMap(over), path);
    case "hosts":
      return mergeUnique(hostsToSeq(base), hostsToSeq(over), (n) => JSON.stringify(toPlain(n)));
    case "dependencies":
      return mergeMaps(namesToMap(base, SERVICE_STARTED), namesToMap(over, SERVICE_STARTED), path);
    case "names":
      return mergeMaps(namesToMap(base), namesToMap(over), path);
    case "ports":
      return mergeUnique(base, over, portKey);
    case "volumes":
      return mergeUnique(base, over, volumeKey);
    case "secrets":
      return mergeUnique(base, over, mountKey("/run/secrets/"));
    case "configs":
      return mergeUnique(base, over, mountKey("/"));
    case "logging":
      return mergeLogging(base, over, path);
    case "ulimit":
      return base.kind === "map" && over.kind === "map" ? mergeMaps(base, over, path) : over;
    case "build":
      return mergeMaps(shortToMap(base, "context"), shortToMap(over, "context"), path);
    case "extends":
      return mergeMaps(shortToMap(base, "service"), shortToMap(over, "service"), path);
    case undefined:
      break;
  }
  if (base.kind === "map" && over.kind === "map") return mergeMaps(base, over, path);
  if (base.kind === "seq" && over.kind === "seq") return mergeUnique(base, over, (n) => JSON.stringify(toPlain(n)));
  return over;
}

function mergeMaps(base: YNode, over: YNode, path: readonly string[]): YNode {
  if (base.kind !== "map" || over.kind !== "map") return over;
  const out = mapNode(base.pos, [...base.entries]);
  for (const e of over.entries) {
    const i = out.entries.findIndex((x) => x.key === e.key);
    if (e.value.tag === "!reset") {
      if (i >= 0) out.entries.splice(i, 1);
      continue;
    }
    if (i < 0 || e.key.startsWith("x-")) {
      if (i >= 0) out.entries.splice(i, 1);
      out.entries.push({ ...e, value: withoutTag(e.value) });
      continue;
    }
    const existing = out.entries[i];
    if (existing) out.entries[i] = { key: e.key, keyPos: existing.keyPos, value: mergeNode(existing.value, e.value, [...path, e.key]) };
  }
  return out;
}

function withoutTag<T extends YNode>(n: T): T {
  if (n.tag === undefined) return n;
  const copy = { ...n };
  delete copy.tag;
  return copy;
}

/** Removes `!reset` values and `!override` tags left in a single file (nothing to merge with). */
export function stripMergeTags(n: YNode): YNode {
  switch (n.kind) {
    case "scalar":
      return withoutTag(n);
    case "seq":
      return { ...withoutTag(n), items: n.items.filter((i) => i.tag !== "!reset").map(stripMergeTags) };
    case "map":
      return {
        ...withoutTag(n),
        entries: n.entries.filter((e) => e.value.tag !== "!reset").map((e) => ({ ...e, value: stripMergeTags(e.value) })),
      };
  }
}

/** `["K=V", "F"]` → `{K: V, F: null}`. */
export function toKeyedMap(n: YNode): YNode {
  if (n.kind !== "seq") return n;
  const out = mapNode(n.pos);
  for (const item of n.items) {
    if (item.kind !== "scalar") return n; // leave malformed lists for validation to report
    const text = scalarText(item);
    const sep = text.indexOf("=");
    const key = sep < 0 ? text : text.slice(0, sep);
    const value = sep < 0 ? scalar(null, item.pos) : scalar(text.slice(sep + 1), item.pos);
    const existing = out.entries.findIndex((e) => e.key === key);
    if (existing >= 0) out.entries.splice(existing, 1);
    out.entries.push({ key, keyPos: item.pos, value });
  }
  return out;
}

const SERVICE_STARTED = { condition: "service_started" };

/**
 * `[front, back]` → `{front: null, back: null}` for service networks; depends_on passes
 * `value` so that `[db]` becomes `{db: {condition: service_started}}`, what the list means.
 */
export function namesToMap(n: YNode, value: Plain = null): YNode {
  if (n.kind !== "seq") return n;
  const out = mapNode(n.pos);
  for (const item of n.items) {
    if (item.kind !== "scalar") return n;
    out.entries.push({ key: scalarText(item), keyPos: item.pos, value: fromPlain(value, item.pos) });
  }
  return out;
}

function asSeq(n: YNode): YNode {
  return n.kind === "scalar" && n.value !== null ? seqNode(n.pos, [n]) : n;
}

/** extra_hosts as a list of `host=ip` (`host:ip` entries rewritten, a mapping's addresses spread out). */
function hostsToSeq(n: YNode): YNode {
  const entry = (host: string, ip: YNode): YNode => scalar(`${host}=${ip.kind === "scalar" ? scalarText(ip) : ""}`, ip.pos);
  if (n.kind === "map") {
    return seqNode(n.pos, n.entries.flatMap((e) => (e.value.kind === "seq" ? e.value.items.map((ip) => entry(e.key, ip)) : [entry(e.key, e.value)])));
  }
  if (n.kind !== "seq") return n;
  return seqNode(
    n.pos,
    n.items.map((item) => {
      if (item.kind !== "scalar") return item;
      const text = scalarText(item);
      const sep = text.includes("=") ? -1 : text.indexOf(":");
      return sep < 0 ? item : scalar(`${text.slice(0, sep)}=${text.slice(sep + 1)}`, item.pos);
    }),
  );
}

function shortToMap(n: YNode, key: string): YNode {
  if (n.kind !== "scalar" || typeof n.value !== "string") return n;
  return mapNode(n.pos, [{ key, keyPos: n.pos, value: n }]);
}

/** Appends `over`'s items; an item whose key is already present replaces the earlier one in place. */
function mergeUnique(base: YNode, over: YNode, keyOf: (n: YNode) => string): YNode {
  if (base.kind !== "seq" || over.kind !== "seq") return over;
  const out: SeqNode = { kind: "seq", items: [], pos: base.pos };
  const index = new Map<string, number>();
  for (const item of [...base.items, ...over.items]) {
    const key = keyOf(item);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, out.items.length);
      out.items.push(item);
    } else out.items[at] = item;
  }
  return out;
}

function portKey(n: YNode): string {
  if (n.kind === "scalar") {
    const parsed = parsePortSpec(scalarText(n));
    if (!parsed.ok || parsed.value.length !== 1) return scalarText(n);
    const p = parsed.value[0];
    return p ? `${p.host_ip ?? "0.0.0.0"}:${p.published ?? ""}:${p.target}/${p.protocol}` : scalarText(n);
  }
  if (n.kind !== "map") return JSON.stringify(toPlain(n));
  const text = (k: string): string | undefined => {
    const v = get(n, k);
    return v?.kind === "scalar" && v.value !== null ? scalarText(v) : undefined;
  };
  const target = get(n, "target");
  const t = target?.kind === "scalar" ? toInt(target) : undefined;
  return `${text("host_ip") ?? "0.0.0.0"}:${text("published") ?? ""}:${t ?? "?"}/${text("protocol") ?? "tcp"}`;
}

function volumeKey(n: YNode): string {
  if (n.kind === "scalar") {
    const v = parseVolumeSpec(scalarText(n));
    return v.ok ? v.value.target : scalarText(n);
  }
  const target = n.kind === "map" ? get(n, "target") : undefined;
  return target?.kind === "scalar" ? scalarText(target) : JSON.stringify(toPlain(n));
}

function mountKey(defaultDir: string): (n: YNode) => string {
  return (n) => {
    if (n.kind === "scalar") return defaultDir + scalarText(n);
    if (n.kind !== "map") return JSON.stringify(toPlain(n));
    const target = get(n, "target");
    const source = get(n, "source");
    // A relative target stays its own key: compose-go's mountIndexer does not resolve it.
    if (target?.kind === "scalar") return scalarText(target);
    return defaultDir + (source?.kind === "scalar" ? scalarText(source) : "");
  };
}

function mergeLogging(base: YNode, over: YNode, path: readonly string[]): YNode {
  if (base.kind !== "map" || over.kind !== "map") return over;
  const d1 = get(base, "driver");
  const d2 = get(over, "driver");
  const same = d1 === undefined || d2 === undefined || JSON.stringify(toPlain(d1)) === JSON.stringify(toPlain(d2));
  return same ? mergeMaps(base, over, path) : over;
}
