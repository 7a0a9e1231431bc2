/**
 * Every failure a user can cause ends in one SlipwayError: a stable `code`, a message that says
 * what happened, a `hint` that says what to do next, and an exit code documented in the README.
 * Bugs are the only stack traces: anything that is not a SlipwayError is rendered as an
 * InternalError that asks for a bug report.
 */

import { exitCodeForKind, type ErrorKind } from "./outcomes.ts";

export type { ErrorKind };

export interface SlipwayErrorOptions {
  /** Stable machine-readable code, e.g. `ENGINE_UNREACHABLE`. */
  code: string;
  kind: ErrorKind;
  /** What to run or change next. */
  hint?: string;
  cause?: unknown;
  /** Extra structured detail (never secrets). */
  details?: Record<string, unknown>;
}

export class SlipwayError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, options: SlipwayErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.kind = options.kind;
    this.hint = options.hint;
    this.details = options.details;
  }

  /** The documented exit code for this error. */
  get exitCode(): number {
    return exitCodeForKind(this.kind);
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      kind: this.kind,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: this.details } : {}),
      exitCode: this.exitCode,
    };
  }
}

/** A bug. Rendered with its stack and a request for a bug report. */
export class InternalError extends SlipwayError {
  constructor(message: string, cause?: unknown) {
    super(message, {
      code: "INTERNAL",
      kind: "internal",
      hint: "This is a bug in Slipway. Please report it with the output above.",
      cause,
    });
  }
}

/** The run was cancelled (Ctrl-C or an aborted AbortSignal). */
export class CancelledError extends SlipwayError {
  constructor(message = "Cancelled", cause?: unknown) {
    super(message, { code: "CANCELLED", kind: "cancelled", cause });
  }
}

export function isSlipwayError(e: unknown): e is SlipwayError {
  return e instanceof SlipwayError;
}

/** True when `e` is an abort caused by an AbortSignal (ours or undici's). */
export function isAbortError(e: unknown): boolean {
  return (
    e instanceof CancelledError ||
    (e instanceof Error && (e.name === "AbortError" || (e as { code?: string }).code === "ABORT_ERR"))
  );
}
