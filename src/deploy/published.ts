/**
 * Which published release a service's image is: a deploy runs the digests a publish put in the
 * registry, never whatever a mutable tag names when the swarm gets round to it. A compose file
 * names the repository (`registry.example.com/shop/app:latest`, often with a tag from the
 * environment); when that repository is one a publish wrote, the service is pinned to the digest
 * that publish verified, whatever tag the file wrote. Pure: the deploy and the tests share it.
 */
import { parseReference } from "../registry/reference.ts";

/** One image a publish put in a registry (a PublishEntry's facts). */
export interface PublishedImage {
  /** The image's key in slipway.yml. */
  image: string;
  registry: string;
  repository: string;
  /** The manifest digest its tags point at. */
  digest: string;
  /** The tags that point at it. */
  tags: readonly string[];
  /** The run that published it. */
  runId: string;
  commit: string;
}

export type Pin =
  | { kind: "published"; ref: string; from: PublishedImage }
  /** The file pins a digest of its own that is not the published one: kept as written, and said. */
  | { kind: "other-digest"; ref: string; from: PublishedImage };

const nameOf = (registry: string, repository: string): string => {
  const ref = parseReference(`${registry}/${repository}`);
  return `${ref.registry}/${ref.repository}`;
};

/**
 * The pin for `image` (as a compose file writes it), or undefined when no publish wrote its
 * repository. Of several publishes of one repository, the first one given wins: callers list
 * newest first.
 */
export function pinToPublished(image: string, published: readonly PublishedImage[]): Pin | undefined {
  const ref = parseReference(image);
  const name = `${ref.registry}/${ref.repository}`;
  const from = published.find((p) => nameOf(p.registry, p.repository) === name);
  if (!from) return undefined;
  // The name as the file wrote it (no docker.io/library/ added), so labels and `docker service ls` read as expected.
  const written = image.replace(/@.*$/, "").replace(/:[^:/]+$/, "");
  if (ref.digest !== undefined && ref.digest !== from.digest) return { kind: "other-digest", ref: image, from };
  return { kind: "published", ref: `${written}@${from.digest}`, from };
}

/** How a pin reads in a deploy's output: `web: 127.0.0.1:5000/app@sha256:… (published by run R as 1.2.3, latest)`. */
export function describePin(service: string, pin: Pin): string {
  if (pin.kind === "other-digest") {
    return `${service}: ${pin.ref} is pinned by the file to a digest other than the one run ${pin.from.runId} published (${pin.from.digest}); deployed as written`;
  }
  const tags = pin.from.tags.length ? ` as ${pin.from.tags.join(", ")}` : "";
  return `${service}: ${pin.ref} (published by run ${pin.from.runId}${tags})`;
}

/**
 * The newest publish of each image for `commit`, from publish records listed newest first: what
 * `slipway deploy` runs when no run of its own published (the release CI published for this
 * checkout's commit).
 */
export function publishedFor<T extends PublishedImage>(records: readonly T[], commit: string): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const r of records) {
    if (r.commit !== commit) continue;
    const key = nameOf(r.registry, r.repository);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
  }
  return out;
}
