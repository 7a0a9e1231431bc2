/**
 * `.env` / `--env-file` / `env_file:` parsing, following compose-go's dotenv dialect:
 * `KEY=value`, optional `export `, `#` comments, single quotes literal, double quotes with
 * escapes (\n, \t, \", \\) and interpolation, unquoted values trimmed with ` #` comments cut
 * and interpolated. Values may refer to keys defined earlier in the same file.
 */
import { InterpolationError, interpolateString, type Lookup } from "./interpolate.ts";
import { fail } from "../../yaml/issues.ts";

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function parseEnvFile(text: string, file: string, outer: Lookup): Record<string, string> {
  const result: Record<string, string> = {};
  const lookup: Lookup = (name) => (name in result ? result[name] : outer(name));
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = (lines[i] ?? "").trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("export ")) line = line.slice(7).trimStart();
    const eq = line.indexOf("=");
    const pos = { file, line: lineNo, column: 1 };
    if (eq < 0) {
      // A bare name takes its value from the environment, if there is one.
      if (!KEY.test(line)) fail(pos, "", `unexpected line in env file: ${JSON.stringify(line)}`, "Use KEY=value.");
      const v = outer(line);
      if (v !== undefined) result[line] = v;
      continue;
    }
    const key = line.slice(0, eq).trim();
    if (!KEY.test(key)) fail(pos, "", `invalid variable name ${JSON.stringify(key)} in env file`);
    let raw = line.slice(eq + 1).trimStart();
    try {
      const quote = raw[0];
      if (quote === "'" || quote === '"') {
        // Quoted values may span lines until the closing quote.
        let end = findClosingQuote(raw, quote);
        while (end < 0 && i + 1 < lines.length) {
          i++;
          raw += "\n" + (lines[i] ?? "");
          end = findClosingQuote(raw, quote);
        }
        if (end < 0) fail(pos, key, `unterminated ${quote === "'" ? "single" : "double"}-quoted value in env file`);
        const inner = raw.slice(1, end);
        result[key] = quote === "'" ? inner : interpolateString(unescapeDouble(inner), lookup);
      } else {
        const hash = raw.search(/\s#/);
        const value = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
        result[key] = interpolateString(value, lookup);
      }
    } catch (e) {
      if (e instanceof InterpolationError) fail(pos, key, e.message, e.hint);
      throw e;
    }
  }
  return result;
}

function findClosingQuote(s: string, quote: string): number {
  for (let k = 1; k < s.length; k++) {
    if (quote === '"' && s[k] === "\\") {
      k++;
      continue;
    }
    if (s[k] === quote) return k;
  }
  return -1;
}

function unescapeDouble(s: string): string {
  return s.replace(/\\([nrt"\\$])/g, (_m, c: string) => {
    switch (c) {
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "t":
        return "\t";
      // `\$` keeps a literal dollar through interpolation.
      case "$":
        return "$$";
      default:
        return c;
    }
  });
}

/** `format: raw`: KEY=VALUE lines taken literally (no quotes, escapes or interpolation); comments and blank lines skipped. */
export function parseRawEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.replace(/\r\n?/g, "\n").split("\n")) {
    if (!line.trim() || line.trimStart().startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return out;
}
