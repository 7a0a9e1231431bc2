/**
 * Errors are rendered once, at the edge. A SlipwayError is one message plus a hint, no stack;
 * anything else is a bug: it is shown with its stack and a request for a bug report.
 */
import { InternalError, SlipwayError } from "../errors/index.ts";
import type { Style } from "./style.ts";

export function toSlipwayError(err: unknown): SlipwayError {
  if (err instanceof SlipwayError) return err;
  return new InternalError(err instanceof Error ? err.message : String(err), err);
}

export function renderError(error: SlipwayError, style: Style): string {
  const lines = [`${style.red(style.bold("error"))}: ${error.message}`];
  if (error.hint) lines.push(`  ${style.dim("hint")}: ${error.hint}`);
  if (error instanceof InternalError) {
    const cause = error.cause;
    if (cause instanceof Error && cause.stack) lines.push(style.dim(cause.stack));
  }
  return `${lines.join("\n")}\n`;
}
