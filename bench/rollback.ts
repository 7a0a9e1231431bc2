/**
 * `slipway rollback` against `slipway deploy` of the same stack, on the test world's 3-node swarm
 * (Engine 26), in one process run (issue 14): a stack's rollback takes no longer than a normal
 * deploy of the same change.
 *                                                  target: rollback ≤ 1.0 × deploy (median of the rounds' ratios)
 *
 * One stack, `sbrollback-<hex>`, deployed from a temporary folder whose slipway.yml has one target
 * `t` (the stack, compose.yaml, `endpoint` node 1's unix socket, timeout 3m). The compose file is
 * bench/deploy.ts's, from bench/swarm-runs.ts: a 2-replica busybox service pinned by digest (as
 * node 1 resolves it once at the start), `VERSION` in its environment, healthcheck every 1 s with 2
 * retries and a start period of 1 s, init, stop_grace_period 1 s, update and rollback parallelism
 * 1, stop-first, monitor 4 s, endpoint_mode dnsrr, no ports.
 *
 * Setup, untimed: deploy version A, note its run id (`slipway releases --target t --json`), deploy
 * version B. Then each round runs, one after the other, each timed from the spawn to the exit:
 *   rollback  `node <bundle> rollback --target t <A's run id>`: the service back to A's recorded spec
 *   deploy    `node <bundle> deploy --target t`, compose.yaml at B: the same one-service change, the
 *             other way
 * Both are the published CLI, bundled from the working tree at the start of the run by
 * scripts/bundle-cli.mjs into bench/.out/rollback/ (`--cli PATH` runs a given bundle instead). A
 * run counts only when it exits 0 and the service runs the version it was sent to, with an update
 * the swarm started after the spawn and `completed`. Ratios are per round, rollback/deploy; the
 * figure is their median [min–max]. A run that failed can leave the other version running (the
 * swarm rolls a deploy back when another's test stops a node under it): the next peer's starting
 * state is then made again first, untimed, and said.
 *
 * Where the time goes, per run (both peers run with SLIPWAY_TRACE=1: a stderr line per engine
 * request, method, path, status and duration; a few dozen lines a run):
 *   start-up        spawn → the first engine request: Node, the bundle, slipway.yml (deploy: the
 *                   compose files and the checks that need no engine)
 *   connect, lock   → the stack's lock taken (the first `POST /configs/create`): the ping, the
 *                   abandoned-run sweep beside it, the swarm's clock (deploy: the git state first)
 *   to the update   → `POST /services/{id}/update` answered: what each reads and checks before
 *                   changing anything (the requests in it are listed with their durations)
 *   rollout         → the service's UpdateStatus.CompletedAt, read from the manager after the run
 *                   (the host and the nodes share one kernel clock); StartedAt → CompletedAt is
 *                   also given alone: the swarm's own work, the same each way
 *   seen            → the client's `converged` line: the watch's lag, 0–0.5 s (it looks every 0.5 s)
 *   after           → the exit: records, the deploy's release write, the lock's release, teardown
 * The child's clock is placed on the spawn's by its trace lines: the smallest lag between a
 * line's time in the child and its arrival here. From these, two figures that are not the target:
 * the clients' own work (all but the rollout and the watch's lag), and the ratio without the
 * watch's lag (which quantizes both wall times to the watch's 0.5 s). After the first round the
 * service's spec after each peer is compared: it should differ only in VERSION and the labels that
 * say which run deployed it.
 *
 * Each deploy of B records a release, and a stack keeps its newest RELEASES_KEPT: A's would fall
 * out, so a run has at most RELEASES_KEPT − 1 rounds. Everything is removed at the end, on failure
 * and on Ctrl-C: any `slipway-lock-<stack>` a killed run left, then `slipway deploy --target t
 * --remove`, then through the engine API whatever still carries the stack's namespace, the stack's
 * release configs and the lock. Only the swarm's nodes are talked to, over their sockets. Exit
 * code 1 when the target is missed.
 *
 *   node --import tsx bench/rollback.ts [--rounds 5] [--cli dist/bin/slipway.js] [--json]
 *
 * About 3 minutes at the defaults on the shared 2-core VM.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { lockName } from "../src/deploy/lock.ts";
import { listReleases, RELEASES_KEPT } from "../src/deploy/release-record.ts";
import type { Engine } from "../src/engine/index.ts";
import { buildPublishedCli } from "./published-cli.ts";
import { flagValue, median, numberFlag, ratioStats, type RatioStats } from "./rounds.ts";
import { composeFile, connectNode, exec, loads, NODE, onInterrupt, pinnedBusybox, recorded, runProcess, sec, spreadS, startupMs, stopping, sweep, workingTree, type Run } from "./swarm-runs.ts";

const TARGET_RATIO = 1.0;
/** Rounds that keep A's release: setup records two, each round's deploy one more. */
const MAX_ROUNDS = RELEASES_KEPT - 1;
const VERSION_A = "a";
const VERSION_B = "b";
const RUN_LABEL = "dev.slipway.deploy.run";

type Peer = "rollback" | "deploy";
const PEERS: readonly Peer[] = ["rollback", "deploy"];

interface Options {
  rounds: number;
  cli: string | undefined;
  json: boolean;
}

function options(): Options {
  const rounds = numberFlag("rounds", 5);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > MAX_ROUNDS) {
    throw new Error(`--rounds: 1 to ${MAX_ROUNDS} (a stack keeps its newest ${RELEASES_KEPT} releases; each round's deploy records one, and the rollback needs A's)`);
  }
  return { rounds, cli: flagValue("cli"), json: process.argv.includes("--json") };
}

// ---------------------------------------------------------------------------------------------
// The files

function configFile(stack: string, endpoint: string): string {
  // slipway.yml needs an environment; nothing here uses it.
  return `environments:\n  unused: { compose: [compose.yaml], service: web }\ntargets:\n  t:\n    stack: ${stack}\n    compose: [compose.yaml]\n    endpoint: ${endpoint}\n    timeout: 3m\n`;
}

const tail = (r: Run) =>
  r.lines
    .filter((l) => !l.text.startsWith("trace "))
    .slice(-4)
    .map((l) => l.text)
    .join(" / ");

// ---------------------------------------------------------------------------------------------
// What a run's trace says

/** One engine request as SLIPWAY_TRACE printed it, on the spawn's clock (ms). */
interface Request {
  name: string;
  status: number;
  startMs: number;
  endMs: number;
}

const TRACE = /^trace\s+(\d+) ms\s+(\S+) (\S+) → (\d+) \(([\d.]+) ms\)$/;

/** IDs and image references out of a path, so that the same request in two runs has one name. */
function requestName(method: string, p: string): string {
  const named = p
    .replace(/^\/distribution\/.+\/json$/, "/distribution/{image}/json")
    .replace(/^\/(services|configs|secrets|networks|tasks|nodes|containers)\/(?!create$)[^/]+/, "/$1/{id}");
  return `${method} ${named}`;
}

function requestsOf(r: Run): Request[] {
  const parsed = r.lines.flatMap((l) => {
    const m = TRACE.exec(l.text);
    return m ? [{ arrivedMs: l.at, childEndMs: Number(m[1]), name: requestName(m[2]!, m[3]!), status: Number(m[4]), ms: Number(m[5]) }] : [];
  });
  if (!parsed.length) return [];
  // Where the child's clock starts on the spawn's: a line arrives after it was written, never before.
  const offset = Math.min(...parsed.map((p) => p.arrivedMs - p.childEndMs));
  return parsed.map((p) => ({ name: p.name, status: p.status, startMs: p.childEndMs + offset - p.ms, endMs: p.childEndMs + offset }));
}

// ---------------------------------------------------------------------------------------------
// The run

/** Where a run's time went, ms; the phases add up to the wall time. */
interface Phases {
  startup: number;
  connectLock: number;
  toUpdate: number;
  rollout: number;
  seen: number;
  after: number;
}

const PHASES: [keyof Phases, string][] = [
  ["startup", "start-up"],
  ["connectLock", "connect, lock"],
  ["toUpdate", "to the update"],
  ["rollout", "rollout"],
  ["seen", "seen"],
  ["after", "after"],
];

interface Timed {
  peer: Peer;
  round: number;
  ok: boolean;
  exitCode: number;
  wallMs: number;
  /** spawn → UpdateStatus.StartedAt, StartedAt → CompletedAt, CompletedAt → exit (ms). */
  toSwarmStartMs: number;
  swarmMs: number;
  swarmCompletedToExitMs: number;
  phases: Phases;
  /** The requests answered between the lock and the update, in order: name, start and end in ms after the lock was taken. */
  beforeUpdate: { name: string; startMs: number; endMs: number }[];
  state: string;
  error?: string;
}

interface Bench {
  cli: string;
  dir: string;
  stack: string;
  engine: Engine;
  runIdA: string;
  /** The service's spec after each peer's last good run: the two should differ only in what the change is. */
  specs: Partial<Record<Peer, unknown>>;
}

const TRACE_ENV = { SLIPWAY_TRACE: "1" };

function runPeer(b: Bench, peer: Peer): Promise<Run> {
  const args = peer === "rollback" ? ["rollback", "--target", "t", b.runIdA] : ["deploy", "--target", "t"];
  return runProcess(process.execPath, [b.cli, ...args], b.dir, { env: TRACE_ENV });
}

async function timedRun(b: Bench, peer: Peer, round: number): Promise<Timed> {
  const r = await runPeer(b, peer);
  if (stopping) throw new Error("interrupted");
  const rec = await recorded(b.engine, b.stack);
  const { startedEpochMs: started, completedEpochMs: completed, env } = rec;
  const version = peer === "rollback" ? VERSION_A : VERSION_B;
  const runLabel = rec.service.Spec.Labels?.[RUN_LABEL];
  const problems = [
    r.exitCode !== 0 ? `exit ${r.exitCode}` : "",
    rec.state !== "completed" ? `update ${rec.state}` : "",
    !(started >= r.spawnEpochMs) ? "no update started by this run" : "",
    !env.includes(`VERSION=${version}`) ? `runs ${env.find((e) => e.startsWith("VERSION=")) ?? "no VERSION"}, not ${version}` : "",
    peer === "rollback" && runLabel !== b.runIdA ? `labelled run ${runLabel}, not A's ${b.runIdA}` : "",
  ].filter(Boolean);

  const requests = requestsOf(r);
  const lock = requests.find((q) => q.name === "POST /configs/create");
  const update = requests.find((q) => q.name === "POST /services/{id}/update");
  const seenLine = r.lines.find((l) => /_web: converged: /.test(l.text));
  const swarmCompletedMs = completed - r.spawnEpochMs;
  const [firstRequest, lockTaken, updateSent, seen] = [requests[0]?.startMs, lock?.endMs, update?.endMs, seenLine?.at];
  const marks = [0, firstRequest, lockTaken, updateSent, swarmCompletedMs, seen, r.wallMs].map((m) => m ?? Number.NaN);
  const step = (i: number) => marks[i + 1]! - marks[i]!;
  const run: Timed = {
    peer,
    round,
    ok: problems.length === 0 && firstRequest !== undefined && lockTaken !== undefined && updateSent !== undefined && seen !== undefined,
    exitCode: r.exitCode,
    wallMs: r.wallMs,
    toSwarmStartMs: started - r.spawnEpochMs,
    swarmMs: completed - started,
    swarmCompletedToExitMs: r.exitEpochMs - completed,
    phases: { startup: step(0), connectLock: step(1), toUpdate: step(2), rollout: step(3), seen: step(4), after: step(5) },
    beforeUpdate: requests.filter((q) => lock && update && q.endMs > lock.endMs && q.endMs <= update.endMs).map((q) => ({ name: q.name, startMs: q.startMs - lock!.endMs, endMs: q.endMs - lock!.endMs })),
    state: rec.state,
  };
  if (run.ok) b.specs[peer] = rec.service.Spec;
  if (problems.length) run.error = `${problems.join(", ")}: ${tail(r)}`;
  else if (!run.ok) run.error = `no trace of the lock, the update or the verdict in its output: ${tail(r)}`;
  return run;
}

/**
 * The state a peer starts from, made again (untimed) when a run left another: B before a rollback,
 * A before a deploy. The swarm is shared: another's test that stops a node mid-update makes the
 * swarm roll the update back (failure_action rollback), and the next peer would then find nothing
 * to do. Says what it did, or undefined when nothing was needed.
 */
async function restore(b: Bench, next: Peer): Promise<string | undefined> {
  const version = next === "rollback" ? VERSION_B : VERSION_A;
  const runs = async () => {
    const svc = await b.engine.services.inspect(`${b.stack}_web`);
    const state = svc.UpdateStatus?.State;
    return { env: svc.Spec.TaskTemplate.ContainerSpec?.Env?.find((e) => e.startsWith("VERSION=")) ?? "no VERSION", settled: state === undefined || state === "completed" || state === "rollback_completed" };
  };
  const before = await runs();
  if (before.env === `VERSION=${version}` && before.settled) return undefined;
  const r = await runPeer(b, next === "rollback" ? "deploy" : "rollback");
  const after = await runs();
  if (after.env !== `VERSION=${version}` || !after.settled) throw new Error(`the service ran ${before.env} and could not be brought back to ${version}: exit ${r.exitCode}: ${tail(r)}`);
  return `the service ran ${before.env}${before.settled ? "" : " (its update not settled)"}, not ${version}: brought back, untimed`;
}

/** The paths at which two JSON values differ (`TaskTemplate.ContainerSpec.Env[0]`). */
function differences(a: unknown, b: unknown, at = ""): string[] {
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${at}[${k}]` : at ? `${at}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
}

// ---------------------------------------------------------------------------------------------
// Clean-up

async function removeLock(engine: Engine, stack: string): Promise<void> {
  const lock = await engine.configs.find(lockName(stack));
  if (lock) await engine.configs.remove(lock.ID);
}

/** The stack, its releases and its lock: what is left of them, by name. */
async function cleanUp(engine: Engine, cli: string | undefined, dir: string, stack: string): Promise<string[]> {
  // A run that was killed leaves its lock, which would refuse the removal.
  await removeLock(engine, stack).catch(() => undefined);
  if (cli) await exec(process.execPath, [cli, "deploy", "--target", "t", "--remove"], dir).catch(() => "");
  const left = await sweep(engine, { stack }).catch((err: unknown) => [`(the sweep failed: ${String(err)})`]);
  for (const r of await listReleases(engine, stack).catch(() => [])) await engine.configs.remove(r.id).catch(() => left.push(`release ${r.runId}`));
  await removeLock(engine, stack).catch(() => left.push(lockName(stack)));
  await rm(dir, { recursive: true, force: true });
  return left;
}

// ---------------------------------------------------------------------------------------------
// Figures

const finite = (ms: readonly number[]) => ms.filter(Number.isFinite);
const medianS = (ms: readonly number[]) => (finite(ms).length ? (median(finite(ms)) / 1000).toFixed(2) : "–");
const phaseLine = (p: Phases) => PHASES.map(([k, name]) => `${name} ${sec(p[k])}`).join(", ");

/** The requests between the lock and the update, by name and occurrence: median duration and median end after the lock (ms), over runs. */
function medianRequests(runs: readonly Timed[]): { name: string; ms: number; endMs: number }[] {
  const keyed = runs.map((r) => {
    const seen = new Map<string, number>();
    return r.beforeUpdate.map((q) => {
      const n = (seen.get(q.name) ?? 0) + 1;
      seen.set(q.name, n);
      return { ...q, name: n > 1 ? `${q.name} (${n})` : q.name };
    });
  });
  const names = [...new Set(keyed.flat().map((q) => q.name))];
  return names.map((name) => {
    const all = keyed.flatMap((k) => k.filter((q) => q.name === name));
    return { name, ms: median(all.map((q) => q.endMs - q.startMs)), endMs: median(all.map((q) => q.endMs)) };
  });
}

async function main(): Promise<void> {
  const began = performance.now();
  const o = options();
  const log = (line: string) => {
    if (!o.json) console.log(line);
  };
  const { swarm, endpoint, engine } = await connectNode();
  const stack = `sbrollback-${randomBytes(3).toString("hex")}`;
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-bench-rollback-"));
  let cli: string | undefined;

  onInterrupt(
    () => log("\ninterrupted: removing the stack, its releases and its lock"),
    () => cleanUp(engine, cli, dir, stack),
  );

  const runs: Timed[] = [];
  const restores: string[] = [];
  let specDiff: string[] | undefined;
  const roundLoads: string[] = [];
  const facts: Record<string, unknown> = {};
  try {
    cli = o.cli ? path.resolve(o.cli) : await buildPublishedCli("rollback");
    const image = await pinnedBusybox(engine);
    await writeFile(path.join(dir, "slipway.yml"), configFile(stack, endpoint));

    const [{ revision, srcChanges }, others] = await Promise.all([workingTree(), engine.services.list()]);
    const otherStacks = [...new Set(others.map((x) => x.Spec.Labels?.["com.docker.stack.namespace"] ?? x.Spec.Name))];
    const startup = await startupMs(process.execPath, [cli, "--version"], dir);
    Object.assign(facts, { revision: `${revision}${srcChanges ? "+dirty" : ""}`, engine: swarm.engine.version, node: process.versions.node, image, stack, startupMs: startup, loadavgAtStart: loadavg(), othersOnSwarm: { services: others.length, stacks: otherStacks } });

    log(`rollback: ${o.rounds} round(s) of \`slipway rollback --target t <A>\` then \`slipway deploy --target t\` (B); stack ${stack} on ${NODE}; files in ${dir}`);
    log(`slipway at ${revision}${srcChanges ? " + uncommitted changes in src/" : ""} (${path.relative(process.cwd(), cli)}); swarm engine ${swarm.engine.version} (API ${swarm.engine.apiVersion}); node ${process.versions.node}; image ${image}`);
    log(`start-up alone: slipway --version ${sec(startup)} (median of 3); load average ${loads()}; others on the swarm: ${others.length} service(s)${otherStacks.length ? ` (${otherStacks.slice(0, 8).join(", ")}${otherStacks.length > 8 ? ", …" : ""})` : ""}`);

    // Setup, untimed: A, its run id, then B.
    const t = performance.now();
    const deployVersion = async (version: string) => {
      await writeFile(path.join(dir, "compose.yaml"), composeFile({ image, version }));
      const r = await runProcess(process.execPath, [cli!, "deploy", "--target", "t"], dir);
      if (r.exitCode !== 0) throw new Error(`deploying version ${version} failed: exit ${r.exitCode}: ${tail(r)}`);
    };
    await deployVersion(VERSION_A);
    const rows = JSON.parse(await exec(process.execPath, [cli, "releases", "--target", "t", "--json"], dir)) as { runId: string; running: boolean }[];
    const runIdA = rows.find((x) => x.running)?.runId;
    if (!runIdA) throw new Error(`no running release after deploying A: ${JSON.stringify(rows)}`);
    await deployVersion(VERSION_B);
    facts["runIdA"] = runIdA;
    log(`setup (untimed): A deployed as run ${runIdA}, then B; ${sec(performance.now() - t)}`);
    log("");

    const b: Bench = { cli, dir, stack, engine, runIdA, specs: {} };
    for (let round = 1; round <= o.rounds && !stopping; round++) {
      for (const peer of PEERS) {
        const restored = await restore(b, peer);
        if (restored) {
          restores.push(`round ${round} ${peer}: ${restored}`);
          log(`  round ${round} ${peer.padEnd(8)} (${restored})`);
        }
        const r = await timedRun(b, peer, round);
        runs.push(r);
        log(`  round ${round} ${peer.padEnd(8)} ${r.ok ? sec(r.wallMs).padStart(8) : `FAILED: ${r.error}`}   ${phaseLine(r.phases)}   (swarm: spawn→started ${sec(r.toSwarmStartMs)}, started→completed ${sec(r.swarmMs)}, completed→exit ${sec(r.swarmCompletedToExitMs)})`);
      }
      const [rb, dp] = PEERS.map((p) => runs.find((x) => x.round === round && x.peer === p));
      if (!specDiff && b.specs.rollback && b.specs.deploy) {
        specDiff = differences(b.specs.rollback, b.specs.deploy);
        log(`  the service's spec after the rollback and after the deploy differs only at: ${specDiff.join(", ") || "nothing"}`);
      }
      roundLoads.push(loadavg()[0]!.toFixed(1));
      if (rb?.ok && dp?.ok) log(`  round ${round} rollback/deploy ${(rb.wallMs / dp.wallMs).toFixed(3)}; load ${roundLoads.at(-1)}`);
    }
  } finally {
    if (!stopping) {
      const left = await cleanUp(engine, cli, dir, stack);
      if (left.length) log(`left behind: ${left.join(", ")}`);
      await engine.close();
    }
  }
  if (stopping) return;
  report(o, runs, roundLoads, { ...facts, restores, specDifferences: specDiff }, performance.now() - began);
}

function report(o: Options, runs: Timed[], roundLoads: string[], facts: Record<string, unknown>, tookMs: number): void {
  const lines = ["", `${o.rounds} round(s); medians [min–max]:`];
  const summary: Record<string, unknown> = { date: new Date().toISOString(), ...facts, rounds: o.rounds };
  const good = (peer: Peer) => runs.filter((r) => r.peer === peer && r.ok);
  /** The rounds where both ran well: [rollback, deploy]. */
  const bothOk = () =>
    [...new Set(runs.map((r) => r.round))].flatMap((round) => {
      const [rb, dp] = PEERS.map((p) => runs.find((r) => r.round === round && r.peer === p && r.ok));
      return rb && dp ? [[rb, dp] as const] : [];
    });

  for (const peer of PEERS) {
    const ok = good(peer);
    lines.push(`  ${peer.padEnd(8)} command→verdict ${spreadS(ok.map((r) => r.wallMs))}   swarm: spawn→started ${spreadS(ok.map((r) => r.toSwarmStartMs))}, started→completed ${spreadS(ok.map((r) => r.swarmMs))}, completed→exit ${spreadS(ok.map((r) => r.swarmCompletedToExitMs))}   (${ok.length} ok of ${runs.filter((r) => r.peer === peer).length})`);
  }
  const pairs = bothOk().map(([rb, dp]) => ({ ours: rb.wallMs, theirs: dp.wallMs }));
  let ratio: RatioStats | undefined;
  let met = false;
  if (pairs.length) {
    ratio = ratioStats(pairs);
    met = ratio.median <= TARGET_RATIO;
    lines.push(`  rollback/deploy ${ratio.median.toFixed(4)} [${ratio.min.toFixed(3)}–${ratio.max.toFixed(3)}] (ratio of medians ${ratio.ofMedians.toFixed(3)}); target ≤ ${TARGET_RATIO.toFixed(1)}: ${met ? "met" : "MISSED"}   rounds: ${ratio.perRound.map((x) => x.toFixed(3)).join(", ")}`);
    lines.push(`  rollback − deploy ${spreadS(pairs.map((p) => p.ours - p.theirs))}`);
    // Two things the clients do not decide move the wall time: the swarm's own rollout (± 0.1–0.5 s
    // between two runs of the same change) and the watch's lag, from the swarm's completion to the
    // client's next look (it looks every 0.5 s: 0–0.5 s). What each client itself does is the rest.
    const work = (r: Timed) => r.phases.startup + r.phases.connectLock + r.phases.toUpdate + r.phases.after;
    const workDiffs = finite(bothOk().map(([rb, dp]) => work(rb) - work(dp)));
    lines.push(`  the clients' own work (start-up, connect and lock, to the update, after): rollback ${spreadS(good("rollback").map(work))}, deploy ${spreadS(good("deploy").map(work))}; rollback − deploy per round ${spreadS(workDiffs)}`);
    lines.push(`  the watch's lag (the swarm's completion → the client's converged line): rollback ${spreadS(good("rollback").map((r) => r.phases.seen))}, deploy ${spreadS(good("deploy").map((r) => r.phases.seen))}`);
    const unlagged = bothOk().flatMap(([rb, dp]) => (Number.isFinite(rb.phases.seen) && Number.isFinite(dp.phases.seen) ? [{ ours: rb.wallMs - rb.phases.seen, theirs: dp.wallMs - dp.phases.seen }] : []));
    const withoutLag = unlagged.length ? ratioStats(unlagged) : undefined;
    if (withoutLag) lines.push(`  without the watch's lag (command→verdict − lag; not the target): rollback/deploy ${withoutLag.median.toFixed(3)} [${withoutLag.min.toFixed(3)}–${withoutLag.max.toFixed(3)}]   rounds: ${withoutLag.perRound.map((x) => x.toFixed(3)).join(", ")}`);
    summary["clientWorkMs"] = { rollback: good("rollback").map(work), deploy: good("deploy").map(work), differencePerRound: workDiffs };
    summary["withoutWatchLag"] = withoutLag;
  } else {
    lines.push("  rollback/deploy: NOT MEASURED (no round where both succeeded)");
  }

  lines.push("", "  where the time goes (medians, s):");
  lines.push(`    ${"".padEnd(10)}${PHASES.map(([, name]) => name.padStart(15)).join("")}${"total".padStart(10)}`);
  const medianPhases = (peer: Peer): Phases => {
    const of = (k: keyof Phases) => median(finite(good(peer).map((r) => r.phases[k])));
    return { startup: of("startup"), connectLock: of("connectLock"), toUpdate: of("toUpdate"), rollout: of("rollout"), seen: of("seen"), after: of("after") };
  };
  const phaseMedians: Record<Peer, Phases> = { rollback: medianPhases("rollback"), deploy: medianPhases("deploy") };
  for (const peer of PEERS) lines.push(`    ${peer.padEnd(10)}${PHASES.map(([k]) => medianS([phaseMedians[peer][k]]).padStart(15)).join("")}${medianS(good(peer).map((r) => r.wallMs)).padStart(10)}`);
  // Per round, then the median: a difference of medians would mix rounds.
  const diffs = PHASES.map(([k]) => {
    const d = finite(bothOk().map(([rb, dp]) => rb.phases[k] - dp.phases[k]));
    return d.length ? median(d) : Number.NaN;
  });
  lines.push(`    ${"difference".padEnd(10)}${diffs.map((d) => (Number.isFinite(d) ? `${d >= 0 ? "+" : ""}${(d / 1000).toFixed(2)}` : "–").padStart(15)).join("")}`);
  for (const peer of PEERS) {
    lines.push(`  ${peer}: requests between the lock and the update (median ms, and when it ended after the lock): ${medianRequests(good(peer)).map((q) => `${q.name} ${q.ms.toFixed(0)} (+${q.endMs.toFixed(0)})`).join(", ") || "–"}`);
  }
  const restores = (facts["restores"] as string[] | undefined) ?? [];
  if (restores.length) lines.push(`  states made again before a run (untimed): ${restores.join("; ")}`);
  lines.push(`  load average after each round: ${roundLoads.join(", ")}; now ${loads()}`);
  lines.push(`  the whole run took ${sec(tookMs)}`);

  Object.assign(summary, { ratio, met, phaseMediansMs: phaseMedians, requestsBeforeUpdateMs: Object.fromEntries(PEERS.map((p) => [p, medianRequests(good(p))])), runs, loadavg: roundLoads.map(Number), tookMs });
  if (!met) process.exitCode = 1;
  if (o.json) console.log(JSON.stringify(summary, null, 2));
  else console.log(lines.join("\n"));
}

// After Ctrl-C the run stops where it is; the SIGINT handler's clean-up then exits 130.
await main().catch((err: unknown) => {
  if (!stopping) throw err;
});
