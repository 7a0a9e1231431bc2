/**
 * Attached `up`, docker compose v2's default: `up` as composeUp does it, with the output of the
 * attached services' containers followed from before each starts (the attach is registered in
 * the executor, between create and start, so no line is missed), and their exits followed through
 * the one event subscription readiness uses as well.
 *
 * It ends, as compose's does:
 * - when every attached container has exited: exit code 0, the others left as they are;
 * - with `abortOnContainerExit`, when any container of the project's services exits: the
 *   services named on the command line (every service when none is) are stopped, their
 *   dependencies left running, as compose 2.26 does; the exit code is that of `exitCodeFrom`'s
 *   container, or else of the service whose container exited first (compose 2.26.1's printer
 *   takes the first exit's service);
 * - on Ctrl-C (`ctx.signal`): everything is stopped gracefully and left stopped, then a
 *   CancelledError; `force` aborting (a second Ctrl-C) kills what is still stopping.
 */
import { setMaxListeners } from "node:events";
import { CancelledError } from "../../errors/index.ts";
import { ContainerWatcher } from "../../readiness/container-watcher.ts";
import { teardownSignal } from "../../run/lifetimes.ts";
import { ComposeLabel } from "../../run/labels.ts";
import type { Project } from "../model/index.ts";
import type { ComposeContext } from "./context.ts";
import { executePlan } from "./execute.ts";
import { withDependencies } from "./graph.ts";
import { pumpOutput, type ContainerOutput } from "./logs.ts";
import { observeProject } from "./observe.ts";
import { planStop } from "./plan.ts";
import { composeUp, type UpOptions, type UpResult } from "./up.ts";

export interface AttachedContainer {
  id: string;
  /** The container's name (`demo-web-1`). */
  name: string;
  service: string;
  index: number;
}

export interface AttachOptions {
  /** Services whose containers' output is followed. */
  attach: readonly string[];
  /** Where an attached container's output goes (called once per attach: again after a restart). */
  output(container: AttachedContainer): ContainerOutput;
  /** The attached containers, once known, before any of their output (`Attaching to …`). */
  onAttaching?(names: string[]): void;
  /** An attached container exited (after its last output). */
  onExit?(container: AttachedContainer, exitCode: number): void;
  /** Everything is about to be stopped: because of an exit (`--abort-on-container-exit`) or Ctrl-C. */
  onStopping?(why: "container-exit" | "interrupt"): void;
  abortOnContainerExit?: boolean;
  /** The service whose exit code `up` returns; implies abortOnContainerExit. */
  exitCodeFrom?: string;
  /** Aborted to kill what is still stopping (a second Ctrl-C). */
  force?: AbortSignal;
  /** Seconds each container gets to stop (`-t`), over its stop_grace_period. */
  timeout?: number;
}

export interface AttachedUpResult {
  /** Undefined when an exit or Ctrl-C cut `up` itself short. */
  up: UpResult | undefined;
  exitCode: number;
}

/** A signal every container's requests listen on: many listeners at once are normal, not a leak. */
function manyListeners(signal: AbortSignal): AbortSignal {
  setMaxListeners(0, signal);
  return signal;
}

/** Which services `up` attaches to, as compose v2 (2.26) chooses them. */
export function attachedServices(
  project: Project,
  requested: readonly string[],
  opts: { attach?: readonly string[]; noAttach?: readonly string[]; attachDependencies?: boolean; noDeps?: boolean },
): string[] {
  const base = requested.length ? [...requested] : Object.keys(project.services);
  let chosen: string[];
  if (opts.attach?.length) chosen = [...new Set(opts.attach)];
  else if (opts.attachDependencies && !opts.noDeps) chosen = withDependencies(project, base);
  else chosen = base.filter((s) => project.services[s]?.attach !== false);
  const without = new Set(opts.noAttach ?? []);
  chosen = chosen.filter((s) => !without.has(s));
  // compose attaches to every container when nothing is left to attach to (2.26.1: `up
  // --no-attach` of every service still prints them all).
  return chosen.length ? chosen : base;
}

/** Services that others wait on to complete: their exit is expected, not a reason to abort. */
function oneShots(project: Project, services: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const name of services) {
    for (const [dep, d] of Object.entries(project.services[name]?.depends_on ?? {})) {
      if (d.condition === "service_completed_successfully") out.add(dep);
    }
  }
  return out;
}

interface Followed {
  container: AttachedContainer;
  attached: boolean;
  pump: Promise<void> | undefined;
  /** Start events seen; a restart re-attaches. */
  starts: number;
  awaitingRestart: boolean;
  done: boolean;
  unfollow?: () => void;
}

/** One attached `up`: what it follows, and how it ends. */
class AttachSession {
  readonly #ctx: ComposeContext;
  readonly #project: Project;
  readonly #opts: AttachOptions;
  readonly #watching: Promise<ContainerWatcher>;
  readonly #attach: Set<string>;
  readonly #expectedExits: Set<string>;
  readonly #services: readonly string[];
  /** What an exit that aborts everything stops: the services named on the command line (all when none), as compose 2.26 does. */
  readonly #cascade: readonly string[];
  readonly #followed = new Map<string, Followed>();
  /** Ends the attach streams once `up` is over. */
  readonly #streams = new AbortController();
  readonly #streamsSignal = manyListeners(this.#streams.signal);
  /** Cancels composeUp when an exit aborts everything while it is still running. */
  readonly upAbort = new AbortController();
  #upDone = false;
  #stopping: Promise<void> | undefined;
  #exitCodeFrom: string | undefined;
  #exitCode = 0;
  #upSettled!: () => void;
  readonly #upSettledPromise = new Promise<void>((resolve) => (this.#upSettled = resolve));
  #settle!: (code: number) => void;
  #fail!: (err: unknown) => void;
  readonly finished: Promise<number>;

  constructor(ctx: ComposeContext, project: Project, services: readonly string[], cascade: readonly string[], watching: Promise<ContainerWatcher>, opts: AttachOptions) {
    this.#ctx = ctx;
    this.#project = project;
    this.#services = services;
    this.#cascade = cascade;
    this.#watching = watching;
    this.#opts = opts;
    this.#attach = new Set(opts.attach);
    this.#expectedExits = oneShots(project, services);
    this.#exitCodeFrom = opts.exitCodeFrom;
    this.finished = new Promise<number>((resolve, reject) => {
      this.#settle = resolve;
      this.#fail = reject;
    });
    this.finished.catch(() => undefined);
  }

  get aborting(): boolean {
    return this.#stopping !== undefined;
  }

  /** Follows a container about to start (or running already): its exits, and its output when attached. */
  async follow(container: AttachedContainer, signal?: AbortSignal): Promise<void> {
    if (this.#followed.has(container.id)) return;
    const f: Followed = { container, attached: this.#attach.has(container.service), pump: undefined, starts: 0, awaitingRestart: false, done: false };
    this.#followed.set(container.id, f);
    if (f.attached) await this.#attachOutput(f, signal);
    const watcher = await this.#watching;
    f.unfollow = watcher.follow(container.id, (state) => {
      if (state.kind === "started") this.#started(f);
      else if (state.kind === "exited") void this.#exited(f, state.exitCode).catch((err: unknown) => this.#fail(err));
    });
  }

  async #attachOutput(f: Followed, signal?: AbortSignal): Promise<void> {
    const streamSignal = signal ? AbortSignal.any([signal, this.#streamsSignal]) : this.#streamsSignal;
    const body = await this.#ctx.engine.containers.attach(f.container.id, { signal: streamSignal });
    const tty = this.#project.services[f.container.service]?.tty ?? false;
    f.pump = pumpOutput(body, tty, this.#opts.output(f.container), this.#streamsSignal).catch(() => undefined);
  }

  #started(f: Followed): void {
    f.starts++;
    if (f.awaitingRestart) {
      f.awaitingRestart = false;
      if (f.attached && !this.aborting) void this.#attachOutput(f).catch(() => undefined);
    }
  }

  async #exited(f: Followed, exitCode: number): Promise<void> {
    const startsAtExit = f.starts;
    // The attach stream ends with the container: its last lines come before the exit is told.
    await f.pump;
    if (f.attached && !this.aborting) this.#opts.onExit?.(f.container, exitCode);
    const service = f.container.service;
    if (this.#exitCodeFrom === undefined && this.#cascades() && !this.#expectedExits.has(service)) this.#exitCodeFrom = service;
    if (service === this.#exitCodeFrom) this.#exitCode = exitCode;
    if (!this.aborting && this.#cascades() && !this.#expectedExits.has(service)) {
      this.stop("container-exit");
      return;
    }
    if (!this.aborting && this.#mayRestart(service)) {
      const info = await this.#ctx.engine.containers.find(f.container.id).catch(() => undefined);
      if (info?.State.Running || info?.State.Restarting) {
        // Restarted by its restart policy: it is followed again from its next start.
        if (info.State.Running || f.starts > startsAtExit) {
          if (f.attached) void this.#attachOutput(f).catch(() => undefined);
        } else f.awaitingRestart = true;
        return;
      }
    }
    f.done = true;
    this.#checkAllExited();
  }

  #cascades(): boolean {
    return !!(this.#opts.abortOnContainerExit || this.#opts.exitCodeFrom);
  }

  #mayRestart(service: string): boolean {
    const s = this.#project.services[service];
    const policy = s?.deploy?.restart_policy?.condition ?? s?.restart;
    return !!policy && policy !== "no" && policy !== "none";
  }

  /** `up` has started everything: from now on, all attached containers exited means the end. */
  upFinished(): void {
    this.#upDone = true;
    this.#checkAllExited();
  }

  #checkAllExited(): void {
    if (!this.#upDone || this.aborting) return;
    const attached = [...this.#followed.values()].filter((f) => f.attached);
    if (attached.every((f) => f.done)) this.#settle(this.#exitCode);
  }

  /** The attached containers followed so far, by name. */
  attachedNames(): string[] {
    return [...this.#followed.values()].filter((f) => f.attached).map((f) => f.container.name);
  }

  /** composeUp has returned or thrown: no start of its own can still be on its way. */
  upSettled(): void {
    this.#upSettled();
  }

  /** Stops every container of the services (once); settles `finished` when they are stopped. */
  stop(why: "container-exit" | "interrupt"): void {
    if (this.#stopping) return;
    this.#opts.onStopping?.(why);
    this.upAbort.abort();
    this.#stopping = this.#upSettledPromise.then(() => this.#stopAll(why)).then(
      async () => {
        if (why === "interrupt") return this.#fail(new CancelledError("Cancelled: the containers were stopped"));
        await this.#collectExitCode();
        this.#settle(this.#exitCode);
      },
      (err: unknown) => this.#fail(err),
    );
  }

  async #stopAll(why: "container-exit" | "interrupt"): Promise<void> {
    const force = this.#opts.force;
    const signal = manyListeners(teardownSignal("runMs"));
    const reason = why === "interrupt" ? "interrupted" : "a container exited (--abort-on-container-exit)";
    // Ctrl-C stops everything this `up` started; an exit that aborts, what was named (their dependencies run on).
    const services = new Set(why === "interrupt" ? this.#services : this.#cascade);
    const observe = async () => (await observeProject(this.#ctx.engine, this.#project.name, signal)).containers.filter((c) => !c.oneoff && services.has(c.service));
    // A start the engine was still carrying out when `up` was cut short shows up in a second look.
    for (let round = 0; round < 3 && !force?.aborted; round++) {
      const plan = planStop({ project: this.#project, containers: await observe(), reason, ...(this.#opts.timeout !== undefined ? { timeout: this.#opts.timeout } : {}) });
      if (plan.length === 0) return;
      try {
        await executePlan(plan, { engine: this.#ctx.engine, events: this.#ctx.events, signal: force ? manyListeners(AbortSignal.any([force, signal])) : signal, ...(this.#ctx.parallel !== undefined ? { parallel: this.#ctx.parallel } : {}) });
      } catch (err) {
        if (!force?.aborted) throw err;
      }
    }
    if (!force?.aborted) return;
    // Forced: whatever is still running is killed, all at once.
    const plan = planStop({ containers: await observe(), reason: `${reason}, forced`, kill: true });
    await executePlan(plan, { engine: this.#ctx.engine, events: this.#ctx.events, signal });
  }

  /** After the stop: the exit code of `exitCodeFrom`'s container, read from the engine if its event has not come yet. */
  async #collectExitCode(): Promise<void> {
    const from = this.#exitCodeFrom;
    if (!from) return;
    const pending = [...this.#followed.values()].filter((f) => f.container.service === from && !f.done);
    const seen = pending.length === 0;
    if (seen) return;
    const infos = await Promise.all(pending.map((f) => this.#ctx.engine.containers.find(f.container.id, { signal: teardownSignal("containerMs") }).catch(() => undefined)));
    for (const info of infos) if (info && !info.State.Running) this.#exitCode = info.State.ExitCode;
  }

  close(): void {
    this.#streams.abort();
    for (const f of this.#followed.values()) f.unfollow?.();
  }
}

/**
 * `up`, attached. Returns the exit code `up` exits with; throws CancelledError after a Ctrl-C has
 * stopped everything.
 */
export async function composeUpAttached(ctx: ComposeContext, project: Project, upOpts: UpOptions, opts: AttachOptions): Promise<AttachedUpResult> {
  const requested = upOpts.services ?? Object.keys(project.services);
  const services = upOpts.noDeps ? [...requested] : withDependencies(project, requested);
  // Its own lifetime, not the run's signal: exits are still followed while Ctrl-C stops everything.
  // It subscribes beside composeUp's first reads; composeUp awaits it before anything starts.
  const watching = ContainerWatcher.start(ctx.engine, [`${ComposeLabel.project}=${project.name}`]);
  watching.catch(() => undefined);
  const session = new AttachSession(ctx, project, services, requested, watching, opts);
  const onInterrupt = () => session.stop("interrupt");
  ctx.signal.addEventListener("abort", onInterrupt, { once: true });
  try {
    if (ctx.signal.aborted) onInterrupt();
    const upCtx = { ...ctx, signal: manyListeners(AbortSignal.any([ctx.signal, session.upAbort.signal])) };
    let up: UpResult | undefined;
    try {
      up = await composeUp(upCtx, project, {
        ...upOpts,
        watcher: watching,
        onPlanned: ({ containers }) => opts.onAttaching?.(opts.attach.flatMap((s) => containers.get(s) ?? []).sort()),
        beforeStart: (op, id, signal) => session.follow({ id, name: op.name, service: op.service, index: op.index }, signal),
      });
    } catch (err) {
      // An exit that aborts everything, or Ctrl-C, cancels `up` itself: `finished` tells how it ended.
      session.upSettled();
      if (!session.aborting) throw err;
    }
    if (up) {
      session.upSettled();
      // Containers running already, unchanged, had no start: they are followed from now on.
      if (!session.aborting) {
        try {
          const running = (await observeProject(ctx.engine, project.name, upCtx.signal)).containers.filter((c) => !c.oneoff && services.includes(c.service) && c.state === "running");
          await Promise.all(running.map((c) => session.follow({ id: c.id, name: c.name, service: c.service, index: c.index })));
        } catch (err) {
          // Ctrl-C (or an exit that aborts everything) right after `up`: the stop under way decides how it ends.
          if (!session.aborting) throw err;
        }
      }
      session.upFinished();
    }
    const exitCode = await session.finished;
    return { up, exitCode };
  } finally {
    ctx.signal.removeEventListener("abort", onInterrupt);
    session.close();
    await watching.then((w) => w.close(), () => undefined);
  }
}
