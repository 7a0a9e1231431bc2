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
  /** One pattern for every value, built on first use after a change (redact runs per log line). */
  #pattern: RegExp | undefined;

  /** Remembers a secret value (values shorter than 4 characters would redact too much). */
  add(value: string | undefined | null): void {
    if (value && value.length >= 4 && !this.#values.has(value)) {
      this.#values.add(value);
      this.#pattern = undefined;
    }
  }

  /** Remembers the values of secret-looking names in an environment. */
  addEnvironment(env: Record<string, string | null | undefined>): void {
    for (const [name, value] of Object.entries(env)) if (looksSecret(name)) this.add(value ?? undefined);
  }

  redact(text: string): string {
    if (this.#values.size === 0) return text;
    this.#pattern ??= new RegExp(
      // Longest first, so a secret that contains another is replaced whole. A short secret
      // ("todo") is also a piece of ordinary words ("todobackend"): it is replaced where it stands
      // alone, as in `postgres://todo:todo@db` or `PASSWORD=todo`.
      [...this.#values]
        .sort((a, b) => b.length - a.length)
        .map((v) => (v.length >= LONG_SECRET ? escapeRegExp(v) : `(?<![A-Za-z0-9_])${escapeRegExp(v)}(?![A-Za-z0-9_])`))
        .join("|"),
      "g",
    );
    return text.replace(this.#pattern, REDACTED);
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
