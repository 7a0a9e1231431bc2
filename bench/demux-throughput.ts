/**
 * Throughput of the multiplexed-stream demuxer (src/engine/streams/demux.ts) on a realistic log
 * mix, against a docker-modem-style demuxer that re-copies its pending buffer for every frame:
 * the reason Slipway has its own Engine API client. Target: a median of at least 300 MB/s.
 *
 *   node --import tsx bench/demux-throughput.ts [--mb 50] [--rounds 7]
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { Demuxer, demuxStream } from "../src/engine/streams/demux.ts";

export interface DemuxBenchOptions {
  /** Size of the multiplexed input for the linear demuxer. Default 50 MiB. */
  megabytes?: number;
  /** Size of the chunks fed in, as a socket would deliver them. Default 64 KiB. */
  chunkSize?: number;
  /** Measured rounds (after one warm-up). Default 7. */
  rounds?: number;
  /** Input size for the quadratic comparison, kept small because it is slow; 0 skips it. Default 4 MiB. */
  naiveMegabytes?: number;
  /** Progress lines; silent when omitted. */
  log?: (line: string) => void;
}

export interface DemuxBenchResult {
  /** Median throughput of the push-style Demuxer, in MB/s (10^6 bytes). */
  medianMBps: number;
  minMBps: number;
  maxMBps: number;
  /** Median throughput of the pull-style demuxStream iterator over the same chunks. */
  iteratorMedianMBps: number;
  /** Median throughput of the push-style Demuxer on log lines only (no 64 KiB frames): the per-frame cost. */
  linesOnlyMedianMBps: number;
  bytes: number;
  frames: number;
  chunkSize: number;
  rounds: number;
  targetMBps: number;
  meetsTarget: boolean;
  naive?: {
    bytes: number;
    /** The docker-modem-style demuxer on the smaller input. */
    medianMBps: number;
    /** Our demuxer on the same smaller input, for a like-for-like ratio. */
    linearMedianMBps: number;
    /** How many times faster the linear demuxer is on that input. */
    speedup: number;
  };
}

const TARGET_MBPS = 300;
const MIB = 1024 * 1024;
const BIG_FRAME = 64 * 1024;

export async function benchDemux(options: DemuxBenchOptions = {}): Promise<DemuxBenchResult> {
  const log = options.log ?? (() => {});
  const chunkSize = options.chunkSize ?? 64 * 1024;
  const rounds = options.rounds ?? 7;
  const input = multiplexedLogs((options.megabytes ?? 50) * MIB);
  const chunks = split(input.buffer, chunkSize);
  log(`input: ${(input.buffer.length / 1e6).toFixed(1)} MB, ${input.frames} frames, ${chunks.length} chunks of ${chunkSize} bytes`);

  const pushRates = await measure(rounds, input.buffer.length, () => runDemuxer(chunks, input.frames));
  log(`Demuxer (push):       median ${median(pushRates).toFixed(0)} MB/s  [${rates(pushRates)}]`);
  const pullRates = await measure(rounds, input.buffer.length, () => runIterator(chunks, input.frames));
  log(`demuxStream (pull):   median ${median(pullRates).toFixed(0)} MB/s  [${rates(pullRates)}]`);
  const lines = multiplexedLogs(Math.min(options.megabytes ?? 50, 20) * MIB, 0);
  const lineChunks = split(lines.buffer, chunkSize);
  const lineRates = await measure(rounds, lines.buffer.length, () => runDemuxer(lineChunks, lines.frames));
  log(`Demuxer, lines only:  median ${median(lineRates).toFixed(0)} MB/s  (${(lines.frames / 1e6).toFixed(2)} M frames of 80-200 bytes)`);

  const result: DemuxBenchResult = {
    medianMBps: median(pushRates),
    minMBps: Math.min(...pushRates),
    maxMBps: Math.max(...pushRates),
    iteratorMedianMBps: median(pullRates),
    linesOnlyMedianMBps: median(lineRates),
    bytes: input.buffer.length,
    frames: input.frames,
    chunkSize,
    rounds,
    targetMBps: TARGET_MBPS,
    meetsTarget: median(pushRates) >= TARGET_MBPS,
  };

  const naiveMegabytes = options.naiveMegabytes ?? 4;
  if (naiveMegabytes > 0) {
    const small = multiplexedLogs(naiveMegabytes * MIB);
    const smallChunks = split(small.buffer, chunkSize);
    const naiveRounds = Math.max(1, Math.min(rounds, 3));
    const naiveRates = await measure(naiveRounds, small.buffer.length, () => runNaive(smallChunks, small.frames));
    const linearRates = await measure(rounds, small.buffer.length, () => runDemuxer(smallChunks, small.frames));
    result.naive = {
      bytes: small.buffer.length,
      medianMBps: median(naiveRates),
      linearMedianMBps: median(linearRates),
      speedup: median(linearRates) / median(naiveRates),
    };
    log(
      `naive Buffer.concat demuxer on ${(small.buffer.length / 1e6).toFixed(1)} MB: median ${median(naiveRates).toFixed(1)} MB/s; ` +
        `ours on the same input ${median(linearRates).toFixed(0)} MB/s (${result.naive.speedup.toFixed(0)}x faster)`,
    );
  }
  log(`target ≥ ${TARGET_MBPS} MB/s: ${result.meetsTarget ? "met" : "NOT met"}`);
  return result;
}

/**
 * Log-like traffic: mostly 80-200 byte lines, stdout four times out of five, and one 64 KiB frame
 * (a stack dump, a JSON blob) every `bigEvery` frames (never when 0). Deterministic, so runs compare.
 */
function multiplexedLogs(targetBytes: number, bigEvery = 200): { buffer: Buffer; frames: number } {
  const buffer = Buffer.alloc(targetBytes + BIG_FRAME + 8);
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const alphabet = Buffer.from("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ 0123456789 =:/-_.,");
  let at = 0;
  let frames = 0;
  while (at < targetBytes) {
    const big = bigEvery > 0 && frames % bigEvery === bigEvery - 1;
    const size = big ? BIG_FRAME : 80 + Math.floor(random() * 121);
    buffer[at] = random() < 0.8 ? 1 : 2;
    buffer.writeUInt32BE(size, at + 4);
    at += 8;
    for (let i = 0; i < size - 1; i++) buffer[at + i] = alphabet[Math.floor(random() * alphabet.length)] ?? 0x20;
    buffer[at + size - 1] = 0x0a;
    at += size;
    frames++;
  }
  return { buffer: buffer.subarray(0, at), frames };
}

/** Copies, not views: a socket hands over separate buffers, and views would flatter the copying path. */
function split(buffer: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += size) chunks.push(Buffer.from(buffer.subarray(i, i + size)));
  return chunks;
}

function runDemuxer(chunks: readonly Buffer[], expectedFrames: number): void {
  let frames = 0;
  let bytes = 0;
  const demuxer = new Demuxer((frame) => {
    frames++;
    bytes += frame.data.length;
  });
  for (const chunk of chunks) demuxer.push(chunk);
  demuxer.end();
  check(frames, expectedFrames, bytes);
}

async function runIterator(chunks: readonly Buffer[], expectedFrames: number): Promise<void> {
  async function* source(): AsyncGenerator<Uint8Array> {
    yield* chunks;
  }
  let frames = 0;
  let bytes = 0;
  for await (const frame of demuxStream(source())) {
    frames++;
    bytes += frame.data.length;
  }
  check(frames, expectedFrames, bytes);
}

/**
 * docker-modem's demuxStream, reduced to its buffering: every chunk is concatenated onto what is
 * pending, and every frame taken copies all that remains (`Buffer.from(buffer.slice(end))`).
 */
function runNaive(chunks: readonly Buffer[], expectedFrames: number): void {
  let buffer = Buffer.alloc(0);
  let type = -1;
  let length = 0;
  let frames = 0;
  let bytes = 0;
  const take = (end: number): Buffer => {
    const out = buffer.subarray(0, end);
    buffer = Buffer.from(buffer.subarray(end));
    return out;
  };
  for (const chunk of chunks) {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (type === -1) {
        if (buffer.length < 8) break;
        const header = take(8);
        type = header[0] ?? 0;
        length = header.readUInt32BE(4);
      }
      if (buffer.length < length) break;
      bytes += take(length).length;
      frames++;
      type = -1;
    }
  }
  check(frames, expectedFrames, bytes);
}

function check(frames: number, expected: number, bytes: number): void {
  if (frames !== expected || bytes === 0) throw new Error(`demuxed ${frames} frames, expected ${expected}`);
}

/** One warm-up run, then `rounds` timed runs, as MB/s. */
async function measure(rounds: number, bytes: number, run: () => void | Promise<void>): Promise<number[]> {
  await run();
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await run();
    const seconds = (performance.now() - start) / 1000;
    out.push(bytes / 1e6 / seconds);
  }
  return out;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function rates(values: readonly number[]): string {
  return values.map((v) => v.toFixed(0)).join(" ");
}

function flag(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? undefined : Number(process.argv[at + 1]);
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const megabytes = flag("mb");
  const rounds = flag("rounds");
  const result = await benchDemux({
    ...(megabytes === undefined ? {} : { megabytes }),
    ...(rounds === undefined ? {} : { rounds }),
    log: (line) => console.log(line),
  });
  process.exitCode = result.meetsTarget ? 0 : 1;
}
