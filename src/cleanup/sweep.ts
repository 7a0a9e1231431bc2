/**
 * Sweeps what dead or expired runs left behind (a SIGKILL, a crashed CI runner): every Slipway
 * start does it, `slipway clean` on demand. Resources are grouped by run id and removed with the
 * same teardown as a run's own, containers first; nothing without Slipway's labels is touched.
 */
import type { Engine } from "../engine/index.ts";
import type { EventBus } from "../events/index.ts";
import { Label } from "../run/labels.ts";
import { observeByLabels } from "../compose/runner/observe.ts";
import { teardownRun } from "./teardown-run.ts";
import { judgeOwner, type HostFacts } from "./owner.ts";

export interface SweepCandidate {
  runId: string;
  reason: string;
  containers: number;
  networks: number;
  volumes: number;
}

export async function findAbandonedRuns(engine: Engine, facts: HostFacts, signal?: AbortSignal): Promise<SweepCandidate[]> {
  const { containers, networks, volumes } = await observeByLabels(engine, { label: [Label.run] }, signal);
  const runs = new Map<string, SweepCandidate & { labels: Record<string, string> }>();
  const note = (labels: Record<string, string> | null, kind: "containers" | "networks" | "volumes") => {
    const runId = labels?.[Label.run];
    if (!runId || !labels) return;
    const entry = runs.get(runId) ?? { runId, reason: "", containers: 0, networks: 0, volumes: 0, labels };
    entry[kind] += 1;
    runs.set(runId, entry);
  };
  containers.forEach((c) => note(c.labels, "containers"));
  networks.forEach((n) => note(n.Labels, "networks"));
  volumes.forEach((v) => note(v.Labels, "volumes"));
  const out: SweepCandidate[] = [];
  for (const { labels, ...entry } of runs.values()) {
    const verdict = judgeOwner(labels, facts);
    if (verdict.gone) out.push({ ...entry, reason: verdict.reason });
  }
  return out.sort((a, b) => (a.runId < b.runId ? -1 : 1));
}

export async function sweepAbandonedRuns(engine: Engine, events: EventBus, facts: HostFacts, opts: { dryRun?: boolean; signal?: AbortSignal } = {}): Promise<SweepCandidate[]> {
  const candidates = await findAbandonedRuns(engine, facts, opts.signal);
  if (opts.dryRun) return candidates;
  for (const c of candidates) {
    await teardownRun(engine, events, c.runId, { timeout: 0, networkRetries: 0, ...(opts.signal ? { signal: opts.signal } : {}) });
  }
  return candidates;
}
