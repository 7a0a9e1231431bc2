/**
 * Secrets never appear in output, logs or run history: values of secrets, and values of
 * environment variables whose names look secret, are replaced wherever they occur.
 */
const SECRET_NAME = /(PASSWORD|PASSWD|TOKEN|SECRET|KEY|CREDENTIAL|PRIVATE|AUTH|COOKIE|SESSION)/i;

export const REDACTED = "***";
/** Secrets at least this long are replaced wherever they occur, even inside words. */
const LONG_SECRET = 8;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name);
}

export class Redactor {
  readonly #values = new Set<string>();
  /** One matcher per value, built on first use after a change (redact runs per log line). */
  #matchers: ((text: string, spans: [number, number][]) => void)[] | undefined;

  /**
   * Remembers a secret value (values shorter than 4 characters would redact too much). Output is
   * redacted a line at a time, so each line of a multi-line value (a PEM key, a JSON file) is
   * remembered too.
   */
  add(value: string | undefined | null): void {
    if (!value) return;
    for (const v of [value, ...(value.includes("\n") ? value.split(/\r?\n/).map((l) => l.trim()) : [])]) {
      if (v.length >= 4 && !this.#values.has(v)) {
        this.#values.add(v);
        this.#matchers = undefined;
      }
    }
  }

  /** Remembers the values of secret-looking names in an environment. */
  addEnvironment(env: Record<string, string | null | undefined>): void {
    for (const [name, value] of Object.entries(env)) if (looksSecret(name)) this.add(value ?? undefined);
  }

  /**
   * Replaces every occurrence of every value. Occurrences are found for each value apart and
   * their union is replaced, so of two overlapping secrets neither shows a piece. A short secret
   * ("todo") is also a piece of ordinary words ("todobackend"): it is replaced where it stands
   * alone, as in `postgres://todo:todo@db` or `PASSWORD=todo`.
   */
  redact(text: string): string {
    if (this.#values.size === 0) return text;
    this.#matchers ??= [...this.#values].map((value) => {
      if (value.length >= LONG_SECRET) {
        return (t: string, spans: [number, number][]) => {
          for (let i = t.indexOf(value); i >= 0; i = t.indexOf(value, i + 1)) spans.push([i, i + value.length]);
        };
      }
      const pattern = new RegExp(`(?<![A-Za-z0-9_])${escapeRegExp(value)}(?![A-Za-z0-9_])`, "g");
      return (t: string, spans: [number, number][]) => {
        for (const m of t.matchAll(pattern)) spans.push([m.index, m.index + m[0].length]);
      };
    });
    const spans: [number, number][] = [];
    for (const find of this.#matchers) find(text, spans);
    if (spans.length === 0) return text;
    spans.sort((a, b) => a[0] - b[0]);
    let out = "";
    let at = 0;
    let end = -1;
    for (const [from, to] of spans) {
      if (from > end) {
        if (end >= 0) out += REDACTED;
        out += text.slice(at, from);
      }
      end = Math.max(end, to);
      at = end;
    }
    return out + REDACTED + text.slice(at);
  }

  /** Redacts every string in a JSON-like value, and values under secret-looking keys. */
  redactValue<T>(value: T): T {
    const walk = (v: unknown, key?: string): unknown => {
      if (typeof v === "string") return key && looksSecret(key) && v ? REDACTED : this.redact(v);
      if (Array.isArray(v)) return v.map((x) => (typeof x === "string" ? this.redactEnvEntry(x) : walk(x)));
      if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
      return v;
    };
    return walk(value) as T;
  }

  /** `NAME=value` entries (container Env) keep the name and lose a secret-looking value. */
  redactEnvEntry(entry: string): string {
    const eq = entry.indexOf("=");
    if (eq > 0 && looksSecret(entry.slice(0, eq))) return `${entry.slice(0, eq)}=${REDACTED}`;
    return this.redact(entry);
  }
}
