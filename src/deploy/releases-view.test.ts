import { test } from "node:test";
import assert from "node:assert/strict";
import type { DeploymentEntry } from "../history/record-store.ts";
import type { ReleaseRecord, ReleaseSummary } from "./release-record.ts";
import { formatReleaseRow, releaseRows } from "./releases-view.ts";

const summary = (runId: string, at: string, outcome: ReleaseSummary["outcome"] = "converged"): ReleaseSummary => ({ id: `c-${runId}`, stack: "shop", runId, commit: `${runId}abcdef0123456789`, version: "1.2.0", at, outcome });
const record = (image: string) => ({ services: [{ service: "web", spec: { TaskTemplate: { ContainerSpec: { Image: image } } } }] }) as unknown as ReleaseRecord;
const deployment = (runId: string, extra: Partial<DeploymentEntry> = {}): DeploymentEntry => ({ id: `${runId}-staging`, at: "2026-12-06T02:00:00Z", runId, target: "staging", stack: "shop", commit: "c", by: "ci@runner-1", services: [], outcome: "converged", durationMs: 2700, ...extra });

test("rows: the swarm's releases with the running one marked, who deployed and how long from this repository's records, and the rollbacks that went to each", () => {
  const rows = releaseRows(
    [
      { summary: summary("r2", "2026-12-06T02:00:00Z"), record: record(`reg/app@sha256:${"b".repeat(64)}`) },
      { summary: summary("r1", "2026-12-06T01:00:00Z"), record: record(`reg/app@sha256:${"a".repeat(64)}`) },
    ],
    [deployment("r2"), deployment("r9", { rollbackTo: "r1", at: "2026-12-06T03:00:00Z", by: "ops@laptop", outcome: "converged" })],
    "r1",
  );
  assert.deepEqual(rows.map((r) => [r.runId, r.running, r.by, r.rollbacks.length]), [["r2", false, "ci@runner-1", 0], ["r1", true, undefined, 1]]);
  assert.equal(formatReleaseRow(rows[0]!), `  2026-12-06T02:00:00Z  run r2  commit r2abcdef0123  1.2.0  converged  by ci@runner-1 in 2.7 s  web=reg/app@sha256:bbbbbbbbbbbb`);
  assert.equal(formatReleaseRow(rows[1]!), `* 2026-12-06T01:00:00Z  run r1  commit r1abcdef0123  1.2.0  converged  web=reg/app@sha256:aaaaaaaaaaaa\n    rolled back to at 2026-12-06T03:00:00Z by ops@laptop: converged`);
});
