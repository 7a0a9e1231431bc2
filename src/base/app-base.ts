/**
 * The app image's side of a versioned base: which base it is built on now (the build argument
 * `base.arg` set to the current base's reference, which the Dockerfile takes as `FROM
 * ${BASE_IMAGE}`), its image ID resolved as an immutable tag's (never pulled afresh), and which
 * base the previous app image was built on, so that a run on a new base says so.
 */
import { FileRecordStore, type RecordStore } from "../history/record-store.ts";
import { Label } from "../run/labels.ts";
import type { RunContext } from "../run/context.ts";
import { baseSetup } from "./base-ref.ts";
import { ensureBase, requireCurrentBase, type BaseServices } from "./current-base.ts";

export interface AppBase {
  /** The build argument that carries `ref` (base.arg). */
  arg: string;
  ref: string;
  version: string;
  imageId: string;
  /** The labels the app image gets: the base's reference; an empty base version, so the base's own is not inherited. */
  labels: Record<string, string>;
  /**
   * The base the previous app image (`previousTag`) was built on, when that was another one
   * (`null`: it was built on none); undefined when it was built on this one, or there is none.
   */
  previous?: string | null;
}

/** The current base of image `key` when slipway.yml builds it on one (`base:`); undefined otherwise. */
export async function appBase(ctx: RunContext, services: BaseServices & { store?: RecordStore }, key: string, previousTag: string): Promise<AppBase | undefined> {
  const { pipeline } = services;
  if (!pipeline.config.base || baseSetup(pipeline.config).key !== key) return undefined;
  const setup = baseSetup(pipeline.config);
  const current = await requireCurrentBase(pipeline, setup, services.store ?? new FileRecordStore(pipeline.dir));
  const [imageId, before] = await Promise.all([ensureBase(ctx, services, setup, current), ctx.engine.images.find(previousTag, { signal: ctx.signal })]);
  const was = before ? (before.Config?.Labels?.[Label.base] ?? null) : undefined;
  return {
    arg: setup.base.arg,
    ref: current.ref,
    version: current.version,
    imageId,
    labels: { [Label.base]: current.ref, [Label.baseVersion]: "" },
    ...(was !== undefined && was !== current.ref ? { previous: was } : {}),
  };
}

/** What a build on `base` says about the base, when it changed: for the step's name and the run's output. */
export function baseChange(base: AppBase): string | undefined {
  if (base.previous === undefined) return undefined;
  return `on base ${base.ref} (was ${base.previous ?? "built on no base"})`;
}

