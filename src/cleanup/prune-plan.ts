/**
 * What `slipway prune` keeps and removes, as a pure function of what the engine and the record
 * store say (seed 002's "prune all but what is needed", done so that cleaning up never breaks a
 * rollback). Only images Slipway built are candidates — chosen by their labels, never by a name
 * that a user's own image could share — and an image is kept for every reason that holds, so the
 * output can say all of them.
 */
import { Label } from "../run/labels.ts";
import type { DeploymentEntry, PublishEntry } from "../history/record-store.ts";
import { OciLabel } from "../images/release-labels.ts";

/** An image as the engine lists it. */
export interface PruneImage {
  id: string;
  tags: string[];
  /** `repository@sha256:…`: what registries know it as. */
  digests: string[];
  labels: Record<string, string>;
  size: number;
  /** Seconds since the epoch. */
  created: number;
}

/** A container that uses an image (any container, Slipway's or not). */
export interface ImageUser {
  imageId: string;
  name: string;
  /** A hold (Label.hold) of a run: it protects the image only while that run lives. */
  holdOf?: { runId: string; live: boolean };
}

export interface PruneFacts {
  /** This repository's pipeline: its images are candidates. Undefined: every displaced image is (`slipway clean` outside a repository). */
  pipeline?: string;
  /** Every image the engine has with Slipway's context-hash label. */
  images: PruneImage[];
  users: ImageUser[];
  /** HEAD's commit; its images are kept. */
  commit?: string;
  /** The current base image's reference (`REPOSITORY:base-VERSION`), kept. */
  currentBase?: string;
  /** The record store's publishes, newest first. */
  publishes: PublishEntry[];
  deployments: DeploymentEntry[];
  /** How many of the newest published releases stay. */
  keep: number;
  /** The pipeline has a base whose current version cannot be named: every base image stays. */
  keepBases?: boolean;
}

export interface ImageDecision {
  image: PruneImage;
  remove: boolean;
  /** Why it stays (empty when removed), or why it goes. */
  reasons: string[];
}

/** An image without tags: displaced by a rebuild that moved its tags to a newer image. */
export function isDangling(image: Pick<PruneImage, "tags">): boolean {
  return image.tags.length === 0;
}

const short = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);

/**
 * Candidates: the pipeline's images (Label.pipeline) and displaced (untagged) images of no other
 * pipeline; without a pipeline, every displaced image Slipway built. Kept, for each reason that holds: in use by a container;
 * held by a live run; tagged `latest`; built from HEAD's commit; the newest build of a name the
 * pipeline works with (`:slipway`, which the next run reuses); among the newest `keep` published
 * releases; referenced by any deployment record (rollback must find it); the current base, or the
 * base of an image that stays.
 */
export function planPrune(facts: PruneFacts): ImageDecision[] {
  const own = ownBuilds(facts.images);
  const candidates = facts.images.filter((i) => own.has(i.id) && isCandidate(i, facts.pipeline));
  const published = newestReleases(facts.publishes, facts.keep);
  const deployed = deployedImages(facts.deployments, facts.publishes);
  const decisions = candidates.map((image): ImageDecision => {
    const reasons: string[] = [];
    for (const user of facts.users.filter((u) => u.imageId === image.id)) {
      if (!user.holdOf) reasons.push(`used by container ${user.name}`);
      else if (user.holdOf.live) reasons.push(`made by run ${user.holdOf.runId}, which is still running`);
    }
    if (image.tags.some((t) => tagOf(t) === "latest")) reasons.push("tagged latest");
    if (facts.commit && facts.commit !== "unknown" && image.labels[OciLabel.revision] === facts.commit) reasons.push(`built from the current commit ${facts.commit.slice(0, 7)}`);
    const newest = image.tags.filter((t) => tagOf(t) === "slipway");
    if (newest.length) reasons.push(`the newest build of ${newest.join(", ")}`);
    const release = published.get(image.id);
    if (release) reasons.push(`published release ${release} (one of the newest ${facts.keep})`);
    for (const d of deployed.get(image.id) ?? []) reasons.push(d);
    for (const digest of image.digests) for (const d of deployed.get(digest) ?? []) reasons.push(d);
    if (facts.currentBase && image.tags.includes(facts.currentBase)) reasons.push("the current base image");
    if (facts.keepBases && image.labels[Label.baseVersion]) reasons.push("a base image (the current base could not be named)");
    return { image, remove: reasons.length === 0, reasons: [...new Set(reasons)] };
  });
  // The base an image that stays was built on stays too (its layers are that image's anyway).
  const keptBases = new Set(decisions.filter((d) => !d.remove).map((d) => d.image.labels[Label.base]).filter((b): b is string => !!b));
  for (const d of decisions) {
    const base = d.image.tags.find((t) => keptBases.has(t));
    if (base) {
      d.reasons.push(`the base of an image that stays (${base})`);
      d.remove = false;
    }
  }
  for (const d of decisions) if (d.remove) d.reasons = [isDangling(d.image) ? "displaced by a newer build (no tags left)" : "not latest, not the current commit's, not among the kept releases, not deployed, not in use"];
  return decisions.sort((a, b) => Number(b.remove) - Number(a.remove) || b.image.created - a.image.created || (a.image.id < b.image.id ? -1 : 1));
}

/**
 * The images Slipway built itself. Labels pass from a base image to every image built FROM it: a
 * user's `docker build` on a Slipway image carries its context hash and pipeline too. A build's
 * context hash names one build, so of the images sharing one, only the first made is Slipway's;
 * the later ones were built from it (or are twins of a race, which are then left alone too).
 */
export function ownBuilds(images: readonly PruneImage[]): Set<string> {
  const first = new Map<string, PruneImage[]>();
  for (const image of images) {
    const hash = image.labels[Label.contextHash];
    if (!hash) continue;
    const group = first.get(hash);
    if (!group || image.created < group[0]!.created) first.set(hash, [image]);
    else if (image.created === group[0]!.created) group.push(image);
  }
  // Made in the same second: which came first cannot be told, and none is taken for Slipway's.
  return new Set([...first.values()].filter((g) => g.length === 1).map((g) => g[0]!.id));
}

/**
 * A pipeline's own images, and displaced ones that name no other pipeline (built before images
 * carried their pipeline's name): another repository's displaced images are its own prune's to
 * judge — its records may keep them. Without a pipeline (`slipway clean` outside a repository),
 * every displaced image.
 */
function isCandidate(image: PruneImage, pipeline: string | undefined): boolean {
  const of = image.labels[Label.pipeline];
  if (pipeline === undefined) return isDangling(image);
  return of === pipeline || (of === undefined && isDangling(image));
}

/** The tag part of `repo:tag` (a registry port is not a tag). */
export function tagOf(ref: string): string {
  const at = ref.lastIndexOf(":");
  return at > ref.lastIndexOf("/") ? ref.slice(at + 1) : "latest";
}

/** Image id → the release it belongs to, for the newest `keep` runs that published. */
function newestReleases(publishes: PublishEntry[], keep: number): Map<string, string> {
  const runs: string[] = [];
  const out = new Map<string, string>();
  for (const p of publishes) {
    if (!runs.includes(p.runId)) {
      if (runs.length >= keep) continue;
      runs.push(p.runId);
    }
    if (!out.has(p.imageId)) out.set(p.imageId, `${p.repository}@${p.digest.slice(0, 19)}${p.version ? ` (${p.version})` : ""}`);
  }
  return out;
}

/**
 * Image id or `repository@digest` → the deployments that reference it. Deployment records pin
 * images by digest; the publish that made a digest says which local image it was.
 */
function deployedImages(deployments: DeploymentEntry[], publishes: PublishEntry[]): Map<string, string[]> {
  const byDigest = new Map<string, string[]>();
  for (const p of publishes) {
    const ids = byDigest.get(p.digest) ?? [];
    if (!ids.includes(p.imageId)) ids.push(p.imageId);
    byDigest.set(p.digest, ids);
  }
  const out = new Map<string, string[]>();
  const note = (key: string, what: string) => {
    const list = out.get(key) ?? [];
    if (!list.includes(what)) list.push(what);
    out.set(key, list);
  };
  for (const d of deployments) {
    for (const s of d.services) {
      const at = s.image.indexOf("@sha256:");
      if (at < 0) continue;
      const what = `deployed to ${d.target} by run ${d.runId} (${d.outcome})`;
      const digest = s.image.slice(at + 1);
      note(normalizeDigestRef(s.image), what);
      for (const id of byDigest.get(digest) ?? []) note(id, what);
    }
  }
  return out;
}

/** `repo:tag@sha256:x` → `repo@sha256:x`, as RepoDigests spell it. */
function normalizeDigestRef(ref: string): string {
  const at = ref.indexOf("@");
  const name = ref.slice(0, at);
  const colon = name.lastIndexOf(":");
  return `${colon > name.lastIndexOf("/") ? name.slice(0, colon) : name}${ref.slice(at)}`;
}

export function describeImage(image: PruneImage): string {
  return `${image.tags.length ? image.tags.join(", ") : "<untagged>"} (${short(image.id)})`;
}
