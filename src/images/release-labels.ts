/**
 * What a release image says about its source: the OCI annotations
 * (https://github.com/opencontainers/image-spec/blob/main/annotations.md) as labels, and the
 * commit as a build argument the Dockerfile can bake in (seed 002: the SHA inside the image).
 *
 * `created` is the commit's time, never the clock: the labels are part of the build's identity
 * (its context hash), so an unchanged commit gives the same labels and the build is reused.
 */
import { Label } from "../run/labels.ts";
import { UNKNOWN_COMMIT, type Revision } from "./revision.ts";

export const OciLabel = {
  revision: "org.opencontainers.image.revision",
  created: "org.opencontainers.image.created",
  source: "org.opencontainers.image.source",
  title: "org.opencontainers.image.title",
  version: "org.opencontainers.image.version",
} as const;

/** The build argument the commit is passed as, unless the caller names another. */
export const DEFAULT_COMMIT_ARG = "GIT_SHA";

export interface ReleaseImageLabelOptions {
  title: string;
  /** Where the source lives; default: the revision's `origin` remote. */
  source?: string;
  /** The build argument that carries the commit. Default `GIT_SHA`. */
  commitArg?: string;
  /** The release's version (a version tag on the commit), when it has one. */
  version?: string;
}

export interface ReleaseImageMetadata {
  labels: Record<string, string>;
  args: Record<string, string>;
}

/**
 * Every OCI label is written, empty when unknown: a label the build leaves out is inherited from
 * the base image, whose own `created` or `source` would then describe this image wrongly.
 */
export function releaseImageLabels(revision: Revision, opts: ReleaseImageLabelOptions): ReleaseImageMetadata {
  const known = revision.commit !== UNKNOWN_COMMIT;
  return {
    labels: {
      [OciLabel.revision]: revision.commit,
      [OciLabel.created]: known ? (revision.committedAt ?? "") : "",
      [OciLabel.source]: opts.source ?? revision.source ?? "",
      [OciLabel.title]: opts.title,
      // Empty, not absent, without a version: a base image's own version label would otherwise be inherited.
      [OciLabel.version]: opts.version ?? "",
      ...(revision.dirty ? { [Label.dirty]: "true" } : {}),
    },
    args: { [opts.commitArg ?? DEFAULT_COMMIT_ARG]: revision.commit },
  };
}

/** The commit's tag: its first 7 characters (seed 002), `-dirty` when the tree differs from it; none when unknown. */
export function commitTag(revision: Revision): string | undefined {
  if (revision.commit === UNKNOWN_COMMIT) return undefined;
  return `${revision.commit.slice(0, 7)}${revision.dirty ? "-dirty" : ""}`;
}
