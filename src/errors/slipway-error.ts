/**
 * Every failure a user can cause ends in one SlipwayError: a stable `code`, a message that says
 * what happened, a `hint` that says what to do next, and an exit code documented in the README.
 * Bugs are the only stack traces: anything that is not a SlipwayError is rendered as an
 * InternalError that asks for a bug report.
 */

/** Documented process exit codes (README, "Exit codes"). Keep in sync with docs. */
export const ExitCode = {
  ok: 0,
  /** A test container's own non-zero code is used as is; this is for other generic failures. */
  failure: 1,
  /** Bad command-line usage (unknown flag, missing argument). */
  usage: 2,
  /** Bad configuration: slipway.yml or a compose file. */
  config: 3,
  /** The Docker engine cannot be reached or answered with an unexpected failure. */
  engine: 4,
  /** An image build failed. */
  build: 5,
  /** A registry refused or could not be reached (pull/push/login). */
  registry: 6,
  /** A dependency service exited or became unhealthy. */
  dependency: 7,
  /** A configured timeout expired. */
  timeout: 8,
  /** Required test reports are missing. */
  reports: 9,
  /** A deploy failed or rolled back. */
  deploy: 10,
  /** An internal error: a bug in Slipway. */
  internal: 70,
  /** Cancelled by the user (SIGINT / Ctrl-C). */
  cancelled: 130,
} as const;
export type ExitCodeName = keyof typeof ExitCode;

export type ErrorKind =
  | "config"
  | "usage"
  | "engine"
  | "build"
  | "registry"
  | "dependency"
  | "timeout"
  | "reports"
  | "deploy"
  | "test-failed"
  | "cancelled"
  | "internal";

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

export function exitCodeForKind(kind: ErrorKind): number {
  switch (kind) {
    case "config":
      return ExitCode.config;
    case "usage":
      return ExitCode.usage;
    case "engine":
      return ExitCode.engine;
    case "build":
      return ExitCode.build;
    case "registry":
      return ExitCode.registry;
    case "dependency":
      return ExitCode.dependency;
    case "timeout":
      return ExitCode.timeout;
    case "reports":
      return ExitCode.reports;
    case "deploy":
      return ExitCode.deploy;
    case "test-failed":
      return ExitCode.failure;
    case "cancelled":
      return ExitCode.cancelled;
    case "internal":
      return ExitCode.internal;
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
