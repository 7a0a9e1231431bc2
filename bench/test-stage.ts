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
import { randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { assertClean, describeSetup, ImageTags } from "./engine-state.ts";
import { checkReports, coldEdit, copyExample } from "./example-copy.ts";
import { RunLogs, runProcess, tail } from "./process-run.ts";
import { buildPublishedCli } from "./published-cli.ts";
import { flagValue, median, numberFlag, phaseDurations, phasesFromLines, s, type Phase } from "./rounds.ts";
import { SlipwayRun } from "./slipway-events.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const EXAMPLE = path.join(ROOT, "examples/todobackend");
const MAKEFILE = path.join(ROOT, "bench/peer/Makefile");
const TARGET_RATIO = 0.6;
const REQUIRED_REPORTS = ["unit.xml", "integration.xml"];
/** The source file a cold round edits: a comment changes the build context, not the program. */
const COLD_FILE = "src/todo.ts";
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

function options(): Options {
  return {
    rounds: Math.max(1, numberFlag("rounds", 4)),
    cold: numberFlag("cold", 1),
    dev: process.argv.includes("--dev"),
    keepCopy: process.argv.includes("--keep-copy"),
    json: process.argv.includes("--json"),
    ...(process.argv.includes("--logs") ? { logs: path.resolve(flagValue("logs") ?? "bench/.out/test-stage-logs") } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Peers

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

let runLogs = new RunLogs(undefined);

async function runSlipway(copy: string, cli: { peer: PeerName; args: string[] }, label: string): Promise<RunOutcome> {
  const reports = path.join(copy, "reports", "test");
  await rm(reports, { recursive: true, force: true });
  const result = await runProcess(process.execPath, [...cli.args, "test", "--json"], copy, { ...process.env, NO_COLOR: "1" });
  await runLogs.keep(`${cli.peer.replace(/\W+/g, "-").replace(/-$/, "")}-${label}`, result);
  const run = new SlipwayRun(result);
  run.assertPassed(cli.peer);
  await checkReports(reports, REQUIRED_REPORTS, cli.peer, result);

  const first = run.first.bind(run);
  const last = run.last.bind(run);
  const rel = run.rel.bind(run);
  const isBuild = (e: { step?: string }) => !!e.step?.startsWith("build ");
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
  ];
  return {
    peer: cli.peer,
    wallMs: result.wallMs,
    phases: phaseDurations(phases, result.wallMs),
    project: first((e) => e.type === "stage.start")?.project ?? "",
    buildNote: run.events.filter((e) => e.type === "step.end" && isBuild(e)).map((e) => e.note ?? "built").join("; "),
    steps: run.steps(),
  };
}

async function runMake(copy: string, label: string): Promise<RunOutcome> {
  const runId = randomBytes(4).toString("hex");
  const reportsDir = `reports/make-${label}`;
  await rm(path.join(copy, reportsDir), { recursive: true, force: true });
  const result = await runProcess("make", ["--no-print-directory", "-f", MAKEFILE, "test", `RUN_ID=${runId}`, `REPORTS_DIR=${reportsDir}`], copy);
  await runLogs.keep(`make-${label}`, result);
  if (result.exitCode !== 0) throw new Error(`make: exit ${result.exitCode}\n${tail(result)}`);
  await checkReports(path.join(copy, reportsDir), REQUIRED_REPORTS, "make", result);
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
  // The legacy builder prints "Running in <id>" for every step it executes, "Using cache" for each it reuses.
  const ran = result.lines.filter((l) => /---> Running in /.test(l.text)).length;
  const cached = result.lines.filter((l) => /---> Using cache/.test(l.text)).length;
  return {
    peer: "make",
    wallMs: result.wallMs,
    phases: phaseDurations(phasesFromLines(result.lines, "start-up (make)", marks), result.wallMs),
    project: `todobackendtest${runId}`,
    buildNote: `build steps: ${ran} run, ${cached} from cache`,
  };
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
  runLogs = new RunLogs(opts.logs);
  const log = (line: string) => {
    if (!opts.json) console.log(line);
  };
  const setup = await describeSetup();
  const example = await copyExample(EXAMPLE, "test-stage");
  const copy = example.dir;
  const clis: { peer: PeerName; args: string[] }[] = [{ peer: "slipway", args: [await buildPublishedCli("test-stage")] }];
  if (opts.dev) clis.push({ peer: "slipway (tsx)", args: [path.join(ROOT, "bin/slipway-dev.mjs")] });

  log(`slipway test vs make -f bench/peer/Makefile test, in ${copy}`);
  log(setup);
  log(`${opts.rounds} warm round(s), ${opts.cold} cold round(s); load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);

  // The peer's stable tag exists only for this benchmark's runs: removed at the end, with every image
  // it named meanwhile.
  const makeTags = await ImageTags.snapshot([MAKE_TAG]);
  let slipwayTags: ImageTags | undefined;
  const rounds: RoundRecord[] = [];
  const runPeer = async (peer: PeerName, label: string): Promise<RunOutcome> => {
    const outcome = peer === "make" ? await runMake(copy, label) : await runSlipway(copy, clis.find((c) => c.peer === peer)!, label);
    await assertClean(outcome.peer, [outcome.project]);
    await (peer === "make" ? makeTags : slipwayTags)?.observe();
    return outcome;
  };
  const peers: PeerName[] = [...clis.map((c) => c.peer), "make"];

  let originalSource: string | undefined;
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
      originalSource = await readFile(path.join(copy, COLD_FILE), "utf8");
      // After cold rounds Slipway's stable tags point at images of edited sources: they go back to the
      // images of the example as it is (other runs on this engine use those names), the cold ones go.
      slipwayTags = await ImageTags.snapshot(SLIPWAY_TAGS);
      for (let round = 0; round < opts.cold; round++) {
        const order = round % 2 === 0 ? peers : [...peers].reverse();
        const outcomes: RunOutcome[] = [];
        for (const peer of order) {
          // New content for every run: no peer may reuse the layers another just built.
          await coldEdit(copy, COLD_FILE);
          outcomes.push(await runPeer(peer, `c${round}`));
        }
        const rec: RoundRecord = { kind: "cold", round, order, outcomes, loadavg: loadavg()[0]! };
        rounds.push(rec);
        log(`  cold ${round + 1}: ${outcomes.map((o) => `${o.peer} ${s(o.wallMs)} (${o.buildNote})`).join(", ")}  (load ${rec.loadavg.toFixed(1)})`);
      }
    }
  } finally {
    if (originalSource !== undefined) await writeFile(path.join(copy, COLD_FILE), originalSource);
    await slipwayTags?.restore();
    await makeTags.restore();
    if (!opts.keepCopy) await example.remove();
  }

  report(rounds, peers, opts);
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
