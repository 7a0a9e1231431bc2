/**
 * Releases kept in the swarm itself: each deploy that changed the stack writes what it deployed —
 * every service's whole spec, pinned digest and hash, the networks, the secret and config names
 * — as a Swarm config object labelled with the stack, commit, version, run, time and outcome. So
 * `slipway rollback` works from any machine that reaches a manager (no local record needed), and
 * does not depend on Swarm's own rollback, which remembers one previous spec per service and
 * loses even that on a no-op update.
 *
 * The object carries no stack namespace label: `--prune` never takes the history with it.
 */
import { createHash } from "node:crypto";
import { decodeObjectData, type Engine } from "../engine/index.ts";
import { SlipwayError } from "../errors/index.ts";
import type { DeployMeta } from "./apply.ts";
import type { RolloutOutcome } from "./rollout.ts";
import type { DesiredFileObject, DesiredNetwork, DesiredService, StackModel } from "./stack-model.ts";

export const ReleaseLabel = {
  kind: "dev.slipway.release",
  stack: "dev.slipway.release.stack",
  run: "dev.slipway.release.run",
  commit: "dev.slipway.release.commit",
  version: "dev.slipway.release.version",
  at: "dev.slipway.release.at",
  outcome: "dev.slipway.release.outcome",
} as const;

export type ReleaseOutcome = Exclude<RolloutOutcome, "in-progress">;

/** A release as the swarm keeps it. */
export interface ReleaseRecord {
  stack: string;
  meta: DeployMeta;
  outcome: ReleaseOutcome;
  services: DesiredService[];
  networks: DesiredNetwork[];
  /** Names only: a rollback never creates a secret or config, it takes the generation the release used. */
  secrets: Omit<DesiredFileObject, "source">[];
  configs: Omit<DesiredFileObject, "source">[];
}

/** A release listed from its labels (its data read only when it is chosen). */
export interface ReleaseSummary {
  /** The config object's ID. */
  id: string;
  stack: string;
  runId: string;
  commit: string;
  version?: string;
  at: string;
  outcome: ReleaseOutcome;
}

const FORMAT = 1;
/** Releases kept per stack (the one running is always kept). */
export const RELEASES_KEPT = 10;

/** The config's name: fixed by stack and run (so a run's second write replaces nothing by accident), within Swarm's 64 characters. */
export function releaseObjectName(stack: string, runId: string): string {
  return `slipway-release-${createHash("sha256").update(`${stack}\n${runId}`).digest("hex").slice(0, 24)}`;
}

export function releaseRecord(model: StackModel, meta: DeployMeta, outcome: ReleaseOutcome): ReleaseRecord {
  const names = ({ source: _source, ...rest }: DesiredFileObject) => rest;
  return { stack: model.stack, meta, outcome, services: model.services, networks: model.networks, secrets: model.secrets.map(names), configs: model.configs.map(names) };
}

export function releaseLabels(r: ReleaseRecord): Record<string, string> {
  return {
    [ReleaseLabel.kind]: String(FORMAT),
    [ReleaseLabel.stack]: r.stack,
    [ReleaseLabel.run]: r.meta.runId,
    [ReleaseLabel.commit]: r.meta.commit,
    ...(r.meta.version ? { [ReleaseLabel.version]: r.meta.version } : {}),
    [ReleaseLabel.at]: r.meta.at,
    [ReleaseLabel.outcome]: r.outcome,
  };
}

const OUTCOMES: readonly ReleaseOutcome[] = ["converged", "failed", "rolled-back", "paused", "timed-out"];

/** A summary from a config's ID and labels; undefined for anything that is not a release of this format. */
export function releaseSummary(id: string, labels: Record<string, string>): ReleaseSummary | undefined {
  if (labels[ReleaseLabel.kind] !== String(FORMAT)) return undefined;
  const [stack, runId, commit, at, outcome] = [labels[ReleaseLabel.stack], labels[ReleaseLabel.run], labels[ReleaseLabel.commit], labels[ReleaseLabel.at], labels[ReleaseLabel.outcome]];
  if (!stack || !runId || !commit || !at || !OUTCOMES.includes(outcome as ReleaseOutcome)) return undefined;
  const version = labels[ReleaseLabel.version];
  return { id, stack, runId, commit, ...(version ? { version } : {}), at, outcome: outcome as ReleaseOutcome };
}

/** Newest first (by time, then run id). */
export const newestFirst = (a: ReleaseSummary, b: ReleaseSummary) => (a.at === b.at ? b.runId.localeCompare(a.runId) : b.at.localeCompare(a.at));

/**
 * The release a rollback goes to: the one named (a run id, a commit or a version, or a unique
 * prefix of a run id or commit), else the newest that converged before the one running now.
 * `running`: the run whose release the stack's services carry now, if any.
 */
export function chooseRelease(releases: readonly ReleaseSummary[], running: string | undefined, wanted?: string): { release?: ReleaseSummary; reason: string } {
  const sorted = [...releases].sort(newestFirst);
  if (wanted !== undefined) {
    const exact = sorted.filter((r) => r.runId === wanted || r.commit === wanted || r.version === wanted);
    const matches = exact.length ? exact : sorted.filter((r) => (wanted.length >= 4 && (r.runId.startsWith(wanted) || r.commit.startsWith(wanted))));
    const converged = matches.filter((r) => r.outcome === "converged");
    if (!matches.length) return { reason: `no release ${JSON.stringify(wanted)} (a run id, commit or version) is recorded for this stack` };
    if (!converged.length) return { reason: `release ${JSON.stringify(wanted)} never converged (${matches[0]!.outcome}): a rollback goes only to a release that ran` };
    const runs = new Set(converged.map((r) => r.runId));
    if (runs.size > 1 && !exact.some((r) => r.runId === wanted)) {
      const newest = converged[0]!;
      return { release: newest, reason: `${converged.length} converged releases match ${JSON.stringify(wanted)}: the newest, run ${newest.runId}` };
    }
    return { release: converged[0]!, reason: `release ${JSON.stringify(wanted)} as asked` };
  }
  // The newest converged release older than the one running (all of them when the running one is not recorded).
  const at = running === undefined ? -1 : sorted.findIndex((r) => r.runId === running);
  const previous = sorted.slice(at + 1).find((r) => r.outcome === "converged" && r.runId !== running);
  if (!previous) return { reason: running ? `no converged release before the one running (run ${running}) is recorded for this stack` : "no converged release is recorded for this stack" };
  return { release: previous, reason: "the newest converged release before the one running" };
}

/** The run whose release the stack's services carry now: the newest `dev.slipway.deploy.run` among them. */
export function runningRelease(services: readonly { labels: Record<string, string> }[]): string | undefined {
  const runs = services.map((s) => ({ run: s.labels["dev.slipway.deploy.run"], at: s.labels["dev.slipway.deploy.at"] ?? "" })).filter((x): x is { run: string; at: string } => !!x.run);
  runs.sort((a, b) => b.at.localeCompare(a.at));
  return runs[0]?.run;
}

/** Which releases to remove: beyond the newest `keep`, never the one running. */
export function releasesToRemove(releases: readonly ReleaseSummary[], running: string | undefined, keep = RELEASES_KEPT): ReleaseSummary[] {
  return [...releases].sort(newestFirst).slice(keep).filter((r) => r.runId !== running);
}

/** The stack's releases, from the swarm's configs. */
export async function listReleases(engine: Engine, stack: string, signal?: AbortSignal): Promise<ReleaseSummary[]> {
  const configs = await engine.configs.list({ filters: { label: [`${ReleaseLabel.stack}=${stack}`] }, ...(signal ? { signal } : {}) });
  return configs.flatMap((c) => releaseSummary(c.ID, c.Spec.Labels ?? {}) ?? []).sort(newestFirst);
}

export async function readRelease(engine: Engine, summary: ReleaseSummary, signal?: AbortSignal): Promise<ReleaseRecord> {
  const config = await engine.configs.inspect(summary.id, { ...(signal ? { signal } : {}) });
  const parsed = parseRelease(decodeObjectData(config.Spec.Data).toString("utf8"));
  if (!parsed) {
    // Labelled as a release but not one this version reads (a newer Slipway's, or edited by hand).
    throw new SlipwayError(`Release ${summary.runId} of ${summary.stack} (config ${summary.id}) is not in a format this Slipway reads`, {
      code: "RELEASE_UNREADABLE",
      kind: "usage",
      hint: "Roll back to another release (`slipway releases --target T`), or use the Slipway version that deployed it; nothing was changed.",
    });
  }
  return parsed;
}

/** A release record's data, or undefined when it is not JSON of this format. */
export function parseRelease(data: string): ReleaseRecord | undefined {
  try {
    const parsed = JSON.parse(data) as { format?: unknown; release?: unknown };
    return parsed.format === FORMAT && parsed.release && typeof parsed.release === "object" ? (parsed.release as ReleaseRecord) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the release (replacing an earlier write of the same run: a failed deploy's record is
 * written once, at its end) and removes the stack's releases beyond the newest RELEASES_KEPT.
 */
export async function writeRelease(engine: Engine, record: ReleaseRecord, running: string | undefined, signal?: AbortSignal): Promise<void> {
  const name = releaseObjectName(record.stack, record.meta.runId);
  const sig = signal ? { signal } : {};
  const existing = (await engine.configs.list({ filters: { name: [name] }, ...sig })).filter((c) => c.Spec.Name === name);
  for (const c of existing) await engine.configs.remove(c.ID, sig);
  await engine.configs.create({ Name: name, Labels: releaseLabels(record), Data: Buffer.from(JSON.stringify({ format: FORMAT, release: record })) }, sig);
  for (const old of releasesToRemove(await listReleases(engine, record.stack, signal), running)) {
    await engine.configs.remove(old.id, sig).catch(() => undefined);
  }
}
