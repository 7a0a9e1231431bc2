/**
 * Durations as compose and slipway.yml write them (Go's `1m30s`, plus days and weeks), and the
 * result type the config readers share: a value or a message to report with a position.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };
export const good = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const bad = <T>(message: string): Parsed<T> => ({ ok: false, message });

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "µs": 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  // compose-go parses healthcheck/grace durations with str2duration, which adds days and weeks.
  d: 86400e9,
  w: 604800e9,
};

/** Go duration (`1m30s`, `1.5s`, `100ms`, `0`) → nanoseconds. */
export function parseDuration(s: string): Parsed<number> {
  const text = s.trim();
  if (text === "0") return good(0);
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d|w)/y;
  let sign = 1;
  let i = 0;
  if (text[0] === "-" || text[0] === "+") {
    sign = text[0] === "-" ? -1 : 1;
    i = 1;
  }
  let total = 0;
  let parts = 0;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) break;
    total += Number(m[1]) * (UNIT_NS[m[2] ?? ""] ?? 0);
    parts++;
    i = re.lastIndex;
  }
  if (parts === 0 || i !== text.length) {
    return bad(`expected a duration like "10s", "1m30s" or "500ms", got ${JSON.stringify(s)}`);
  }
  return good(Math.round(sign * total));
}

/** Nanoseconds → Go's time.Duration.String() form (`1m30s`, `500ms`), as compose config prints. */
export function formatDuration(ns: number): string {
  if (ns === 0) return "0s";
  const neg = ns < 0;
  let n = Math.abs(ns);
  let out: string;
  if (n < 1e3) out = `${n}ns`;
  else if (n < 1e6) out = `${trimFloat(n / 1e3)}µs`;
  else if (n < 1e9) out = `${trimFloat(n / 1e6)}ms`;
  else {
    const h = Math.floor(n / 3600e9);
    n -= h * 3600e9;
    const m = Math.floor(n / 60e9);
    n -= m * 60e9;
    const s = `${trimFloat(n / 1e9)}s`;
    out = h > 0 ? `${h}h${m}m${s}` : m > 0 ? `${m}m${s}` : s;
  }
  return neg ? `-${out}` : out;
}

function trimFloat(x: number): string {
  return String(Number(x.toFixed(9)));
}
