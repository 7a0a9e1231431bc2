/**
 * How far an app image has drifted from its base (seed 003: "after some releases your latest code
 * will differ more and more from the base image"), from two image inspects and nothing else: the
 * app is built on the base when its layers start with the base's layers; what it adds is the
 * layers after them and the bytes its size exceeds the base's by. Past either threshold a new
 * base is due; and a warning as the layer count nears the engine's maximum of 125 (an image with
 * more cannot be built on, nor a container made from it).
 */

/** What an image inspect says of an image's layers (`GET /images/{name}/json`). */
export interface LayeredImage {
  Id: string;
  Size: number;
  RootFS?: { Type?: string; Layers?: string[] | null } | null;
}

/** The engine refuses more layers than this (overlay2's maximum lower directories). */
export const MAX_LAYERS = 125;
/** From this many layers on, `slipway base status` warns. */
export const LAYER_WARNING = 100;

export interface DriftThresholds {
  /** A new base is due once the app has this many layers on top of it. */
  layers: number;
  /** … or this many bytes. */
  bytes: number;
}

export type Drift =
  | {
      onBase: true;
      /** Layers the app image adds on top of the base. */
      layers: number;
      /** Bytes the app image adds (its size minus the base's; never below 0). */
      bytes: number;
      baseLayers: number;
      totalLayers: number;
      /** Why a new base is due (empty: it is not). */
      rebuild: string[];
      warnings: string[];
    }
  | {
      onBase: false;
      /** Why the app image is not built on the base. */
      reason: string;
      baseLayers: number;
      totalLayers: number;
      rebuild: string[];
      warnings: string[];
    };

export function layersOf(image: LayeredImage): string[] {
  return image.RootFS?.Layers ?? [];
}

export function computeDrift(app: LayeredImage, base: LayeredImage, thresholds: DriftThresholds): Drift {
  const appLayers = layersOf(app);
  const baseLayers = layersOf(base);
  const totalLayers = appLayers.length;
  const warnings = layerWarnings(totalLayers);
  const mismatch = baseLayers.findIndex((layer, i) => appLayers[i] !== layer);
  if (baseLayers.length === 0 || mismatch !== -1) {
    const reason =
      baseLayers.length === 0
        ? "the base image reports no layers"
        : mismatch >= appLayers.length
          ? `the app image has ${appLayers.length} layers, fewer than the base's ${baseLayers.length}`
          : `layer ${mismatch + 1} of the app image differs from the base's`;
    return { onBase: false, reason, baseLayers: baseLayers.length, totalLayers, rebuild: [], warnings };
  }
  const layers = totalLayers - baseLayers.length;
  const bytes = Math.max(0, app.Size - base.Size);
  const rebuild: string[] = [];
  if (layers >= thresholds.layers) rebuild.push(`${layers} layers on top of the base (rebuild_after_layers: ${thresholds.layers})`);
  if (bytes >= thresholds.bytes) rebuild.push(`${formatBytes(bytes)} on top of the base (rebuild_after_size: ${formatBytes(thresholds.bytes)})`);
  return { onBase: true, layers, bytes, baseLayers: baseLayers.length, totalLayers, rebuild, warnings };
}

/** The warning for an image of `total` layers, as it nears the engine's maximum. */
export function layerWarnings(total: number): string[] {
  if (total >= MAX_LAYERS) return [`the app image has ${total} layers: the engine's maximum is ${MAX_LAYERS}, nothing more can be built on it`];
  if (total >= LAYER_WARNING) return [`the app image has ${total} layers, near the engine's maximum of ${MAX_LAYERS}: build a new base that squashes them (fewer RUN/COPY steps)`];
  return [];
}

/** Bytes in binary units, as slipway.yml's sizes are read (`200MB` is 200 MiB, as docker reads it). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}
