/**
 * The stage contract. A stage is a step of the workflow (test, build, release, acceptance, tag,
 * publish, deploy); the pipeline runner runs an ordered list of them over one set of per-run
 * services, and ends the run with one verdict. Inside a stage, units of work are steps (step.ts);
 * the compose files a stage brings up are its environment (environment.ts).
 */
import type { LoadedPipelineConfig } from "../config/load-pipeline-config.ts";
import type { AcceptedImage, PublishEntry, RecordStore } from "../history/record-store.ts";
import type { RunRecord } from "../history/run-record.ts";
import type { ImageResolver } from "../images/image-resolver.ts";
import type { RunContext } from "../run/context.ts";
import type { Redactor } from "../run/redact.ts";
import type { Verdict } from "../run/verdict.ts";
import type { StartedEnvironment } from "./environment.ts";

export const STAGE_NAMES = ["test", "build", "release", "acceptance", "tag", "publish", "deploy"] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** What every stage of one run shares, made once by the pipeline runner. */
export interface RunServices {
  pipeline: LoadedPipelineConfig;
  /** The caller's environment, for compose interpolation (only cli/ reads process.env). */
  env: Record<string, string>;
  /** The run's evidence folder. */
  record: RunRecord;
  /** Masks every secret value in output, evidence and records. */
  redactor: Redactor;
  /** Each base image pulled once per run, shared by the stages. */
  images: ImageResolver;
  /** Runs, publishes and deployments. */
  store: RecordStore;
  /** Leave a failed environment up for debugging. */
  keep: boolean;
  /** Environments a stage started for a later one (release → acceptance), by name; the run tears down what is left. */
  environments: Map<string, StartedEnvironment>;
  /** The release images this run accepted, set by the stage that accepts them (acceptance, or release without one); recorded with the run. */
  accepted: AcceptedImage[];
  /** What this run's publish stage put in the registry: the release the deploy stage runs. */
  published: PublishEntry[];
}

export interface StageOutcome {
  verdict: Verdict;
  /** Anything a later stage needs (a built image, a tag), by the stage's own key. */
  outputs?: Record<string, unknown>;
}

export interface Stage {
  readonly name: StageName;
  /** The stage whose passing its preparation needs; absent: it may prepare as the run starts. */
  readonly prepareAfter?: StageName;
  /**
   * Work that may overlap the stages before it (an image build), started early by the runner; its
   * signal aborts when the run will not reach this stage. Its result, or its failure, is the
   * stage's when its turn comes.
   */
  prepare?(ctx: RunContext, services: RunServices): Promise<unknown>;
  /** Runs the stage to its verdict; a SlipwayError thrown is its verdict too, anything else is a bug. */
  run(ctx: RunContext, services: RunServices, prepared?: unknown): Promise<StageOutcome>;
}
