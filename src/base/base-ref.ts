/**
 * Which image of slipway.yml is built on the base, and the base's reference: `<repository>:base-<version>`,
 * the repository being that image's (`images.<key>.repository`, else its key), so the base is
 * published beside the app it serves.
 */
import type { BaseConfig, PipelineConfig } from "../config/pipeline-schema.ts";
import { SlipwayError } from "../errors/index.ts";

export const BASE_TAG_PREFIX = "base-";

export interface BaseSetup {
  base: BaseConfig;
  /** The key in `images:` of the app image built on the base. */
  key: string;
  /** The app image's repository, which the base's tags share. */
  repository: string;
}

/** slipway.yml's `base:` with the app image it serves; a config error when there is none, or the image is not one of `images:`. */
export function baseSetup(config: Pick<PipelineConfig, "base" | "images">): BaseSetup {
  const base = config.base;
  if (!base) {
    throw new SlipwayError("slipway.yml has no base: section", {
      code: "BASE_NOT_CONFIGURED",
      kind: "config",
      hint: "Add `base: { build: { dockerfile: Dockerfile.base } }` to slipway.yml (see docs/base-images.md).",
    });
  }
  const keys = Object.keys(config.images);
  let key = base.image;
  if (key === undefined) {
    if (keys.length !== 1) {
      throw new SlipwayError(keys.length === 0 ? "base: needs an app image to serve, and slipway.yml has no images:" : `base: does not say which of images: (${keys.join(", ")}) is built on it`, {
        code: "BASE_IMAGE_AMBIGUOUS",
        kind: "config",
        hint: keys.length === 0 ? "Add the app image under images: with its build." : `Name it: base: { image: ${keys[0]} }.`,
      });
    }
    key = keys[0]!;
  }
  const image = config.images[key];
  if (!image) {
    throw new SlipwayError(`base.image names ${key}, which is not an image of images:`, {
      code: "BASE_IMAGE_UNKNOWN",
      kind: "config",
      hint: keys.length ? `Use one of images: ${keys.join(", ")}.` : "Add it under images: with its build.",
    });
  }
  return { base, key, repository: image.repository ?? key };
}

export function baseTag(version: string): string {
  return `${BASE_TAG_PREFIX}${version}`;
}

export function baseRef(repository: string, version: string): string {
  return `${repository}:${baseTag(version)}`;
}

/** The versions of `repository`'s base tags among `tags` (an image list's RepoTags). */
export function baseVersionsIn(repository: string, tags: Iterable<string>): string[] {
  const prefix = `${repository}:${BASE_TAG_PREFIX}`;
  return [...tags].filter((t) => t.startsWith(prefix)).map((t) => t.slice(prefix.length));
}
