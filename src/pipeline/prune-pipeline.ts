/**
 * A repository's prune, as `slipway prune` and the end of `slipway ci` (`prune.after_ci`) run it:
 * the facts only a pipeline knows — its name, HEAD's commit, its records and current base — given
 * to the one prune (cleanup/prune.ts).
 */
import { baseSetup } from "../base/base-ref.ts";
import { currentBase } from "../base/current-base.ts";
import { hostFacts } from "../cleanup/owner.ts";
import { prune, type PruneReport } from "../cleanup/prune.ts";
import type { LoadedPipelineConfig } from "../config/load-pipeline-config.ts";
import type { Engine } from "../engine/index.ts";
import { SlipwayError } from "../errors/index.ts";
import type { EventBus } from "../events/index.ts";
import { FileRecordStore, type RecordStore } from "../history/record-store.ts";
import { readRevision } from "../images/revision.ts";
import type { RunContext } from "../run/context.ts";
import { teardownSignal } from "../run/lifetimes.ts";

export interface PipelinePruneOptions {
  /** Default: slipway.yml's `prune.keep`. */
  keep?: number;
  dryRun?: boolean;
  buildCache?: boolean;
  store?: RecordStore;
  /** The current base's reference, which stays. Default: slipway.yml's base's (`slipway base`). */
  currentBase?: string;
  events?: EventBus;
  signal?: AbortSignal;
}

export async function prunePipeline(engine: Engine, pipeline: LoadedPipelineConfig, opts: PipelinePruneOptions = {}): Promise<PruneReport> {
  const store = opts.store ?? new FileRecordStore(pipeline.dir);
  const [revision, base] = await Promise.all([readRevision(pipeline.dir, { ...(opts.signal ? { signal: opts.signal } : {}) }), opts.currentBase !== undefined ? ({ ref: opts.currentBase } as BaseFact) : currentBaseRef(pipeline, store)]);
  if (base?.unknown) opts.events?.emit({ type: "warning", message: `${base.unknown}: every base image of the pipeline is kept` });
  return prune(engine, {
    pipeline: pipeline.name,
    store,
    commit: revision.commit,
    keep: opts.keep ?? pipeline.config.prune.keep,
    host: hostFacts(),
    ...(base?.ref ? { currentBase: base.ref } : {}),
    ...(base?.unknown ? { keepBases: true } : {}),
    ...(opts.dryRun ? { dryRun: true } : {}),
    ...(opts.buildCache ? { buildCache: true } : {}),
    ...(opts.events ? { events: opts.events } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

/**
 * The current base's reference when slipway.yml has a base, which prune keeps. When it cannot be
 * named (its version file is gone, base.image is ambiguous), prune fails safe: `unknown` says why,
 * and every base image stays.
 */
interface BaseFact {
  ref?: string;
  /** Why the current base cannot be named. */
  unknown?: string;
}

async function currentBaseRef(pipeline: LoadedPipelineConfig, store: RecordStore): Promise<BaseFact | undefined> {
  if (!pipeline.config.base) return undefined;
  try {
    const current = await currentBase(pipeline, baseSetup(pipeline.config), store);
    return current ? { ref: current.ref } : undefined;
  } catch (err) {
    if (err instanceof SlipwayError) return { unknown: `The current base cannot be named (${err.message})` };
    throw err;
  }
}

/** The end of a run that slipway.yml asks to prune: after its own cleanup, on teardown's clock (a Ctrl-C'd run still prunes). */
export async function pruneAfterRun(ctx: RunContext, pipeline: LoadedPipelineConfig, store: RecordStore): Promise<void> {
  try {
    const report = await prunePipeline(ctx.engine, pipeline, { store, events: ctx.events, signal: teardownSignal("runMs") });
    ctx.events.emit(prunedEvent(report));
  } catch (err) {
    ctx.events.emit({ type: "warning", message: `prune after the run failed: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}; run \`slipway prune\` to try again` });
  }
}

export function prunedEvent(report: PruneReport): { type: "pruned"; images: number; volumes: number; reclaimed: number; kept: number; failed: number } {
  return {
    type: "pruned",
    images: report.images.filter((d) => d.removed).length,
    volumes: report.volumes.filter((v) => v.removed).length,
    reclaimed: report.reclaimed,
    kept: report.images.filter((d) => !d.remove).length,
    failed: report.images.filter((d) => d.failure).length + report.volumes.filter((v) => v.failure).length,
  };
}
