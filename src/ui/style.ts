/**
 * Terminal styling, decided once at the edge: colour only on a TTY without NO_COLOR (or with
 * FORCE_COLOR). With colour off every function is the identity, so no escape codes leak into CI logs.
 */
export interface Style {
  enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
  /** One of a fixed palette, chosen by index (per-service log prefixes). */
  palette(index: number, s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const PALETTE = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

export function createStyle(enabled: boolean): Style {
  if (!enabled) {
    const id = (s: string) => s;
    return { enabled, bold: id, dim: id, red: id, green: id, yellow: id, blue: id, cyan: id, magenta: id, palette: (_i, s) => s };
  }
  return {
    enabled,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    blue: wrap(34, 39),
    cyan: wrap(36, 39),
    magenta: wrap(35, 39),
    palette: (i, s) => wrap(PALETTE[i % PALETTE.length]!, 39)(s),
  };
}

/** The colour decision, from the environment and whether the stream is a TTY. */
export function colorEnabled(env: Record<string, string | undefined>, isTTY: boolean): boolean {
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  if (env["FORCE_COLOR"] !== undefined && env["FORCE_COLOR"] !== "0") return true;
  if (env["TERM"] === "dumb") return false;
  return isTTY;
}
