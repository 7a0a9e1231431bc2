/**
 * The one table of outcomes: each kind of failure a user can cause (an error's `kind`) has one
 * verdict kind and one documented exit code. README's "Exit codes" table is checked against it by
 * a unit test, so the two cannot drift apart.
 */

export const OUTCOMES = [
  { kind: "ok", verdict: "passed", exitCode: 0, meaning: "success" },
  { kind: "test-failed", verdict: "tests-failed", exitCode: 1, meaning: "generic failure (a failed test run exits with the test container's own non-zero code instead)" },
  { kind: "usage", verdict: "usage-error", exitCode: 2, meaning: "bad command-line usage" },
  { kind: "config", verdict: "config-error", exitCode: 3, meaning: "bad configuration (`slipway.yml`, a compose file)" },
  { kind: "engine", verdict: "engine-error", exitCode: 4, meaning: "the Docker engine is unreachable or failed" },
  { kind: "build", verdict: "build-failed", exitCode: 5, meaning: "an image build failed" },
  { kind: "registry", verdict: "registry-error", exitCode: 6, meaning: "a registry refused or could not be reached" },
  { kind: "dependency", verdict: "dependency-failed", exitCode: 7, meaning: "a dependency service exited or became unhealthy" },
  { kind: "timeout", verdict: "timeout", exitCode: 8, meaning: "a timeout expired" },
  { kind: "reports", verdict: "reports-missing", exitCode: 9, meaning: "required test reports are missing or unreadable" },
  { kind: "deploy", verdict: "deploy-failed", exitCode: 10, meaning: "a deploy failed (its tasks did not become healthy, or its rollback failed)" },
  { kind: "deploy-rolled-back", verdict: "deploy-rolled-back", exitCode: 11, meaning: "a deploy failed and Swarm rolled it back: the previous version runs" },
  { kind: "deploy-paused", verdict: "deploy-paused", exitCode: 12, meaning: "a deploy failed and Swarm paused it half done (failure_action: pause)" },
  { kind: "deploy-locked", verdict: "deploy-locked", exitCode: 13, meaning: "another deploy or rollback of the stack holds its lock: nothing was changed" },
  { kind: "internal", verdict: "internal-error", exitCode: 70, meaning: "internal error: a bug in Slipway (please report it)" },
  { kind: "cancelled", verdict: "cancelled", exitCode: 130, meaning: "cancelled (Ctrl-C)" },
] as const;

type Outcome = (typeof OUTCOMES)[number];

/** What went wrong, as an error says it. */
export type ErrorKind = Exclude<Outcome["kind"], "ok">;
/** What happened to a run, as its verdict says it. */
export type VerdictKind = Outcome["verdict"];

const BY_KIND = new Map<string, Outcome>(OUTCOMES.map((o) => [o.kind, o]));
const BY_VERDICT = new Map<string, Outcome>(OUTCOMES.map((o) => [o.verdict, o]));

export function exitCodeForKind(kind: ErrorKind): number {
  return BY_KIND.get(kind)!.exitCode;
}

export function verdictKindFor(kind: ErrorKind): VerdictKind {
  return BY_KIND.get(kind)!.verdict;
}

/**
 * The documented code of a verdict kind. `tests-failed` has 1 here, but a failed test run exits with
 * the test container's own non-zero code: that verdict is made with its code (run/verdict.ts).
 */
export function verdictExitCode(verdict: VerdictKind): number {
  return BY_VERDICT.get(verdict)!.exitCode;
}

/** Named codes, for the few places that use one directly (the CLI's usage errors, Ctrl-C). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  config: 3,
  engine: 4,
  build: 5,
  registry: 6,
  dependency: 7,
  timeout: 8,
  reports: 9,
  deploy: 10,
  internal: 70,
  cancelled: 130,
} as const satisfies Record<string, Outcome["exitCode"]>;
