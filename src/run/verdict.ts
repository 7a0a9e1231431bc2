/**
 * A run's verdict: a kind plus the exit code. When the tests fail, the exit code is the test
 * container's own; every other outcome has the fixed, documented code of errors/outcomes.ts — so a
 * test that exits 7 is told apart from a dependency failure by its kind, which is always in the
 * summary and in the last `--json` event. Never 0 unless the tests exited 0 and everything else held.
 */
import { connectionLost } from "../engine/engine-error.ts";
import { ExitCode, InternalError, SlipwayError, isAbortError, verdictExitCode, verdictKindFor, type VerdictKind } from "../errors/index.ts";

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

export function fromError(error: SlipwayError): Verdict {
  return {
    kind: verdictKindFor(error.kind),
    exitCode: error.exitCode,
    message: error.message,
    ...(error.hint ? { hint: error.hint } : {}),
  };
}

/** A verdict of any kind but a test failure (whose code is the test container's own), with its fixed code. */
export function verdictOf(kind: Exclude<VerdictKind, "tests-failed">, message: string, hint?: string): Verdict {
  return { kind, exitCode: verdictExitCode(kind), message, ...(hint ? { hint } : {}) };
}

/**
 * Whatever ended a run, as its verdict: a SlipwayError by its kind, an abort of the run's own
 * signal as cancelled, a connection to the engine that broke as the engine's failure, anything
 * else as a bug (exit 70). `cancelled` says whether the run's signal was aborted (an abort error
 * without it is not the user's Ctrl-C).
 */
export function verdictForFailure(err: unknown, cancelled: boolean): Verdict {
  if (cancelled && (isAbortError(err) || !(err instanceof SlipwayError))) return verdictOf("cancelled", "cancelled");
  if (err instanceof SlipwayError) return fromError(err);
  const lost = connectionLost(err);
  if (lost) return fromError(lost);
  return fromError(new InternalError(err instanceof Error ? err.message : String(err), err));
}
