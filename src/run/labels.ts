/**
 * Every label Slipway writes is defined here (STYLE.md, "Labels are the source of truth").
 * Everything Slipway creates carries `dev.slipway.run`; everything it removes is selected by
 * these labels, which is how cleanup survives crashes and two runs on one host never collide.
 */

export const LABEL_PREFIX = "dev.slipway.";

export const Label = {
  /** The run that created the resource (unique per invocation). */
  run: "dev.slipway.run",
  /** Slipway's project name (compose project name for compose resources). */
  project: "dev.slipway.project",
  /** The compose service name. */
  service: "dev.slipway.service",
  /** The pipeline stage that created the resource (test, release, acceptance, …). */
  stage: "dev.slipway.stage",
  /** Hash of the normalized service spec, to detect changes (compose's config-hash). */
  configHash: "dev.slipway.config-hash",
  /** Owner identity, so a sweeper can tell when the owner is gone. */
  ownerHost: "dev.slipway.owner.host",
  ownerBootId: "dev.slipway.owner.boot-id",
  ownerPid: "dev.slipway.owner.pid",
  /** ISO-8601 instant after which the resource may be swept even if the owner looks alive. */
  expires: "dev.slipway.expires",
  /** `ephemeral` resources belong to one run and are swept; `persistent` ones (user `up -d`) are not. */
  lifetime: "dev.slipway.lifetime",
  /** Slipway version that created the resource. */
  version: "dev.slipway.version",
  /** One-off container (`compose run`). */
  oneoff: "dev.slipway.oneoff",
  /** On a release image built from a work tree that differs from its commit (`true`). */
  dirty: "dev.slipway.dirty",
  /**
   * On every image a pipeline builds: the hash of what it was built from (its context's files,
   * Dockerfile, arguments, base images); an image with the hash asked for is reused.
   */
  contextHash: "dev.slipway.context-hash",
  /** On every image a pipeline builds: the pipeline's name (slipway.yml's `name`), which `slipway prune` selects by. */
  pipeline: "dev.slipway.pipeline",
  /** On a base image (`slipway base build`): its version. */
  baseVersion: "dev.slipway.base.version",
  /** On an app image built on a base: the base's reference (`REPOSITORY:base-VERSION`). */
  base: "dev.slipway.base",
  /**
   * On a container that is never started: it holds an image a live run built, reused or displaced
   * (a test image before its container, a release image between acceptance and publish) so that
   * no prune removes it; it goes with the run.
   */
  hold: "dev.slipway.hold",
} as const;
export type LabelKey = (typeof Label)[keyof typeof Label];

export type Lifetime = "ephemeral" | "persistent";

/** Compose's own labels, written too so `docker compose ls/ps` sees Slipway's projects. */
export const ComposeLabel = {
  project: "com.docker.compose.project",
  service: "com.docker.compose.service",
  containerNumber: "com.docker.compose.container-number",
  oneoff: "com.docker.compose.oneoff",
  configHash: "com.docker.compose.config-hash",
  network: "com.docker.compose.network",
  volume: "com.docker.compose.volume",
  workingDir: "com.docker.compose.project.working_dir",
  configFiles: "com.docker.compose.project.config_files",
  version: "com.docker.compose.version",
  dependsOn: "com.docker.compose.depends_on",
  image: "com.docker.compose.image",
  /** A one-off's random 64 hex digits, of which its name carries the first 12. */
  slug: "com.docker.compose.slug",
} as const;

export interface RunOwner {
  runId: string;
  host: string;
  bootId: string;
  pid: number;
  /** When the resources expire, as an ISO-8601 instant. */
  expires: string;
}

/** Labels that tie a resource to the run that created it and let a sweeper judge its owner. */
export function runLabels(owner: RunOwner, lifetime: Lifetime, version: string): Record<string, string> {
  return {
    [Label.run]: owner.runId,
    [Label.ownerHost]: owner.host,
    [Label.ownerBootId]: owner.bootId,
    [Label.ownerPid]: String(owner.pid),
    [Label.expires]: owner.expires,
    [Label.lifetime]: lifetime,
    [Label.version]: version,
  };
}

/** Engine API `filters` value selecting resources of one run. */
export function runFilter(runId: string): Record<string, string[]> {
  return { label: [`${Label.run}=${runId}`] };
}

/** True when a label set was written by Slipway. */
export function isSlipwayOwned(labels: Record<string, string> | null | undefined): boolean {
  return !!labels && Label.run in labels;
}
