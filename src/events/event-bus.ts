/**
 * The library never writes to stdout: it emits typed events, and renderers chosen once at the
 * edge (cli/) subscribe to them. Event types are a discriminated union on `type`; each area
 * (engine pulls, compose, stages) adds its own members to `SlipwayEvent`.
 */
import type { VerdictKind } from "../errors/outcomes.ts";

export type { VerdictKind };

export const EVENT_SCHEMA_VERSION = 1;

export type LogLevel = "debug" | "info" | "warn" | "error";

export type SlipwayEvent =
  | { type: "log"; level: LogLevel; message: string; scope?: string }
  | { type: "warning"; message: string; scope?: string }
  | {
      type: "progress";
      /** What is progressing, e.g. `pull postgres:15` or `build app`. */
      task: string;
      id?: string;
      status: string;
      current?: number;
      total?: number;
    }
  | { type: "step.start"; step: string; cause?: string }
  | { type: "step.end"; step: string; ok: boolean; durationMs: number; error?: string; note?: string; /** Stopped because the run or a sibling step gave up: not a failure of its own. */ cancelled?: boolean }
  | { type: "container.log"; service: string; container: string; stream: "stdout" | "stderr"; line: string }
  | { type: "run.start"; runId: string; command: string; project?: string }
  /** A stage of the workflow (test, build, …) starting; `environment` is the set of compose files it brings up, under `project`. */
  | { type: "stage.start"; stage: string; environment?: string; project?: string }
  | { type: "stage.end"; stage: string; environment?: string; ok: boolean; durationMs: number }
  /** A port an environment kept for debugging publishes, as a URL to open (seed 001's `make url`). */
  | { type: "environment.url"; service: string; port: string; url: string }
  /** A stage of the pipeline the run does not run: outside `--from`/`--until`, or after a stage that did not pass. */
  | { type: "stage.skip"; stage: string; reason: string }
  | {
      type: "reports";
      stage: string;
      environment?: string;
      dir: string;
      files: string[];
      missing: string[];
      /** JUnit files that could not be read (empty, not XML, not JUnit); a required one fails the run. */
      unreadable: { file: string; reason: string; required: boolean }[];
      junit?: {
        tests: number;
        passed: number;
        failed: number;
        skipped: number;
        time: number;
        failures: { suite: string; name: string; message?: string }[];
        slowest: { suite: string; name: string; time: number }[];
      };
    }
  /** What a dry-run publish would do to each tag of an image: create, move, leave, keep at a higher version, or refuse. */
  | { type: "publish.plan"; image: string; name: string; imageId: string; /** The digest an earlier push gave it in this repository, when the engine knows it. */ digest?: string; tags: { tag: string; action: string; current?: string; reason?: string }[] }
  /** An image is in the registry under these tags (all verified by digest). */
  | { type: "published"; image: string; name: string; digest: string; tags: string[]; /** Moving tags left at a higher version. */ kept?: string[] }
  | { type: "cleanup"; removed: { containers: number; networks: number; volumes: number; images: number }; kept?: string; /** Why not everything could be removed (the engine gone): the next sweep takes it. */ incomplete?: string }
  /** `slipway ci` pruned at its end (slipway.yml's `prune.after_ci`): what it removed and how many images it kept. */
  | { type: "pruned"; images: number; volumes: number; /** Bytes of the images removed. */ reclaimed: number; kept: number; /** Removals the engine refused (an image a container took meanwhile). */ failed: number }
  /** Always the last event of a run: what happened, as a kind that never collides with a test's own exit code. */
  | { type: "verdict"; kind: VerdictKind; exitCode: number; message: string; durationMs: number; runId: string; evidence?: string; hint?: string };

export type EventOf<T extends SlipwayEvent["type"]> = Extract<SlipwayEvent, { type: T }>;
export type Listener = (event: SlipwayEvent & { time: number }) => void;

export class EventBus {
  readonly #listeners = new Set<Listener>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  emit(event: SlipwayEvent): void {
    const stamped = { ...event, time: this.#now() };
    for (const listener of this.#listeners) listener(stamped);
  }

  /** Subscribe; returns the unsubscribe function. */
  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
