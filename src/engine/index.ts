export * from "./engine.ts";
export * from "./endpoint.ts";
export * from "./engine-error.ts";
export * from "./types.ts";
export * from "./version.ts";
export type { RegisteredWait, WaitCondition, LogsOptions, Filters } from "./containers.ts";
export { builderFor, splitImageRef } from "./images.ts";
export type { Trace, TraceRecord } from "./http.ts";
