/**
 * A run's verdict: a kind plus the exit code. When the tests fail, the exit code is the test
 * container's own; every other outcome has a fixed, documented code — so a test that exits 7 is
 * told apart from a dependency failure by its kind, which is always in the summary and in the
 * last `--json` event. Never 0 unless the tests exited 0 and everything else held.
 */
import { ExitCode, SlipwayError, type ErrorKind } from "../errors/index.ts";
import type { VerdictKind } from "../events/index.ts";

export interface Verdict {
  kind: VerdictKind;
  exitCode: number;
  message: string;
  hint?: string;
}

export function passed(message = "all tests passed"): Verdict {
  return { kind: "passed", exitCode: ExitCode.ok, message };
}

export function testsFailed(exitCode: number, message: string): Verdict {
  // A test container that exits non-zero fails the run with its own code; 0 cannot be a failure.
  if (exitCode === 0) throw new Error("testsFailed needs a non-zero exit code");
  return { kind: "tests-failed", exitCode, message };
}

const KIND_FOR_ERROR: Record<ErrorKind, VerdictKind> = {
  config: "config-error",
  usage: "config-error",
  engine: "engine-error",
  build: "build-failed",
  registry: "registry-error",
  dependency: "dependency-failed",
  timeout: "timeout",
  reports: "reports-missing",
  deploy: "engine-error",
  "test-failed": "tests-failed",
  cancelled: "cancelled",
  internal: "internal-error",
};

export function fromError(error: SlipwayError): Verdict {
  return {
    kind: KIND_FOR_ERROR[error.kind],
    exitCode: error.exitCode,
    message: error.message,
    ...(error.hint ? { hint: error.hint } : {}),
  };
}

/** A verdict of any kind but a test failure (whose code is the test container's own), with its fixed code. */
export function verdictOf(kind: Exclude<VerdictKind, "tests-failed">, message: string, hint?: string): Verdict {
  return { kind, exitCode: verdictExitCode(kind), message, ...(hint ? { hint } : {}) };
}

export function verdictExitCode(kind: VerdictKind): number {
  switch (kind) {
    case "passed":
      return ExitCode.ok;
    case "dependency-failed":
      return ExitCode.dependency;
    case "reports-missing":
      return ExitCode.reports;
    case "timeout":
      return ExitCode.timeout;
    case "config-error":
      return ExitCode.config;
    case "build-failed":
      return ExitCode.build;
    case "engine-error":
      return ExitCode.engine;
    case "registry-error":
      return ExitCode.registry;
    case "cancelled":
      return ExitCode.cancelled;
    case "internal-error":
      return ExitCode.internal;
    case "tests-failed":
      return ExitCode.failure;
  }
}
