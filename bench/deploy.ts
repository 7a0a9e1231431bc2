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
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { Engine, Service } from "../src/engine/index.ts";
import { buildPublishedCli } from "./published-cli.ts";
import { flagValue, median, numberFlag, ratioStats } from "./rounds.ts";
import { composeFile, connectNode, exec, loads, NODE, onInterrupt, pinnedBusybox, recorded, runProcess, sec, spreadS, startupMs, stopping, sweep, workingTree, type Run } from "./swarm-runs.ts";

const UPDATE_SLACK_MS = 1000;
const ROLLBACK_TARGET_MS = 1000;

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
    await writeFile(path.join(this.dir, `${target}.yaml`), composeFile({ image: this.image, replicas: this.replicas, version, healthy }));
    return runProcess(process.execPath, [this.cli, "deploy", "--target", target], this.dir);
  }

  docker(version: string, healthy: boolean): Promise<Run> {
    return runProcess("docker", ["exec", "-i", NODE, "docker", "stack", "deploy", "--detach=false", "-c", "-", this.stack("d")], this.dir, { stdin: composeFile({ image: this.image, replicas: this.replicas, version, healthy }) });
  }

  run(peer: Peer, version: string): Promise<Run> {
    return peer === "slipway" ? this.slipway("s", version, true) : this.docker(version, true);
  }
}

// ---------------------------------------------------------------------------------------------
// The two services' specs

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

async function main(): Promise<void> {
  const began = performance.now();
  const o = options();
  const log = (line: string) => {
    if (!o.json) console.log(line);
  };
  const { swarm, endpoint, engine } = await connectNode();
  const prefix = `sbdeploy-${randomBytes(3).toString("hex")}`;
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-bench-deploy-"));
  const cli = o.cli ? path.resolve(o.cli) : await buildPublishedCli("deploy");
  const peers = new Peers(cli, dir, prefix, await pinnedBusybox(engine), o.replicas);
  await peers.writeConfig(endpoint);

  onInterrupt(
    () => log("\ninterrupted: removing the run's stacks"),
    async () => {
      // Twice: a `docker stack deploy` inside the node outlives its `docker exec` and may still be
      // creating what the first sweep removed.
      await sweep(engine, { prefix });
      await new Promise((r) => setTimeout(r, 3000));
      const left = await sweep(engine, { prefix });
      await rm(dir, { recursive: true, force: true });
      return left;
    },
  );

  const [{ revision, srcChanges }, dockerVersion] = await Promise.all([workingTree(), exec("docker", ["exec", NODE, "docker", "version", "--format", "{{.Client.Version}}"])]);
  const startup = {
    slipway: await startupMs(process.execPath, [cli, "--version"], dir),
    dockerExec: await startupMs("docker", ["exec", "-i", NODE, "true"], dir),
    dockerExecVersion: await startupMs("docker", ["exec", "-i", NODE, "docker", "stack", "--help"], dir),
  };

  log(`deploy: ${o.replicas}-replica update × ${o.rounds} round(s), slipway rollbacks × ${o.rollbacks}, docker rollbacks × ${o.dockerRollbacks}; stacks ${prefix}-{s,d,r} on ${NODE}; files in ${dir}`);
  log(`slipway at ${revision}${srcChanges ? " + uncommitted changes in src/" : ""} (${path.relative(process.cwd(), cli)}); swarm engine ${swarm.engine.version} (API ${swarm.engine.apiVersion}), docker CLI ${dockerVersion} in ${NODE}; node ${process.versions.node}; image ${peers.image}`);
  log(`start-up alone (median of 3): slipway --version ${sec(startup.slipway)}; docker exec -i ${NODE} true ${sec(startup.dockerExec)}; … docker stack --help ${sec(startup.dockerExecVersion)}; load average ${loads()}`);

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
      const left = await sweep(engine, { prefix });
      if (left.length) log(`left behind: ${left.join(", ")}`);
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  if (stopping) return;
  report(o, { updates, rollbacks, roundLoads, startupMs: startup, specDiff, revision: `${revision}${srcChanges ? "+dirty" : ""}`, dockerVersion, engine: swarm.engine.version, tookMs: performance.now() - began });
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
