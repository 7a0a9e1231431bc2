/**
 * A compose service's `build:` as one build request: what `slipway compose build/up` and the
 * pipeline's build step both send, so no key of the file is honoured by one and dropped by the other.
 */
import type { Project } from "../model/index.ts";
import { SlipwayError } from "../../errors/index.ts";
import type { BuildRequest } from "../../images/image-resolver.ts";
import { secretValue } from "../file-objects.ts";

/** What `compose build`'s flags change in every service's build (`--build-arg`, `--no-cache`, `--pull`). */
export interface BuildOverrides {
  /** Over the file's `build.args`, for every service built (already resolved: `--build-arg K` takes K from the environment). */
  args?: Record<string, string>;
  noCache?: boolean;
  pull?: boolean;
}

export function serviceBuildRequest(project: Project, serviceName: string, tags: string[], overrides: BuildOverrides = {}): BuildRequest {
  const service = project.services[serviceName]!;
  const build = service.build!;
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(build.args)) {
    // An arg without a value takes it from the environment, or is left to the Dockerfile's default.
    const value = v ?? project.environment[k];
    if (value !== undefined) args[k] = value;
  }
  Object.assign(args, overrides.args);
  if (build.platforms.length > 1) {
    throw new SlipwayError(`Service ${serviceName}: build.platforms lists ${build.platforms.length} platforms; multi-platform builds are not supported by Slipway yet`, {
      code: "BUILD_MULTI_PLATFORM",
      kind: "config",
      hint: "List one platform (or none, for the engine's own).",
    });
  }
  const platform = service.platform ?? build.platforms[0];
  // Read when the build runs, never kept in the request.
  const secrets = build.secrets.map((m) => {
    const def = project.secrets[m.source];
    return { id: m.target ?? m.source, origin: def?.file !== undefined ? `file:${def.file}` : `env:${def?.environment ?? ""}`, value: () => secretValue(project, m.source) };
  });
  return {
    context: build.context,
    dockerfile: build.dockerfile,
    ...(build.dockerfile_inline !== undefined ? { dockerfileInline: build.dockerfile_inline } : {}),
    tags: [...tags, ...build.tags],
    args,
    labels: build.labels,
    ...(build.target ? { target: build.target } : {}),
    pull: build.pull || !!overrides.pull,
    noCache: build.no_cache || !!overrides.noCache,
    ...(build.network ? { network: build.network } : {}),
    extraHosts: build.extra_hosts.map((h) => h.replace("=", ":")),
    ...(build.shm_size ? { shmSize: build.shm_size } : {}),
    ...(build.cache_from.length ? { cacheFrom: build.cache_from } : {}),
    ...(Object.keys(build.ulimits).length ? { ulimits: build.ulimits } : {}),
    ...(build.isolation ? { isolation: build.isolation } : {}),
    ...(platform ? { platform } : {}),
    ...(secrets.length ? { secrets } : {}),
    subject: serviceName,
  };
}
