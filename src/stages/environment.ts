/**
 * A stage's environment once started: a compose project of this run, which is a resource with a
 * lifetime. `await using env = startEnvironment(…)` cannot forget its teardown — whatever ends the
 * stage (a verdict, an error, Ctrl-C) — and the teardown follows cleanup's one policy.
 */
import { removeReleasedContainer, tearDownEnvironment } from "../cleanup/teardown-policy.ts";
import type { RunContext } from "../run/context.ts";
import { removeDanglingBuildImages, type BuiltImage } from "./build-images-step.ts";

export class StartedEnvironment implements AsyncDisposable {
  readonly project: string;
  /** Set once the stage passed: a failed environment is kept with --keep. */
  passed = false;
  /** Images built for it: the dangling ones their builds left are removed with it. */
  built: BuiltImage[] = [];
  readonly #ctx: RunContext;
  readonly #keep: boolean;
  readonly #released: Promise<boolean>[] = [];

  constructor(ctx: RunContext, project: string, opts: { keep: boolean }) {
    this.#ctx = ctx;
    this.project = project;
    this.#keep = opts.keep;
  }

  /**
   * A container the stage is done with (its evidence kept), removed at once while the stage still
   * collects the rest; undefined when a failed environment may have to be kept (--keep).
   */
  get release(): ((containerId: string) => void) | undefined {
    if (this.#keep) return undefined;
    return (id) => void this.#released.push(removeReleasedContainer(this.#ctx.engine, id));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const { events, engine, owner } = this.#ctx;
    if (this.#keep && !this.passed) {
      events.emit({ type: "cleanup", removed: { containers: 0, networks: 0, volumes: 0, images: 0 }, kept: `Environment kept for debugging: project ${this.project}. Remove it with: slipway clean --run ${owner.runId}` });
      return;
    }
    const { removed, incomplete } = await tearDownEnvironment({
      engine,
      events,
      runId: owner.runId,
      project: this.project,
      released: this.#released,
      removeExtras: (signal) => removeDanglingBuildImages(this.#ctx, this.built, signal),
    });
    events.emit({ type: "cleanup", removed, ...(incomplete ? { incomplete } : {}) });
  }
}
