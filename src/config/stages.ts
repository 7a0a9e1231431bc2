/**
 * The stages a pipeline runs: `stages:` as written, or inferred from the environments and images
 * when it is absent — `test` when there is a test environment, `release` and `acceptance` when there
 * is a release environment and images to release (acceptance needs the environment's `service`),
 * and `tag` and `publish` after a release when there is a `registry`. A deploy stage is never
 * inferred: a pipeline deploys only where slipway.yml or `slipway ci --target` tells it to.
 */
import type { AcceptanceStageConfig, BuildStageConfig, DeployStageConfig, PipelineConfig, PublishStageConfig, ReleaseStageConfig, TagStageConfig } from "./pipeline-schema.ts";

export interface PipelineStages {
  test?: { environment: string };
  build?: BuildStageConfig;
  release?: ReleaseStageConfig;
  acceptance?: AcceptanceStageConfig;
  tag?: TagStageConfig;
  publish?: PublishStageConfig;
  deploy?: DeployStageConfig;
}

export function pipelineStages(config: PipelineConfig): PipelineStages {
  if (config.stages) return config.stages;
  const out: PipelineStages = {};
  if (config.environments["test"]) out.test = { environment: "test" };
  const release = config.environments["release"];
  if (release && Object.keys(config.images).length > 0) {
    out.release = { environment: "release", images: {}, bootstrap: undefined, timeout: 600_000 };
    if (release.service) out.acceptance = { environment: "release" };
    // Tags name the registry's repository: without one, local tags like `app:latest` could take a name the user's own images have.
    if (config.registry) {
      out.tag = { build_tags: true };
      out.publish = { allow_dirty: false };
    }
  }
  return out;
}

/** Where each stage's environment is named, for the loader's checks: [stage, environment]. */
export function stageEnvironments(stages: PipelineStages): [string, string][] {
  return Object.entries(stages)
    .filter(([, s]) => typeof (s as { environment?: unknown }).environment === "string")
    .map(([name, s]) => [name, (s as { environment: string }).environment]);
}
