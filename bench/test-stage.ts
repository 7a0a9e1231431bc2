/**
 * `slipway test` against the Makefile a team writes for the same job (bench/peer/Makefile:
 * docker-compose v1 driven by make, in the style of the todobackend course, seed 000), on
 * examples/todobackend, measured in one process against the real engine:
 *
 *   slipway   `slipway test --json` as a process: the published CLI, bundled from the working tree by
 *             scripts/bundle-cli.mjs (what `npm run build` makes); with --dev, also
 *             `node bin/slipway-dev.mjs test --json` (the development entry point, through tsx)
 *   make      `make -f bench/peer/Makefile test`: pull db, build --pull, up -d db, poll its health
 *             every second, run migrate, run test, docker cp the reports, down -v --rmi local
 *
 * Both run in one scratch copy of examples/todobackend (in the OS temp folder), each into its own
 * report folder, which is emptied before every run. Every run must exit 0 and leave unit.xml and
 * integration.xml, or the benchmark stops: a fast failure is not a result.
 *
 *   warm   Before the timed rounds each peer runs once, untimed, so both have their images built.
 *          Then rounds alternate the peers (A B, B A, …) so drift in the machine's load hits both;
 *          the figure is the median over rounds of the per-round ratio slipway/make, with its spread.
 *   cold   A source file of the copy gets new content before each peer's run (different content for
 *          each, so neither peer reuses layers the other just built); both then rebuild the test
 *          image from `COPY src` on (tsc, not npm ci). Slipway builds with the engine's BuildKit,
 *          the Makefile with the classic builder (docker-compose v1 and Debian's docker CLI reach
 *          BuildKit only through buildx, which bookworm does not package); their caches are separate.
 *
 * Phases: Slipway's are read from its `--json` events (times in ms since the epoch); make's from the
 * time each `=> …` line of the Makefile reached our pipe.
 *
 *   node --import tsx bench/test-stage.ts [--rounds 4] [--cold 1] [--dev] [--keep-copy] [--logs DIR] [--json]
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFile, cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { buildPublishedCli } from "./published-cli.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const EXAMPLE = path.join(ROOT, "examples/todobackend");
const MAKEFILE = path.join(ROOT, "bench/peer/Makefile");
const TARGET_RATIO = 0.6;
const REQUIRED_REPORTS = ["unit.xml", "integration.xml"];
/** The source file a cold round edits: a comment changes the build context, not the program. */
const COLD_FILE = "src/todo.ts";
/** Anything slower than this is broken, not slow. */
const RUN_TIMEOUT_MS = 600_000;
/** The images the peers tag with stable names (slipway.yml's `name` is todobackend). */
const SLIPWAY_TAGS = ["todobackend-test-test:slipway", "todobackend-test-migrate:slipway"];
const MAKE_TAG = "todobackend-test:latest";

type PeerName = "slipway" | "slipway (tsx)" | "make";

interface Options {
  rounds: number;
  cold: number;
  dev: boolean;
  keepCopy: boolean;
  json: boolean;
  /** Folder to keep every run's output in (one file per run), for reading what a peer did. */
  logs?: string;
}

function numberFlag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? Number.NaN : Number(process.argv[at + 1]);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

function options(): Options {
  return {
    rounds: Math.max(1, numberFlag("rounds", 4)),
    cold: numberFlag("cold", 1),
    dev: process.argv.includes("--dev"),
    keepCopy: process.argv.includes("--keep-copy"),
    json: process.argv.includes("--json"),
    ...(process.argv.includes("--logs") ? { logs: path.resolve(process.argv[process.argv.indexOf("--logs") + 1] ?? "bench/.out/test-stage-logs") } : {}),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

// ---------------------------------------------------------------------------------------------
// Processes

interface Line {
  /** ms since the process was spawned. */
  at: number;
  stream: "stdout" | "stderr";
  text: string;
}

interface ProcessResult {
  exitCode: number;
  wallMs: number;
  /** Date.now() when spawned, to place Slipway's event times. */
  spawnedAt: number;
  lines: Line[];
}

function runProcess(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const spawnedAt = Date.now();
    const t0 = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const lines: Line[] = [];
    const reader = (stream: "stdout" | "stderr") => {
      let rest = "";
      return (chunk: Buffer) => {
        const at = performance.now() - t0;
        const parts = (rest + chunk.toString("utf8")).split("\n");
        rest = parts.pop()!;
        for (const text of parts) lines.push({ at, stream, text });
      };
    };
    child.stdout.on("data", reader("stdout"));
    child.stderr.on("data", reader("stderr"));
    const timer = setTimeout(() => child.kill("SIGINT"), RUN_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? (signal ? 128 : 1), wallMs: performance.now() - t0, spawnedAt, lines });
    });
  });
}

async function capture(command: string, args: string[]): Promise<string> {
  const r = await runProcess(command, args, ROOT, process.env);
  if (r.exitCode !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.exitCode}: ${r.lines.map((l) => l.text).join("\n")}`);
  return r.lines.filter((l) => l.stream === "stdout").map((l) => l.text).join("\n").trim();
}

// ---------------------------------------------------------------------------------------------
// Peers

/** One phase of a run: where it starts, ms since spawn; it ends where the next one starts. */
interface Phase {
  name: string;
  startMs: number;
}

interface RunOutcome {
  peer: PeerName;
  wallMs: number;
  /** Phase durations, ms, in order. */
  phases: [string, number][];
  /** Compose project of the run, to check nothing of it is left. */
  project: string;
  /** Slipway's build step note ("unchanged: …") or make's "Using cache" count: was it a rebuild? */
  buildNote: string;
  /** Slipway: every step of the run with its start and end (ms since spawn), for the report. */
  steps?: { step: string; startMs: number; endMs: number }[];
}

function phaseDurations(phases: Phase[], endMs: number): [string, number][] {
  const sorted = [...phases].sort((a, b) => a.startMs - b.startMs);
  return sorted.map((p, i) => [p.name, (sorted[i + 1]?.startMs ?? endMs) - p.startMs]);
}

interface SlipwayEventLine {
  type: string;
  time: number;
  step?: string;
  note?: string;
  project?: string;
  kind?: string;
  exitCode?: number;
  message?: string;
}

async function checkReports(dir: string, peer: PeerName, result: ProcessResult): Promise<void> {
  for (const file of REQUIRED_REPORTS) {
    const info = await stat(path.join(dir, file)).catch(() => undefined);
    if (!info || info.size === 0) {
      const tail = result.lines.slice(-40).map((l) => l.text).join("\n");
      throw new Error(`${peer}: no ${file} in ${dir} (exit ${result.exitCode})\n${tail}`);
    }
  }
}

let logsDir: string | undefined;

async function keepLog(name: string, result: ProcessResult): Promise<void> {
  if (!logsDir) return;
  await mkdir(logsDir, { recursive: true });
  await writeFile(path.join(logsDir, `${name}.log`), result.lines.map((l) => `${(l.at / 1000).toFixed(3).padStart(8)} ${l.stream === "stderr" ? "E" : " "} ${l.text}`).join("\n") + "\n");
}

async function runSlipway(copy: string, cli: { peer: PeerName; args: string[] }, label: string): Promise<RunOutcome> {
  const reports = path.join(copy, "reports", "test");
  await rm(reports, { recursive: true, force: true });
  const result = await runProcess(process.execPath, [...cli.args, "test", "--json"], copy, { ...process.env, NO_COLOR: "1" });
  await keepLog(`${cli.peer.replace(/\W+/g, "-").replace(/-$/, "")}-${label}`, result);
  const events: SlipwayEventLine[] = [];
  for (const line of result.lines) {
    if (line.stream !== "stdout" || !line.text.startsWith("{")) continue;
    try {
      events.push(JSON.parse(line.text) as SlipwayEventLine);
    } catch {
      // Not an event line.
    }
  }
  const verdict = events.findLast((e) => e.type === "verdict");
  if (result.exitCode !== 0 || verdict?.kind !== "passed") {
    const tail = result.lines.slice(-40).map((l) => l.text).join("\n");
    throw new Error(`${cli.peer}: exit ${result.exitCode}, verdict ${verdict?.kind ?? "none"}: ${verdict?.message ?? ""}\n${tail}`);
  }
  await checkReports(reports, cli.peer, result);

  const rel = (e: SlipwayEventLine | undefined) => (e ? e.time - result.spawnedAt : Number.NaN);
  const first = (pred: (e: SlipwayEventLine) => boolean) => events.find(pred);
  const last = (pred: (e: SlipwayEventLine) => boolean) => events.findLast(pred);
  const isBuild = (e: SlipwayEventLine) => !!e.step?.startsWith("build ");
  const buildStart = first((e) => e.type === "step.start" && isBuild(e));
  const buildEnd = last((e) => e.type === "step.end" && isBuild(e));
  // After the build, composeUp's plan: networks, db, migrate; its ready gates end the environment.
  const dbReady = last((e) => e.type === "step.end" && /^ready:.*db/.test(e.step ?? ""));
  const oneoff = first((e) => e.type === "step.start" && /^create:.*test.*run/.test(e.step ?? "")) ?? first((e) => e.type === "step.start" && /^create:.*-test-run/.test(e.step ?? ""));
  const lastLog = last((e) => e.type === "container.log");
  const reportsEvent = first((e) => e.type === "reports");
  const stageEnd = first((e) => e.type === "stage.end");
  const cleanup = first((e) => e.type === "cleanup");
  const phases: Phase[] = [
    { name: "start-up (node + modules, connect, sweep)", startMs: 0 },
    { name: "load config, pull base images", startMs: rel(first((e) => e.type === "run.start")) },
    { name: "build (context hash, image lookup)", startMs: rel(buildStart) },
    { name: "db up + healthy", startMs: rel(buildEnd) },
    { name: "migrate", startMs: rel(dbReady) },
    { name: "test container", startMs: rel(oneoff) },
    { name: "copy reports", startMs: rel(lastLog) },
    { name: "evidence", startMs: rel(reportsEvent) },
    { name: "teardown", startMs: rel(stageEnd) },
    { name: "exit (prune history, verdict, close)", startMs: rel(cleanup) },
  ].filter((p) => Number.isFinite(p.startMs));

  const starts = new Map<string, number>();
  const steps: { step: string; startMs: number; endMs: number }[] = [];
  for (const e of events) {
    if (e.type === "step.start" && e.step) starts.set(e.step, rel(e));
    if (e.type === "step.end" && e.step) steps.push({ step: e.step, startMs: starts.get(e.step) ?? Number.NaN, endMs: rel(e) });
  }
  return {
    peer: cli.peer,
    wallMs: result.wallMs,
    phases: phaseDurations(phases, result.wallMs),
    project: first((e) => e.type === "stage.start")?.project ?? "",
    buildNote: events.filter((e) => e.type === "step.end" && isBuild(e)).map((e) => e.note ?? "built").join("; "),
    steps,
  };
}

async function runMake(copy: string, label: string): Promise<RunOutcome> {
  const runId = randomBytes(4).toString("hex");
  const reportsDir = `reports/make-${label}`;
  await rm(path.join(copy, reportsDir), { recursive: true, force: true });
  const result = await runProcess("make", ["--no-print-directory", "-f", MAKEFILE, "test", `RUN_ID=${runId}`, `REPORTS_DIR=${reportsDir}`], copy, process.env);
  await keepLog(`make-${label}`, result);
  if (result.exitCode !== 0) {
    const tail = result.lines.slice(-40).map((l) => l.text).join("\n");
    throw new Error(`make: exit ${result.exitCode}\n${tail}`);
  }
  await checkReports(path.join(copy, reportsDir), "make", result);
  const marks: [RegExp, string][] = [
    [/=> Pulling latest images/, "pull db image"],
    [/=> Building test image/, "build --pull (+ tag)"],
    [/=> Starting database/, "db up"],
    [/=> Waiting for database/, "db healthy (poll 1 s)"],
    [/=> Running migrations/, "migrate (run --rm)"],
    [/=> Running tests/, "test container (run)"],
    [/=> Copying test reports/, "copy reports (docker cp, inspect)"],
    [/=> Tearing down/, "teardown (down -v --rmi local)"],
    [/=> Tests passed/, "exit"],
  ];
  const phases: Phase[] = [{ name: "start-up (make)", startMs: 0 }];
  for (const [pattern, name] of marks) {
    const line = result.lines.find((l) => pattern.test(l.text));
    if (line) phases.push({ name, startMs: line.at });
  }
  // The legacy builder prints "Running in <id>" for every step it executes, "Using cache" for each it reuses.
  const ran = result.lines.filter((l) => /---> Running in /.test(l.text)).length;
  const cached = result.lines.filter((l) => /---> Using cache/.test(l.text)).length;
  return {
    peer: "make",
    wallMs: result.wallMs,
    phases: phaseDurations(phases, result.wallMs),
    project: `todobackendtest${runId}`,
    buildNote: `build steps: ${ran} run, ${cached} from cache`,
  };
}

// ---------------------------------------------------------------------------------------------
// Hygiene: everything a run created must be gone after it.

async function leftovers(project: string): Promise<string[]> {
  const filter = `label=com.docker.compose.project=${project}`;
  const [containers, networks, volumes] = await Promise.all([
    capture("docker", ["ps", "-aq", "--filter", filter]),
    capture("docker", ["network", "ls", "-q", "--filter", filter]),
    capture("docker", ["volume", "ls", "-q", "--filter", filter]),
  ]);
  // Compose v1 names its default network <project>_default and does label it; check by name too.
  const byName = await capture("docker", ["network", "ls", "-q", "--filter", `name=^${project}_`]);
  return [...new Set([...containers.split("\n"), ...networks.split("\n"), ...volumes.split("\n"), ...byName.split("\n")].filter(Boolean))];
}

async function assertClean(outcome: RunOutcome): Promise<void> {
  if (!outcome.project) return;
  const left = await leftovers(outcome.project);
  if (left.length > 0) throw new Error(`${outcome.peer} left ${left.length} resource(s) of project ${outcome.project}: ${left.join(" ")}`);
}

async function imageId(ref: string): Promise<string | undefined> {
  const r = await runProcess("docker", ["image", "inspect", "-f", "{{.Id}}", ref], ROOT, process.env);
  return r.exitCode === 0 ? r.lines.find((l) => l.stream === "stdout")?.text.trim() : undefined;
}

// ---------------------------------------------------------------------------------------------
// Main

interface RoundRecord {
  kind: "warm" | "cold";
  round: number;
  order: PeerName[];
  outcomes: RunOutcome[];
  loadavg: number;
}

async function main(): Promise<void> {
  const opts = options();
  logsDir = opts.logs;
  const log = (line: string) => {
    if (!opts.json) console.log(line);
  };
  const [engineVersion, composeV1, revision, srcChanges] = await Promise.all([
    capture("docker", ["version", "-f", "{{.Server.Version}} (API {{.Server.APIVersion}})"]),
    capture("docker-compose", ["version", "--short"]),
    // A snapshot (git archive) measured apart from ongoing edits has no .git: say so.
    capture("git", ["rev-parse", "--short", "HEAD"]).catch(() => "an unknown revision (not a git checkout)"),
    capture("git", ["status", "--porcelain", "--", "src", "bin"]).catch(() => ""),
  ]);
  const scratch = await mkdtemp(path.join(tmpdir(), "slipway-bench-test-stage-"));
  const copy = path.join(scratch, "todobackend");
  await cp(EXAMPLE, copy, {
    recursive: true,
    filter: (src) => !["node_modules", "reports", ".slipway", "dist"].includes(path.basename(src)) || path.dirname(src) !== EXAMPLE,
  });
  const clis: { peer: PeerName; args: string[] }[] = [{ peer: "slipway", args: [await buildPublishedCli("test-stage")] }];
  if (opts.dev) clis.push({ peer: "slipway (tsx)", args: [path.join(ROOT, "bin/slipway-dev.mjs")] });

  log(`slipway test vs make -f bench/peer/Makefile test, in ${copy}`);
  log(`slipway at ${revision}${srcChanges ? " + uncommitted changes in src/ or bin/" : ""}; engine ${engineVersion}, docker-compose ${composeV1}, node ${process.versions.node}`);
  log(`${opts.rounds} warm round(s), ${opts.cold} cold round(s); load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);

  const rounds: RoundRecord[] = [];
  const runPeer = async (peer: PeerName, label: string): Promise<RunOutcome> => {
    const outcome = peer === "make" ? await runMake(copy, label) : await runSlipway(copy, clis.find((c) => c.peer === peer)!, label);
    await assertClean(outcome);
    return outcome;
  };
  const peers: PeerName[] = [...clis.map((c) => c.peer), "make"];

  let originalSource: string | undefined;
  let slipwayImagesBefore: (string | undefined)[] = [];
  try {
    // Warm-up, untimed: both peers' images built, caches and page cache warm.
    for (const peer of peers) {
      const o = await runPeer(peer, "warmup");
      log(`  warm-up ${peer.padEnd(18)} ${s(o.wallMs)}  (${o.buildNote})`);
    }

    for (let round = 0; round < opts.rounds; round++) {
      const order = round % 2 === 0 ? peers : [...peers].reverse();
      const outcomes: RunOutcome[] = [];
      for (const peer of order) outcomes.push(await runPeer(peer, `w${round}`));
      const rec: RoundRecord = { kind: "warm", round, order, outcomes, loadavg: loadavg()[0]! };
      rounds.push(rec);
      log(`  warm ${round + 1}: ${outcomes.map((o) => `${o.peer} ${s(o.wallMs)}`).join(", ")}  (load ${rec.loadavg.toFixed(1)})`);
    }

    if (opts.cold > 0) {
      const file = path.join(copy, COLD_FILE);
      originalSource = await readFile(file, "utf8");
      slipwayImagesBefore = await Promise.all(SLIPWAY_TAGS.map(imageId));
      for (let round = 0; round < opts.cold; round++) {
        const order = round % 2 === 0 ? peers : [...peers].reverse();
        const outcomes: RunOutcome[] = [];
        for (const peer of order) {
          // New content for every run: no peer may reuse the layers another just built.
          await appendFile(file, `// bench: cold build ${randomBytes(6).toString("hex")}\n`);
          outcomes.push(await runPeer(peer, `c${round}`));
        }
        const rec: RoundRecord = { kind: "cold", round, order, outcomes, loadavg: loadavg()[0]! };
        rounds.push(rec);
        log(`  cold ${round + 1}: ${outcomes.map((o) => `${o.peer} ${s(o.wallMs)} (${o.buildNote})`).join(", ")}  (load ${rec.loadavg.toFixed(1)})`);
      }
    }
  } finally {
    if (originalSource !== undefined) await restoreImages(slipwayImagesBefore, copy, originalSource);
    // The peer's stable tag exists only for this benchmark's runs.
    await runProcess("docker", ["rmi", MAKE_TAG], ROOT, process.env);
    if (!opts.keepCopy) await rm(scratch, { recursive: true, force: true });
  }

  report(rounds, peers, opts);
}

/**
 * After cold rounds the stable tags point at images of edited sources. Point Slipway's tags back at
 * the images of the example as it is (other runs on this engine use those names), and drop the
 * cold images.
 */
async function restoreImages(slipwayBefore: (string | undefined)[], copy: string, originalSource: string): Promise<void> {
  await writeFile(path.join(copy, COLD_FILE), originalSource);
  const coldIds = new Set<string>();
  for (const [i, tag] of SLIPWAY_TAGS.entries()) {
    const now = await imageId(tag);
    const before = slipwayBefore[i];
    if (now && before && now !== before) {
      coldIds.add(now);
      await runProcess("docker", ["tag", before, tag], ROOT, process.env);
    }
  }
  for (const id of coldIds) await runProcess("docker", ["rmi", id], ROOT, process.env);
}

function report(rounds: RoundRecord[], peers: PeerName[], opts: Options): void {
  const summary: Record<string, unknown> = { date: new Date().toISOString(), rounds: [] as unknown[] };
  const lines: string[] = [];
  for (const kind of ["warm", "cold"] as const) {
    const rs = rounds.filter((r) => r.kind === kind);
    if (rs.length === 0) continue;
    const wall = (r: RoundRecord, p: PeerName) => r.outcomes.find((o) => o.peer === p)!.wallMs;
    lines.push("", `${kind} (${rs.length} round${rs.length > 1 ? "s" : ""}), wall time of the whole command:`);
    for (const p of peers) lines.push(`  ${p.padEnd(20)} median ${s(median(rs.map((r) => wall(r, p))))}  rounds: ${rs.map((r) => s(wall(r, p))).join(", ")}`);
    for (const p of peers.filter((x) => x !== "make")) {
      const ratios = rs.map((r) => wall(r, p) / wall(r, "make"));
      const ratio = median(ratios);
      lines.push(
        `  ${p}/make: median of per-round ratios ${ratio.toFixed(3)} [${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}], ratio of medians ${(median(rs.map((r) => wall(r, p))) / median(rs.map((r) => wall(r, "make")))).toFixed(3)}; target ≤ ${TARGET_RATIO}: ${ratio <= TARGET_RATIO ? "met" : "MISSED"}`,
      );
      (summary[kind] as unknown) = { ...(summary[kind] as object), [`${p}/make`]: { median: ratio, min: Math.min(...ratios), max: Math.max(...ratios) } };
    }
    lines.push("  phases, median over rounds:");
    for (const p of peers) {
      const names = rs[0]!.outcomes.find((o) => o.peer === p)!.phases.map(([n]) => n);
      lines.push(`    ${p}:`);
      for (const n of names) {
        const values = rs.map((r) => r.outcomes.find((o) => o.peer === p)!.phases.find(([x]) => x === n)?.[1] ?? Number.NaN).filter(Number.isFinite);
        lines.push(`      ${n.padEnd(40)} ${s(median(values)).padStart(9)}`);
      }
    }
  }
  // One Slipway run's step timeline (the median warm one), to see where its time goes.
  const warm = rounds.filter((r) => r.kind === "warm").map((r) => r.outcomes.find((o) => o.peer === "slipway")!);
  const mid = [...warm].sort((a, b) => a.wallMs - b.wallMs)[warm.length >> 1];
  if (mid?.steps) {
    lines.push("", `steps of the median warm slipway run (${s(mid.wallMs)}), ms since spawn:`);
    for (const st of mid.steps) lines.push(`  ${st.startMs.toFixed(0).padStart(6)} → ${st.endMs.toFixed(0).padStart(6)}  ${st.step}`);
  }
  (summary["rounds"] as unknown[]).push(...rounds);
  if (opts.json) console.log(JSON.stringify(summary, null, 2));
  else console.log(lines.join("\n"));
}

await main();
