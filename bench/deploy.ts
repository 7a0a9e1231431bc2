/**
 * `slipway deploy` against `docker stack deploy --detach=false` on the test world's 3-node swarm
 * (Engine 26), in one process run (the deploy issue):
 *
 *   1. command → verdict for the same stack change: an update of a 2-replica busybox service (its
 *      environment value changes; healthcheck every 1 s, 2 retries, start period 1 s; update and
 *      rollback parallelism 1, stop-first, monitor 4 s, failure_action rollback (the rollback's:
 *      pause); stop_grace_period 1 s and init, so stops are fast). Timed from the spawn to the
 *      process's exit.
 *                                                     target: slipway ≤ 1.0 × docker + 1 s
 *      Each run is also placed against what the swarm recorded (the host and the nodes share one
 *      kernel clock): spawn → UpdateStatus.StartedAt (the client's start-up, the image resolve,
 *      the update sent), StartedAt → CompletedAt (the swarm's own rollout, monitor included),
 *      CompletedAt → exit (how long the client took to see it and exit).
 *   2. Swarm's rollback → Slipway's verdict: an update whose healthcheck fails (`exit 1`), with
 *      Slipway's default failure_action rollback; the service's UpdateStatus.CompletedAt (state
 *      rollback_completed), read from the manager after Slipway exits, against the exit.
 *                                                                           target: ≤ 1 s
 *      Also the moment Slipway printed the verdict (its stderr line, as it arrived), which the
 *      exit follows by the failing tasks' log read and the process's teardown.
 *   docker's exit code on a rollback (docker/cli#6752 says 0) is run and printed too: a fact for
 *   the docs, not a target.
 *
 * Peers:
 *   slipway  `node <bundle> deploy --target T` from a temporary folder whose slipway.yml points the
 *            target's `endpoint` at node 1's unix socket (the published CLI, bundled from the working
 *            tree at the start of the run by scripts/bundle-cli.mjs into bench/.out/deploy/;
 *            `--cli PATH` runs a given bundle instead)
 *   docker   `docker exec -i slipway-swarm-1 docker stack deploy --detach=false -c - STACK`, the
 *            compose file on stdin: the node's own docker CLI (26) against its own engine. What the
 *            `docker exec` itself costs (`docker exec -i slipway-swarm-1 true`) is printed beside it.
 * Both get the same compose file: the image pinned by digest (busybox, as node 1 resolves it once
 * at the start), so neither resolves a tag; update_config and rollback_config written out, so both
 * services get the same spec (the bench prints any difference between the two specs).
 *
 * Stacks: `sbdeploy-<hex>-s` (slipway's updates), `-d` (docker's updates, then docker's rollback),
 * `-r` (slipway's rollbacks): each tool its own, created once before the rounds (untimed). Each
 * round runs the two updates, in an order reversed every round, then one slipway rollback. Ratios
 * and differences are per round; figures are medians [min–max]. Everything is removed at the end,
 * on failure and on Ctrl-C (`slipway deploy --remove`, `docker stack rm`, then the engine API for
 * whatever carries the run's stack namespace). Only the swarm's nodes are talked to, over their
 * sockets; the services publish no ports. Exit code 1 when a target is missed.
 *
 *   node --import tsx bench/deploy.ts [--rounds 4] [--rollbacks 4] [--docker-rollbacks 1]
 *        [--replicas 2] [--cli dist/bin/slipway.js] [--json]
 *
 * About 3.5 minutes at the defaults on the shared 2-core VM.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { Engine, endpointFromEnv, type Service } from "../src/engine/index.ts";
import { ensureSwarm } from "../test/support/swarm.ts";
import { buildPublishedCli } from "./published-cli.ts";
import { flagValue, median, numberFlag, ratioStats, s } from "./rounds.ts";

const NODE = "slipway-swarm-1";
const UPDATE_SLACK_MS = 1000;
const ROLLBACK_TARGET_MS = 1000;
/** A deploy slower than this is broken, not slow. */
const PEER_TIMEOUT_MS = 180_000;
const MONITOR = "4s"; // the healthcheck's worst case (1 s + 1 s × 2) + 1 s: what Slipway sets when unset

type Peer = "slipway" | "docker";

interface Options {
  rounds: number;
  rollbacks: number;
  dockerRollbacks: number;
  replicas: number;
  cli: string | undefined;
  json: boolean;
}

function options(): Options {
  const rounds = numberFlag("rounds", 4);
  const rollbacks = numberFlag("rollbacks", rounds);
  const dockerRollbacks = numberFlag("docker-rollbacks", 1);
  const replicas = numberFlag("replicas", 2);
  for (const [name, v] of [["rounds", rounds], ["rollbacks", rollbacks], ["docker-rollbacks", dockerRollbacks], ["replicas", replicas]] as const) {
    if (!Number.isInteger(v)) throw new Error(`--${name}: a whole number`);
  }
  if (rounds < 1 || replicas < 1 || replicas > 6) throw new Error("--rounds ≥ 1, --replicas 1 to 6");
  return { rounds, rollbacks, dockerRollbacks, replicas, cli: flagValue("cli"), json: process.argv.includes("--json") };
}

// ---------------------------------------------------------------------------------------------
// The compose file, the same for both tools

function composeFile(image: string, replicas: number, version: string, healthy: boolean): string {
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

interface Run {
  exitCode: number;
  wallMs: number;
  /** Epoch ms of the spawn and of the exit, on the machine's clock (the nodes share it). */
  spawnEpochMs: number;
  exitEpochMs: number;
  /** Lines of stdout and stderr with ms since spawn. */
  lines: { at: number; text: string }[];
}

const live = new Set<ChildProcess>();
/** Set by Ctrl-C: no process is started after it. */
let stopping = false;
const epochOf = (perfMs: number) => performance.timeOrigin + perfMs;

/** A process in a group of its own (so a Ctrl-C sweep can end all of it), timed from spawn to exit. */
function runProcess(command: string, args: string[], cwd: string, stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    if (stopping) return reject(new Error("interrupted"));
    const lines: { at: number; text: string }[] = [];
    const t0 = performance.now();
    const child = spawn(command, args, { cwd, detached: true, stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
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

async function exec(command: string, args: string[], cwd = process.cwd()): Promise<string> {
  const { stdout } = await promisify(execFile)(command, args, { cwd, maxBuffer: 16 << 20 });
  return stdout.trim();
}

/** The engine's RFC 3339 time with nanoseconds, as epoch ms with the sub-ms part kept. */
function epochMsOf(rfc3339: string | undefined): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(rfc3339 ?? "");
  if (!m) return Number.NaN;
  return Date.parse(`${m[1]}${m[3]}`) + Number(`0.${m[2] ?? "0"}`) * 1000;
}

// ---------------------------------------------------------------------------------------------
// The peers

class Peers {
  constructor(
    readonly cli: string,
    readonly dir: string,
    readonly prefix: string,
    readonly image: string,
    readonly replicas: number,
  ) {}

  stack(which: "s" | "d" | "r"): string {
    return `${this.prefix}-${which}`;
  }

  /** slipway.yml: targets s and r, each with its own compose file, on node 1's socket. */
  async writeConfig(endpoint: string): Promise<void> {
    const target = (t: "s" | "r") => `  ${t}:\n    stack: ${this.stack(t)}\n    compose: [${t}.yaml]\n    endpoint: ${endpoint}\n`;
    // slipway.yml needs an environment; nothing here uses it.
    await writeFile(path.join(this.dir, "slipway.yml"), `environments:\n  unused: { compose: [s.yaml], service: web }\ntargets:\n${target("s")}${target("r")}`);
  }

  async slipway(target: "s" | "r", version: string, healthy: boolean): Promise<Run> {
    await writeFile(path.join(this.dir, `${target}.yaml`), composeFile(this.image, this.replicas, version, healthy));
    return runProcess(process.execPath, [this.cli, "deploy", "--target", target], this.dir);
  }

  docker(version: string, healthy: boolean): Promise<Run> {
    return runProcess("docker", ["exec", "-i", NODE, "docker", "stack", "deploy", "--detach=false", "-c", "-", this.stack("d")], this.dir, composeFile(this.image, this.replicas, version, healthy));
  }

  run(peer: Peer, version: string): Promise<Run> {
    return peer === "slipway" ? this.slipway("s", version, true) : this.docker(version, true);
  }
}

// ---------------------------------------------------------------------------------------------
// What the swarm recorded

interface Recorded {
  state: string;
  startedEpochMs: number;
  completedEpochMs: number;
  env: string[];
}

async function recorded(engine: Engine, stack: string): Promise<Recorded> {
  const svc = await engine.services.inspect(`${stack}_web`);
  const u = svc.UpdateStatus;
  return { state: u?.State ?? "(none)", startedEpochMs: epochMsOf(u?.StartedAt), completedEpochMs: epochMsOf(u?.CompletedAt), env: svc.Spec.TaskTemplate.ContainerSpec?.Env ?? [] };
}

/** The parts of two services' specs that decide how an update runs, where they differ. */
function specDifferences(a: Service, b: Service): string[] {
  const pick = (x: Service) => {
    const c = x.Spec.TaskTemplate.ContainerSpec;
    return {
      image: c?.Image,
      init: c?.Init,
      stopGracePeriod: c?.StopGracePeriod,
      healthcheck: c?.Healthcheck,
      command: c?.Command,
      args: c?.Args,
      mode: x.Spec.Mode,
      updateConfig: x.Spec.UpdateConfig,
      rollbackConfig: x.Spec.RollbackConfig,
      restartPolicy: x.Spec.TaskTemplate.RestartPolicy,
      endpointMode: x.Spec.EndpointSpec?.Mode,
    };
  };
  const [pa, pb] = [pick(a), pick(b)];
  return Object.keys(pa).flatMap((k) => {
    const [va, vb] = [JSON.stringify(pa[k as keyof typeof pa]), JSON.stringify(pb[k as keyof typeof pb])];
    return va === vb ? [] : [`${k}: slipway ${va} / docker ${vb}`];
  });
}

// ---------------------------------------------------------------------------------------------
// Clean-up

/** Every service, then every network, whose stack namespace starts with the run's prefix. */
async function sweep(engine: Engine, prefix: string): Promise<string[]> {
  const mine = (labels: Record<string, string> | null | undefined) => labels?.["com.docker.stack.namespace"]?.startsWith(prefix) ?? false;
  for (const svc of (await engine.services.list()).filter((x) => mine(x.Spec.Labels))) await engine.services.remove(svc.ID);
  // A network is refused while the removed services' tasks still hold it: a few tries.
  let left: string[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const networks = (await engine.networks.list()).filter((n) => mine(n.Labels));
    left = [];
    for (const n of networks) await engine.networks.remove(n.Id).catch(() => left.push(n.Name));
    if (!left.length) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return [...(await engine.services.list()).filter((x) => mine(x.Spec.Labels)).map((x) => x.Spec.Name), ...left];
}

// ---------------------------------------------------------------------------------------------
// The run

interface UpdateRun {
  peer: Peer;
  round: number;
  ok: boolean;
  exitCode: number;
  wallMs: number;
  /** spawn → UpdateStatus.StartedAt, StartedAt → CompletedAt, CompletedAt → exit; ms. */
  toStartMs: number;
  swarmMs: number;
  afterMs: number;
  state: string;
  error?: string;
}

interface RollbackRun {
  peer: Peer;
  round: number;
  ok: boolean;
  exitCode: number;
  wallMs: number;
  state: string;
  /** rollback_completed → the process's exit, ms. */
  latencyMs: number;
  /** rollback_completed → the verdict line on its stderr (slipway only), ms. */
  verdictLineMs: number;
  /** The swarm's update, its failure and its rollback: UpdateStatus.StartedAt → CompletedAt, ms. */
  swarmMs: number;
  error?: string;
}

const tail = (r: Run) => r.lines.slice(-4).map((l) => l.text).join(" / ");

async function timedUpdate(peers: Peers, engine: Engine, peer: Peer, round: number): Promise<UpdateRun> {
  const version = `u${round}-${randomBytes(2).toString("hex")}`;
  const r = await peers.run(peer, version);
  const rec = await recorded(engine, peers.stack(peer === "slipway" ? "s" : "d"));
  const ok = r.exitCode === 0 && rec.state === "completed" && rec.env.includes(`VERSION=${version}`);
  const run: UpdateRun = {
    peer,
    round,
    ok,
    exitCode: r.exitCode,
    wallMs: r.wallMs,
    toStartMs: rec.startedEpochMs - r.spawnEpochMs,
    swarmMs: rec.completedEpochMs - rec.startedEpochMs,
    afterMs: r.exitEpochMs - rec.completedEpochMs,
    state: rec.state,
  };
  if (!ok) run.error = `exit ${r.exitCode}, update ${rec.state}: ${tail(r)}`;
  return run;
}

async function timedRollback(peers: Peers, engine: Engine, peer: Peer, round: number): Promise<RollbackRun> {
  const version = `f${round}-${randomBytes(2).toString("hex")}`;
  const r = peer === "slipway" ? await peers.slipway("r", version, false) : await peers.docker(version, false);
  const rec = await recorded(engine, peers.stack(peer === "slipway" ? "r" : "d"));
  const verdict = r.lines.find((l) => /: rolled-back: /.test(l.text));
  const expectedExit = peer === "slipway" ? 11 : r.exitCode;
  const ok = rec.state === "rollback_completed" && r.exitCode === expectedExit && !rec.env.includes(`VERSION=${version}`);
  const run: RollbackRun = {
    peer,
    round,
    ok,
    exitCode: r.exitCode,
    wallMs: r.wallMs,
    state: rec.state,
    latencyMs: r.exitEpochMs - rec.completedEpochMs,
    verdictLineMs: verdict ? r.spawnEpochMs + verdict.at - rec.completedEpochMs : Number.NaN,
    swarmMs: rec.completedEpochMs - rec.startedEpochMs,
  };
  if (!ok) run.error = `exit ${r.exitCode}, update ${rec.state}: ${tail(r)}`;
  return run;
}

const sec = (ms: number) => (Number.isFinite(ms) ? s(ms) : "–");
const spreadS = (ms: number[]) => {
  const v = ms.filter(Number.isFinite);
  return v.length ? `${(median(v) / 1000).toFixed(2)} s [${(Math.min(...v) / 1000).toFixed(2)}–${(Math.max(...v) / 1000).toFixed(2)}]` : "–";
};
const loads = () => loadavg().map((l) => l.toFixed(1)).join(" ");

async function main(): Promise<void> {
  const began = performance.now();
  const o = options();
  const log = (line: string) => {
    if (!o.json) console.log(line);
  };
  const swarm = await ensureSwarm();
  const endpoint = swarm.nodes.find((n) => n.container === NODE)?.dockerHost;
  if (!endpoint) throw new Error(`${swarm.path}: no node ${NODE}`);
  const engine = await Engine.connect({ endpoint: endpointFromEnv({ DOCKER_HOST: endpoint }) });
  const prefix = `sbdeploy-${randomBytes(3).toString("hex")}`;
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-bench-deploy-"));
  const cli = o.cli ? path.resolve(o.cli) : await buildPublishedCli("deploy");
  const { Descriptor } = await engine.images.distribution("busybox:latest");
  const peers = new Peers(cli, dir, prefix, `busybox:latest@${Descriptor.digest}`, o.replicas);
  await peers.writeConfig(endpoint);

  process.once("SIGINT", () => {
    stopping = true;
    for (const c of live) {
      try {
        process.kill(-c.pid!, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    log("\ninterrupted: removing the run's stacks");
    // Twice: a `docker stack deploy` inside the node outlives its `docker exec` and may still be
    // creating what the first sweep removed.
    void sweep(engine, prefix)
      .then(() => new Promise((r) => setTimeout(r, 3000)))
      .then(() => sweep(engine, prefix))
      .then((left) => left.length && console.error(`left behind: ${left.join(", ")}`))
      .then(() => rm(dir, { recursive: true, force: true }))
      .finally(() => process.exit(130));
  });

  const [revision, srcChanges, dockerVersion] = await Promise.all([
    exec("git", ["rev-parse", "--short", "HEAD"]).catch(() => "unknown"),
    exec("git", ["status", "--porcelain", "--", "src"]).catch(() => ""),
    exec("docker", ["exec", NODE, "docker", "version", "--format", "{{.Client.Version}}"]),
  ]);
  // Start-up alone, for reading the figures: median of 3 after one warm-up.
  const startup = async (cmd: string, args: string[]) => {
    const walls: number[] = [];
    for (let i = 0; i < 4; i++) walls.push((await runProcess(cmd, args, dir)).wallMs);
    return median(walls.slice(1));
  };
  const startupMs = {
    slipway: await startup(process.execPath, [cli, "--version"]),
    dockerExec: await startup("docker", ["exec", "-i", NODE, "true"]),
    dockerExecVersion: await startup("docker", ["exec", "-i", NODE, "docker", "stack", "--help"]),
  };

  log(`deploy: ${o.replicas}-replica update × ${o.rounds} round(s), slipway rollbacks × ${o.rollbacks}, docker rollbacks × ${o.dockerRollbacks}; stacks ${prefix}-{s,d,r} on ${NODE}; files in ${dir}`);
  log(`slipway at ${revision}${srcChanges ? " + uncommitted changes in src/" : ""} (${path.relative(process.cwd(), cli)}); swarm engine ${swarm.engine.version} (API ${swarm.engine.apiVersion}), docker CLI ${dockerVersion} in ${NODE}; node ${process.versions.node}; image ${peers.image}`);
  log(`start-up alone (median of 3): slipway --version ${sec(startupMs.slipway)}; docker exec -i ${NODE} true ${sec(startupMs.dockerExec)}; … docker stack --help ${sec(startupMs.dockerExecVersion)}; load average ${loads()}`);

  const updates: UpdateRun[] = [];
  const rollbacks: RollbackRun[] = [];
  const roundLoads: string[] = [];
  let specDiff: string[] = [];
  try {
    // The three stacks, untimed.
    const t = performance.now();
    const created = await Promise.all([peers.slipway("s", "u0", true), peers.slipway("r", "u0", true), peers.docker("u0", true)]);
    for (const c of created) if (c.exitCode !== 0) throw new Error(`creating the stacks failed: exit ${c.exitCode}: ${tail(c)}`);
    specDiff = specDifferences(await engine.services.inspect(`${peers.stack("s")}_web`), await engine.services.inspect(`${peers.stack("d")}_web`));
    log(`stacks created in ${sec(performance.now() - t)} (untimed); the two services' specs ${specDiff.length ? `DIFFER: ${specDiff.join("; ")}` : "are the same (image, init, stop grace, healthcheck, command, mode, update, rollback, restart, endpoint mode)"}`);
    log("");

    const total = Math.max(o.rounds, o.rollbacks);
    for (let round = 1; round <= total && !stopping; round++) {
      if (round <= o.rounds) {
        const order: Peer[] = round % 2 ? ["slipway", "docker"] : ["docker", "slipway"];
        for (const peer of order) {
          const u = await timedUpdate(peers, engine, peer, round);
          updates.push(u);
          log(`  update   round ${round} ${peer.padEnd(8)} ${u.ok ? sec(u.wallMs).padStart(8) : `FAILED: ${u.error}`}   spawn→swarm started ${sec(u.toStartMs)}, swarm's rollout ${sec(u.swarmMs)}, swarm completed→exit ${sec(u.afterMs)}`);
        }
      }
      if (round <= o.rollbacks && !stopping) {
        const r = await timedRollback(peers, engine, "slipway", round);
        rollbacks.push(r);
        log(`  rollback round ${round} slipway  ${r.ok ? sec(r.wallMs).padStart(8) : `FAILED: ${r.error}`}   exit ${r.exitCode}; swarm's update and rollback ${sec(r.swarmMs)}; rollback_completed→verdict line ${sec(r.verdictLineMs)}, →exit ${sec(r.latencyMs)}`);
      }
      roundLoads.push(loadavg()[0]!.toFixed(1));
    }
    for (let i = 1; i <= o.dockerRollbacks && !stopping; i++) {
      const r = await timedRollback(peers, engine, "docker", i);
      rollbacks.push(r);
      log(`  rollback        ${i} docker   ${sec(r.wallMs).padStart(8)}   exit ${r.exitCode} with the update ${r.state}; swarm's update and rollback ${sec(r.swarmMs)}; rollback_completed→exit ${sec(r.latencyMs)}`);
    }
  } finally {
    if (!stopping) {
      // Each tool takes down its own stack; the engine API takes whatever is left.
      await Promise.all([
        ...(["s", "r"] as const).map((t) => exec(process.execPath, [cli, "deploy", "--target", t, "--remove"], dir).catch(() => "")),
        exec("docker", ["exec", NODE, "docker", "stack", "rm", peers.stack("d")]).catch(() => ""),
      ]);
      const left = await sweep(engine, prefix);
      if (left.length) log(`left behind: ${left.join(", ")}`);
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  if (stopping) return;
  report(o, { updates, rollbacks, roundLoads, startupMs, specDiff, revision: `${revision}${srcChanges ? "+dirty" : ""}`, dockerVersion, engine: swarm.engine.version, tookMs: performance.now() - began });
}

function report(
  o: Options,
  r: { updates: UpdateRun[]; rollbacks: RollbackRun[]; roundLoads: string[]; startupMs: Record<string, number>; specDiff: string[]; revision: string; dockerVersion: string; engine: string; tookMs: number },
): void {
  const lines = ["", `${o.rounds} update round(s), ${o.rollbacks} slipway rollback(s), ${o.dockerRollbacks} docker rollback(s); medians [min–max]:`];
  const pairs = [...new Set(r.updates.map((u) => u.round))].flatMap((round) => {
    const ours = r.updates.find((u) => u.round === round && u.peer === "slipway");
    const theirs = r.updates.find((u) => u.round === round && u.peer === "docker");
    return ours?.ok && theirs?.ok ? [{ ours, theirs }] : [];
  });
  let missed = false;
  const summary: Record<string, unknown> = { date: new Date().toISOString(), revision: r.revision, engine: r.engine, dockerCli: r.dockerVersion, node: process.versions.node, replicas: o.replicas, startupMs: r.startupMs, specDifferences: r.specDiff };

  for (const peer of ["slipway", "docker"] as const) {
    const runs = r.updates.filter((u) => u.peer === peer && u.ok);
    lines.push(`  update ${peer.padEnd(8)} command→verdict ${spreadS(runs.map((u) => u.wallMs))}   spawn→swarm started ${spreadS(runs.map((u) => u.toStartMs))}   swarm's rollout ${spreadS(runs.map((u) => u.swarmMs))}   swarm completed→exit ${spreadS(runs.map((u) => u.afterMs))}   (${runs.length} ok of ${r.updates.filter((u) => u.peer === peer).length})`);
  }
  if (pairs.length) {
    const ratio = ratioStats(pairs.map((p) => ({ ours: p.ours.wallMs, theirs: p.theirs.wallMs })));
    const diffs = pairs.map((p) => p.ours.wallMs - p.theirs.wallMs);
    // slipway ≤ 1.0 × docker + 1 s, per round: their difference.
    const met = median(diffs) <= UPDATE_SLACK_MS;
    if (!met) missed = true;
    lines.push(`  update slipway/docker ${ratio.median.toFixed(3)} [${ratio.min.toFixed(3)}–${ratio.max.toFixed(3)}] (ratio of medians ${ratio.ofMedians.toFixed(3)}); slipway − docker ${spreadS(diffs)}; target slipway ≤ 1.0 × docker + 1 s: ${met ? "met" : "MISSED"}   rounds: ${ratio.perRound.map((x) => x.toFixed(3)).join(", ")}`);
    summary["update"] = { ratio, differenceMs: diffs, met, runs: r.updates };
  } else {
    missed = true;
    lines.push("  update slipway/docker: NOT MEASURED (no round where both succeeded)");
    summary["update"] = { met: false, runs: r.updates };
  }

  const ours = r.rollbacks.filter((x) => x.peer === "slipway");
  const good = ours.filter((x) => x.ok);
  if (good.length) {
    const latencies = good.map((x) => x.latencyMs);
    const met = median(latencies) <= ROLLBACK_TARGET_MS;
    if (!met) missed = true;
    lines.push(`  rollback slipway: rollback_completed→exit ${spreadS(latencies)}; target ≤ 1 s: ${met ? "met" : "MISSED"}   →verdict line ${spreadS(good.map((x) => x.verdictLineMs))}   command→verdict ${spreadS(good.map((x) => x.wallMs))} (the swarm's update and rollback ${spreadS(good.map((x) => x.swarmMs))})   exit codes ${ours.map((x) => x.exitCode).join(", ")}   rounds: ${latencies.map((x) => (x / 1000).toFixed(2)).join(", ")} s`);
    summary["rollback"] = { latencyMs: latencies, met, runs: ours };
  } else {
    missed = true;
    lines.push(`  rollback slipway: NOT MEASURED (${ours.map((x) => x.error).join("; ") || "no run"})`);
    summary["rollback"] = { met: false, runs: ours };
  }
  const theirs = r.rollbacks.filter((x) => x.peer === "docker");
  if (theirs.length) {
    lines.push(`  rollback docker stack deploy --detach=false: exit code(s) ${theirs.map((x) => x.exitCode).join(", ")} with the update ${[...new Set(theirs.map((x) => x.state))].join(", ")} (docker/cli#6752); command→exit ${spreadS(theirs.map((x) => x.wallMs))}, rollback_completed→exit ${spreadS(theirs.map((x) => x.latencyMs))}`);
    summary["dockerRollback"] = theirs;
  }
  lines.push(`  load average after each round: ${r.roundLoads.join(", ")}; now ${loads()}`);
  lines.push(`  the whole run took ${sec(r.tookMs)}`);
  summary["loadavg"] = r.roundLoads.map(Number);
  summary["tookMs"] = r.tookMs;
  if (missed) process.exitCode = 1;
  if (o.json) console.log(JSON.stringify(summary, null, 2));
  else console.log(lines.join("\n"));
}

// After Ctrl-C the run stops where it is; the SIGINT handler's sweep then exits 130.
await main().catch((err: unknown) => {
  if (!stopping) throw err;
});
