/**
 * How long cleanup may take. Teardown runs after the run's own signal may have been aborted (Ctrl-C,
 * a stage's timeout), so it has its own clock: long enough for a slow engine, bounded so that a hung
 * one cannot keep the process forever. What is left then is swept by the next Slipway start.
 */
export const TeardownTimeout = {
  /** Force-removing one container (a one-off that never ran, a container released early). */
  containerMs: 30_000,
  /** Removing everything a run created (containers, networks, volumes). */
  runMs: 120_000,
  /** Collecting a run's evidence before teardown: logs, health history, inspect, reports. */
  evidenceMs: 60_000,
  /** Sweeping what runs whose owner is gone left behind, beside each command. */
  sweepMs: 60_000,
} as const;

export function teardownSignal(what: keyof typeof TeardownTimeout): AbortSignal {
  return AbortSignal.timeout(TeardownTimeout[what]);
}
