/**
 * Slipway's compose runner against its peers, measured in one process against the real engine:
 *
 *   1. `up -d` and `down -v -t 1`, separately, of 1, 10 and 30 busybox services (`sleep 300`,
 *      `init: true`, `stop_grace_period: 1s`):
 *        slipway       the library in-process: loadProject + composeUp / loadProject + composeDown
 *        cli           `slipway compose` as a process: the published CLI, bundled from the working
 *                      tree by scripts/bundle-cli.mjs (what `npm run build` makes, dist/bin/slipway.js)
 *        cli (tsx)     `node bin/slipway-dev.mjs compose`, the development entry point; by default
 *                      only for 1 service and ps, since its cost over `cli` is a constant start-up
 *        compose v2    `docker compose up -d` / `down -v -t 1`
 *        compose v1    `docker-compose up -d` / `down -v -t 1`
 *        floor         raw undici on the socket, no Slipway code: create the network, create every
 *                      container in parallel, start every container in parallel; down: force-remove
 *                      every container in parallel, remove the network
 *      targets: slipway ≤ 1.0 × compose v2 and ≤ 1.1 × the floor, for up and for down.
 *   2. health-gated start: `db` with a healthcheck (interval 1 s; ready after 0.3 s) and nine services
 *      depending on it `service_healthy`, timed until all ten are up: composeUp with `wait: true`,
 *      `up --wait` for the CLIs and compose v2, and for compose v1 (no --wait) `up -d` then polling the
 *      engine every 100 ms until every container is running and healthy (compose-wait.sh does the
 *      same with `docker-compose ps` every 0.5 s, which would cost v1 more).    target ≤ 0.6 × v2
 *      oracle floor  raw undici: everything created before db starts, and the dependents started
 *                    0.3 s after db's start returns, when its ready file is known to exist without
 *                    looking: the least time any runner that honours the gate can take here.
 *   3. `ps` of a 100-service project (brought up once, by Slipway): composePs with a warm engine,
 *      and every CLI as a process.                                             target ≤ 0.3 s
 *
 * Each round runs every peer once per scenario, in an order rotated every round, so drift in the
 * machine's load hits all of them; each ratio is computed per round, and the figure is the median
 * over rounds, with the spread. Processes pay their own start-up (node, python, go); the library
 * peer and the floor keep one warm connection pool, as a long-running pipeline does.
 *
 * A peer that fails (the engine has failures of its own, see `attempt`) is logged and left out of
 * the figures; everything the bench made is swept by label at the end, and on Ctrl-C.
 *
 * Profile: the library peer's engine is connected with a `trace` callback, so every round also
 * yields the timeline of its engine calls; the floor records its own; compose v2 and the CLI run
 * once more, untimed, through a logging proxy on a unix socket (`TracingProxy`). The tables at the
 * end list, per endpoint, count, first start, last end and latency, from the median round.
 *
 *   node --import tsx bench/compose.ts [--rounds 3] [--sizes 1,10,30] [--ps 100] [--ps-rounds 5]
 *        [--skip up,health,ps] [--dev-cli small|all|none] [--profile-v2 health|all|none] [--json]
 *
 * About 10 minutes at load average ≈ 8 on 2 cores (13 at load 30–50: the engine's starts slow down).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { buildPublishedCli } from "./published-cli.ts";
import { Pool } from "undici";
import { loadProject } from "../src/compose/load/index.ts";
import { composeDown } from "../src/compose/runner/down.ts";
import { composePs } from "../src/compose/runner/ps.ts";
import { composeUp } from "../src/compose/runner/up.ts";
import { Engine, endpointFromEnv, type TraceRecord } from "../src/engine/index.ts";
import { EventBus } from "../src/events/index.ts";
import { newRunId } from "../src/run/identity.ts";
import { createRunContext, type RunContext } from "../src/run/context.ts";

const IMAGE = "busybox:latest";
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PROJECT_LABEL = "com.docker.compose.project";
const BENCH_LABEL = "dev.slipway.bench";
/** Any peer that takes longer than this is broken, not slow. */
const PEER_TIMEOUT_MS = 180_000;

// ---------------------------------------------------------------------------------------------
// Options and statistics

interface Options {
  rounds: number;
  sizes: number[];
  psServices: number;
  psRounds: number;
  skip: Set<string>;
  /** Where the tsx CLI runs: its cost over the compiled CLI is a constant start-up, so by default
   * only where start-up dominates (1 service, ps). */
  devCli: "all" | "small" | "none";
  /** Trace compose v2's engine calls through a logging proxy, once, untimed (health; all: also up/down). */
  profileV2: "health" | "all" | "none";
  json: boolean;
}

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

function numberFlag(name: string, fallback: number): number {
  const value = Number(flag(name));
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function median(values: readonly number[]): number {
  const sorted = [...values].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

const seconds = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "–");

// ---------------------------------------------------------------------------------------------
// Fixtures: compose files written at run time into a temporary directory

function plainServices(n: number): string {
  const lines = ["services:"];
  for (let i = 1; i <= n; i++) {
    lines.push(
      `  s${i}:`,
      `    image: ${IMAGE}`,
      `    command: ["sleep", "300"]`,
      `    init: true`,
      `    stop_grace_period: 1s`,
    );
  }
  return lines.join("\n") + "\n";
}

const HEALTH_DEPENDENTS = 9;
/** How long `db` takes to become ready in the health-gated file. */
const HEALTH_READY_MS = 300;
const DB_COMMAND = `sleep ${HEALTH_READY_MS / 1000}; touch /tmp/ok; sleep 300`;

function healthGated(): string {
  const lines = [
    "services:",
    "  db:",
    `    image: ${IMAGE}`,
    `    command: ["sh", "-c", "${DB_COMMAND}"]`,
    "    init: true",
    "    stop_grace_period: 1s",
    "    healthcheck:",
    `      test: ["CMD", "test", "-f", "/tmp/ok"]`,
    "      interval: 1s",
    "      timeout: 1s",
    "      retries: 30",
  ];
  for (let i = 1; i <= HEALTH_DEPENDENTS; i++) {
    lines.push(
      `  w${i}:`,
      `    image: ${IMAGE}`,
      `    command: ["sleep", "300"]`,
      "    init: true",
      "    stop_grace_period: 1s",
      "    depends_on:",
      "      db:",
      "        condition: service_healthy",
    );
  }
  return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// Engine call timelines (the library's trace, and the floor's own)

interface Call {
  method: string;
  path: string;
  status: number | "error";
  /** ms since the timed operation began */
  start: number;
  end: number;
}

class Timeline {
  readonly calls: Call[] = [];
  readonly marks: { name: string; at: number }[] = [];
  #origin = performance.now();

  reset(): void {
    this.calls.length = 0;
    this.marks.length = 0;
    this.#origin = performance.now();
  }

  record(r: TraceRecord): void {
    const end = performance.now() - this.#origin;
    this.calls.push({ method: r.method, path: r.path, status: r.status, start: end - r.ms, end });
  }

  mark(name: string): void {
    this.marks.push({ name, at: performance.now() - this.#origin });
  }

  snapshot(): { calls: Call[]; marks: { name: string; at: number }[] } {
    return { calls: [...this.calls], marks: [...this.marks] };
  }
}

/** Groups calls by endpoint, with ids and names replaced: `POST /containers/{id}/start`. */
function endpointOf(call: Call): string {
  const p = call.path
    .replace(/^\/v1\.\d+/, "")
    .replace(/^\/images\/.+\/json$/, "/images/{ref}/json")
    .replace(/^\/(containers|networks|volumes|exec)\/(?!create$|json$|prune$)[^/]+/, "/$1/{id}");
  return `${call.method} ${p}`;
}

interface EndpointStats {
  endpoint: string;
  count: number;
  firstStart: number;
  lastEnd: number;
  medianMs: number;
  maxMs: number;
}

/**
 * Per endpoint: count, span and latency. With `firstStartApart`, the first container start is its
 * own row: in the health-gated scenario that is the healthy service's, the others wait for it.
 */
function endpointStats(calls: readonly Call[], firstStartApart = false): EndpointStats[] {
  const groups = new Map<string, Call[]>();
  let firstStart = firstStartApart;
  for (const c of [...calls].sort((a, b) => a.start - b.start)) {
    let key = endpointOf(c);
    if (firstStart && key === "POST /containers/{id}/start") {
      key += " (first)";
      firstStart = false;
    }
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups]
    .map(([endpoint, list]) => ({
      endpoint,
      count: list.length,
      firstStart: Math.min(...list.map((c) => c.start)),
      lastEnd: Math.max(...list.map((c) => c.end)),
      medianMs: median(list.map((c) => c.end - c.start)),
      maxMs: Math.max(...list.map((c) => c.end - c.start)),
    }))
    .sort((a, b) => a.firstStart - b.firstStart);
}

/**
 * A unix-socket proxy in front of the engine that logs each request line and its response status
 * line (Go's and Python's clients never pipeline, so responses pair with requests in order per
 * connection): how compose v2 and the CLI spend their time, seen from the engine's side. Used only
 * for the profile, never for a timed figure.
 */
class TracingProxy {
  readonly timeline = new Timeline();
  readonly socketPath: string;
  readonly #server: Server;
  readonly #sockets: Set<Socket>;

  private constructor(socketPath: string, server: Server, sockets: Set<Socket>) {
    this.socketPath = socketPath;
    this.#server = server;
    this.#sockets = sockets;
  }

  static async start(dir: string, engineSocket: string): Promise<TracingProxy> {
    const socketPath = path.join(dir, "trace.sock");
    let proxy: TracingProxy | undefined;
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const upstream = createConnection(engineSocket);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.once("close", () => sockets.delete(s));
      }
      const pending: { method: string; path: string; at: number }[] = [];
      client.on("data", (chunk: Buffer) => {
        for (const m of chunk.toString("latin1").matchAll(/(GET|HEAD|POST|PUT|DELETE) (\/\S*) HTTP\/1\.[01]\r\n/g)) {
          pending.push({ method: m[1]!, path: m[2]!.split("?")[0]!, at: performance.now() });
        }
      });
      upstream.on("data", (chunk: Buffer) => {
        for (const m of chunk.toString("latin1").matchAll(/HTTP\/1\.[01] (\d{3}) /g)) {
          const request = pending.shift();
          if (request) proxy?.timeline.record({ method: request.method, path: request.path, status: Number(m[1]), ms: performance.now() - request.at });
        }
      });
      client.pipe(upstream).pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => server.listen(socketPath, resolve).once("error", reject));
    proxy = new TracingProxy(socketPath, server, sockets);
    return proxy;
  }

  get env(): Record<string, string> {
    return { DOCKER_HOST: `unix://${this.socketPath}` };
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------------------------------------
// Peers

interface UpTarget {
  file: string;
  project: string;
  /** Containers the project has when up (for v1's poll). */
  containers: number;
}

interface RunOptions {
  wait?: boolean;
  /** Extra environment for process peers (DOCKER_HOST of the tracing proxy). */
  env?: Record<string, string>;
}

interface Peer {
  name: string;
  up(t: UpTarget, opts?: RunOptions): Promise<void>;
  down(t: UpTarget, opts?: RunOptions): Promise<void>;
  ps?(t: UpTarget, env?: Record<string, string>): Promise<number>;
}

interface ProcessResult {
  stdout: string;
  stderr: string;
}

function runProcess(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString("utf8")).slice(-4000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), PEER_TIMEOUT_MS);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code ?? sig}:\n${stderr.trim().split("\n").slice(-8).join("\n")}`));
    });
  });
}

/** A CLI peer: `prefix... -f F -p P up|down|ps`, with the flags each dialect spells its own way. */
function processPeer(name: string, command: string, prefix: string[], upWait: (t: UpTarget) => Promise<void> = async () => {}): Peer {
  const base = (t: UpTarget) => [...prefix, "-f", t.file, "-p", t.project];
  return {
    name,
    async up(t, { wait = false, env } = {}) {
      const waitFlag = wait && name !== "compose v1" ? ["--wait"] : [];
      await runProcess(command, [...base(t), "up", "-d", ...waitFlag], path.dirname(t.file), env);
      if (wait) await upWait(t);
    },
    async down(t, { env } = {}) {
      await runProcess(command, [...base(t), "down", "-v", "-t", "1"], path.dirname(t.file), env);
    },
    async ps(t, env) {
      const { stdout } = await runProcess(command, [...base(t), "ps"], path.dirname(t.file), env);
      return stdout.trim().split("\n").length - 1;
    },
  };
}

/** Raw undici on the engine's socket: the floor, and compose v1's `--wait` stand-in. */
class RawEngine {
  readonly #pool: Pool;
  readonly #v: string;
  readonly timeline = new Timeline();
  /** Container ids per project, for the floor's down. */
  readonly #created = new Map<string, { network: string; containers: string[] }>();

  constructor(socketPath: string, apiVersion: string) {
    this.#pool = new Pool("http://docker", { socketPath, keepAliveTimeout: 30_000, bodyTimeout: 0, headersTimeout: 0 });
    this.#v = `/v${apiVersion}`;
  }

  async #call(method: "GET" | "POST" | "DELETE", p: string, body?: unknown, expect: number[] = [200, 201, 204]): Promise<unknown> {
    const started = performance.now();
    const response = await this.#pool.request({
      method,
      path: this.#v + p,
      ...(body !== undefined ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {}),
    });
    const text = await response.body.text();
    const bare = p.split("?")[0]!;
    this.timeline.record({ method, path: bare, status: response.statusCode, ms: performance.now() - started });
    if (!expect.includes(response.statusCode)) throw new Error(`${method} ${bare}: HTTP ${response.statusCode} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  }

  /** The fewest calls that give what `compose up -d` gives: labelled network and containers, with aliases. */
  async up(project: string, services: number): Promise<void> {
    const network = await this.#network(project);
    const names = Array.from({ length: services }, (_, i) => `s${i + 1}`);
    const ids = await Promise.all(names.map((service) => this.#create(project, network, service, ["sleep", "300"])));
    this.#created.set(project, { network, containers: ids });
    await Promise.all(ids.map((id) => this.#call("POST", `/containers/${id}/start`)));
  }

  /**
   * The health-gated scenario done by an oracle: every container created before `db` starts, and
   * the dependents started the instant `db`'s ready file exists, known without looking (its
   * process sleeps ${HEALTH_READY_MS} ms from before its start returns, so waiting that long after
   * the return is never early). No readiness detection at all: what no correct runner can beat.
   */
  async upGatedOracle(project: string, dependents: number): Promise<void> {
    const network = await this.#network(project);
    const names = Array.from({ length: dependents }, (_, i) => `w${i + 1}`);
    const [db, ...ids] = await Promise.all([
      this.#create(project, network, "db", ["sh", "-c", DB_COMMAND]),
      ...names.map((service) => this.#create(project, network, service, ["sleep", "300"])),
    ]);
    this.#created.set(project, { network, containers: [db!, ...ids] });
    await this.#call("POST", `/containers/${db}/start`);
    await new Promise((r) => setTimeout(r, HEALTH_READY_MS));
    await Promise.all(ids.map((id) => this.#call("POST", `/containers/${id}/start`)));
  }

  async #network(project: string): Promise<string> {
    const network = `${project}_default`;
    await this.#call("POST", "/networks/create", { Name: network, CheckDuplicate: true, Labels: this.#labels(project, { "com.docker.compose.network": "default" }) });
    return network;
  }

  #labels(project: string, extra: Record<string, string>): Record<string, string> {
    return { [PROJECT_LABEL]: project, [BENCH_LABEL]: "floor", ...extra };
  }

  async #create(project: string, network: string, service: string, cmd: string[]): Promise<string> {
    const body = {
      Image: IMAGE,
      Cmd: cmd,
      StopTimeout: 1,
      Labels: this.#labels(project, { "com.docker.compose.service": service, "com.docker.compose.container-number": "1", "com.docker.compose.oneoff": "False" }),
      HostConfig: { Init: true, NetworkMode: network, RestartPolicy: { Name: "no" } },
      NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [service] } } },
    };
    const created = (await this.#call("POST", `/containers/create?name=${project}-${service}-1`, body)) as { Id: string };
    return created.Id;
  }

  async down(project: string): Promise<void> {
    const made = this.#created.get(project);
    if (!made) throw new Error(`floor: nothing created for ${project}`);
    await Promise.all(made.containers.map((id) => this.#call("DELETE", `/containers/${id}?force=true&v=true`)));
    await this.#call("DELETE", `/networks/${made.network}`);
    this.#created.delete(project);
  }

  /** compose v1 has no `up --wait`: poll until every container is running, and healthy if it has a healthcheck. */
  async waitAllUp(project: string, expected: number, timeoutMs = 60_000): Promise<void> {
    const filters = encodeURIComponent(JSON.stringify({ label: [`${PROJECT_LABEL}=${project}`] }));
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const list = (await this.#call("GET", `/containers/json?all=true&filters=${filters}`)) as { State: string; Status: string; Names: string[] }[];
      const failed = list.find((c) => c.State === "exited" || c.Status.includes("(unhealthy)"));
      if (failed) throw new Error(`compose v1: ${failed.Names[0]} is ${failed.Status}`);
      if (list.length >= expected && list.every((c) => c.State === "running" && !c.Status.includes("(health: starting)"))) return;
      if (performance.now() > deadline) throw new Error(`compose v1: not all up after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Removes everything labelled with one of these projects: the safety net for failures and
   * Ctrl-C. Returns how much it removed and what it could not (a network with a stale endpoint
   * stays until the engine restarts: moby/moby#43286).
   */
  async sweep(projects: Iterable<string>): Promise<{ removed: number; stuck: string[] }> {
    let removed = 0;
    const stuck: string[] = [];
    for (const project of projects) {
      try {
        const filters = encodeURIComponent(JSON.stringify({ label: [`${PROJECT_LABEL}=${project}`] }));
        const containers = (await this.#call("GET", `/containers/json?all=true&filters=${filters}`)) as { Id: string }[];
        await Promise.all(containers.map((c) => this.#call("DELETE", `/containers/${c.Id}?force=true&v=true`, undefined, [204, 404])));
        const volumes = (await this.#call("GET", `/volumes?filters=${filters}`)) as { Volumes: { Name: string }[] | null };
        await Promise.all((volumes.Volumes ?? []).map((v) => this.#call("DELETE", `/volumes/${v.Name}`, undefined, [204, 404])));
        removed += containers.length + (volumes.Volumes ?? []).length;
        const networks = (await this.#call("GET", `/networks?filters=${filters}`)) as { Id: string; Name: string }[];
        for (const n of networks) {
          // The engine may still be detaching containers it has just removed.
          for (let attempt = 1; ; attempt++) {
            try {
              await this.#call("DELETE", `/networks/${n.Id}`, undefined, [204, 404]);
              removed += 1;
              break;
            } catch (err) {
              if (attempt === 3) {
                stuck.push(`${n.Name}: ${(err as Error).message.slice(0, 200)}`);
                break;
              }
              await new Promise((r) => setTimeout(r, 1000));
            }
          }
        }
      } catch (err) {
        stuck.push(`${project}: ${(err as Error).message.slice(0, 200)}`);
      }
    }
    this.#created.clear();
    return { removed, stuck };
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

/** The library in-process, with one engine connected (and traced) for the whole bench. */
class LibraryPeer implements Peer {
  readonly name = "slipway";
  readonly timeline: Timeline;
  readonly ctx: RunContext;

  private constructor(ctx: RunContext, timeline: Timeline) {
    this.ctx = ctx;
    this.timeline = timeline;
  }

  static async connect(timeline: Timeline): Promise<LibraryPeer> {
    const engine = await Engine.connect({ endpoint: endpointFromEnv(process.env), trace: (r) => timeline.record(r) });
    const events = new EventBus();
    events.on((e) => {
      if (e.type === "step.end" && e.step.startsWith("ready:")) timeline.mark(`${e.step} done`);
    });
    const ctx = createRunContext({ engine, events, runId: `bench-${newRunId()}` });
    return new LibraryPeer(ctx, timeline);
  }

  async #load(t: UpTarget) {
    const project = await loadProject({ workingDir: path.dirname(t.file), files: [t.file], projectName: t.project, env: envRecord(process.env) });
    this.timeline.mark("loaded");
    return project;
  }

  async up(t: UpTarget, { wait = false }: RunOptions = {}): Promise<void> {
    const project = await this.#load(t);
    await composeUp(this.ctx, project, { lifetime: "persistent", ...(wait ? { wait: true } : {}) });
  }

  async down(t: UpTarget): Promise<void> {
    const project = await this.#load(t);
    await composeDown(this.ctx, t.project, { project, removeVolumes: true, timeout: 1 });
  }

  async ps(t: UpTarget): Promise<number> {
    return (await composePs(this.ctx.engine, t.project)).length;
  }
}

function envRecord(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Scenarios

type Samples = Map<string, number[]>;

function push(samples: Samples, peer: string, ms: number): void {
  samples.set(peer, [...(samples.get(peer) ?? []), ms]);
}

interface Ratio {
  name: string;
  of: string;
  to: string;
  target?: number;
}

interface RowResult {
  scenario: string;
  medians: Record<string, number>;
  /** Failed runs per peer (left out of the medians). */
  failed: Record<string, number>;
  ratios: { name: string; median: number; min: number; max: number; target?: number; met?: boolean }[];
  targetSeconds?: { peer: string; seconds: number; met: boolean };
}

/** Ratios per round (peers ran in the same round, so under the same load), then their median. */
function summarize(scenario: string, samples: Samples, ratios: Ratio[]): RowResult {
  const medians: Record<string, number> = {};
  const failed: Record<string, number> = {};
  for (const [peer, values] of samples) {
    medians[peer] = median(values);
    const n = values.filter((v) => !Number.isFinite(v)).length;
    if (n) failed[peer] = n;
  }
  return {
    scenario,
    medians,
    failed,
    ratios: ratios
      .filter((r) => samples.has(r.of) && samples.has(r.to))
      .map((r) => {
        const a = samples.get(r.of)!;
        const b = samples.get(r.to)!;
        const perRound = a.map((v, i) => v / b[i]!).filter((v) => Number.isFinite(v));
        const m = median(perRound);
        return {
          name: r.name,
          median: m,
          min: Math.min(...perRound),
          max: Math.max(...perRound),
          ...(r.target !== undefined ? { target: r.target, met: m <= r.target } : {}),
        };
      }),
  };
}

interface Bench {
  options: Options;
  dir: string;
  tag: string;
  lib: LibraryPeer;
  raw: RawEngine;
  peers: Peer[];
  proxy: TracingProxy | undefined;
  projects: Set<string>;
  failures: string[];
  log: (line: string) => void;
}

/** The tsx CLI's cost over the compiled CLI is its start-up: by default it runs only where that dominates. */
function peersFor(b: Bench, small: boolean): Peer[] {
  return b.peers.filter((p) => p.name !== "cli (tsx)" || b.options.devCli === "all" || (small && b.options.devCli === "small"));
}

function projectName(b: Bench, scenario: string, peer: string, round: number | string): string {
  const short = peer.replace(/[^a-z0-9]/g, "");
  const name = `swb${b.tag}-${scenario}-${short}-r${round}`;
  b.projects.add(name);
  return name;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/**
 * A peer's failure is a finding, not the end of the bench: it is logged, counted, and its sample
 * is NaN (left out of medians and ratios). The engine under test has known failures of its own,
 * e.g. a network that keeps a stale endpoint after its containers are gone (moby/moby#43286).
 */
async function attempt(b: Bench, peer: string, what: string, work: () => Promise<unknown>): Promise<number> {
  try {
    return await timed(work);
  } catch (err) {
    b.failures.push(`${peer} ${what}: ${(err as Error).message.split("\n").slice(0, 3).join(" / ")}`);
    b.log(`    ${peer} ${what} FAILED: ${(err as Error).message.split("\n").slice(-2).join(" / ")}`);
    return Number.NaN;
  }
}

type Trace = ReturnType<Timeline["snapshot"]>;

interface Profile extends Trace {
  ms: number;
  firstStartApart?: boolean;
}

type Profiles = Record<string, Profile>;

/** The traced round whose time is the median one. */
function medianRound<T extends { ms: number }>(rounds: T[]): T | undefined {
  const m = median(rounds.map((r) => r.ms));
  return rounds.reduce<T | undefined>((best, r) => (!best || Math.abs(r.ms - m) < Math.abs(best.ms - m) ? r : best), undefined);
}

/** One untimed run of process peers through the tracing proxy, for the profile. */
async function profileProcesses(
  b: Bench,
  label: string,
  file: string,
  containers: number,
  wait: boolean,
  profiles: Profiles,
): Promise<void> {
  if (!b.proxy) return;
  for (const peer of b.peers.filter((p) => p.name === "compose v2" || p.name === "cli")) {
    const t = { file, project: projectName(b, "prof", peer.name, label.replace(/[^a-z0-9]/g, "")), containers };
    b.proxy.timeline.reset();
    const upMs = await attempt(b, peer.name, `${label} up (traced)`, () => peer.up(t, { wait, env: b.proxy!.env }));
    profiles[`${label} up: ${peer.name} (through the tracing proxy)`] = { ...b.proxy.timeline.snapshot(), ms: upMs, firstStartApart: wait };
    b.proxy.timeline.reset();
    const downMs = await attempt(b, peer.name, `${label} down (traced)`, () => peer.down(t, { env: b.proxy!.env }));
    if (!wait) profiles[`${label} down: ${peer.name} (through the tracing proxy)`] = { ...b.proxy.timeline.snapshot(), ms: downMs };
  }
}

async function benchUpDown(b: Bench, sizes: number[]): Promise<{ rows: RowResult[]; profiles: Profiles }> {
  const rows: RowResult[] = [];
  const profiles: Profiles = {};
  const floor: Peer = {
    name: "floor",
    up: (t) => b.raw.up(t.project, t.containers),
    down: (t) => b.raw.down(t.project),
  };
  for (const n of sizes) {
    const peers = [...peersFor(b, n === 1), floor];
    const file = path.join(b.dir, `services-${n}.yml`);
    await writeFile(file, plainServices(n));
    const up: Samples = new Map();
    const down: Samples = new Map();
    const traced = new Map<string, { up: Profile[]; down: Profile[] }>([
      ["slipway", { up: [], down: [] }],
      ["floor", { up: [], down: [] }],
    ]);
    for (let round = 0; round < b.options.rounds; round++) {
      const parts: string[] = [];
      for (const peer of rotate(peers, round)) {
        const t = { file, project: projectName(b, `n${n}`, peer.name, round), containers: n };
        const timeline = peer === floor ? b.raw.timeline : peer === b.lib ? b.lib.timeline : undefined;
        timeline?.reset();
        const upMs = await attempt(b, peer.name, `up ${n}`, () => peer.up(t));
        const upTrace = timeline?.snapshot();
        timeline?.reset();
        const downMs = await attempt(b, peer.name, `down ${n}`, () => peer.down(t));
        const downTrace = timeline?.snapshot();
        push(up, peer.name, upMs);
        push(down, peer.name, downMs);
        if (upTrace && downTrace && Number.isFinite(upMs) && Number.isFinite(downMs)) {
          traced.get(peer.name)!.up.push({ ...upTrace, ms: upMs });
          traced.get(peer.name)!.down.push({ ...downTrace, ms: downMs });
        }
        parts.push(`${peer.name} ${seconds(upMs)}/${seconds(downMs)}`);
      }
      b.log(`  ${n} services, round ${round + 1}: up/down ${parts.join(", ")}  (load ${loadavg()[0]!.toFixed(1)})`);
    }
    for (const [peer, t] of traced) {
      const u = medianRound(t.up);
      const d = medianRound(t.down);
      if (u) profiles[`up ${n}: ${peer}`] = u;
      if (d) profiles[`down ${n}: ${peer}`] = d;
    }
    if (b.options.profileV2 === "all" && n === Math.max(...sizes)) await profileProcesses(b, `${n} services`, file, n, false, profiles);
    const ratios: Ratio[] = [
      { name: "slipway / compose v2", of: "slipway", to: "compose v2", target: 1.0 },
      { name: "slipway / floor", of: "slipway", to: "floor", target: 1.1 },
      { name: "cli / compose v2", of: "cli", to: "compose v2" },
      { name: "cli (tsx) / compose v2", of: "cli (tsx)", to: "compose v2" },
      { name: "compose v2 / floor", of: "compose v2", to: "floor" },
      { name: "compose v1 / compose v2", of: "compose v1", to: "compose v2" },
    ];
    rows.push(summarize(`up -d, ${n} service${n === 1 ? "" : "s"}`, up, ratios));
    rows.push(summarize(`down, ${n} service${n === 1 ? "" : "s"}`, down, ratios));
  }
  return { rows, profiles };
}

async function benchHealth(b: Bench): Promise<{ row: RowResult; profiles: Profiles }> {
  const file = path.join(b.dir, "health-gated.yml");
  await writeFile(file, healthGated());
  const samples: Samples = new Map();
  const traced: Profile[] = [];
  const oracle: Peer = {
    name: "oracle floor",
    up: (t) => b.raw.upGatedOracle(t.project, HEALTH_DEPENDENTS),
    down: (t) => b.raw.down(t.project),
  };
  for (let round = 0; round < b.options.rounds; round++) {
    const parts: string[] = [];
    for (const peer of rotate([...peersFor(b, false), oracle], round)) {
      const t = { file, project: projectName(b, "health", peer.name, round), containers: HEALTH_DEPENDENTS + 1 };
      b.lib.timeline.reset();
      const ms = await attempt(b, peer.name, "up --wait", () => peer.up(t, { wait: true }));
      if (peer === b.lib && Number.isFinite(ms)) traced.push({ ...b.lib.timeline.snapshot(), ms, firstStartApart: true });
      push(samples, peer.name, ms);
      parts.push(`${peer.name} ${seconds(ms)}`);
      // Untimed: the library removes any project (they all carry compose's labels); what a
      // failure leaves, the final sweep retries.
      await composeDown(b.lib.ctx, t.project, { removeVolumes: true, timeout: 1 }).catch((err: unknown) => b.log(`    (down of ${t.project} failed: ${(err as Error).message})`));
    }
    b.log(`  health-gated, round ${round + 1}: ${parts.join(", ")}  (load ${loadavg()[0]!.toFixed(1)})`);
  }
  const row = summarize(`up --wait, 1 healthy + ${HEALTH_DEPENDENTS} dependents`, samples, [
    { name: "slipway / compose v2", of: "slipway", to: "compose v2", target: 0.6 },
    { name: "cli / compose v2", of: "cli", to: "compose v2" },
    { name: "cli (tsx) / compose v2", of: "cli (tsx)", to: "compose v2" },
    { name: "compose v1 / compose v2", of: "compose v1", to: "compose v2" },
    { name: "oracle floor / compose v2", of: "oracle floor", to: "compose v2" },
    { name: "slipway / oracle floor", of: "slipway", to: "oracle floor" },
  ]);
  const profiles: Profiles = {};
  const pick = medianRound(traced);
  if (pick) profiles["health-gated up --wait: slipway"] = pick;
  if (b.options.profileV2 !== "none") await profileProcesses(b, "health-gated", file, HEALTH_DEPENDENTS + 1, true, profiles);
  return { row, profiles };
}

async function benchPs(b: Bench): Promise<{ row: RowResult; profiles: Profiles }> {
  const n = b.options.psServices;
  const file = path.join(b.dir, `services-${n}.yml`);
  await writeFile(file, plainServices(n));
  const t = { file, project: projectName(b, `ps${n}`, "all", 0), containers: n };
  const samples: Samples = new Map();
  const profiles: Profiles = {};
  try {
    const upMs = await timed(() => b.lib.up(t));
    b.log(`  ${n} services up (slipway, untimed): ${seconds(upMs)}`);
    for (let round = 0; round < b.options.psRounds; round++) {
      const parts: string[] = [];
      for (const peer of rotate(peersFor(b, true), round)) {
        let rows = 0;
        const ms = await timed(async () => (rows = await peer.ps!(t)));
        if (rows < n) throw new Error(`${peer.name} ps listed ${rows} of ${n} containers`);
        push(samples, peer.name, ms);
        parts.push(`${peer.name} ${seconds(ms)}`);
      }
      b.log(`  ps ${n}, round ${round + 1}: ${parts.join(", ")}`);
    }
    // Where a CLI's time goes before and around its one list call.
    if (b.proxy) {
      for (const peer of b.peers.filter((p) => p.name === "compose v2" || p.name === "cli")) {
        b.proxy.timeline.reset();
        const ms = await attempt(b, peer.name, "ps (traced)", () => peer.ps!(t, b.proxy!.env));
        profiles[`ps ${n}: ${peer.name} (through the tracing proxy)`] = { ...b.proxy.timeline.snapshot(), ms };
      }
    }
  } finally {
    // Untimed; a failure here (the engine's stale-endpoint bug) is left to the final sweep.
    const downMs = await attempt(b, "slipway", `down ${n} (untimed, after ps)`, () => b.lib.down(t));
    b.log(`  ${n} services down (slipway, untimed): ${seconds(downMs)}`);
  }
  const row = summarize(`ps, ${n} services`, samples, [
    { name: "slipway / compose v2", of: "slipway", to: "compose v2" },
    { name: "cli / compose v2", of: "cli", to: "compose v2" },
    { name: "cli (tsx) / compose v2", of: "cli (tsx)", to: "compose v2" },
    { name: "compose v1 / compose v2", of: "compose v1", to: "compose v2" },
  ]);
  const lib = row.medians["slipway"];
  if (lib !== undefined) row.targetSeconds = { peer: "slipway", seconds: 0.3, met: lib <= 300 };
  return { row, profiles };
}

// ---------------------------------------------------------------------------------------------
// Report

function printTable(rows: RowResult[], peers: string[], log: (line: string) => void): void {
  log(`| scenario | ${peers.join(" | ")} |`);
  log(`|---|${peers.map(() => "---:").join("|")}|`);
  for (const r of rows) {
    const cell = (p: string) => seconds(r.medians[p] ?? Number.NaN) + (r.failed[p] ? ` (${r.failed[p]} failed)` : "");
    log(`| ${r.scenario} | ${peers.map(cell).join(" | ")} |`);
  }
  log("");
  log("| scenario | ratio | median of rounds [min–max] | target | met |");
  log("|---|---|---:|---:|---|");
  for (const r of rows) {
    for (const q of r.ratios) {
      const met = q.met === undefined ? "" : q.met ? "yes" : "**no**";
      log(`| ${r.scenario} | ${q.name} | ${q.median.toFixed(2)} [${q.min.toFixed(2)}–${q.max.toFixed(2)}] | ${q.target !== undefined ? `≤ ${q.target.toFixed(1)}` : ""} | ${met} |`);
    }
    if (r.targetSeconds) {
      const s = r.targetSeconds;
      log(`| ${r.scenario} | ${s.peer}, absolute | ${seconds(r.medians[s.peer]!)} | ≤ ${s.seconds} s | ${s.met ? "yes" : "**no**"} |`);
    }
  }
}

function printProfile(name: string, p: Profile, log: (line: string) => void): void {
  const marks = p.marks.length ? `; ${p.marks.map((m) => `${m.name} at ${m.at.toFixed(0)} ms`).join(", ")}` : "";
  log(`${name}: ${seconds(p.ms)} in all, ${p.calls.length} engine calls${marks}`);
  log("| endpoint | calls | first starts | last ends | median latency | max latency |");
  log("|---|---:|---:|---:|---:|---:|");
  for (const s of endpointStats(p.calls, p.firstStartApart)) {
    log(`| ${s.endpoint} | ${s.count} | ${s.firstStart.toFixed(0)} ms | ${s.lastEnd.toFixed(0)} ms | ${s.medianMs.toFixed(0)} ms | ${s.maxMs.toFixed(0)} ms |`);
  }
  log("");
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options: Options = {
    rounds: numberFlag("rounds", 3),
    sizes: (flag("sizes") ?? "1,10,30").split(",").map(Number).filter((n) => n > 0),
    psServices: numberFlag("ps", 100),
    psRounds: numberFlag("ps-rounds", 5),
    skip: new Set((flag("skip") ?? "").split(",").filter(Boolean)),
    devCli: process.argv.includes("--no-dev-cli") ? "none" : ((flag("dev-cli") as Options["devCli"] | undefined) ?? "small"),
    profileV2: (flag("profile-v2") as Options["profileV2"] | undefined) ?? "health",
    json: process.argv.includes("--json"),
  };
  const log = (line: string): void => {
    if (!options.json) console.log(line);
  };
  const endpoint = endpointFromEnv(process.env);
  if (endpoint.kind !== "unix") throw new Error(`the floor needs a unix-socket engine; DOCKER_HOST resolves to ${endpoint.kind}`);

  const lib = await LibraryPeer.connect(new Timeline());
  const raw = new RawEngine(endpoint.socketPath, lib.ctx.engine.apiVersion);
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-bench-compose-"));
  const proxy = options.profileV2 === "none" ? undefined : await TracingProxy.start(dir, endpoint.socketPath);
  const cli = await buildPublishedCli("compose");
  const peers: Peer[] = [lib];
  if (cli) peers.push(processPeer("cli", process.execPath, [cli, "compose"]));
  if (options.devCli !== "none") peers.push(processPeer("cli (tsx)", process.execPath, [path.join(ROOT, "bin/slipway-dev.mjs"), "compose"]));
  peers.push(processPeer("compose v2", "docker", ["compose"]));
  peers.push(processPeer("compose v1", "docker-compose", [], (t) => raw.waitAllUp(t.project, t.containers)));
  const b: Bench = { options, dir, tag: randomBytes(2).toString("hex"), lib, raw, peers, proxy, projects: new Set(), failures: [], log };

  // Ctrl-C: stop, remove what we made, exit 130.
  let interrupted = false;
  process.once("SIGINT", () => {
    interrupted = true;
    console.error("\ninterrupted: removing the bench's projects…");
    void raw.sweep(b.projects).finally(() => process.exit(130));
  });

  const version = await lib.ctx.engine.system.version();
  log(`engine ${version.Version} (API ${lib.ctx.engine.apiVersion}), node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  log(`peers: ${[...peers.map((p) => p.name), "floor"].join(", ")}; ${options.rounds} rounds, peer order rotated every round`);
  const started = performance.now();
  const rows: RowResult[] = [];
  const profiles: Profiles = {};
  try {
    if ((await lib.ctx.engine.images.find(IMAGE)) === undefined) throw new Error(`${IMAGE} is not in the engine: run testworld/setup.sh`);
    // Warm-up, untimed: the JIT, the pools, tsx's transform cache, the engine's caches.
    const warm = { file: path.join(dir, "warm.yml"), project: projectName(b, "warm", "all", 0), containers: 1 };
    await writeFile(warm.file, plainServices(1));
    for (const peer of peers) {
      await peer.up(warm);
      await peer.down(warm);
    }
    await raw.up(warm.project, 1);
    await raw.down(warm.project);
    if (!options.skip.has("up")) {
      log("up -d / down -v -t 1 (each peer's up, then its down):");
      const r = await benchUpDown(b, options.sizes);
      rows.push(...r.rows);
      Object.assign(profiles, r.profiles);
    }
    if (!options.skip.has("health")) {
      log("health-gated up --wait:");
      const r = await benchHealth(b);
      rows.push(r.row);
      Object.assign(profiles, r.profiles);
    }
    if (!options.skip.has("ps")) {
      log("ps:");
      const r = await benchPs(b);
      rows.push(r.row);
      Object.assign(profiles, r.profiles);
    }
  } finally {
    if (!interrupted) {
      // A failed sweep must not hide the error that brought us here.
      const swept = await raw.sweep(b.projects).catch((err: unknown) => ({ removed: 0, stuck: [(err as Error).message] }));
      if (swept.removed) console.error(`cleanup: removed ${swept.removed} leftover resources`);
      for (const s of swept.stuck) console.error(`cleanup: could not remove ${s}`);
      await proxy?.close();
      await rm(dir, { recursive: true, force: true });
      await raw.close();
      await lib.ctx.engine.close();
    }
  }

  const names = [...peers.map((p) => p.name), "floor", ...(options.skip.has("health") ? [] : ["oracle floor"])];
  if (options.json) {
    console.log(JSON.stringify({ date: new Date().toISOString(), engine: version.Version, node: process.version, rounds: options.rounds, rows, profiles }, null, 2));
  } else {
    log("");
    log(`medians of ${options.rounds} rounds (ps: ${options.psRounds}); whole bench ${seconds(performance.now() - started)}`);
    printTable(rows, names, log);
    log("");
    log("profile (the round with the median time): engine calls by endpoint, ms from the start of the operation");
    const largest = Math.max(...options.sizes);
    for (const [name, p] of Object.entries(profiles)) {
      if (/^(up|down) (\d+)/.exec(name)?.[2] === String(largest) || name.startsWith(`${largest} services`) || name.startsWith("health") || name.startsWith("ps")) printProfile(name, p, log);
    }
  }
  const missed = rows.flatMap((r) => [
    ...r.ratios.filter((q) => q.met === false).map((q) => `${r.scenario}: ${q.name}`),
    ...(r.targetSeconds?.met === false ? [`${r.scenario}: absolute`] : []),
  ]);
  if (missed.length) log(`targets missed: ${missed.join("; ")}`);
  if (b.failures.length) log(`failed runs (left out of the figures):\n${b.failures.map((f) => `  ${f}`).join("\n")}`);
  process.exitCode = missed.length ? 1 : 0;
}

await main();
