/**
 * `slipway prune`, the displaced-image cleanup at the end of every run and in `slipway clean`:
 * read what the engine and the record store say, decide with planPrune (pure), then remove only
 * what was decided, tag by tag, so that an image another container or run took in the meantime is
 * refused by the engine rather than forced. Never `docker system prune`: nothing is selected but
 * by Slipway's labels.
 */
import type { Engine } from "../engine/index.ts";
import { EngineApiError, isConflict } from "../engine/engine-error.ts";
import { EventBus } from "../events/index.ts";
import type { RecordStore } from "../history/record-store.ts";
import { Label } from "../run/labels.ts";
import { displacedBy, releaseHolds } from "./holds.ts";
import { judgeOwner, type HostFacts } from "./owner.ts";
import { isDangling, planPrune, type ImageDecision, type ImageUser, type PruneFacts, type PruneImage } from "./prune-plan.ts";
import { findAbandonedRuns, type SweepCandidate } from "./sweep.ts";
import { teardownRun } from "./teardown-run.ts";

export interface PruneOptions {
  /** This repository's pipeline; without it only displaced (untagged) images are candidates. */
  pipeline?: string;
  /** Where publishes and deployments are recorded: what they reference stays. */
  store?: RecordStore;
  commit?: string;
  currentBase?: string;
  /** The pipeline has a base whose current version cannot be named: every base image stays. */
  keepBases?: boolean;
  /** How many of the newest published releases stay. */
  keep: number;
  dryRun?: boolean;
  /** Also prune the builder's cache (it cannot be told apart by who made it). */
  buildCache?: boolean;
  host: HostFacts;
  /** Sweep the runs whose owner is gone first (their holds and volumes). Default true. */
  sweep?: boolean;
  events?: EventBus;
  signal?: AbortSignal;
}

export interface PruneReport {
  dryRun: boolean;
  /** Every candidate, with what was decided and why. */
  images: (ImageDecision & { removed?: boolean; failure?: string })[];
  /** Slipway's volumes no container uses that are anonymous, or of runs whose owner is gone. */
  volumes: { name: string; reason: string; removed?: boolean; failure?: string }[];
  /** Runs whose owner is gone, swept first. */
  runs: SweepCandidate[];
  buildCache: { size: number; records: number; pruned?: { reclaimed: number; records: number }; /** Why it could not be sized or pruned. */ failure?: string };
  /** Bytes of the images removed (or that would be). */
  reclaimed: number;
}

/** What the engine holds that Slipway built, and who uses it. */
export async function readPruneFacts(engine: Engine, opts: Omit<PruneOptions, "dryRun" | "buildCache" | "sweep" | "events">, sweptRuns: Set<string> = new Set()): Promise<PruneFacts> {
  const { signal } = opts;
  const [images, containers, publishes, deployments] = await Promise.all([
    engine.images.list({ filters: { label: [Label.contextHash] }, signal }),
    engine.containers.list({ all: true, signal }),
    opts.store?.list("publishes") ?? [],
    opts.store?.list("deployments") ?? [],
  ]);
  const users: ImageUser[] = containers.map((c) => {
    const name = (c.Names[0] ?? c.Id).replace(/^\//, "");
    if (!c.Labels?.[Label.hold]) return { imageId: c.ImageID, name };
    const runId = c.Labels[Label.run] ?? "";
    return { imageId: c.ImageID, name, holdOf: { runId, live: !sweptRuns.has(runId) && !judgeOwner(c.Labels, opts.host).gone } };
  });
  return {
    ...(opts.pipeline !== undefined ? { pipeline: opts.pipeline } : {}),
    images: images.map(
      (i): PruneImage => ({
        id: i.Id,
        // Old engines list an untagged image as `<none>:<none>`.
        tags: (i.RepoTags ?? []).filter((t) => t !== "<none>:<none>"),
        digests: (i.RepoDigests ?? []).filter((d) => d !== "<none>@<none>"),
        labels: i.Labels ?? {},
        size: i.Size,
        created: i.Created,
      }),
    ),
    users,
    ...(opts.commit ? { commit: opts.commit } : {}),
    ...(opts.currentBase ? { currentBase: opts.currentBase } : {}),
    ...(opts.keepBases ? { keepBases: true } : {}),
    publishes,
    deployments,
    keep: opts.keep,
  };
}

export async function prune(engine: Engine, opts: PruneOptions): Promise<PruneReport> {
  const { signal } = opts;
  const dryRun = !!opts.dryRun;
  // Runs whose owner is gone go first: their holds no longer protect anything.
  const runs = opts.sweep === false ? [] : await findAbandonedRuns(engine, opts.host, signal);
  const events = opts.events ?? new EventBus();
  if (!dryRun) for (const r of runs) await teardownRun(engine, events, r.runId, { timeout: 1, ...(signal ? { signal } : {}) });
  // The builder's cache is costly to size on engines before API 1.42 (they size everything): read
  // only when it is reported (--dry-run) or pruned.
  const [facts, volumes, cache] = await Promise.all([
    readPruneFacts(engine, opts, new Set(runs.map((r) => r.runId))),
    danglingVolumes(engine, opts.host, signal),
    dryRun || opts.buildCache ? engine.system.buildCache({ signal }).catch((err: unknown) => errorLine(err)) : [],
  ]);
  const images: PruneReport["images"] = planPrune(facts);
  const report: PruneReport = {
    dryRun,
    images,
    volumes,
    runs,
    buildCache: typeof cache === "string" ? { size: 0, records: 0, failure: cache } : { size: cache.reduce((n, r) => n + (r.Shared ? 0 : r.Size), 0), records: cache.length },
    reclaimed: images.filter((d) => d.remove).reduce((n, d) => n + d.image.size, 0),
  };
  if (dryRun) return report;
  await removeImages(engine, images.filter((d) => d.remove), signal);
  report.reclaimed = images.filter((d) => d.removed).reduce((n, d) => n + d.image.size, 0);
  for (const v of volumes) {
    try {
      await engine.volumes.remove(v.name, { signal });
      v.removed = true;
    } catch (err) {
      v.failure = isConflict(err) ? "in use (a container took it meanwhile)" : errorLine(err);
    }
  }
  if (opts.buildCache) {
    // After the images and volumes: a refusal here must not hide what went before it.
    try {
      const pruned = await engine.system.pruneBuildCache({ signal });
      report.buildCache.pruned = { reclaimed: pruned.SpaceReclaimed, records: pruned.CachesDeleted?.length ?? 0 };
    } catch (err) {
      if (!(err instanceof EngineApiError)) throw err;
      report.buildCache.failure = errorLine(err);
    }
  }
  return report;
}

/** Removes the decided images 8 at a time (the engine serves deletes in parallel); each says whether it went. */
async function removeImages(engine: Engine, decisions: (ImageDecision & { removed?: boolean; failure?: string })[], signal?: AbortSignal): Promise<void> {
  const queue = [...decisions];
  const worker = async () => {
    for (let d = queue.shift(); d; d = queue.shift()) {
      const failure = await removeImage(engine, d.image, signal);
      if (failure) d.failure = failure;
      else d.removed = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(REMOVALS_AT_ONCE, queue.length) }, worker));
}

const REMOVALS_AT_ONCE = 8;

/**
 * Removes one image without force: each of its tags (the last one deletes the image), or the image
 * itself when it has none. The engine refuses (409) an image a container took since the facts were
 * read, or one that is the parent of another image; that, or any other refusal of the engine about
 * this one image (another client removing it at the same moment), is said, and the rest go on.
 */
async function removeImage(engine: Engine, image: PruneImage, signal?: AbortSignal): Promise<string | undefined> {
  const opts = signal ? { signal } : {};
  try {
    if (image.tags.length === 0) await engine.images.remove(image.id, opts);
    let deleted = image.tags.length === 0;
    for (const tag of image.tags) {
      // A tag another build took since the facts were read names an image that is not to go.
      if ((await engine.images.find(tag, opts))?.Id !== image.id) continue;
      const answer = await engine.images.remove(tag, opts);
      deleted ||= answer.some((a) => a.Deleted === image.id);
    }
    // Untagged but kept: a child image or another repository's digest still refers to it (or a
    // tag moved to another image meanwhile).
    if (!deleted && (await engine.images.find(image.id, opts))) return "untagged, but the engine keeps it (another image or tag refers to it)";
    return undefined;
  } catch (err) {
    if (!(err instanceof EngineApiError)) throw err;
    return `the engine refused: ${errorLine(err)}`;
  }
}

const errorLine = (err: unknown): string => (err instanceof Error ? err.message.split("\n")[0]! : String(err));

/**
 * Slipway's volumes that no container uses and that nobody could want back: anonymous ones
 * (a name of 64 hex digits, which nothing refers to), and those of runs whose owner is gone.
 * A named volume of `slipway compose up` stays, as `docker compose down` leaves it.
 */
async function danglingVolumes(engine: Engine, host: HostFacts, signal?: AbortSignal): Promise<PruneReport["volumes"]> {
  const [volumes, containers] = await Promise.all([engine.volumes.list({ filters: { label: [Label.run] }, ...(signal ? { signal } : {}) }), engine.containers.list({ all: true, ...(signal ? { signal } : {}) })]);
  const used = new Set(containers.flatMap((c) => (c.Mounts ?? []).map((m) => m.Name).filter((n): n is string => !!n)));
  const out: PruneReport["volumes"] = [];
  for (const v of volumes) {
    if (used.has(v.Name)) continue;
    if (/^[0-9a-f]{64}$/.test(v.Name)) out.push({ name: v.Name, reason: "anonymous, used by no container" });
    else if (judgeOwner(v.Labels, host).gone) out.push({ name: v.Name, reason: `its run is over (${judgeOwner(v.Labels, host).reason})` });
  }
  return out;
}

/**
 * The displaced images (untagged by a rebuild) that nothing needs: what `slipway clean` removes —
 * a repository's own (and those of no pipeline) inside one, every one outside. With a record
 * store, what its publishes and deployments reference stays.
 */
export async function removeDisplacedImages(engine: Engine, opts: { pipeline?: string; store?: RecordStore; keep: number; host: HostFacts; dryRun?: boolean; signal?: AbortSignal }): Promise<ImageDecision[]> {
  const { dryRun: _, ...read } = opts;
  const facts = await readPruneFacts(engine, read);
  const doomed: (ImageDecision & { removed?: boolean })[] = planPrune(facts).filter((d) => d.remove && isDangling(d.image));
  if (opts.dryRun) return doomed;
  await removeImages(engine, doomed, opts.signal);
  return doomed.filter((d) => d.removed);
}

/**
 * The end of a run: its holds go, and the images its builds displaced (holdDisplaced) with them,
 * unless something else needs them — a container, another live run, a publish or deployment record.
 * Returns how many images went.
 */
export async function releaseRunImages(engine: Engine, runId: string, opts: { store?: RecordStore; keep: number; host: HostFacts; signal?: AbortSignal }): Promise<number> {
  const mine = displacedBy(runId);
  let doomed: (ImageDecision & { removed?: boolean })[] = [];
  try {
    // The run's own holds protect nothing from the run itself.
    if (mine.size > 0) {
      const facts = await readPruneFacts(engine, { keep: opts.keep, host: opts.host, ...(opts.store ? { store: opts.store } : {}), ...(opts.signal ? { signal: opts.signal } : {}) }, new Set([runId]));
      doomed = planPrune(facts).filter((d) => d.remove && mine.has(d.image.id));
    }
  } finally {
    // Whatever the reading met (a damaged record), the holds go: they are no resource of the user's.
    await releaseHolds(engine, runId);
  }
  await removeImages(engine, doomed, opts.signal);
  return doomed.filter((d) => d.removed).length;
}
