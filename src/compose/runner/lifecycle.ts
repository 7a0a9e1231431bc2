/**
 * `start`, `stop`, `restart`, `kill`, `pause`, `unpause` and `rm`: the commands that change the
 * state of containers that already exist, with docker compose v2's semantics (2.26). Each is
 * observe → plan → execute: one snapshot of the project's containers, found by compose's labels
 * (so a project `docker compose` made is handled as one Slipway made), a pure plan of steps
 * with their causes and their order, then the steps.
 *
 * The order comes from depends_on: from the file when one was loaded, else from the
 * `com.docker.compose.depends_on` label compose and Slipway write on every container, so that
 * `-p NAME stop` orders a project whose file is not at hand. As compose does:
 * - `start` starts the services asked for and their dependencies, each after its dependencies
 *   are started (healthy, completed) as their condition says;
 * - `stop` stops only the services asked for, dependents first;
 * - `restart` restarts the services asked for and, unless `--no-deps`, those that depend on them
 *   with `restart: true`; only those edges order it (compose drops the others);
 * - `kill`, `pause`, `unpause` act on every container at once; `kill` includes one-off
 *   containers (`run`), the others do not.
 */
import { SlipwayError } from "../../errors/index.ts";
import type { Engine } from "../../engine/index.ts";
import type { EventBus } from "../../events/index.ts";
import { ComposeLabel } from "../../run/labels.ts";
import { ContainerWatcher } from "../../readiness/container-watcher.ts";
import { waitReady, type ReadyCondition } from "../../readiness/wait-ready.ts";
import type { Project } from "../model/index.ts";
import { runDag } from "./dag.ts";
import { observeProject, type ObservedContainer, type ObservedProject } from "./observe.ts";
import { stopTimeoutSeconds } from "./plan.ts";

interface Step {
  id: string;
  deps: string[];
  cause: string;
}

export type LifecycleStep =
  | (Step & { kind: "start"; container: ObservedContainer })
  /** Waits until a dependency's containers meet the condition its dependents declared. */
  | (Step & { kind: "ready"; service: string; condition: ReadyCondition; containers: string[] })
  | (Step & { kind: "stop"; container: ObservedContainer; timeout?: number })
  | (Step & { kind: "restart"; container: ObservedContainer; timeout?: number })
  | (Step & { kind: "kill"; container: ObservedContainer; signal: string })
  | (Step & { kind: "pause"; container: ObservedContainer })
  | (Step & { kind: "unpause"; container: ObservedContainer })
  | (Step & { kind: "remove"; container: ObservedContainer; volumes: boolean });

export interface Dependency {
  condition: ReadyCondition;
  /** Restart the dependent when this dependency is restarted (compose's `restart: true`). */
  restart: boolean;
  required: boolean;
}

/** Each service's depends_on, by service name. */
export type ServiceGraph = Map<string, Record<string, Dependency>>;

const CONDITIONS: readonly string[] = ["service_started", "service_healthy", "service_completed_successfully"];

/** compose's depends_on label: `db:service_healthy:true,cache:service_started:false` (name:condition:restart). */
export function parseDependsOnLabel(value: string | undefined): Record<string, Dependency> {
  const out: Record<string, Dependency> = {};
  for (const entry of (value ?? "").split(",")) {
    const [name, condition, restart] = entry.split(":");
    if (!name) continue;
    out[name] = {
      condition: (condition && CONDITIONS.includes(condition) ? condition : "service_started") as ReadyCondition,
      restart: restart === "true",
      required: true,
    };
  }
  return out;
}

/**
 * The services and their depends_on: the file's when one was loaded, the containers' labels for
 * services it does not have (and for all of them without a file).
 */
export function serviceGraph(observed: ObservedProject, project?: Project): ServiceGraph {
  const graph: ServiceGraph = new Map();
  for (const c of observed.containers) {
    if (c.oneoff || graph.has(c.service)) continue;
    graph.set(c.service, parseDependsOnLabel(c.labels[ComposeLabel.dependsOn]));
  }
  for (const service of Object.values(project?.services ?? {})) {
    graph.set(service.name, Object.fromEntries(Object.entries(service.depends_on).map(([dep, d]) => [dep, { condition: d.condition, restart: d.restart, required: d.required }])));
  }
  return graph;
}

/** What a command acts on. */
export interface LifecycleScope {
  observed: ObservedProject;
  /** The project's file, when one was loaded: its services (others are orphans), depends_on, stop grace periods. */
  project?: Project;
  /** Services named on the command line; every service when empty. */
  services?: string[];
}

const isRunning = (c: ObservedContainer) => c.state === "running" || c.state === "paused" || c.state === "restarting";

/**
 * The containers a command can touch: of the services asked for (all when none), one-offs only
 * when asked. With a file, of its active services, or of one whose profile is off when named (as
 * compose enables the profiles of the services named); `orphans` also counts services it lacks.
 */
function candidates(scope: LifecycleScope, opts: { oneoffs?: boolean; orphans?: boolean } = {}): ObservedContainer[] {
  const named = scope.services?.length ? new Set(scope.services) : undefined;
  return pool(scope, opts).filter((c) => !named || named.has(c.service));
}

/** `candidates` of every service, whatever was named. */
function pool(scope: LifecycleScope, opts: { oneoffs?: boolean; orphans?: boolean } = {}): ObservedContainer[] {
  const named = new Set(scope.services ?? []);
  const { project } = scope;
  const inFile = (service: string) => !project || !!project.services[service] || (named.has(service) && !!project.disabledServices[service]);
  return scope.observed.containers
    .filter((c) => opts.oneoffs || !c.oneoff)
    .filter((c) => opts.orphans || inFile(c.service))
    .sort((a, b) => a.service.localeCompare(b.service) || a.index - b.index || a.name.localeCompare(b.name));
}

function stopTimeout(scope: LifecycleScope, service: string, override: number | undefined): number | undefined {
  return override ?? (scope.project ? stopTimeoutSeconds(scope.project, service) : undefined);
}

/** Services that depend on `service` in the graph. */
function dependentsOf(graph: ServiceGraph, service: string, edge: (d: Dependency) => boolean = () => true): string[] {
  return [...graph].filter(([, deps]) => deps[service] && edge(deps[service])).map(([name]) => name);
}

/** `start`: the services asked for and their dependencies, each after its dependencies are ready. */
export function planStart(scope: LifecycleScope): LifecycleStep[] {
  const graph = serviceGraph(scope.observed, scope.project);
  const all = pool(scope);
  const byService = new Map<string, ObservedContainer[]>();
  for (const c of all) byService.set(c.service, [...(byService.get(c.service) ?? []), c]);

  // Named services bring their dependencies, and every one of those must have a container, as
  // compose insists; without names, services with no container are left out.
  let selected: string[];
  if (scope.services?.length) {
    const out = new Set<string>();
    const visit = (name: string, optional: boolean) => {
      if (out.has(name)) return;
      if (!byService.has(name)) {
        if (optional) return;
        throw new SlipwayError(`No container to start for service ${name}`, {
          code: "NO_CONTAINER_TO_START",
          kind: "usage",
          hint: `Create it first: \`slipway compose create ${name}\` (or \`up\`).`,
        });
      }
      out.add(name);
      for (const [dep, d] of Object.entries(graph.get(name) ?? {})) visit(dep, !d.required);
    };
    for (const name of scope.services) visit(name, false);
    selected = [...out];
  } else {
    selected = [...byService.keys()];
  }
  const chosen = new Set(selected);

  type StartStep = Extract<LifecycleStep, { kind: "start" }>;
  type ReadyStep = Extract<LifecycleStep, { kind: "ready" }>;
  const starts: StartStep[] = [];
  const startIds = new Map<string, string[]>();
  for (const service of selected) {
    for (const c of byService.get(service)!) {
      if (c.state !== "created" && c.state !== "exited") continue;
      const id = `start:${c.name}`;
      starts.push({ kind: "start", id, deps: [], cause: `start ${c.name}: ${c.state}`, container: c });
      startIds.set(service, [...(startIds.get(service) ?? []), id]);
    }
  }
  // A dependency someone needs healthy or completed gets a readiness step (the strictest
  // condition asked for), even when it is running already: compose checks it before starting.
  const gates = new Map<string, ReadyStep & { waiters: Set<string> }>();
  for (const step of starts) {
    for (const [dep, d] of Object.entries(graph.get(step.container.service) ?? {})) {
      if (!chosen.has(dep)) continue;
      if (d.condition === "service_started") {
        step.deps.push(...(startIds.get(dep) ?? []));
        continue;
      }
      let gate = gates.get(dep);
      if (!gate) {
        gate = { kind: "ready", id: `ready:${dep}`, deps: [...(startIds.get(dep) ?? [])], cause: "", service: dep, condition: d.condition, containers: byService.get(dep)!.map((x) => x.name), waiters: new Set() };
        gates.set(dep, gate);
      }
      if (d.condition === "service_completed_successfully") gate.condition = d.condition;
      gate.waiters.add(step.container.service);
      step.deps.push(gate.id);
    }
  }
  const ready = [...gates.values()].map(({ waiters, ...gate }): ReadyStep => ({ ...gate, cause: `wait for ${gate.service}: ${gate.condition} (needed by ${[...waiters].join(", ")})` }));
  return ordered([...starts, ...ready]);
}

/** `stop`: the services asked for (only those), dependents before their dependencies. */
export function planStop(scope: LifecycleScope & { timeout?: number }): LifecycleStep[] {
  const graph = serviceGraph(scope.observed, scope.project);
  const targets = candidates(scope).filter(isRunning);
  const ids = (service: string) => targets.filter((c) => c.service === service).map((c) => `stop:${c.name}`);
  const steps = targets.map((c): LifecycleStep => {
    const timeout = stopTimeout(scope, c.service, scope.timeout);
    return {
      kind: "stop",
      id: `stop:${c.name}`,
      deps: dependentsOf(graph, c.service).filter((s) => s !== c.service).flatMap(ids),
      cause: `stop ${c.name}: ${c.state}`,
      container: c,
      ...(timeout !== undefined ? { timeout } : {}),
    };
  });
  return ordered(steps);
}

/**
 * `restart`: the services asked for and, unless `noDeps`, those that depend on them with
 * `restart: true`, transitively. Only those edges order it: a dependent restarts once its
 * dependency is back (started, healthy, completed, as it declared).
 */
export function planRestart(scope: LifecycleScope & { timeout?: number; noDeps?: boolean }): LifecycleStep[] {
  const graph = serviceGraph(scope.observed, scope.project);
  const all = pool(scope);
  const present = new Set(all.map((c) => c.service));
  const selected = new Set(scope.services?.length ? scope.services.filter((s) => present.has(s)) : present);
  if (!scope.noDeps) {
    const queue = [...selected];
    while (queue.length) {
      for (const dependent of dependentsOf(graph, queue.shift()!, (d) => d.restart)) {
        if (present.has(dependent) && !selected.has(dependent)) {
          selected.add(dependent);
          queue.push(dependent);
        }
      }
    }
  }
  const targets = all.filter((c) => selected.has(c.service));
  const restartIds = (service: string) => targets.filter((c) => c.service === service).map((c) => `restart:${c.name}`);
  const steps: LifecycleStep[] = [];
  for (const c of targets) {
    const deps: string[] = [];
    for (const [dep, d] of Object.entries(graph.get(c.service) ?? {})) {
      if (!d.restart || !selected.has(dep) || dep === c.service) continue;
      if (d.condition === "service_started") {
        deps.push(...restartIds(dep));
        continue;
      }
      const readyId = `ready:${dep}`;
      if (!steps.some((s) => s.id === readyId)) {
        steps.push({ kind: "ready", id: readyId, deps: restartIds(dep), cause: `wait for ${dep}: ${d.condition} (restarted before its dependents)`, service: dep, condition: d.condition, containers: targets.filter((x) => x.service === dep).map((x) => x.name) });
      }
      deps.push(readyId);
    }
    const timeout = stopTimeout(scope, c.service, scope.timeout);
    const why = scope.services?.length && !scope.services.includes(c.service) ? "depends on a restarted service (restart: true)" : c.state;
    steps.push({ kind: "restart", id: `restart:${c.name}`, deps, cause: `restart ${c.name}: ${why}`, container: c, ...(timeout !== undefined ? { timeout } : {}) });
  }
  return ordered(steps);
}

/** `kill`: every running container of the services, one-offs included; orphans only with `removeOrphans`. */
export function planKill(scope: LifecycleScope & { signal?: string; removeOrphans?: boolean }): LifecycleStep[] {
  const signal = scope.signal ?? "SIGKILL";
  return candidates(scope, { oneoffs: true, orphans: scope.removeOrphans ?? false })
    .filter(isRunning)
    .map((c) => ({ kind: "kill", id: `kill:${c.name}`, deps: [], cause: `kill ${c.name} with ${signal}`, container: c, signal }));
}

/** `pause`: running containers (a paused one is left as it is). */
export function planPause(scope: LifecycleScope): LifecycleStep[] {
  return candidates(scope)
    .filter((c) => c.state === "running")
    .map((c) => ({ kind: "pause", id: `pause:${c.name}`, deps: [], cause: `pause ${c.name}`, container: c }));
}

export function planUnpause(scope: LifecycleScope): LifecycleStep[] {
  return candidates(scope)
    .filter((c) => c.state === "paused")
    .map((c) => ({ kind: "unpause", id: `unpause:${c.name}`, deps: [], cause: `unpause ${c.name}`, container: c }));
}

const isStopped = (c: ObservedContainer) => c.state === "created" || c.state === "exited" || c.state === "dead";

/**
 * `rm`: stopped containers of the services; with `stop`, running ones are stopped first (in
 * `stop`'s order) and removed too. `volumes` removes their anonymous volumes.
 */
export function planRemove(scope: LifecycleScope & { stop?: boolean; volumes?: boolean; timeout?: number }): LifecycleStep[] {
  const stops = scope.stop ? planStop(scope) : [];
  const stopped = new Set(stops.map((s) => s.id));
  const volumes = scope.volumes ?? false;
  const removes: LifecycleStep[] = candidates(scope)
    .filter((c) => isStopped(c) || stopped.has(`stop:${c.name}`))
    .map((c) => ({
      kind: "remove",
      id: `remove:${c.name}`,
      deps: stopped.has(`stop:${c.name}`) ? [`stop:${c.name}`] : [],
      cause: `remove ${c.name}${stopped.has(`stop:${c.name}`) ? " once stopped" : `: ${c.state}`}${volumes ? ", with its anonymous volumes" : ""}`,
      container: c,
      volumes,
    }));
  return ordered([...stops, ...removes]);
}

/** Steps in an order they can run in (each after its dependencies), otherwise as planned. */
function ordered(steps: LifecycleStep[]): LifecycleStep[] {
  const out: LifecycleStep[] = [];
  const done = new Set<string>();
  const ids = new Set(steps.map((s) => s.id));
  let left = steps;
  while (left.length) {
    const ready = left.filter((s) => s.deps.every((dep) => done.has(dep) || !ids.has(dep)));
    if (ready.length === 0) return [...out, ...left];
    for (const s of ready) done.add(s.id);
    out.push(...ready);
    left = left.filter((s) => !done.has(s.id));
  }
  return out;
}

export function formatSteps(steps: readonly LifecycleStep[]): string {
  if (steps.length === 0) return "nothing to do\n";
  return steps.map((s, i) => `${String(i + 1).padStart(3)}. ${s.cause}${s.deps.length ? `  (after ${s.deps.join(", ")})` : ""}`).join("\n") + "\n";
}

export interface LifecycleContext {
  engine: Engine;
  events: EventBus;
  signal: AbortSignal;
}

async function runStep(step: LifecycleStep, ctx: LifecycleContext, projectName: string, signal: AbortSignal, readyTimeoutMs: number | undefined): Promise<void> {
  const { engine } = ctx;
  if (step.kind === "ready") return waitUntilReady(step, ctx, projectName, signal, readyTimeoutMs);
  const id = step.container.id;
  switch (step.kind) {
    case "start":
      return engine.containers.start(id, { signal });
    case "stop":
      return engine.containers.stop(id, { ...(step.timeout !== undefined ? { timeout: step.timeout } : {}), signal });
    case "restart":
      return engine.containers.restart(id, { ...(step.timeout !== undefined ? { timeout: step.timeout } : {}), signal });
    case "kill":
      return engine.containers.kill(id, { killSignal: step.signal, signal });
    case "pause":
      return engine.containers.pause(id, { signal });
    case "unpause":
      return engine.containers.unpause(id, { signal });
    case "remove":
      return engine.containers.remove(id, { volumes: step.volumes, signal });
  }
}

async function waitUntilReady(step: Extract<LifecycleStep, { kind: "ready" }>, ctx: LifecycleContext, projectName: string, signal: AbortSignal, readyTimeoutMs: number | undefined): Promise<void> {
  const { engine } = ctx;
  // Subscribed after the dependency was (re)started, never before: a restart's own `die` must
  // not read as the dependency failing. waitReady reads the state once subscribed, so nothing in
  // between is lost.
  await using watcher = await ContainerWatcher.start(engine, [`${ComposeLabel.project}=${projectName}`, `${ComposeLabel.service}=${step.service}`], signal);
  await Promise.all(
    step.containers.map((container) =>
      waitReady({ engine, watcher, service: step.service, container, condition: step.condition, signal, ...(readyTimeoutMs !== undefined ? { timeoutMs: readyTimeoutMs } : {}) }),
    ),
  );
}

/** Carries out steps in their order, in parallel where allowed, each reported as a step event. */
export interface ExecuteLifecycleOptions {
  readyTimeoutMs?: number;
  /** At most this many engine operations at once (`--parallel`); -1 or unset: no limit. */
  parallel?: number;
}

export async function executeLifecycle(steps: readonly LifecycleStep[], ctx: LifecycleContext, projectName: string, opts: ExecuteLifecycleOptions = {}): Promise<void> {
  await runDag(
    [...steps],
    async (step, signal) => {
      const started = performance.now();
      ctx.events.emit({ type: "step.start", step: step.id, cause: step.cause });
      try {
        await runStep(step, ctx, projectName, signal, opts.readyTimeoutMs);
        ctx.events.emit({ type: "step.end", step: step.id, ok: true, durationMs: performance.now() - started });
      } catch (err) {
        ctx.events.emit({ type: "step.end", step: step.id, ok: false, durationMs: performance.now() - started, error: err instanceof Error ? err.message.split("\n")[0]! : String(err) });
        throw err;
      }
    },
    ctx.signal,
    opts.parallel !== undefined && opts.parallel > 0 ? opts.parallel : Infinity,
  );
}

export interface LifecycleOptions {
  /** The project's file, when one was loaded. */
  project?: Project;
  services?: string[];
  /** Plan only: nothing changes. */
  dryRun?: boolean;
  /** At most this many engine operations at once (`--parallel`); -1 or unset: no limit. */
  parallel?: number;
}

async function observeAndRun(
  ctx: LifecycleContext,
  projectName: string,
  opts: LifecycleOptions,
  plan: (scope: LifecycleScope) => LifecycleStep[],
  exec: ExecuteLifecycleOptions = {},
): Promise<LifecycleStep[]> {
  const observed = await observeProject(ctx.engine, projectName, ctx.signal);
  const steps = plan({ observed, ...(opts.project ? { project: opts.project } : {}), ...(opts.services ? { services: opts.services } : {}) });
  if (!opts.dryRun) await executeLifecycle(steps, ctx, projectName, { ...exec, ...(opts.parallel !== undefined ? { parallel: opts.parallel } : {}) });
  return steps;
}

export function composeStart(ctx: LifecycleContext, projectName: string, opts: LifecycleOptions & { readyTimeoutMs?: number } = {}): Promise<LifecycleStep[]> {
  return observeAndRun(ctx, projectName, opts, planStart, opts.readyTimeoutMs !== undefined ? { readyTimeoutMs: opts.readyTimeoutMs } : {});
}

export function composeStop(ctx: LifecycleContext, projectName: string, opts: LifecycleOptions & { timeout?: number } = {}): Promise<LifecycleStep[]> {
  return observeAndRun(ctx, projectName, opts, (scope) => planStop({ ...scope, ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}) }));
}

export function composeRestart(ctx: LifecycleContext, projectName: string, opts: LifecycleOptions & { timeout?: number; noDeps?: boolean; readyTimeoutMs?: number } = {}): Promise<LifecycleStep[]> {
  return observeAndRun(
    ctx,
    projectName,
    opts,
    (scope) => planRestart({ ...scope, ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}), ...(opts.noDeps ? { noDeps: true } : {}) }),
    opts.readyTimeoutMs !== undefined ? { readyTimeoutMs: opts.readyTimeoutMs } : {},
  );
}

export function composeKill(ctx: LifecycleContext, projectName: string, opts: LifecycleOptions & { signal?: string; removeOrphans?: boolean } = {}): Promise<LifecycleStep[]> {
  return observeAndRun(ctx, projectName, opts, (scope) => planKill({ ...scope, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.removeOrphans ? { removeOrphans: true } : {}) }));
}

export function composePause(ctx: LifecycleContext, projectName: string, opts: LifecycleOptions = {}): Promise<LifecycleStep[]> {
  return observeAndRun(ctx, projectName, opts, planPause);
}

export function composeUnpause(ctx: LifecycleContext, projectName: string, opts: LifecycleOptions = {}): Promise<LifecycleStep[]> {
  return observeAndRun(ctx, projectName, opts, planUnpause);
}

export interface RemoveOptions extends LifecycleOptions {
  stop?: boolean;
  volumes?: boolean;
  timeout?: number;
  /**
   * Asked once the containers to remove are known (after `stop`'s stops, as compose asks), with
   * their names; nothing is removed unless it resolves true. Without it, nothing is asked.
   */
  confirm?: (names: string[]) => Promise<boolean>;
}

/** `rm`: returns the steps planned, and whether the removals ran (false when declined or dry). */
export async function composeRemove(ctx: LifecycleContext, projectName: string, opts: RemoveOptions = {}): Promise<{ steps: LifecycleStep[]; removed: boolean }> {
  const observed = await observeProject(ctx.engine, projectName, ctx.signal);
  const steps = planRemove({
    observed,
    ...(opts.project ? { project: opts.project } : {}),
    ...(opts.services ? { services: opts.services } : {}),
    ...(opts.stop ? { stop: true } : {}),
    ...(opts.volumes ? { volumes: true } : {}),
    ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
  });
  if (opts.dryRun) return { steps, removed: false };
  const removes = steps.filter((s) => s.kind === "remove");
  const exec = opts.parallel !== undefined ? { parallel: opts.parallel } : {};
  await executeLifecycle(steps.filter((s) => s.kind !== "remove"), ctx, projectName, exec);
  if (removes.length === 0) return { steps, removed: false };
  if (opts.confirm && !(await opts.confirm(removes.map((s) => (s.kind === "remove" ? s.container.name : ""))))) return { steps, removed: false };
  await executeLifecycle(removes.map((s) => ({ ...s, deps: [] })), ctx, projectName, exec);
  return { steps, removed: true };
}

