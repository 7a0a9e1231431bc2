/**
 * Slipway as a library (`import { loadPipeline, runPipeline } from "slipway"`): what `slipway test`
 * runs, with the events delivered to the caller, cancellation by AbortSignal and the verdict as
 * the result. docs/library.md describes it. Kept small on purpose: everything exported here is a
 * promise to library users, so the engine client, compose runner and stages stay internal.
 */

// Load slipway.yml and run its stages.
export { loadPipeline, runPipeline, type RunPipelineOptions, type PipelineResult } from "./pipeline/pipeline.ts";
export type { LoadedPipelineConfig } from "./config/load-pipeline-config.ts";
export type { PipelineConfig } from "./config/pipeline-schema.ts";
export { STAGE_NAMES, type StageName, type Stage, type StageOutcome } from "./stages/stage.ts";

// A run context of your own: the engine connection, events, signal, clock and run id.
export { createRunContext, type RunContext, type RunContextOptions, type Clock } from "./run/context.ts";
export type { Lifetime, RunOwner } from "./run/labels.ts";
export { Engine, endpointFromEnv, builderFromEnv, type ConnectOptions, type Builder } from "./engine/engine.ts";
export type { EngineEndpoint, TlsMaterial } from "./engine/endpoint.ts";

// What a run tells its caller.
export { EventBus, EVENT_SCHEMA_VERSION, type SlipwayEvent, type EventOf, type Listener, type LogLevel } from "./events/index.ts";
export type { Verdict } from "./run/verdict.ts";
export { OUTCOMES, ExitCode, type VerdictKind, type ErrorKind } from "./errors/outcomes.ts";
export { SlipwayError, type SlipwayErrorOptions } from "./errors/slipway-error.ts";

// Where runs are recorded.
export { FileRecordStore, type RecordStore, type RecordKind, type RecordKinds, type RunEntry, type PublishEntry, type DeploymentEntry } from "./history/record-store.ts";
