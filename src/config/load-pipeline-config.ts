/** Finds, parses (with positions) and validates slipway.yml. */
import { access, readFile } from "node:fs/promises";
import path from "node:path";
import { SlipwayError } from "../errors/index.ts";
import { ConfigFileError, IssueList, type IssueSubject } from "../yaml/issues.ts";
import { parseYaml } from "../yaml/parse.ts";
import { normalizeProjectName } from "../compose/load/index.ts";
import { pipelineSchema, type PipelineConfig } from "./pipeline-schema.ts";
import { pipelineStages, stageEnvironments } from "./stages.ts";

export const CONFIG_FILE_NAMES = ["slipway.yml", "slipway.yaml"];

/** slipway.yml's issues: the same error as a compose file's, named and hinted for slipway.yml. */
export const PIPELINE_FILE: IssueSubject = { name: "slipway.yml", code: "CONFIG_INVALID", hint: "Fix slipway.yml at the position shown; `slipway help config` describes every key." };

export interface LoadedPipelineConfig {
  config: PipelineConfig;
  /** Absolute path of the file. */
  file: string;
  /** The folder of the file: relative paths in it are resolved against it. */
  dir: string;
  /** Project name (config `name`, else the folder name, normalized). */
  name: string;
}

export async function findPipelineConfig(cwd: string): Promise<string | undefined> {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = path.join(dir, name);
      try {
        await access(candidate);
        return candidate;
      } catch {
        // keep looking
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

export async function loadPipelineConfig(opts: { cwd: string; file?: string }): Promise<LoadedPipelineConfig> {
  const file = opts.file ? path.resolve(opts.cwd, opts.file) : await findPipelineConfig(opts.cwd);
  if (!file) {
    throw new SlipwayError(`No slipway.yml in ${opts.cwd} or its parents`, {
      code: "CONFIG_MISSING",
      kind: "config",
      hint: "Run `slipway init` to write a commented starter, or pass --config FILE.",
    });
  }
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new SlipwayError(`Cannot read ${file}: ${(err as Error).message}`, { code: "CONFIG_UNREADABLE", kind: "config" });
  }
  const shown = path.relative(opts.cwd, file) || file;
  const root = parseYaml(text, shown, PIPELINE_FILE);
  const issues = new IssueList(PIPELINE_FILE);
  const config = pipelineSchema.read(root, "", issues);
  const dir = path.dirname(file);
  /** Each compose file an environment or a target names exists next to slipway.yml. */
  const checkComposeFiles = async (files: readonly string[], section: "environments" | "targets", name: string) => {
    for (const compose of files) {
      try {
        await access(path.resolve(dir, compose));
      } catch {
        const node = root.entries.find((e) => e.key === section);
        issues.add(node?.keyPos, `${section}.${name}.compose`, `compose file ${compose} not found next to ${shown}`);
      }
    }
  };
  if (config) {
    for (const [name, env] of Object.entries(config.environments)) {
      await checkComposeFiles(env.compose, "environments", name);
      for (const report of env.reports) {
        if (!report.path.startsWith("/")) issues.add(root.pos, `environments.${name}.reports`, `report path ${report.path} must be absolute (a path in the container)`);
      }
    }
    for (const [name, target] of Object.entries(config.targets)) {
      await checkComposeFiles(target.compose, "targets", name);
    }
  }
  if (config) {
    // Every stage's environment is one of slipway.yml's, and acceptance runs a service of it.
    const stagesNode = root.entries.find((e) => e.key === "stages");
    const stages = pipelineStages(config);
    for (const [stage, environment] of stageEnvironments(stages)) {
      if (!config.environments[environment]) {
        issues.add(stagesNode?.keyPos ?? root.pos, `stages.${stage}.environment`, `no environment "${environment}" in environments`, `Environments: ${Object.keys(config.environments).join(", ") || "none"}.`);
      }
    }
    if (stages.acceptance && config.environments[stages.acceptance.environment] && !config.environments[stages.acceptance.environment]!.service) {
      issues.add(stagesNode?.keyPos ?? root.pos, `environments.${stages.acceptance.environment}.service`, "the acceptance stage needs the environment's `service` (the acceptance tests)");
    }
    const build = stages.build;
    if (build && (build.image ? build.environment !== undefined || build.service !== undefined : build.environment === undefined || build.service === undefined)) {
      issues.add(
        stagesNode?.keyPos ?? root.pos,
        "stages.build",
        build.image ? "the build stage's builder is either `image` (a Dockerfile target) or `environment` and `service`, not both" : "the build stage needs its builder: `environment` and `service`, or `image` (a Dockerfile target)",
      );
    }
    if (stages.release && Object.keys(config.images).length === 0) {
      issues.add(stagesNode?.keyPos ?? root.pos, "stages.release", "the release stage builds the pipeline's images, and `images` has none");
    }
    for (const target of stages.deploy?.targets ?? []) {
      if (!config.targets[target]) issues.add(stagesNode?.keyPos ?? root.pos, "stages.deploy.targets", `no target "${target}" in targets`, `Targets: ${Object.keys(config.targets).join(", ") || "none"}.`);
    }
    for (const [service, image] of Object.entries(stages.release?.images ?? {})) {
      if (!config.images[image]) issues.add(stagesNode?.keyPos ?? root.pos, `stages.release.images.${service}`, `no image "${image}" in images`);
    }
  }
  if (!config || issues.size > 0) throw new ConfigFileError(issues.items, PIPELINE_FILE);
  return { config, file, dir, name: config.name ?? normalizeProjectName(path.basename(dir)) };
}
