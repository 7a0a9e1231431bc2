/**
 * Parsers for the string formats compose values use: byte sizes, the port and
 * volume short syntaxes. Each returns a result or a message; the schema uses them to reject
 * bad values with a position, normalization uses them to build the typed model.
 */
import { bad, good, type Parsed } from "../../yaml/duration.ts";

const BYTE_UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** `512m`, `1.5g`, `2gb`, `100` → bytes (docker's units.RAMInBytes: binary multiples). */
export function parseBytes(v: string | number): Parsed<number> {
  if (typeof v === "number") return Number.isInteger(v) && v >= 0 ? good(v) : bad(`expected a byte size, got ${v}`);
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(v.trim());
  if (!m) return bad(`expected a byte size like "512m" or "1g", got ${JSON.stringify(v)}`);
  return good(Math.round(Number(m[1]) * (BYTE_UNITS[(m[2] ?? "").toLowerCase()] ?? 1)));
}

export interface PortSpec {
  target: number;
  published?: string;
  host_ip?: string;
  protocol: string;
}

const PROTOCOLS = new Set(["tcp", "udp", "sctp"]);

function parseRange(s: string, what: string): Parsed<[number, number]> {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return bad(`invalid ${what} ${JSON.stringify(s)}`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a < 0 || b > 65535 || b < a) return bad(`invalid ${what} range ${JSON.stringify(s)}`);
  return good([a, b]);
}

/**
 * Port short syntax, as docker's nat.ParsePortSpec reads it:
 * `[ip:][published:]target[/protocol]` with ranges (`3000-3005`, `8000-8001:80-81`) and IPv6
 * hosts in brackets (`[::1]:80:80`). A target range expands to one entry per port.
 */
export function parsePortSpec(spec: string): Parsed<PortSpec[]> {
  let rest = spec.trim();
  let protocol = "tcp";
  const slash = rest.lastIndexOf("/");
  if (slash >= 0) {
    protocol = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!PROTOCOLS.has(protocol)) return bad(`invalid protocol ${JSON.stringify(protocol)} in port ${JSON.stringify(spec)} (tcp, udp or sctp)`);
  }
  let hostIp: string | undefined;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0 || rest[close + 1] !== ":") return bad(`invalid IPv6 address in port ${JSON.stringify(spec)}`);
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(":");
  let published: string | undefined;
  let target: string;
  if (hostIp !== undefined) {
    if (parts.length !== 2) return bad(`invalid port ${JSON.stringify(spec)}`);
    published = parts[0];
    target = parts[1] ?? "";
  } else if (parts.length === 1) {
    target = parts[0] ?? "";
  } else if (parts.length === 2) {
    published = parts[0];
    target = parts[1] ?? "";
  } else if (parts.length === 3) {
    hostIp = parts[0];
    published = parts[1];
    target = parts[2] ?? "";
  } else {
    return bad(`invalid port ${JSON.stringify(spec)}: expected [host_ip:][published:]target[/protocol]`);
  }
  if (published === "") published = undefined;
  if (hostIp === "") hostIp = undefined;
  const t = parseRange(target, "container port");
  if (!t.ok) return bad(`${t.message} in port ${JSON.stringify(spec)}`);
  const [t0, t1] = t.value;
  const count = t1 - t0 + 1;
  let pubRange: [number, number] | undefined;
  if (published !== undefined) {
    const p = parseRange(published, "published port");
    if (!p.ok) return bad(`${p.message} in port ${JSON.stringify(spec)}`);
    pubRange = p.value;
    const pubCount = p.value[1] - p.value[0] + 1;
    if (count > 1 && pubCount !== count) return bad(`port ranges don't match in ${JSON.stringify(spec)}`);
  }
  const out: PortSpec[] = [];
  for (let k = 0; k < count; k++) {
    let pub: string | undefined;
    if (pubRange !== undefined) {
      // One target with a published range lets the engine pick a free port in the range.
      pub = count === 1 ? (pubRange[0] === pubRange[1] ? `${pubRange[0]}` : `${pubRange[0]}-${pubRange[1]}`) : `${pubRange[0] + k}`;
    }
    out.push({
      target: t0 + k,
      ...(pub === undefined ? {} : { published: pub }),
      ...(hostIp === undefined ? {} : { host_ip: hostIp }),
      protocol,
    });
  }
  return good(out);
}

export interface VolumeSpec {
  type: "bind" | "volume";
  /** Undefined for an anonymous volume. */
  source?: string;
  target: string;
  read_only: boolean;
  selinux?: string;
  propagation?: string;
  nocopy?: boolean;
  consistency?: string;
}

const PROPAGATIONS = new Set(["shared", "rshared", "slave", "rslave", "private", "rprivate"]);
const CONSISTENCY = new Set(["consistent", "cached", "delegated"]);

export function isHostPath(source: string): boolean {
  return source.startsWith(".") || source.startsWith("/") || source.startsWith("~") || /^[A-Za-z]:[\\/]/.test(source);
}

/**
 * Splits a volume spec on `:`, except after a lone letter: compose-go's ParseVolume reads `c:`
 * as a Windows drive (isWindowsDrive), so `c:/data:/data` is source `c:/data`, and a one-letter
 * volume name is no name at all: `v:/v` is an anonymous volume at `v:/v`.
 */
function splitVolumeSpec(spec: string): string[] {
  const parts: string[] = [];
  let field = "";
  for (const ch of spec) {
    if (ch === ":" && !(field.length === 1 && /\p{L}/u.test(field))) {
      parts.push(field);
      field = "";
    } else field += ch;
  }
  parts.push(field);
  return parts;
}

/** Volume short syntax `[source:]target[:mode,mode]`, as compose-go's format.ParseVolume reads it. */
export function parseVolumeSpec(spec: string): Parsed<VolumeSpec> {
  const parts = splitVolumeSpec(spec);
  if (spec.trim() === "") return bad("empty volume specification");
  let source: string | undefined;
  let target: string;
  let modes: string[] = [];
  if (parts.length === 1) target = parts[0] ?? "";
  else if (parts.length === 2) {
    source = parts[0];
    target = parts[1] ?? "";
  } else if (parts.length === 3) {
    source = parts[0];
    target = parts[1] ?? "";
    modes = (parts[2] ?? "").split(",").filter((m) => m !== "");
  } else return bad(`invalid volume ${JSON.stringify(spec)}: expected [source:]target[:mode]`);
  if (target === "") return bad(`invalid volume ${JSON.stringify(spec)}: missing container path`);
  if (!target.startsWith("/") && !/^[A-Za-z]:[\\/]/.test(target)) {
    return bad(`invalid volume ${JSON.stringify(spec)}: the container path ${JSON.stringify(target)} must be absolute`);
  }
  if (source === "") return bad(`invalid volume ${JSON.stringify(spec)}: empty source`);
  const result: VolumeSpec = {
    type: source !== undefined && isHostPath(source) ? "bind" : "volume",
    ...(source === undefined ? {} : { source }),
    target,
    read_only: false,
  };
  for (const m of modes) {
    if (m === "ro") result.read_only = true;
    else if (m === "rw") result.read_only = false;
    else if (m === "z" || m === "Z") result.selinux = m;
    else if (PROPAGATIONS.has(m)) result.propagation = m;
    else if (m === "nocopy") result.nocopy = true;
    else if (CONSISTENCY.has(m)) result.consistency = m;
    else return bad(`invalid volume mode ${JSON.stringify(m)} in ${JSON.stringify(spec)} (ro, rw, z, Z, nocopy, a propagation)`);
  }
  return good(result);
}

/** Restart policy: `no`, `always`, `unless-stopped`, `on-failure[:max-retries]`. */
export function checkRestart(s: string): string | undefined {
  if (/^(no|always|unless-stopped|on-failure(:\d+)?)$/.test(s)) return undefined;
  return `expected one of "no", "always", "on-failure[:N]", "unless-stopped", got ${JSON.stringify(s)}`;
}

/** Splits a shell-form command the way compose-go's shellwords does (quotes and backslashes). */
export function shellSplit(s: string): Parsed<string[]> {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? "";
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && i + 1 < s.length && '"\\$`'.includes(s[i + 1] ?? "")) cur += s[++i];
      else cur += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote !== undefined) return bad(`unterminated quote in ${JSON.stringify(s)}`);
  if (inWord) out.push(cur);
  return good(out);
}
