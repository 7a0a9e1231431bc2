/**
 * What the benches that deploy to the test world's 3-node swarm share (bench/deploy.ts,
 * bench/rollback.ts): node 1 and an engine on its socket, the one-service compose file they deploy,
 * their child processes timed from the spawn to the exit with every line they print, what the swarm
 * recorded of the service's last update, the sweep of what a run left, and Ctrl-C (no process
 * started after it, every one running killed, the bench's clean-up, exit 130).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { Engine, endpointFromEnv, type Service } from "../src/engine/index.ts";
import { ensureSwarm, type SwarmWorld } from "../test/support/swarm.ts";
import { median, s } from "./rounds.ts";

// ---------------------------------------------------------------------------------------------
// Node 1

/** The node the benches talk to: its socket, and its own docker CLI for docker's peer. */
export const NODE = "slipway-swarm-1";

/** The test world's swarm (made if need be), node 1's DOCKER_HOST and an engine on it. */
export async function connectNode(): Promise<{ swarm: SwarmWorld; endpoint: string; engine: Engine }> {
  const swarm = await ensureSwarm();
  const endpoint = swarm.nodes.find((n) => n.container === NODE)?.dockerHost;
  if (!endpoint) throw new Error(`${swarm.path}: no node ${NODE}`);
  const engine = await Engine.connect({ endpoint: endpointFromEnv({ DOCKER_HOST: endpoint }) });
  return { swarm, endpoint, engine };
}

/** busybox:latest pinned by the digest node 1 resolves it to, once: no run then resolves a tag. */
export async function pinnedBusybox(engine: Engine): Promise<string> {
  const { Descriptor } = await engine.images.distribution("busybox:latest");
  return `busybox:latest@${Descriptor.digest}`;
}

/** The commit the bundle is built from (short; `unknown` outside git) and `git status --porcelain -- src` (empty when src/ is clean). */
export async function workingTree(): Promise<{ revision: string; srcChanges: string }> {
  const [revision, srcChanges] = await Promise.all([
    exec("git", ["rev-parse", "--short", "HEAD"]).catch(() => "unknown"),
    exec("git", ["status", "--porcelain", "--", "src"]).catch(() => ""),
  ]);
  return { revision, srcChanges };
}

// ---------------------------------------------------------------------------------------------
// The compose file

/** The healthcheck's worst case (1 s + 1 s × 2) + 1 s: what Slipway sets when unset. */
const MONITOR = "4s";

/**
 * The stack the benches deploy: one service, `web`, a busybox that prints its `VERSION` and sleeps;
 * healthcheck every 1 s, 2 retries, start period 1 s (`exit 1` when not `healthy`); init and
 * stop_grace_period 1 s, so stops are fast; update and rollback parallelism 1, stop-first, monitor
 * 4 s, the update's failure_action rollback, the rollback's pause; endpoint_mode dnsrr, no ports.
 * `replicas` 2 and `healthy` unless said.
 */
export function composeFile(web: { image: string; version: string; replicas?: number; healthy?: boolean }): string {
  const { image, version, replicas = 2, healthy = true } = web;
  return `services:
  web:
    image: ${image}
    init: true
    stop_grace_period: 1s
    command: ["sh", "-c", "echo web $$VERSION up; exec sleep 3600"]
    environment: { VERSION: "${version}" }
    healthcheck:
      test: ["CMD-SHELL", "${healthy ? "true" : "exit 1"}"]
      interval: 1s
      retries: 2
      start_period: 1s
    deploy:
      replicas: ${replicas}
      endpoint_mode: dnsrr
      update_config: { parallelism: 1, order: stop-first, failure_action: rollback, monitor: ${MONITOR} }
      rollback_config: { parallelism: 1, order: stop-first, failure_action: pause, monitor: ${MONITOR} }
`;
}

// ---------------------------------------------------------------------------------------------
// Processes

export interface Run {
  exitCode: number;
  wallMs: number;
  /** Epoch ms of the spawn and of the exit, on the machine's clock (the nodes share it). */
  spawnEpochMs: number;
  exitEpochMs: number;
  /** Lines of stdout and stderr with ms since spawn. */
  lines: { at: number; text: string }[];
}

/** A deploy or rollback slower than this is broken, not slow: its process group gets SIGINT. */
const PEER_TIMEOUT_MS = 180_000;

const live = new Set<ChildProcess>();
/** Set by Ctrl-C (`onInterrupt`): no process is started after it. */
export let stopping = false;
const epochOf = (perfMs: number) => performance.timeOrigin + perfMs;

/**
 * A process in a group of its own (so a Ctrl-C sweep can end all of it), timed from spawn to exit.
 * `stdin` is written to it and closed (no stdin without it); `env` is added to this process's.
 */
export function runProcess(command: string, args: string[], cwd: string, opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const { stdin, env = {} } = opts;
  return new Promise((resolve, reject) => {
    if (stopping) return reject(new Error("interrupted"));
    const lines: { at: number; text: string }[] = [];
    const t0 = performance.now();
    const child = spawn(command, args, { cwd, detached: true, env: { ...process.env, ...env }, stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    live.add(child);
    const reader = () => {
      let pending = "";
      return (c: Buffer) => {
        const at = performance.now() - t0;
        const text = pending + c.toString("utf8");
        const cut = text.lastIndexOf("\n");
        pending = text.slice(cut + 1);
        for (const line of text.slice(0, cut + 1).split("\n")) if (line) lines.push({ at, text: line });
      };
    };
    child.stdout!.on("data", reader());
    child.stderr!.on("data", reader());
    if (stdin !== undefined) child.stdin!.end(stdin);
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGINT");
      } catch {
        // Already gone.
      }
    }, PEER_TIMEOUT_MS);
    let exit: { code: number; at: number } | undefined;
    // `exit`, not `close`: the moment the process ended, not when its pipes drained.
    child.on("exit", (code, sig) => (exit = { code: code ?? (sig ? 128 : 1), at: performance.now() }));
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      live.delete(child);
      const e = exit ?? { code: 1, at: performance.now() };
      resolve({ exitCode: e.code, wallMs: e.at - t0, spawnEpochMs: epochOf(t0), exitEpochMs: epochOf(e.at), lines });
    });
  });
}

/** Start-up alone, for reading the figures: the median wall time of 3 runs after one warm-up, ms. */
export async function startupMs(command: string, args: string[], cwd: string): Promise<number> {
  const walls: number[] = [];
  for (let i = 0; i < 4; i++) walls.push((await runProcess(command, args, cwd)).wallMs);
  return median(walls.slice(1));
}

/** A command's stdout, trimmed; rejects when it fails. Untimed, and not stopped by Ctrl-C. */
export async function exec(command: string, args: string[], cwd = process.cwd()): Promise<string> {
  const { stdout } = await promisify(execFile)(command, args, { cwd, maxBuffer: 16 << 20 });
  return stdout.trim();
}

/**
 * Ctrl-C, once: `stopping` is set, every running process's group is killed, `announce` runs, then
 * `cleanUp`; what it says it could not remove is printed, and the process exits 130 (also when the
 * clean-up fails).
 */
export function onInterrupt(announce: () => void, cleanUp: () => Promise<string[]>): void {
  process.once("SIGINT", () => {
    stopping = true;
    for (const c of live) {
      try {
        process.kill(-c.pid!, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    announce();
    void cleanUp()
      .then((left) => left.length && console.error(`left behind: ${left.join(", ")}`))
      .finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// What the swarm recorded

/** The engine's RFC 3339 time with nanoseconds, as epoch ms with the sub-ms part kept. */
export function epochMsOf(rfc3339: string | undefined): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(rfc3339 ?? "");
  if (!m) return Number.NaN;
  return Date.parse(`${m[1]}${m[3]}`) + Number(`0.${m[2] ?? "0"}`) * 1000;
}

export interface Recorded {
  /** UpdateStatus.State, `(none)` before the service's first update. */
  state: string;
  /** UpdateStatus.StartedAt and CompletedAt, epoch ms (NaN when absent). */
  startedEpochMs: number;
  completedEpochMs: number;
  /** The service's environment, `VERSION=…` among it. */
  env: string[];
  service: Service;
}

/** The stack's `web` service as the manager has it now: its last update's state and times. */
export async function recorded(engine: Engine, stack: string): Promise<Recorded> {
  const service = await engine.services.inspect(`${stack}_web`);
  const u = service.UpdateStatus;
  return { state: u?.State ?? "(none)", startedEpochMs: epochMsOf(u?.StartedAt), completedEpochMs: epochMsOf(u?.CompletedAt), env: service.Spec.TaskTemplate.ContainerSpec?.Env ?? [], service };
}

// ---------------------------------------------------------------------------------------------
// Clean-up

/**
 * Every service, then every network, whose stack namespace is `stack` or starts with `prefix`,
 * and the releases recorded for those stacks, through the engine API. Returns the names of the
 * services and networks still there.
 */
export async function sweep(engine: Engine, which: { stack: string } | { prefix: string }): Promise<string[]> {
  const mine = (labels: Record<string, string> | null | undefined) => {
    const namespace = labels?.["com.docker.stack.namespace"];
    return namespace !== undefined && ("stack" in which ? namespace === which.stack : namespace.startsWith(which.prefix));
  };
  for (const svc of (await engine.services.list()).filter((x) => mine(x.Spec.Labels))) await engine.services.remove(svc.ID);
  // A network is refused while the removed services' tasks still hold it: a few tries.
  let left: string[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    left = [];
    for (const n of (await engine.networks.list()).filter((x) => mine(x.Labels))) await engine.networks.remove(n.Id).catch(() => left.push(n.Name));
    if (!left.length) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  // The releases the deploys recorded (they carry no namespace label: the history outlives a stack).
  for (const c of await engine.configs.list({ filters: { label: ["dev.slipway.release.stack"] } })) {
    const stack = c.Spec.Labels?.["dev.slipway.release.stack"] ?? "";
    if ("stack" in which ? stack === which.stack : stack.startsWith(which.prefix)) await engine.configs.remove(c.ID).catch(() => undefined);
  }
  return [...(await engine.services.list()).filter((x) => mine(x.Spec.Labels)).map((x) => x.Spec.Name), ...left];
}

// ---------------------------------------------------------------------------------------------
// Figures

/** Seconds with two decimals, `–` for a figure that is missing (NaN). */
export const sec = (ms: number) => (Number.isFinite(ms) ? s(ms) : "–");

/** Median [min–max] in seconds, of the figures that are there. */
export const spreadS = (ms: readonly number[]) => {
  const v = ms.filter(Number.isFinite);
  return v.length ? `${(median(v) / 1000).toFixed(2)} s [${(Math.min(...v) / 1000).toFixed(2)}–${(Math.max(...v) / 1000).toFixed(2)}]` : "–";
};

/** The 1, 5 and 15 minute load averages. */
export const loads = () => loadavg().map((l) => l.toFixed(1)).join(" ");
