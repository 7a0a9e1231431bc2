/**
 * Publishing one accepted image under its planned tags, with no half-published release.
 *
 * The engine pushes only by tag, so the image goes first under a staging tag of this run
 * (`slipway-staging-<run id>`, documented: the one tag Slipway adds that no one consumes). Its
 * manifest is then read back by the digest the engine reported and checked to hold exactly the
 * local image (its config digest is the image ID). Only then are the consumer tags put, through
 * the registry API, each one verified: the least-followed first, `latest` last. What every tag
 * pointed at before is read first; when a put fails midway, the tags already moved are put back
 * on their previous manifests, and the verdict says what the registry holds: which tags were
 * restored, which new ones stay (the registry API cannot delete a tag) and which were not put.
 */
import type { Engine } from "../engine/index.ts";
import { pushedDigest } from "../engine/streams/progress-results.ts";
import { SlipwayError, isSlipwayError } from "../errors/index.ts";
import type { EventBus } from "../events/index.ts";
import { RegistryClient } from "../registry/client.ts";
import { engineAuth } from "../registry/credentials.ts";
import { insecureRegistry } from "../registry/insecure.ts";
import type { Manifest, RegistryCredential } from "../registry/types.ts";
import type { PlannedTag } from "../tags/tag-plan.ts";
import { OciLabel } from "../images/release-labels.ts";
import { decideTags, putOrder, shortId, type RemoteTag, type TagDecision } from "./tag-decisions.ts";


export interface PublishImageOptions {
  engine: Engine;
  events: EventBus;
  signal: AbortSignal;
  /** The accepted image: its local ID and the version it carries. */
  image: { name: string; imageId: string; version?: string };
  registry: string;
  repository: string;
  tags: readonly PlannedTag[];
  runId: string;
  credential: RegistryCredential;
  /** Point exact tags that name another image at this one. */
  force?: boolean;
  /** Decide and report, push nothing. */
  dryRun?: boolean;
  /** Stall timeout and attempts of the registry client (tests make them small). */
  client?: { stallTimeoutMs?: number; attempts?: number };
}

export interface PublishImageResult {
  /** The manifest digest the tags point at; undefined on a dry run when the image was never pushed. */
  digest?: string;
  /** The image's digest in this repository from an earlier push, as the engine remembers it (dry run). */
  knownDigest?: string;
  decisions: TagDecision[];
  /** The reference the image was pushed under first. */
  staging: string;
}

export function stagingTag(runId: string): string {
  return `slipway-staging-${runId}`.slice(0, 128);
}

export async function publishImage(opts: PublishImageOptions): Promise<PublishImageResult> {
  const { engine, events, signal, registry, repository, image } = opts;
  const name = `${registry}/${repository}`;
  const staging = `${name}:${stagingTag(opts.runId)}`;
  const info = await engine.system.info({ signal });
  const client = await RegistryClient.connect({
    registry,
    credential: opts.credential,
    insecure: insecureRegistry(registry, info.RegistryConfig),
    signal,
    ...(opts.client ?? {}),
  });
  // Local clean-up under way (the staging tag's removal): off the registry's path, done before this returns.
  const cleanup: Promise<void>[] = [];
  try {
    const remote = await readRemoteTags(client, repository, opts.tags);
    const decisions = decideTags(opts.tags, remote, image, { force: opts.force ?? false });
    const refused = decisions.filter((d) => d.action === "refuse");
    if (refused.length > 0) {
      throw new SlipwayError(`Publishing ${image.name} to ${name} would point ${refused.length === 1 ? "a tag" : "tags"} at another image: ${refused.map((d) => d.reason).join("; ")}`, {
        code: "TAG_WOULD_MOVE",
        kind: "registry",
        hint: "A version names one image for good. Tag a new version, or pass --force to move it anyway.",
      });
    }
    if (opts.dryRun) {
      const knownDigest = await engineDigest(engine, image.imageId, name, signal);
      return { decisions, staging, ...(knownDigest ? { knownDigest } : {}) };
    }
    const toPut = putOrder(decisions);
    if (toPut.length === 0) {
      const digest = decisions.find((d) => d.current)?.current?.manifestDigest;
      return { decisions, staging, ...(digest ? { digest } : {}) };
    }
    // What the tags that change point at now, kept to put them back if a later put fails.
    const previous = new Map<string, Manifest>();
    await Promise.all(
      toPut
        .filter((d) => d.current)
        .map(async (d) => {
          const manifest = await client.getManifest(repository, d.current!.manifestDigest);
          if (manifest) previous.set(d.tag, manifest);
        }),
    );
    const manifest = await pushStaging(opts, staging, client, cleanup);
    await putTags(client, { name, repository, image: image.name, staging }, toPut, manifest, previous, events);
    return { decisions, staging, digest: manifest.digest };
  } finally {
    await Promise.all(cleanup);
    await client.close();
  }
}

/** What each planned tag points at now: its manifest, the image's config digest and version. */
async function readRemoteTags(client: RegistryClient, repository: string, tags: readonly PlannedTag[]): Promise<Map<string, RemoteTag | undefined>> {
  // One HEAD per tag; the image behind each distinct manifest read once (tags of one release share it).
  const digests = await Promise.all(tags.map((t) => client.manifestDigest(repository, t.tag)));
  const images = new Map<string, Promise<RemoteTag | undefined>>();
  for (const digest of new Set(digests)) {
    if (digest === undefined) continue;
    images.set(
      digest,
      client.imageConfig(repository, digest).then((config) =>
        config ? { manifestDigest: digest, configDigest: config.configDigest, ...(config.labels[OciLabel.version] ? { version: config.labels[OciLabel.version] } : {}) } : undefined,
      ),
    );
  }
  const remote = new Map<string, RemoteTag | undefined>();
  for (const [i, t] of tags.entries()) remote.set(t.tag, digests[i] === undefined ? undefined : await images.get(digests[i]!));
  return remote;
}

/** The image's digest in `name` from an earlier push or pull, as the engine lists it (RepoDigests). */
async function engineDigest(engine: Engine, imageId: string, name: string, signal: AbortSignal): Promise<string | undefined> {
  const inspect = await engine.images.inspect(imageId, { signal });
  return inspect.RepoDigests?.find((d) => d.startsWith(`${name}@`))?.slice(name.length + 1);
}

/**
 * Pushes the image under the run's staging tag and returns its manifest, checked to hold exactly
 * the local image. The local staging name is removed beside the registry reads that follow (the
 * engine's untag took 3–30 ms, and nothing after it depends on it): its removal goes to `cleanup`.
 */
async function pushStaging(opts: PublishImageOptions, staging: string, client: RegistryClient, cleanup: Promise<void>[]): Promise<Manifest> {
  const { engine, events, signal, image, repository } = opts;
  const step = `push ${image.name} (${staging})`;
  const started = performance.now();
  events.emit({ type: "step.start", step });
  let manifest: Manifest | undefined;
  try {
    await engine.images.tag(image.imageId, staging, { signal });
    let messages;
    try {
      messages = await engine.images.push(staging, { auth: engineAuth(opts.credential, opts.registry), signal });
    } finally {
      // The local name was only the engine's way to push: the image keeps its other tags.
      cleanup.push(engine.images.remove(staging, { noprune: true }).then(() => undefined, () => undefined));
    }
    const digest = pushedDigest(messages, stagingTag(opts.runId));
    if (!digest) throw new SlipwayError(`The engine pushed ${staging} but reported no digest`, { code: "PUSH_NO_DIGEST", kind: "registry", hint: "Push it again; if it persists, the engine's push output changed: report it." });
    manifest = await client.getManifest(repository, digest);
    if (!manifest) throw new SlipwayError(`${opts.registry} does not serve ${repository}@${digest}, which the engine just pushed`, { code: "PUSH_NOT_FOUND", kind: "registry", hint: "The registry lost the push (storage?): check it, then publish again." });
    const config = configDigestOf(manifest);
    if (config !== image.imageId) {
      throw new SlipwayError(`${opts.registry}/${repository}@${digest} holds image ${config ? shortId(config) : "(no config)"}, not ${shortId(image.imageId)}`, {
        code: "PUSH_MISMATCH",
        kind: "registry",
        hint: "Someone pushed the same staging tag at the same time, or the registry is not serving what it was sent. Nothing was tagged; publish again.",
      });
    }
    return manifest;
  } finally {
    events.emit({ type: "step.end", step, ok: manifest !== undefined, durationMs: performance.now() - started });
  }
}

/** The config digest of an image manifest (Docker v2 schema 2 or OCI); undefined for anything else. */
export function configDigestOf(manifest: Manifest): string | undefined {
  try {
    const parsed = JSON.parse(manifest.bytes.toString("utf8")) as { config?: { digest?: unknown } };
    return typeof parsed.config?.digest === "string" ? parsed.config.digest : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Puts each tag on the manifest, verified by reading it back; on a failure, puts the tags that
 * were moved back on their previous manifests and throws what the registry now holds.
 */
async function putTags(
  client: RegistryClient,
  where: { name: string; repository: string; image: string; staging: string },
  toPut: TagDecision[],
  manifest: Manifest,
  previous: Map<string, Manifest>,
  events: EventBus,
): Promise<void> {
  const done: TagDecision[] = [];
  let failure: { decision: TagDecision; cause: unknown } | undefined;
  for (const decision of toPut) {
    const step = `tag ${where.name}:${decision.tag}`;
    const started = performance.now();
    events.emit({ type: "step.start", step });
    try {
      // The registry answers with the digest it stored under the tag, checked by the client.
      const put = await client.putManifest(where.repository, decision.tag, manifest);
      if (put !== manifest.digest) throw new SlipwayError(`${where.name}:${decision.tag} was stored as ${put}, not ${manifest.digest}`, { code: "TAG_NOT_VERIFIED", kind: "registry" });
      done.push(decision);
      events.emit({ type: "step.end", step, ok: true, durationMs: performance.now() - started });
    } catch (err) {
      events.emit({ type: "step.end", step, ok: false, durationMs: performance.now() - started, error: err instanceof Error ? err.message : String(err) });
      failure = { decision, cause: err };
      break;
    }
  }
  if (!failure) {
    // Every tag read back once all are put (in parallel: the order mattered for the puts, not here).
    const read = await Promise.all(done.map((d) => client.manifestDigest(where.repository, d.tag).catch(() => undefined)));
    const wrong = done.findIndex((_, i) => read[i] !== manifest.digest);
    if (wrong === -1) return;
    const decision = done[wrong]!;
    failure = { decision, cause: new SlipwayError(`${where.name}:${decision.tag} reads ${read[wrong] ?? "nothing"} after it was put on ${manifest.digest}`, { code: "TAG_NOT_VERIFIED", kind: "registry" }) };
    done.splice(wrong, 1);
  }
  const { decision, cause } = failure;
  const rolledBack = await rollBack(client, where, { failed: decision, cause: cause instanceof Error ? cause : new Error(String(cause)), done: done.filter((d) => d !== decision), notPut: toPut.slice(toPut.indexOf(decision) + 1).filter((d) => !done.includes(d)), manifest, previous, events });
  // A bug: the registry is put back as far as it can be (the warning says how), and the bug is reported as one.
  if (!isSlipwayError(cause)) throw cause;
  throw rolledBack;
}

async function rollBack(
  client: RegistryClient,
  where: { name: string; repository: string; image: string; staging: string },
  state: { failed: TagDecision; cause: Error; done: TagDecision[]; notPut: TagDecision[]; manifest: Manifest; previous: Map<string, Manifest>; events: EventBus },
): Promise<SlipwayError> {
  const restored: string[] = [];
  const notRestored: string[] = [];
  const left: string[] = [];
  // The failed tag may have been put before its answer was lost: it counts as put when it reads the new digest.
  const failedNow = await client.manifestDigest(where.repository, state.failed.tag).catch(() => undefined);
  const touched = failedNow === state.manifest.digest ? [...state.done, state.failed] : state.done;
  const untouched = failedNow === state.manifest.digest ? [] : [state.failed.tag];
  for (const d of touched.reverse()) {
    const before = state.previous.get(d.tag);
    if (!before) {
      left.push(d.tag);
      continue;
    }
    try {
      await client.putManifest(where.repository, d.tag, before);
      if ((await client.manifestDigest(where.repository, d.tag)) !== before.digest) throw new Error("not verified");
      restored.push(`${d.tag} (${shortId(before.digest)})`);
    } catch {
      notRestored.push(d.tag);
    }
  }
  const parts = [
    restored.length ? `restored to their previous images: ${restored.join(", ")}` : "",
    left.length ? `new, left on ${shortId(state.manifest.digest)} (the registry API cannot remove a tag): ${left.join(", ")}` : "",
    notRestored.length ? `could NOT be restored, still on ${shortId(state.manifest.digest)}: ${notRestored.join(", ")}` : "",
    untouched.length || state.notPut.length ? `not put, left as they were: ${[...untouched, ...state.notPut.map((d) => d.tag)].join(", ")}` : "",
    `${where.staging} holds the image`,
  ].filter(Boolean);
  state.events.emit({ type: "warning", message: `publish of ${where.image} stopped at ${where.name}:${state.failed.tag}; the registry now: ${parts.join("; ")}` });
  return new SlipwayError(`Publishing ${where.image} to ${where.name} failed at tag ${state.failed.tag}: ${state.cause.message}. The registry now: ${parts.join("; ")}.`, {
    code: "PUBLISH_INCOMPLETE",
    kind: "registry",
    hint: "Fix what the registry refused, then publish again: tags already on this image are left as they are.",
    cause: state.cause,
  });
}
