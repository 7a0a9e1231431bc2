/**
 * Publishing a base: its version's tag (`base-<version>`) in slipway.yml's registry, in the app
 * image's repository, through the release publisher (staging push verified by digest, then the
 * tag). A version names one image for good: the tag is never moved to another image without
 * `force`. The base's record gets the registry, digest and tag.
 */
import { SlipwayError } from "../errors/index.ts";
import type { BaseEntry, RecordStore } from "../history/record-store.ts";
import { publishImage, type PublishImageResult } from "../publish/publisher.ts";
import type { RunContext } from "../run/context.ts";
import type { PlannedTag } from "../tags/tag-plan.ts";
import type { LoadedPipelineConfig } from "../config/load-pipeline-config.ts";
import { baseTag } from "./base-ref.ts";
import { registryCredential } from "./current-base.ts";

export interface BasePublishServices {
  pipeline: LoadedPipelineConfig;
  store: RecordStore;
  env: Record<string, string>;
  addSecret?: (value: string) => void;
}

export interface BasePublish {
  record: BaseEntry;
  /** `registry/repository:base-<version>`. */
  name: string;
  result: PublishImageResult;
}

/** The planned tag of a base version: exact, like a release's version tag. */
export function basePlannedTag(version: string): PlannedTag {
  return { tag: baseTag(version), rule: "build", why: `base version ${version}`, moving: false, version };
}

export async function publishBase(ctx: RunContext, services: BasePublishServices, record: BaseEntry, opts: { force?: boolean } = {}): Promise<BasePublish> {
  const registry = services.pipeline.config.registry;
  if (!registry) {
    throw new SlipwayError("There is no registry to publish the base to", { code: "NO_REGISTRY", kind: "config", hint: "Add `registry: host[:port]` to slipway.yml." });
  }
  const credential = await registryCredential(services, registry);
  const result = await publishImage({
    engine: ctx.engine,
    events: ctx.events,
    signal: ctx.signal,
    image: { name: `base ${record.ref}`, imageId: record.imageId, version: record.version },
    registry: registry.address,
    repository: record.repository,
    tags: [basePlannedTag(record.version)],
    runId: ctx.owner.runId,
    credential,
    ...(opts.force ? { force: true } : {}),
  });
  const published: BaseEntry = { ...record, registry: registry.address, digest: result.digest!, tags: [baseTag(record.version)] };
  await services.store.put("bases", published);
  const name = `${registry.address}/${record.repository}:${baseTag(record.version)}`;
  ctx.events.emit({ type: "published", image: `base ${record.ref}`, name: `${registry.address}/${record.repository}`, digest: result.digest!, tags: [baseTag(record.version)] });
  return { record: published, name, result };
}
