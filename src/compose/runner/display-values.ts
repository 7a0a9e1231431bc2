/**
 * Values as docker compose v2 prints them in its listings (it prints through the docker CLI's
 * formatters and Go's fmt, encoding/json and time packages): human sizes and durations, Go's
 * time text, quoted and shortened commands, port lists, and JSON as Go's encoder writes it.
 * Scripts parse these, so each follows the Go code it stands for, quirks included.
 */

/** Go's `time.Time.String()` of a Unix time (whole seconds), in the local zone: `2026-12-05 21:03:43 +0000 UTC`. */
export function goTimeString(unixSeconds: number, zone: LocalZone = localZone): string {
  const date = new Date(unixSeconds * 1000);
  const offsetMinutes = zone.offsetMinutes(date);
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  const offset = `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
  return `${isoDate(local)} ${isoClock(local)} ${offset} ${zone.abbreviation(date)}`;
}

/** Go's RFC 3339 text of an instant with nanoseconds (encoding/json of a time.Time), in the local zone, trailing zeros of the fraction dropped. */
export function goRfc3339Nano(unixNanos: bigint, zone: LocalZone = localZone): string {
  const { date, fraction } = splitNanos(unixNanos);
  const offsetMinutes = zone.offsetMinutes(date);
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const digits = String(fraction).padStart(9, "0").replace(/0+$/, "");
  const abs = Math.abs(offsetMinutes);
  const offset = offsetMinutes === 0 ? "Z" : `${offsetMinutes < 0 ? "-" : "+"}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
  return `${isoDate(local)}T${isoClock(local)}${digits ? `.${digits}` : ""}${offset}`;
}

/** Go's `Format("2006-01-02 15:04:05.000000")` of an instant, in the local zone (compose's plain event lines). */
export function goMicrosTime(unixNanos: bigint, zone: LocalZone = localZone): string {
  const { date, fraction } = splitNanos(unixNanos);
  const local = new Date(date.getTime() + zone.offsetMinutes(date) * 60_000);
  return `${isoDate(local)} ${isoClock(local)}.${String(Math.floor(fraction / 1000)).padStart(6, "0")}`;
}

/** The local time zone, as Go names it; a parameter so tests can fix it. */
export interface LocalZone {
  /** Minutes east of UTC at that instant. */
  offsetMinutes(date: Date): number;
  abbreviation(date: Date): string;
}

export const localZone: LocalZone = {
  offsetMinutes: (date) => -date.getTimezoneOffset(),
  abbreviation(date) {
    if (date.getTimezoneOffset() === 0 && isUtcZone()) return "UTC";
    // Go reads the abbreviation from the zone database (CET, EST); Intl gives the same for many
    // zones and a GMT offset for the others.
    const part = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(date).find((p) => p.type === "timeZoneName");
    return part?.value ?? "UTC";
  },
};

export const utcZone: LocalZone = { offsetMinutes: () => 0, abbreviation: () => "UTC" };

function isUtcZone(): boolean {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone === "UTC" || zone === "Etc/UTC" || zone === "Etc/GMT" || zone === "GMT";
}

function splitNanos(unixNanos: bigint): { date: Date; fraction: number } {
  const seconds = unixNanos / 1_000_000_000n;
  const fraction = Number(unixNanos - seconds * 1_000_000_000n);
  return { date: new Date(Number(seconds) * 1000), fraction };
}

const pad2 = (n: number): string => String(n).padStart(2, "0");
const isoDate = (d: Date): string => `${String(d.getUTCFullYear()).padStart(4, "0")}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
const isoClock = (d: Date): string => `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;

/** docker/go-units `HumanDuration`: "Less than a second", "5 seconds", "About a minute", "3 hours", "2 weeks". */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(ms / 3_600_000 / 24 / 365)} years`;
}

const DECIMAL_UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/**
 * docker/go-units `HumanSizeWithPrecision(size, 3)`: decimal units and Go's `%.3g`, which rounds
 * half to even and switches to an exponent at 1000 ("1.99MB", "1.12kB" for 1125 B, "1e+03kB").
 */
export function humanSize(bytes: number): string {
  const size = BigInt(Math.max(0, Math.trunc(bytes)));
  let unit = 0;
  let divisor = 1n;
  while (size >= divisor * 1000n && unit < DECIMAL_UNITS.length - 1) {
    divisor *= 1000n;
    unit++;
  }
  return `${formatG3(size, divisor)}${DECIMAL_UNITS[unit]}`;
}

/** Go's `%.3g` of size/divisor (≥ 1, or 0), computed exactly. */
function formatG3(size: bigint, divisor: bigint): string {
  if (size === 0n) return "0";
  let exp = 0;
  while (size >= divisor * 10n ** BigInt(exp + 1)) exp++;
  // Three significant digits: round(size / divisor / 10^(exp-2)), half to even.
  const num = exp <= 2 ? size * 10n ** BigInt(2 - exp) : size;
  const den = exp <= 2 ? divisor : divisor * 10n ** BigInt(exp - 2);
  let digits = num / den;
  const twice = (num % den) * 2n;
  if (twice > den || (twice === den && digits % 2n === 1n)) digits++;
  if (digits === 1000n) {
    digits = 100n;
    exp++;
  }
  const text = String(digits);
  if (exp >= 3) {
    const mantissa = `${text[0]}.${text.slice(1)}`.replace(/\.?0+$/, "");
    return `${mantissa}e+${pad2(exp)}`;
  }
  const whole = text.slice(0, exp + 1);
  const fraction = text.slice(exp + 1).replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole;
}

/** The docker CLI's `Ellipsis`: at most `width` columns, the last one `…` when cut. */
export function ellipsis(text: string, width: number): string {
  if (width <= 0) return "";
  const runes = [...text];
  if (width === 1) return runes[0] ?? "";
  const ascii = !/[^\x00-\x7f]/.test(text);
  if (ascii) return runes.length <= width ? text : `${runes.slice(0, width - 1).join("")}…`;
  let total = 0;
  const ends = runes.map((r) => (total += runeWidth(r)));
  if (total <= width) return text;
  for (let i = 0; i < ends.length - 1; i++) {
    if (ends[i]! <= width - 1 && ends[i + 1]! > width - 1) return `${runes.slice(0, i + 1).join("")}…`;
  }
  return text;
}

/** Terminal columns of a character: 2 for East Asian wide ones, 0 for combining marks. */
function runeWidth(r: string): number {
  const c = r.codePointAt(0)!;
  if (/\p{M}/u.test(r)) return 0;
  const wide =
    (c >= 0x1100 && c <= 0x115f) ||
    (c >= 0x2e80 && c <= 0xa4cf) ||
    (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe30 && c <= 0xfe4f) ||
    (c >= 0xff00 && c <= 0xff60) ||
    (c >= 0xffe0 && c <= 0xffe6) ||
    (c >= 0x1f300 && c <= 0x1f64f) ||
    (c >= 0x1f900 && c <= 0x1f9ff) ||
    (c >= 0x20000 && c <= 0x3fffd);
  return wide ? 2 : 1;
}

/** Go's `strconv.Quote`. */
export function goQuote(text: string): string {
  let out = '"';
  for (const r of text) {
    const c = r.codePointAt(0)!;
    if (r === '"' || r === "\\") out += `\\${r}`;
    else if (r in GO_ESCAPES) out += GO_ESCAPES[r];
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c < 0x80 || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(r)) out += r;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += `\\U${c.toString(16).padStart(8, "0")}`;
  }
  return `${out}"`;
}

const GO_ESCAPES: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v" };

export interface DisplayPort {
  IP: string;
  PrivatePort: number;
  PublicPort: number;
  Type: string;
}

/**
 * The docker CLI's `DisplayablePorts` (as vendored by compose 2.26.1): unpublished ports grouped
 * into ranges (`8000-8002/tcp`), published ones as `IP:PUBLIC->PRIVATE/PROTO` (`:::32768->80/tcp`
 * for IPv6: that version joins address and port with a plain colon).
 */
export function displayablePorts(ports: readonly DisplayPort[]): string {
  const sorted = [...ports].sort(comparePorts);
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const mappings: string[] = [];
  for (const port of sorted) {
    const current = port.PrivatePort;
    let key = port.Type;
    if (port.IP !== "") {
      if (port.PublicPort !== current) {
        mappings.push(`${port.IP}:${port.PublicPort}->${port.PrivatePort}/${port.Type}`);
        continue;
      }
      key = `${port.IP}/${port.Type}`;
    }
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === group.last + 1) {
      group.last = current;
      continue;
    }
    result.push(formGroup(key, group.first, group.last));
    groups.set(key, { first: current, last: current });
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...mappings].join(", ");
}

function formGroup(key: string, first: number, last: number): string {
  const parts = key.split("/");
  const ip = parts.length > 1 ? parts[0]! : "";
  const type = parts.length > 1 ? parts[1]! : parts[0]!;
  let group = first === last ? String(first) : `${first}-${last}`;
  if (ip) group = `${ip}:${group}->${group}`;
  return `${group}/${type}`;
}

function comparePorts(a: DisplayPort, b: DisplayPort): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  if (a.IP !== b.IP) return a.IP < b.IP ? -1 : 1;
  if (a.PublicPort !== b.PublicPort) return a.PublicPort - b.PublicPort;
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

/**
 * JSON as Go's encoding/json writes it: object keys in the order given, `<`, `>` and `&` escaped
 * unless `escapeHtml` is false (an Encoder with SetEscapeHTML(false)), U+2028 and U+2029 always
 * escaped, control characters as `\u00XX` (but `\n`, `\r`, `\t`).
 */
export function goJson(value: unknown, opts: { escapeHtml?: boolean; indent?: string } = {}): string {
  const escapeHtml = opts.escapeHtml ?? true;
  const indent = opts.indent ?? "";
  const write = (v: unknown, depth: number): string => {
    if (v === null || v === undefined) return "null";
    if (typeof v === "string") return goJsonString(v, escapeHtml);
    if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
    if (typeof v === "boolean") return String(v);
    if (typeof v === "bigint") return String(v);
    const inner = indent ? `\n${indent.repeat(depth + 1)}` : "";
    const outer = indent ? `\n${indent.repeat(depth)}` : "";
    const colon = indent ? ": " : ":";
    if (Array.isArray(v)) {
      if (v.length === 0) return "[]";
      return `[${v.map((item) => `${inner}${write(item, depth + 1)}`).join(",")}${outer}]`;
    }
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return "{}";
    return `{${entries.map(([k, x]) => `${inner}${goJsonString(k, escapeHtml)}${colon}${write(x, depth + 1)}`).join(",")}${outer}}`;
  };
  return write(value, 0);
}

function goJsonString(text: string, escapeHtml: boolean): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || (escapeHtml && (ch === "<" || ch === ">" || ch === "&")) || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}
