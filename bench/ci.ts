/**
 * `slipway ci` against the Makefile a team writes for the same workflow (bench/peer/Makefile `ci`:
 * docker-compose v1 driven by make, in the style of the todobackend course, seeds 000 and 001), on
 * examples/todobackend, measured in one process against the real engine. The example has no builder
 * stage (its Dockerfile compiles the release image's sources itself), so the workflow is
 * test → release → acceptance:
 *
 *   slipway   `slipway ci --json` as a process: the published CLI, bundled from the working tree by
 *             scripts/bundle-cli.mjs (what `npm run build` makes)
 *   make      `make -f bench/peer/Makefile ci`: the test target of bench/test-stage.ts, then release
 *             (pull db, build --pull with GIT_SHA from git, up db and poll its health, run migrate,
 *             up app + nginx and poll their health) and acceptance (run it, docker cp its reports,
 *             down -v --rmi local)
 *
 * Both run in one scratch copy of examples/todobackend (in the OS temp folder), made a git repository
 * with one commit so a revision exists (both bake it into the release image as GIT_SHA, and the
 * acceptance suite checks it). Every run must exit 0, leave unit.xml, integration.xml and
 * acceptance.xml, and leave nothing of its compose projects, or the benchmark stops.
 *
 *   warm   Before the timed rounds each peer runs once, untimed, so both have their images built.
 *          Rounds alternate the order (A B, B A, …); the figure is the median over rounds of the
 *          per-round ratio slipway/make, with its spread.
 *   cold   Before each peer's run a comment with new random content is appended to a source file and
 *          committed: both rebuild the test image from `COPY src` on (tsc) and the release image
 *          (its compiled sources and GIT_SHA). Slipway builds with the engine's BuildKit, the
 *          Makefile with the classic builder (docker-compose v1 reaches BuildKit only through buildx,
 *          which Debian bookworm does not package). A cold run that rebuilt nothing stops the bench.
 *
 * Phases: Slipway's are read from its `--json` events (stage.start/stage.end per stage, step.start/
 * step.end inside, reports, times in ms since the epoch); make's from the time each `=> …` line of the
 * Makefile reached our pipe. "Engine-bound" is the part of a Slipway run during which an engine
 * operation or wait of its own was in flight (any step, a suite's container running until its reports
 * are out, a teardown); the rest (start-up, config, hashing, event and report handling between steps,
 * exit) is Slipway's own work. engine-bound / make is the ratio Slipway would reach if its own work
 * cost nothing and it did the same engine work in the same order.
 *
 *   node --import tsx bench/ci.ts [--rounds 4] [--cold 3] [--keep-copy] [--logs DIR] [--json]
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { assertClean, describeSetup, ImageTags } from "./engine-state.ts";
import { checkReports, coldEdit, commitAll, copyExample } from "./example-copy.ts";
import { RunLogs, runProcess, tail, type ProcessResult } from "./process-run.ts";
import { buildPublishedCli } from "./published-cli.ts";
import { flagValue, formatRatio, median, medianPhases, numberFlag, phaseDurations, phasesFromLines, ratioStats, s, type Phase, type RatioStats } from "./rounds.ts";
import { SlipwayRun, type SlipwayEvent, type StepSpan } from "./slipway-events.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const EXAMPLE = path.join(ROOT, "examples/todobackend");
const MAKEFILE = path.join(ROOT, "bench/peer/Makefile");
/** The issue's target: the whole workflow in at most half the Makefile's time. */
const TARGET_RATIO = 0.5;
const TEST_REPORTS = ["unit.xml", "integration.xml"];
const ACCEPTANCE_REPORTS = ["acceptance.xml"];
/** The source file a cold round edits: a comment changes the build contexts, not the program. */
const COLD_FILE = "src/todo.ts";
/** Stable names the peers move (slipway.yml's `name` is todobackend; the Makefile's defaults). */
const SLIPWAY_TAGS = [
  "todobackend-test-test:slipway",
  "todobackend-test-migrate:slipway",
  "todobackend-app:slipway",
  "todobackend-release-nginx:slipway",
  "todobackend-release-acceptance:slipway",
];
const MAKE_TAGS = ["todobackend-test:latest", "todobackend-release:latest", "todobackend-release-proxy:latest"];

type PeerName = "slipway" | "make";

interface Options {
  rounds: number;
  cold: number;
  keepCopy: boolean;
  json: boolean;
  logs?: string;
}

function options(): Options {
  return {
    rounds: Math.max(1, numberFlag("rounds", 4)),
    cold: numberFlag("cold", 3),
    keepCopy: process.argv.includes("--keep-copy"),
    json: process.argv.includes("--json"),
    ...(process.argv.includes("--logs") ? { logs: path.resolve(flagValue("logs") ?? "bench/.out/ci-logs") } : {}),
  };
}

interface RunOutcome {
  peer: PeerName;
  wallMs: number;
  /** Critical-path phases, ms, in order. */
  phases: [string, number][];
  /** Compose projects of the run, to check nothing of them is left. */
  projects: string[];
  /** What the builds did: were the images rebuilt? */
  buildNote: string;
  /** Slipway: the time an engine operation or wait of its own was in flight, ms (see the header). */
  engineBoundMs?: number;
  /** Slipway: the builds (off the critical path when they overlap), ms since spawn. */
  builds?: StepSpan[];
  /** Slipway: every step, for the timeline of the median run. */
  steps?: StepSpan[];
}

let runLogs = new RunLogs(undefined);

// ---------------------------------------------------------------------------------------------
// Slipway

async function runSlipway(copy: string, cli: string, label: string, cold: boolean): Promise<RunOutcome> {
  const testReports = path.join(copy, "reports", "test");
  const acceptanceReports = path.join(copy, "reports", "release");
  await Promise.all([rm(testReports, { recursive: true, force: true }), rm(acceptanceReports, { recursive: true, force: true })]);
  const result = await runProcess(process.execPath, [cli, "ci", "--json"], copy, { ...process.env, NO_COLOR: "1" });
  await runLogs.keep(`slipway-${label}`, result);
  const run = new SlipwayRun(result);
  run.assertPassed("slipway");
  await checkReports(testReports, TEST_REPORTS, "slipway", result);
  await checkReports(acceptanceReports, ACCEPTANCE_REPORTS, "slipway", result);

  const isBuild = (e: SlipwayEvent) => !!e.step?.startsWith("build ");
  const builds = run.events.filter((e) => e.type === "step.end" && isBuild(e));
  const rebuilt = builds.filter((e) => !e.note?.startsWith("unchanged"));
  // Cold: the test image (one build for test and migrate) and the release image must both be built.
  if (cold && rebuilt.length < 2) throw new Error(`slipway: a cold run rebuilt ${rebuilt.map((e) => e.step).join(", ") || "nothing"}\n${tail(result)}`);

  const steps = run.steps();
  return {
    peer: "slipway",
    wallMs: result.wallMs,
    phases: phaseDurations(slipwayPhases(run), result.wallMs),
    projects: run.events.filter((e) => e.type === "stage.start" && e.project).map((e) => e.project!),
    buildNote: builds.map((e) => `${e.step!.replace(/^build /, "")}: ${e.note?.startsWith("unchanged") ? "unchanged" : "built"}`).join(", "),
    engineBoundMs: engineBound(run, steps),
    builds: steps.filter((st) => st.step.startsWith("build ")),
    steps,
  };
}

/** Slipway's run cut along its critical path; each phase ends where the next one starts. */
function slipwayPhases(run: SlipwayRun): Phase[] {
  const at = (e: SlipwayEvent | undefined) => run.rel(e);
  const stage = (type: string, name: string) => run.first((e) => e.type === type && e.stage === name);
  const after = (t: number, pred: (e: SlipwayEvent) => boolean) => run.first((e) => at(e) >= t && pred(e));
  const stepEvent = (type: "step.start" | "step.end", re: RegExp) => (e: SlipwayEvent) => e.type === type && re.test(e.step ?? "");

  const testStart = stage("stage.start", "test");
  const testProject = testStart?.project ?? "";
  const releaseStart = stage("stage.start", "release");
  const releaseProject = releaseStart?.project ?? "";
  const acceptanceStart = stage("stage.start", "acceptance");
  const testReports = run.first((e) => e.type === "reports" && e.stage === "test");
  const acceptanceReports = run.first((e) => e.type === "reports" && e.stage === "acceptance");

  const testMigrate = run.first(stepEvent("step.start", new RegExp(`^start:${testProject}-migrate-`)));
  const releaseMigrate = run.first(stepEvent("step.start", new RegExp(`^start:${releaseProject}-migrate-`)));
  const bootstrapped = run.first(stepEvent("step.end", /^bootstrap /));
  const appReady = after(at(bootstrapped), stepEvent("step.end", /^ready:app$/));
  // A suite's container starts once everything its environment's up waited for has returned (its
  // create, its gates and, in acceptance, the re-check of every gate down the chain): the last step
  // to end before its first output line.
  const suiteStarts = (from: number, service: string): number => {
    const firstLine = at(after(from, (e) => e.type === "container.log" && e.service === service));
    const ends = run.events.filter((e) => e.type === "step.end" && at(e) >= from && at(e) < firstLine).map(at);
    return ends.length > 0 ? Math.max(...ends) : Number.NaN;
  };

  return [
    { name: "start-up (node, modules, connect)", startMs: 0 },
    { name: "test: config, bases, db up + healthy (∥ builds)", startMs: at(run.first((e) => e.type === "run.start")) },
    { name: "test: migrate (start, run)", startMs: at(testMigrate) },
    { name: "test: suite (start, run, reports out)", startMs: suiteStarts(at(testMigrate), "test") },
    { name: "test: evidence, stage end", startMs: at(testReports) },
    { name: "test: teardown", startMs: at(run.first((e) => e.type === "stage.end" && e.stage === "test")) },
    { name: "release: db up + healthy", startMs: at(releaseStart) },
    { name: "release: migrate (bootstrap)", startMs: at(releaseMigrate) },
    { name: "release: app up + healthy", startMs: at(bootstrapped) },
    { name: "release: nginx up + healthy", startMs: at(appReady) },
    { name: "acceptance: gates re-checked, one-off created", startMs: at(acceptanceStart) },
    { name: "acceptance: suite (start, run, reports out)", startMs: suiteStarts(at(acceptanceStart), "acceptance") },
    { name: "acceptance: evidence, stage end", startMs: at(acceptanceReports) },
    { name: "teardown, verdict, exit", startMs: at(run.first((e) => e.type === "stage.end" && e.stage === "acceptance")) },
  ];
}

/**
 * The time during which Slipway had an engine operation or wait of its own in flight: the union of
 * every step (builds, creates, starts, readiness, bootstrap, network removals), each suite's run from
 * its container's create until its reports are out, and each teardown (stage end to the cleanup event).
 */
function engineBound(run: SlipwayRun, steps: readonly StepSpan[]): number {
  const spans: [number, number][] = steps.map((st) => [st.startMs, st.endMs]);
  for (const reports of run.events.filter((e) => e.type === "reports")) {
    const created = run.first((e) => e.type === "step.start" && new RegExp(`^create:.*-${reports.stage === "test" ? "test" : "acceptance"}-run-`).test(e.step ?? ""));
    spans.push([run.rel(created), run.rel(reports)]);
  }
  const cleanups = run.events.filter((e) => e.type === "cleanup");
  for (const [i, end] of run.events.filter((e) => e.type === "stage.end" && (e.stage === "test" || e.stage === "acceptance")).entries()) {
    spans.push([run.rel(end), run.rel(cleanups[i])]);
  }
  const sorted = spans.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let until = -Infinity;
  for (const [a, b] of sorted) {
    if (b <= until) continue;
    total += b - Math.max(a, until);
    until = b;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// make

/** The Makefile's `=> …` lines, in the order it prints them (one "Pulling latest images" per stage). */
const MAKE_MARKS: [RegExp, string][] = [
  [/=> Pulling latest images/, "test: pull db"],
  [/=> Building test image/, "test: build --pull (+ tag)"],
  [/=> Starting database/, "test: db up"],
  [/=> Waiting for database/, "test: db healthy (poll 1 s)"],
  [/=> Running migrations/, "test: migrate (run --rm)"],
  [/=> Running tests/, "test: suite (run)"],
  [/=> Copying test reports/, "test: copy reports"],
  [/=> Tearing down\.\.\./, "test: teardown (down -v --rmi local)"],
  [/=> Pulling latest images/, "release: pull db"],
  [/=> Building release images/, "release: build --pull (+ tags)"],
  [/=> Starting database/, "release: db up"],
  [/=> Waiting for database/, "release: db healthy (poll 1 s)"],
  [/=> Running migrations/, "release: migrate (run --rm)"],
  [/=> Starting application/, "release: up app, nginx (v1 waits for app)"],
  [/=> Waiting for application/, "release: app, nginx healthy (poll 1 s)"],
  [/=> Running acceptance tests/, "acceptance: suite (run)"],
  [/=> Copying acceptance reports/, "acceptance: copy reports"],
  [/=> Tearing down release/, "acceptance: teardown (down -v --rmi local)"],
  [/=> Acceptance tests passed/, "exit"],
];

/** Classic-builder steps run ("Running in") and reused ("Using cache") between two marks. */
function buildSteps(result: ProcessResult, from: RegExp, to: RegExp): { ran: number; cached: number } {
  const start = result.lines.findIndex((l) => from.test(l.text));
  const end = result.lines.findIndex((l, i) => i > start && to.test(l.text));
  const section = start === -1 ? [] : result.lines.slice(start, end === -1 ? undefined : end);
  return {
    ran: section.filter((l) => /---> Running in /.test(l.text)).length,
    cached: section.filter((l) => /---> Using cache/.test(l.text)).length,
  };
}

async function runMake(copy: string, label: string, cold: boolean): Promise<RunOutcome> {
  const runId = randomBytes(4).toString("hex");
  const reportsDir = `reports/make-${label}`;
  await rm(path.join(copy, reportsDir), { recursive: true, force: true });
  const result = await runProcess("make", ["--no-print-directory", "-f", MAKEFILE, "ci", `RUN_ID=${runId}`, `REPORTS_DIR=${reportsDir}`], copy);
  await runLogs.keep(`make-${label}`, result);
  if (result.exitCode !== 0) throw new Error(`make: exit ${result.exitCode}\n${tail(result)}`);
  await checkReports(path.join(copy, reportsDir), TEST_REPORTS, "make", result);
  await checkReports(path.join(copy, reportsDir, "acceptance"), ACCEPTANCE_REPORTS, "make", result);
  const testBuild = buildSteps(result, /=> Building test image/, /=> Starting database/);
  const releaseBuild = buildSteps(result, /=> Building release images/, /=> Starting database/);
  if (cold && (testBuild.ran === 0 || releaseBuild.ran === 0)) throw new Error(`make: a cold run rebuilt nothing (test ${testBuild.ran}, release ${releaseBuild.ran} steps run)\n${tail(result)}`);
  return {
    peer: "make",
    wallMs: result.wallMs,
    phases: phaseDurations(phasesFromLines(result.lines, "start-up (make)", MAKE_MARKS), result.wallMs),
    projects: [`todobackendtest${runId}`, `todobackendrelease${runId}`],
    buildNote: `test build ${testBuild.ran} steps run, ${testBuild.cached} cached; release build ${releaseBuild.ran} run, ${releaseBuild.cached} cached`,
  };
}

// ---------------------------------------------------------------------------------------------
// Rounds

interface RoundRecord {
  kind: "warm" | "cold";
  round: number;
  order: PeerName[];
  outcomes: RunOutcome[];
  /** 1-minute load average when the round started and when it ended. */
  load: [number, number];
}

async function main(): Promise<void> {
  const opts = options();
  runLogs = new RunLogs(opts.logs);
  const log = (line: string) => {
    if (!opts.json) console.log(line);
  };
  const setup = await describeSetup();
  const cli = await buildPublishedCli("ci");
  const example = await copyExample(EXAMPLE, "ci", { git: true });
  const copy = example.dir;
  log(`slipway ci vs make -f bench/peer/Makefile ci, in ${copy}`);
  log(setup);
  log(`${opts.rounds} warm round(s), ${opts.cold} cold round(s); load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);

  // Both peers move stable tags (and Slipway tags the release image by commit): all put back at the end.
  const tags = await ImageTags.snapshot([...SLIPWAY_TAGS, ...MAKE_TAGS]);
  const peers: PeerName[] = ["slipway", "make"];
  const rounds: RoundRecord[] = [];
  const runPeer = async (peer: PeerName, label: string, cold: boolean): Promise<RunOutcome> => {
    if (cold) {
      // New content for every run, committed: no peer may reuse the layers another just built.
      await coldEdit(copy, COLD_FILE);
      await commitAll(copy, `bench: cold ${label} ${peer}`);
    }
    const commit = (await runProcess("git", ["rev-parse", "--short=7", "HEAD"], copy)).lines[0]?.text.trim();
    if (commit) for (const tag of [commit, `${commit}-dirty`]) tags.made(`todobackend-app:${tag}`);
    const outcome = peer === "make" ? await runMake(copy, label, cold) : await runSlipway(copy, cli, label, cold);
    await assertClean(outcome.peer, outcome.projects);
    await tags.observe();
    return outcome;
  };
  const runRound = async (kind: "warm" | "cold", round: number): Promise<void> => {
    const order = round % 2 === 0 ? peers : [...peers].reverse();
    const loadBefore = loadavg()[0]!;
    const outcomes: RunOutcome[] = [];
    for (const peer of order) outcomes.push(await runPeer(peer, `${kind[0]}${round}`, kind === "cold"));
    const rec: RoundRecord = { kind, round, order, outcomes, load: [loadBefore, loadavg()[0]!] };
    rounds.push(rec);
    const [sl, mk] = [outcomes.find((o) => o.peer === "slipway")!, outcomes.find((o) => o.peer === "make")!];
    log(`  ${kind} ${round + 1}: ${order.join(" then ")}: slipway ${s(sl.wallMs)}, make ${s(mk.wallMs)}, ratio ${(sl.wallMs / mk.wallMs).toFixed(3)}  (load ${rec.load.map((l) => l.toFixed(1)).join(" → ")})`);
    if (kind === "cold") log(`      slipway ${sl.buildNote}; make ${mk.buildNote}`);
  };

  try {
    // Warm-up, untimed: both peers' images built for this commit, caches and page cache warm.
    for (const peer of peers) {
      const o = await runPeer(peer, "warmup", false);
      log(`  warm-up ${peer.padEnd(8)} ${s(o.wallMs)}  (${o.buildNote})`);
    }
    for (let round = 0; round < opts.rounds; round++) await runRound("warm", round);
    for (let round = 0; round < opts.cold; round++) await runRound("cold", round);
  } finally {
    const restored = await tags.restore();
    log(`  images: ${restored.retagged} stable tag(s) put back, ${restored.removed} image(s) or tag(s) of this run removed`);
    if (!opts.keepCopy) await example.remove();
  }
  report(rounds, opts);
}

// ---------------------------------------------------------------------------------------------
// Report

interface KindSummary {
  rounds: number;
  load: [number, number];
  slipwayMs: number[];
  makeMs: number[];
  ratio: RatioStats;
  engineBound: RatioStats;
  targetMet: boolean;
}

function report(rounds: RoundRecord[], opts: Options): void {
  const lines: string[] = [];
  const summary: Record<string, unknown> = { date: new Date().toISOString(), target: TARGET_RATIO };
  const outcome = (r: RoundRecord, p: PeerName) => r.outcomes.find((o) => o.peer === p)!;
  for (const kind of ["warm", "cold"] as const) {
    const rs = rounds.filter((r) => r.kind === kind);
    if (rs.length === 0) continue;
    const sl = rs.map((r) => outcome(r, "slipway"));
    const mk = rs.map((r) => outcome(r, "make"));
    const ratio = ratioStats(rs.map((_, i) => ({ ours: sl[i]!.wallMs, theirs: mk[i]!.wallMs })));
    const bound = ratioStats(rs.map((_, i) => ({ ours: sl[i]!.engineBoundMs!, theirs: mk[i]!.wallMs })));
    const loads = rs.flatMap((r) => r.load);
    const k: KindSummary = {
      rounds: rs.length,
      load: [Math.min(...loads), Math.max(...loads)],
      slipwayMs: sl.map((o) => o.wallMs),
      makeMs: mk.map((o) => o.wallMs),
      ratio,
      engineBound: bound,
      targetMet: ratio.median <= TARGET_RATIO,
    };
    summary[kind] = k;

    lines.push("", `${kind} (${rs.length} round${rs.length > 1 ? "s" : ""}, load average ${k.load[0].toFixed(1)}–${k.load[1].toFixed(1)}), wall time of the whole command:`);
    lines.push(`  slipway  median ${s(median(k.slipwayMs))}  rounds: ${k.slipwayMs.map(s).join(", ")}`);
    lines.push(`  make     median ${s(median(k.makeMs))}  rounds: ${k.makeMs.map(s).join(", ")}`);
    lines.push(`  slipway/make per round: ${ratio.perRound.map((x) => x.toFixed(3)).join(", ")}`);
    lines.push(`  slipway/make: median of per-round ratios ${formatRatio(ratio)}; target ≤ ${TARGET_RATIO}: ${k.targetMet ? "met" : "MISSED"}`);
    const own = sl.map((o) => o.wallMs - o.engineBoundMs!);
    lines.push(`  slipway engine-bound median ${s(median(sl.map((o) => o.engineBoundMs!)))}, its own work ${s(median(own))} (rounds: ${own.map(s).join(", ")})`);
    lines.push(`  engine-bound/make (slipway's own work free): ${formatRatio(bound)}`);
    lines.push("  by stage, median over rounds (start-up and exit under other):");
    for (const [peer, runs] of [["slipway", sl], ["make", mk]] as const) {
      lines.push(`    ${peer.padEnd(8)} ${medianPhases(runs.map((o) => byStage(o.phases))).map(([n, ms]) => `${n} ${s(ms)}`).join(", ")}`);
    }
    lines.push("  phases, median over rounds:");
    for (const [peer, runs] of [["slipway", sl], ["make", mk]] as const) {
      lines.push(`    ${peer}:`);
      for (const [name, ms] of medianPhases(runs.map((o) => o.phases))) lines.push(`      ${name.padEnd(50)} ${s(ms).padStart(9)}`);
    }
    const buildLines = medianBuilds(sl);
    if (buildLines.length > 0) lines.push("  slipway's builds, median start → end (ms since spawn):", ...buildLines.map((l) => `      ${l}`));
  }
  // One Slipway run's step timeline per kind (its median run), to see where the time goes.
  for (const kind of ["warm", "cold"] as const) {
    const runs = rounds.filter((r) => r.kind === kind).map((r) => outcome(r, "slipway"));
    const mid = [...runs].sort((a, b) => a.wallMs - b.wallMs)[runs.length >> 1];
    if (!mid?.steps) continue;
    lines.push("", `steps of the median ${kind} slipway run (${s(mid.wallMs)}), ms since spawn:`);
    for (const st of [...mid.steps].sort((a, b) => a.startMs - b.startMs)) lines.push(`  ${st.startMs.toFixed(0).padStart(6)} → ${st.endMs.toFixed(0).padStart(6)}  ${st.step}`);
  }
  if (opts.json) console.log(JSON.stringify({ ...summary, rounds }, null, 2));
  else console.log(lines.join("\n"));
}

/** Phases summed by their stage prefix ("test: …"); start-up and exit under "other". */
function byStage(phases: readonly [string, number][]): [string, number][] {
  const totals = new Map<string, number>([["test", 0], ["release", 0], ["acceptance", 0], ["other", 0]]);
  for (const [name, ms] of phases) {
    const stage = /^(test|release|acceptance):/.exec(name)?.[1] ?? "other";
    totals.set(stage, totals.get(stage)! + ms);
  }
  return [...totals];
}

function medianBuilds(runs: readonly RunOutcome[]): string[] {
  const names = [...new Set(runs.flatMap((o) => (o.builds ?? []).map((b) => b.step)))];
  return names.map((n) => {
    const spans = runs.map((o) => o.builds?.find((b) => b.step === n)).filter((b): b is StepSpan => !!b);
    return `${n.padEnd(32)} ${(median(spans.map((b) => b.startMs)) / 1000).toFixed(2)} → ${(median(spans.map((b) => b.endMs)) / 1000).toFixed(2)} s`;
  });
}

await main();
