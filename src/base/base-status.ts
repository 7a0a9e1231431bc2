/**
 * `slipway base status`: the current base, the app image (`<pipeline>-<key>:slipway`, what the
 * newest `slipway ci` built) and how far it has drifted from the base (drift.ts), as facts a
 * machine reads (`--json`) and as lines a person reads.
 */
import type { LoadedPipelineConfig } from "../config/load-pipeline-config.ts";
import { parseBytes } from "../compose/load/formats.ts";
import type { Engine } from "../engine/index.ts";
import { SlipwayError } from "../errors/index.ts";
import type { RecordStore } from "../history/record-store.ts";
import { Label } from "../run/labels.ts";
import { baseSetup, type BaseSetup } from "./base-ref.ts";
import { currentBase, type CurrentBase } from "./current-base.ts";
import { computeDrift, formatBytes, layersOf, type Drift, type DriftThresholds, type LayeredImage } from "./drift.ts";

export interface ImageFacts {
  ref: string;
  imageId: string;
  size: number;
  layers: number;
}

export interface BaseStatus {
  image: string;
  repository: string;
  current?: CurrentBase & { image?: ImageFacts };
  app?: ImageFacts & { /** The base it says it was built on (Label.base). */ base?: string };
  thresholds: DriftThresholds;
  drift?: Drift;
  /** What to do next, when anything. */
  advice: string[];
}

export function driftThresholds(setup: BaseSetup): DriftThresholds {
  const bytes = parseBytes(setup.base.rebuild_after_size);
  if (!bytes.ok) {
    throw new SlipwayError(`base.rebuild_after_size: ${bytes.message}`, { code: "CONFIG_INVALID", kind: "config", hint: "Write a size such as 200MB or 1g." });
  }
  return { layers: setup.base.rebuild_after_layers, bytes: bytes.value };
}

function facts(ref: string, image: LayeredImage): ImageFacts {
  return { ref, imageId: image.Id, size: image.Size, layers: layersOf(image).length };
}

/** `appTag`: the app image's local tag that the newest `slipway ci` moved (`<pipeline>-<key>:slipway`, releaseImageTags). */
export async function readBaseStatus(engine: Engine, pipeline: LoadedPipelineConfig, store: RecordStore, appTag: (key: string) => string, signal?: AbortSignal): Promise<BaseStatus> {
  const setup = baseSetup(pipeline.config);
  const thresholds = driftThresholds(setup);
  const current = await currentBase(pipeline, setup, store);
  const appRef = appTag(setup.key);
  const [baseImage, appImage] = await Promise.all([current ? engine.images.find(current.ref, { signal }) : undefined, engine.images.find(appRef, { signal })]);
  const base = baseImage as (typeof baseImage & LayeredImage) | undefined;
  const app = appImage as (typeof appImage & LayeredImage) | undefined;
  const status: BaseStatus = {
    image: setup.key,
    repository: setup.repository,
    ...(current ? { current: { ...current, ...(base ? { image: facts(current.ref, base) } : {}) } } : {}),
    ...(app ? { app: { ...facts(appRef, app), ...(app.Config?.Labels?.[Label.base] ? { base: app.Config.Labels[Label.base] } : {}) } } : {}),
    thresholds,
    advice: [],
  };
  if (base && app) status.drift = computeDrift(app, base, thresholds);
  status.advice = advise(status);
  return status;
}

/** What to do next, from the facts (pure). */
export function advise(status: BaseStatus): string[] {
  const { current, app, drift } = status;
  if (!current) return ["no base was built yet: run `slipway base build`"];
  if (!current.image) return [`the current base ${current.ref} is not in the engine: run \`slipway base build\` (or \`slipway ci\`, which pulls it when it was published)`];
  if (!app) return [`no app image ${status.image} was built yet: run \`slipway ci\``];
  const out: string[] = [];
  if (app.base !== current.ref) out.push(`the app image was built on ${app.base ?? "no base"}, not on the current base ${current.ref}: \`slipway ci\` rebuilds it on it`);
  if (drift?.rebuild.length) out.push(`a new base is due (${drift.rebuild.join("; ")}): bump the version and run \`slipway base build\`, then \`slipway ci\``);
  return out;
}

/** The status as lines a person reads (pure). */
export function formatBaseStatus(status: BaseStatus): string[] {
  const lines: string[] = [];
  const { current, app, drift } = status;
  const image = (f: ImageFacts) => `${f.imageId.slice(7, 19)}, ${f.layers} layers, ${formatBytes(f.size)}`;
  lines.push(`base of ${status.image}: ${current ? `${current.ref} (version ${current.version}, from ${current.from})${current.image ? ` — image ${image(current.image)}` : " — not in the engine"}` : "none built yet"}`);
  if (app) lines.push(`app image: ${app.ref} — image ${image(app)}, built on ${app.base ?? "no base"}`);
  if (drift?.onBase) {
    lines.push(`drift: ${drift.layers} layer${drift.layers === 1 ? "" : "s"} and ${formatBytes(drift.bytes)} on top of the base (a new base is suggested from ${status.thresholds.layers} layers or ${formatBytes(status.thresholds.bytes)})`);
  } else if (drift) {
    lines.push(`drift: not built on the current base (${drift.reason})`);
  }
  for (const w of drift?.warnings ?? []) lines.push(`warning: ${w}`);
  for (const a of status.advice) lines.push(`→ ${a}`);
  if (status.advice.length === 0 && drift?.onBase) lines.push("→ the base is current; no new base is due");
  return lines;
}
