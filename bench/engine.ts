/**
 * What Slipway's Engine API client costs over raw undici on the same socket, and how fast its
 * demuxer is, measured in one process against the real engine:
 *
 *   1. 200 pings: `engine.system.ping()` against a raw undici Client `GET /_ping`.   target ≤ 5 %
 *   2. 20 create+start+wait+remove cycles of busybox `true`: `engine.containers` against raw
 *      undici making the same HTTP calls in the same order (wait registered before start).
 *                                                                                      target ≤ 5 %
 *   3. demuxer throughput on 50 MB of log-like frames (bench/demux-throughput.ts). target ≥ 300 MB/s
 *
 * Each round alternates the peers operation by operation (A B A B …, the first peer flipping every
 * round) so that drift in the machine's load hits both. Per round, each peer's median latency per
 * operation gives a ratio; the figure is the median of those ratios over rounds, with their spread
 * (the ratio of total times is printed too: it is what outliers move).
 *
 *   node --import tsx bench/engine.ts [--rounds 5] [--pings 200] [--cycles 20] [--mb 50] [--json]
 */
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { Client, Pool } from "undici";
import { Engine, endpointFromEnv } from "../src/engine/index.ts";
import { benchDemux } from "./demux-throughput.ts";

const IMAGE = "busybox:latest";
const RUN_LABEL = "dev.slipway.run";
const BENCH_LABEL = "dev.slipway.bench";

interface Options {
  rounds: number;
  pings: number;
  cycles: number;
  megabytes: number;
  json: boolean;
}

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? Number.NaN : Number(process.argv[at + 1]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** Per round, each peer's per-operation latencies (ms). */
interface PeerRounds {
  ours: number[][];
  raw: number[][];
}

export interface ComparisonResult {
  name: string;
  operations: number;
  /** Median over rounds of each peer's median latency per operation, ms. */
  oursMedianMs: number;
  rawMedianMs: number;
  /** Per round: ours' median latency / raw's median latency; the median over rounds, and the spread. */
  ratioMedian: number;
  ratioMin: number;
  ratioMax: number;
  /** Median over rounds of ours' median latency minus raw's, ms: the overhead in absolute terms. */
  deltaMedianMs: number;
  /** The same from total times (means), which outliers move more. */
  totalRatioMedian: number;
  targetOverhead: number;
  met: boolean;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

function compare(name: string, operations: number, rounds: PeerRounds, targetOverhead: number): ComparisonResult {
  const oursMedians = rounds.ours.map(median);
  const rawMedians = rounds.raw.map(median);
  const ratios = oursMedians.map((ours, i) => ours / (rawMedians[i] ?? Number.NaN));
  const totalRatios = rounds.ours.map((ours, i) => sum(ours) / sum(rounds.raw[i] ?? []));
  const ratioMedian = median(ratios);
  return {
    name,
    operations,
    oursMedianMs: median(oursMedians),
    rawMedianMs: median(rawMedians),
    ratioMedian,
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
    deltaMedianMs: median(oursMedians.map((ours, i) => ours - (rawMedians[i] ?? Number.NaN))),
    totalRatioMedian: median(totalRatios),
    targetOverhead,
    met: ratioMedian <= 1 + targetOverhead,
  };
}

/** Raw undici, no Slipway code: the floor for the same HTTP calls. */
class RawEngine {
  readonly #client: Client;
  readonly #pool: Pool;
  readonly #version: string;

  constructor(socketPath: string, apiVersion: string) {
    this.#client = new Client("http://docker", { socketPath });
    // The wait holds a connection while start is sent, so the cycles need a pool, as ours has.
    this.#pool = new Pool("http://docker", { socketPath, keepAliveTimeout: 30_000, bodyTimeout: 0, headersTimeout: 0 });
    this.#version = apiVersion;
  }

  async ping(): Promise<void> {
    const response = await this.#client.request({ method: "GET", path: "/_ping" });
    await response.body.dump();
    if (response.statusCode !== 200) throw new Error(`ping: HTTP ${response.statusCode}`);
  }

  async cycle(labels: Record<string, string>): Promise<number> {
    const v = `/v${this.#version}`;
    const created = await this.#pool.request({
      method: "POST",
      path: `${v}/containers/create`,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ Image: IMAGE, Cmd: ["true"], Labels: labels }),
    });
    if (created.statusCode !== 201) throw new Error(`create: HTTP ${created.statusCode} ${await created.body.text()}`);
    const { Id: id } = (await created.body.json()) as { Id: string };
    try {
      const wait = await this.#pool.request({ method: "POST", path: `${v}/containers/${id}/wait?condition=next-exit` });
      const started = await this.#pool.request({ method: "POST", path: `${v}/containers/${id}/start` });
      await started.body.dump();
      if (started.statusCode !== 204) throw new Error(`start: HTTP ${started.statusCode}`);
      const result = (await wait.body.json()) as { StatusCode: number };
      return result.StatusCode;
    } finally {
      const removed = await this.#pool.request({ method: "DELETE", path: `${v}/containers/${id}?force=true&v=false` });
      await removed.body.dump();
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.#client.close(), this.#pool.close()]);
  }
}

async function oursCycle(engine: Engine, labels: Record<string, string>): Promise<number> {
  const { Id: id } = await engine.containers.create({ Image: IMAGE, Cmd: ["true"], Labels: labels });
  try {
    const registered = await engine.containers.wait(id, { condition: "next-exit" });
    await engine.containers.start(id);
    return (await registered.result).StatusCode;
  } finally {
    await engine.containers.remove(id, { force: true });
  }
}

/**
 * `total` operations per peer, alternating one by one (A B A B …, B first when `oursFirst` is
 * false), so that both peers see the same moments of the machine's load. Returns each latency.
 */
async function alternating(
  total: number,
  ours: () => Promise<unknown>,
  raw: () => Promise<unknown>,
  oursFirst: boolean,
): Promise<{ ours: number[]; raw: number[] }> {
  const out = { ours: [] as number[], raw: [] as number[] };
  const order: ("ours" | "raw")[] = oursFirst ? ["ours", "raw"] : ["raw", "ours"];
  for (let i = 0; i < total; i++) {
    for (const peer of order) {
      const started = performance.now();
      await (peer === "ours" ? ours() : raw());
      out[peer].push(performance.now() - started);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const options: Options = {
    rounds: flag("rounds", 5),
    pings: flag("pings", 200),
    cycles: flag("cycles", 20),
    megabytes: flag("mb", 50),
    json: process.argv.includes("--json"),
  };
  const log = (line: string): void => {
    if (!options.json) console.log(line);
  };
  const endpoint = endpointFromEnv(process.env);
  if (endpoint.kind !== "unix") throw new Error(`the raw peer needs a unix-socket engine; DOCKER_HOST resolves to ${endpoint.kind}`);
  const engine = await Engine.connect({ endpoint });
  const raw = new RawEngine(endpoint.socketPath, engine.apiVersion);
  const runId = `bench-${randomBytes(4).toString("hex")}`;
  const labels = { [RUN_LABEL]: runId, [BENCH_LABEL]: "1" };
  const version = await engine.system.version();
  const info = await engine.system.info();
  log(`engine ${version.Version} (API ${engine.apiVersion}) on ${engine.describe()}, ${info.NCPU} CPUs, node ${process.version}`);
  log(`rounds: ${options.rounds}; within a round the peers alternate operation by operation (A B A B …), the first one flipping every round`);

  const pings: PeerRounds = { ours: [], raw: [] };
  const cycles: PeerRounds = { ours: [], raw: [] };
  try {
    if ((await engine.images.find(IMAGE)) === undefined) throw new Error(`${IMAGE} is not in the engine: run testworld/setup.sh`);
    // Warm-up: JIT, connection pools, the engine's own caches.
    await alternating(100, () => engine.system.ping(), () => raw.ping(), true);
    await alternating(2, () => oursCycle(engine, labels), () => raw.cycle(labels), true);
    for (let round = 0; round < options.rounds; round++) {
      const oursFirst = round % 2 === 0;
      const p = await alternating(options.pings, () => engine.system.ping(), () => raw.ping(), oursFirst);
      pings.ours.push(p.ours);
      pings.raw.push(p.raw);
      const c = await alternating(options.cycles, () => oursCycle(engine, labels), () => raw.cycle(labels), oursFirst);
      cycles.ours.push(c.ours);
      cycles.raw.push(c.raw);
      const us = (values: number[]): string => `${(median(values) * 1000).toFixed(0)} µs`;
      const ms = (values: number[]): string => `${median(values).toFixed(0)} ms`;
      log(
        `round ${round + 1}: ping median ours ${us(p.ours)} / raw ${us(p.raw)}; ` +
          `cycle median ours ${ms(c.ours)} / raw ${ms(c.raw)}  (load average ${loadavg()[0]?.toFixed(2)})`,
      );
    }
  } finally {
    const left = await engine.containers.list({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } });
    for (const c of left) await engine.containers.remove(c.Id, { force: true });
    await raw.close();
    await engine.close();
  }

  const results = [
    compare(`${options.pings} pings`, options.pings, pings, 0.05),
    compare(`${options.cycles} create+start+wait+remove`, options.cycles, cycles, 0.05),
  ];
  log(`demuxer: ${options.megabytes} MB, ${options.rounds} rounds`);
  const demux = await benchDemux({ megabytes: options.megabytes, rounds: options.rounds, log: (line) => log(`  ${line}`) });

  if (options.json) {
    console.log(JSON.stringify({ date: new Date().toISOString(), engine: version.Version, apiVersion: engine.apiVersion, cpus: info.NCPU, node: process.version, results, demux }, null, 2));
  } else {
    log("");
    log("| benchmark | ours, median per op | raw undici, median per op | Δ per op | ours/raw: median of rounds [min–max] | ours/raw from totals | target | met |");
    log("|---|---|---|---|---|---|---|---|");
    for (const r of results) {
      const perOp = (ms: number): string => (ms < 10 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(1)} ms`);
      const delta = (ms: number): string => `${ms >= 0 ? "+" : "−"}${perOp(Math.abs(ms))}`;
      log(
        `| ${r.name} | ${perOp(r.oursMedianMs)} | ${perOp(r.rawMedianMs)} | ${delta(r.deltaMedianMs)} | ${r.ratioMedian.toFixed(3)} [${r.ratioMin.toFixed(3)}–${r.ratioMax.toFixed(3)}] ` +
          `| ${r.totalRatioMedian.toFixed(3)} | ≤ ${(1 + r.targetOverhead).toFixed(2)} | ${r.met ? "yes" : "NO"} |`,
      );
    }
    log(
      `| demuxer, ${(demux.bytes / 1e6).toFixed(0)} MB | ${demux.medianMBps.toFixed(0)} MB/s [${demux.minMBps.toFixed(0)}–${demux.maxMBps.toFixed(0)}] | – | – | – | – ` +
        `| ≥ ${demux.targetMBps} MB/s | ${demux.meetsTarget ? "yes" : "NO"} |`,
    );
  }
  process.exitCode = results.every((r) => r.met) && demux.meetsTarget ? 0 : 1;
}

await main();
