/**
 * The current base: the one the app image is built on. With `base.version_file`, that file's
 * version (a new version is a deliberate change, committed with the code); without it, the newest
 * base `slipway base build` recorded. Its reference is resolved like an immutable tag (pull policy
 * "missing"): the engine's image when it has one, else the one published in slipway.yml's
 * registry, pulled once and tagged locally — never pulled afresh from Docker Hub, where
 * `app:base-3` does not exist.
 */
import type { LoadedPipelineConfig } from "../config/load-pipeline-config.ts";
import type { RegistryConfig } from "../config/pipeline-schema.ts";
import { SlipwayError } from "../errors/index.ts";
import type { RecordStore } from "../history/record-store.ts";
import type { ImageResolver } from "../images/image-resolver.ts";
import { RegistryClient } from "../registry/client.ts";
import { configuredCredential, engineAuth } from "../registry/credentials.ts";
import { insecureRegistry } from "../registry/insecure.ts";
import type { RegistryCredential } from "../registry/types.ts";
import type { RunContext } from "../run/context.ts";
import { baseRef, baseTag, type BaseSetup } from "./base-ref.ts";
import { readVersionFile } from "./version.ts";

export interface CurrentBase {
  version: string;
  /** `<repository>:base-<version>`. */
  ref: string;
  /** Where the version comes from, for messages: the version file, or the newest record. */
  from: string;
}

export async function currentBase(pipeline: LoadedPipelineConfig, setup: BaseSetup, store: RecordStore): Promise<CurrentBase | undefined> {
  const file = setup.base.version_file;
  if (file !== undefined) {
    const version = await readVersionFile(pipeline.dir, file);
    return { version, ref: baseRef(setup.repository, version), from: file };
  }
  const newest = (await store.list("bases")).find((b) => b.repository === setup.repository);
  return newest ? { version: newest.version, ref: newest.ref, from: `the newest base built (${newest.at})` } : undefined;
}

/** The current base, or the error that says to build one. */
export async function requireCurrentBase(pipeline: LoadedPipelineConfig, setup: BaseSetup, store: RecordStore): Promise<CurrentBase> {
  const current = await currentBase(pipeline, setup, store);
  if (current) return current;
  throw new SlipwayError(`No base of image ${setup.key} was built yet: it is built on a versioned base (slipway.yml base:)`, {
    code: "BASE_MISSING",
    kind: "config",
    hint: "Run `slipway base build` first (once; then again when the base should change).",
  });
}

export interface BaseServices {
  pipeline: LoadedPipelineConfig;
  images: ImageResolver;
  /** For the registry's credentials from `registry.username_env`/`password_env`. */
  env: Record<string, string>;
  /** Told every secret value a credential holds, before anything could print it. */
  addSecret?: (value: string) => void;
}

/**
 * The current base's image ID: the local image, else the published one pulled from slipway.yml's
 * registry and tagged as `ref`; a config error naming `slipway base build` when neither has it.
 */
export async function ensureBase(ctx: RunContext, services: BaseServices, setup: BaseSetup, current: CurrentBase): Promise<string> {
  const local = await services.images.lookup(current.ref, ctx.signal);
  if (local) return local.Id;
  const registry = services.pipeline.config.registry;
  if (registry) {
    const credential = await registryCredential(services, registry);
    const tag = baseTag(current.version);
    const client = await connectRegistry(ctx, registry.address, credential);
    let published: string | undefined;
    try {
      published = await client.manifestDigest(setup.repository, tag);
    } finally {
      await client.close();
    }
    if (published) {
      const remote = `${registry.address}/${setup.repository}:${tag}`;
      ctx.events.emit({ type: "log", level: "info", message: `pulling the base ${remote} (not in the engine)`, scope: `base ${setup.key}` });
      await ctx.engine.images.pull(remote, { auth: engineAuth(credential, registry.address), signal: ctx.signal });
      await ctx.engine.images.tag(remote, current.ref, { signal: ctx.signal });
      const pulled = await services.images.lookup(current.ref, ctx.signal);
      if (pulled) return pulled.Id;
    }
  }
  throw new SlipwayError(`The base ${current.ref} (version from ${current.from}) is not in the engine${registry ? ` nor published in ${registry.address}` : ""}`, {
    code: "BASE_MISSING",
    kind: "config",
    hint: `Run \`slipway base build\`${registry ? " (with --publish to share it)" : ""}, then this again.`,
  });
}

export function registryCredential(services: Pick<BaseServices, "env" | "addSecret">, registry: RegistryConfig): Promise<RegistryCredential> {
  return configuredCredential(registry, services.env, services.addSecret);
}

async function connectRegistry(ctx: RunContext, registry: string, credential: RegistryCredential): Promise<RegistryClient> {
  const info = await ctx.engine.system.info({ signal: ctx.signal });
  return RegistryClient.connect({ registry, credential, insecure: insecureRegistry(registry, info.RegistryConfig), signal: ctx.signal });
}
