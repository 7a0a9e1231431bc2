/**
 * `slipway releases --target T`: the target's releases, newest first, marking the one running —
 * the swarm's own release records (what any machine can read: run, commit, version, when, outcome,
 * each service's digest) joined with this repository's deployment records where they exist (who
 * deployed, how long it took, rollbacks). Pure: the CLI reads both sources and prints the result.
 */
import type { DeploymentEntry } from "../history/record-store.ts";
import type { ReleaseOutcome, ReleaseRecord, ReleaseSummary } from "./release-record.ts";

export interface ReleaseRow {
  runId: string;
  commit: string;
  version?: string;
  at: string;
  outcome: ReleaseOutcome;
  /** The release the stack's services carry now. */
  running: boolean;
  /** Each service's image, pinned by digest. */
  services: { service: string; image: string }[];
  /** From this repository's deployment record of that run, when it has one. */
  by?: string;
  durationMs?: number;
  /** Rollbacks recorded here that went to this release: when and by whom. */
  rollbacks: { at: string; by: string; outcome: DeploymentEntry["outcome"] }[];
}

export function releaseRows(releases: readonly { summary: ReleaseSummary; record?: ReleaseRecord }[], deployments: readonly DeploymentEntry[], running: string | undefined): ReleaseRow[] {
  const byRun = new Map(deployments.filter((d) => d.rollbackTo === undefined).map((d) => [d.runId, d]));
  return releases.map(({ summary, record }) => {
    const d = byRun.get(summary.runId);
    return {
      runId: summary.runId,
      commit: summary.commit,
      ...(summary.version ? { version: summary.version } : {}),
      at: summary.at,
      outcome: summary.outcome,
      running: summary.runId === running,
      services: (record?.services ?? []).map((s) => ({ service: s.service, image: s.spec.TaskTemplate.ContainerSpec.Image })),
      ...(d ? { by: d.by, durationMs: d.durationMs } : {}),
      rollbacks: deployments.filter((r) => r.rollbackTo === summary.runId).map((r) => ({ at: r.at, by: r.by, outcome: r.outcome })),
    };
  });
}

/** A row as a line: `* 2026-12-06T01:36:27Z  run R  commit abc  1.2.0  converged  by u@h in 2.7 s  web=reg/app@sha256:…`. */
export function formatReleaseRow(r: ReleaseRow): string {
  const images = r.services.map((s) => `${s.service}=${s.image.replace(/@sha256:([0-9a-f]{12})[0-9a-f]*$/, "@sha256:$1")}`).join(" ");
  const who = r.by ? `  by ${r.by}${r.durationMs !== undefined ? ` in ${(r.durationMs / 1000).toFixed(1)} s` : ""}` : "";
  const back = r.rollbacks.map((b) => `\n    rolled back to at ${b.at} by ${b.by}: ${b.outcome}`).join("");
  return `${r.running ? "*" : " "} ${r.at}  run ${r.runId}  commit ${r.commit.slice(0, 12)}${r.version ? `  ${r.version}` : ""}  ${r.outcome}${who}  ${images}${back}`;
}
