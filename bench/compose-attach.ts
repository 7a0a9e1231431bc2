/**
 * `slipway compose` as a drop-in for docker compose v2 where a user watches the output (issue
 * "slipway compose as a drop-in"): attached `up` and `logs -f`, both CLIs as processes, in one
 * process run against the real engine.
 *
 *   1. attached up: a compose file of 10 busybox services, each printing one line at start
 *      (`sh -c 'echo ready-sNN-$$; sleep 3600'`, `init: true`, `stop_grace_period: 1s`), run by
 *      `compose -f F -p P up` in the foreground; timed from the spawn until the first line of EACH
 *      service has reached our pipe from the peer's stdout (read as it comes). Then, untimed, the
 *      peer's process group gets SIGINT (a terminal's Ctrl-C), the bench waits for it to exit, and
 *      the project is removed with the peer's own `down -v -t 0`. A fresh project every run.
 *      The engine's events for the project (network create, container create and start), read
 *      afterwards and placed on the run's clock, show where the time went.
 *                                                            target: slipway ≤ 1.0 × docker's time
 *   2. logs -f throughput: 10 services each printing 100,000 lines of 62 bytes as fast as busybox awk
 *      can, brought up once per peer with its own `up -d` and left to exit (untimed); then, every
 *      round, `compose -f F -p P logs -f --no-color` read to its end (the containers have
 *      exited, so a follow ends once the logs are out): lines per second, and every line must
 *      arrive (10 × 100,000 newlines, each service's last line seen).
 *                                                     target: slipway ≥ 1.0 × docker's lines/s
 *      floor  curl --parallel fetching the 10 containers' raw log streams from the engine's socket
 *             (`GET /containers/{id}/logs?follow=1&stdout=1&stderr=1`) into /dev/null: no
 *             demultiplexing, no prefix, no terminal: the least work any client can do. It reads
 *             the docker peer's project (the same bytes in the engine).
 *
 * Peers:
 *   slipway   `node <bundle> compose …`: the published CLI, bundled from the working tree at the
 *             start of the run by scripts/bundle-cli.mjs (what `npm run build` makes,
 *             dist/bin/slipway.js) into bench/.out/compose-attach/, so that a rebuild of dist/
 *             during the run changes nothing; `--cli PATH` runs a given bundle instead
 *   docker    `docker compose …` (v2)
 * Same compose file for both, different project names (`-p`), all under one prefix unique to the
 * run (`sbattach-<hex>-`); everything the run made is swept by name at the end and on Ctrl-C.
 *
 * Each round runs every peer once per scenario, the order reversed every other round (A B, B A, …)
 * so drift in the machine's load hits all alike; ratios are taken per round and the figure is their
 * median [min–max]. Every process runs under /usr/bin/time (peak RSS, user + system CPU over its
 * whole life, for `up` including its teardown after SIGINT). Exit code 1 when a target is missed
 * or could not be measured.
 *
 * A Slipway whose `compose up` cannot attach (before 4d4c10c its help said it never attaches)
 * is not measured: the up scenario then runs docker alone and exits 1.
 *
 *   node --import tsx bench/compose-attach.ts [--rounds 3] [--skip up|logs] [--services 10]
 *        [--lines 100000] [--cli dist/bin/slipway.js] [--json]
 *
 * 2–3 minutes at load average 8–14 on 2 cores, about 4 at 15–24.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { buildPublishedCli } from "./published-cli.ts";
import { flagValue, median, numberFlag } from "./rounds.ts";

const IMAGE = "busybox:latest";
const UP_TARGET = 1.0;
const LOGS_TARGET = 1.0;
/** A peer slower than this is broken, not slow. */
const PEER_TIMEOUT_MS = 180_000;
/** How long a peer may take to exit after SIGINT before its process group is killed. */
const STOP_TIMEOUT_MS = 30_000;
const SOCKET = (process.env["DOCKER_HOST"] ?? "unix:///var/run/docker.sock").replace(/^unix:\/\//, "");

type Peer = "slipway" | "docker";
type LogsPeer = Peer | "floor";

interface Options {
  rounds: number;
  services: number;
  lines: number;
  skip: Set<string>;
  cli: string | undefined;
  json: boolean;
}

function options(): Options {
  const rounds = numberFlag("rounds", 3);
  const services = numberFlag("services", 10);
  const lines = numberFlag("lines", 100_000);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error("--rounds: a whole number ≥ 1");
  if (!Number.isInteger(services) || services < 1 || services > 99) throw new Error("--services: 1 to 99");
  if (!Number.isInteger(lines) || lines < 1 || lines > 999_999) throw new Error("--lines: 1 to 999,999");
  const skip = new Set((flagValue("skip") ?? "").split(",").map((x) => x.trim()).filter(Boolean));
  for (const x of skip) if (x !== "up" && x !== "logs") throw new Error(`--skip: unknown scenario ${x} (up, logs)`);
  return { rounds, services, lines, skip, cli: flagValue("cli"), json: process.argv.includes("--json") };
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const serviceName = (i: number) => `s${String(i).padStart(2, "0")}`;

/** Compose files are YAML; JSON strings are YAML strings, which spares us quoting rules. */
function upFile(services: number): string {
  const out = ["services:"];
  for (let i = 1; i <= services; i++) {
    // `$$` is compose's escape for `$`: the shell sees `$$`, its pid.
    out.push(`  ${serviceName(i)}:`, `    image: ${IMAGE}`, `    command: ${JSON.stringify(["sh", "-c", `echo ready-${serviceName(i)}-$$$$; sleep 3600`])}`, "    init: true", "    stop_grace_period: 1s");
  }
  return out.join("\n") + "\n";
}

const lastLineMark = (lines: number) => ` line ${String(lines).padStart(6, "0")} of ${lines}`;

/** Lines of 62 bytes with the newline: "s01 line 000001 of 100000, padded to about sixty bytes…". */
function logsFile(services: number, lines: number): string {
  const out = ["services:"];
  for (let i = 1; i <= services; i++) {
    const s = serviceName(i);
    const awk = `BEGIN { for (i = 1; i <= ${lines}; i++) printf "${s} line %06d of ${lines}, padded to about sixty bytes...\\n", i }`;
    out.push(`  ${s}:`, `    image: ${IMAGE}`, `    command: ${JSON.stringify(["awk", awk])}`);
  }
  return out.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// Processes

interface Timed {
  exitCode: number;
  /** ms from spawn to exit. */
  wallMs: number;
  /** From /usr/bin/time, bytes and ms; NaN when it left nothing. */
  maxRss: number;
  cpuMs: number;
  stderrTail: string;
}

interface Running {
  /** performance.now() just before the spawn. */
  t0: number;
  /** SIGINT to the whole process group, as a terminal's Ctrl-C. */
  interrupt(): void;
  kill(): void;
  done: Promise<Timed>;
}

const live = new Set<ChildProcess>();

/**
 * A process under /usr/bin/time, in a process group of its own: GNU time ignores SIGINT while its
 * child runs, and `docker compose` is the docker CLI running its plugin as a child, so a Ctrl-C must
 * reach the group. stdout goes to `onStdout` chunk by chunk, with the ms since spawn.
 */
function spawnTimed(command: string, args: string[], cwd: string, onStdout: (chunk: Buffer, atMs: number) => void): Running {
  const timeFile = path.join(tmpdir(), `sbattach-time-${process.pid}-${randomBytes(4).toString("hex")}`);
  const t0 = performance.now();
  const child = spawn("/usr/bin/time", ["-o", timeFile, "-f", "%M %U %S", command, ...args], { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => onStdout(c, performance.now() - t0));
  child.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString("utf8")).slice(-8_000)));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // Already gone.
    }
  };
  const timer = setTimeout(() => signal("SIGKILL"), PEER_TIMEOUT_MS);
  const done = new Promise<Timed>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, sig) => {
      const wallMs = performance.now() - t0;
      clearTimeout(timer);
      live.delete(child);
      const base = { exitCode: code ?? (sig ? 128 : 1), wallMs, stderrTail: stderr };
      readFile(timeFile, "utf8")
        .then(
          (text) => {
            // The last line: a failing command makes time write "Command exited with non-zero status" first.
            const [rssKb, user, sys] = text.trim().split("\n").pop()!.split(" ").map(Number);
            resolve({ ...base, maxRss: rssKb! * 1024, cpuMs: (user! + sys!) * 1000 });
          },
          () => resolve({ ...base, maxRss: Number.NaN, cpuMs: Number.NaN }),
        )
        .finally(() => void rm(timeFile, { force: true }));
    });
  });
  return { t0, interrupt: () => signal("SIGINT"), kill: () => signal("SIGKILL"), done };
}

async function exec(command: string, args: string[], cwd = process.cwd()): Promise<string> {
  const { stdout } = await promisify(execFile)(command, args, { cwd, maxBuffer: 64 << 20 });
  return stdout.trim();
}

// ---------------------------------------------------------------------------------------------
// Peers as command lines

class Peers {
  constructor(
    readonly cli: string,
    readonly dir: string,
    /** Whether `slipway compose logs` knows --no-color (docker compose does). */
    private readonly slipwayNoColor: boolean,
  ) {}

  compose(peer: Peer, file: string, project: string, args: string[]): [string, string[]] {
    const global = ["compose", "-f", path.join(this.dir, file), "-p", project];
    return peer === "docker" ? ["docker", [...global, ...args]] : [process.execPath, [this.cli, ...global, ...args]];
  }

  logsArgs(peer: Peer): string[] {
    // `-f` as users type it: a Slipway that read it as the global `--file` fails here, loudly.
    return peer === "docker" || this.slipwayNoColor ? ["logs", "-f", "--no-color"] : ["logs", "-f"];
  }

  async down(peer: Peer, file: string, project: string): Promise<void> {
    const [cmd, args] = this.compose(peer, file, project, ["down", "-v", "-t", "0"]);
    await exec(cmd, args, this.dir).catch(() => undefined); // the final sweep takes what is left
  }
}

// ---------------------------------------------------------------------------------------------
// Scenario 1: attached up until every service's first line

interface UpOutcome {
  peer: Peer;
  ok: boolean;
  /** ms from spawn until the first line of every service was on the peer's stdout. */
  allSeenMs: number;
  /** ms until the first line of any service. */
  firstSeenMs: number;
  /** ms from SIGINT to the process's exit (untimed; how long its teardown took). */
  stopMs: number;
  /** From the engine's events, ms since spawn: the network created, the first container created, the last started. */
  engine: EngineTimeline;
  exitCode: number;
  maxRss: number;
  cpuMs: number;
  error?: string;
}

interface EngineTimeline {
  networkMs: number;
  firstCreateMs: number;
  lastStartMs: number;
}

/**
 * Where a run's time went, as the engine saw it: its events for the project (network create,
 * container create and start), on the machine's clock, placed on the run's (ms since spawn). Read
 * after the run, untimed.
 */
async function engineTimeline(project: string, spawnEpochMs: number): Promise<EngineTimeline> {
  const since = String(Math.floor(spawnEpochMs / 1000) - 1);
  const until = String(Math.ceil(Date.now() / 1000) + 1);
  const text = await exec("docker", ["events", "--since", since, "--until", until, "--filter", "type=network", "--filter", "type=container", "--filter", "event=create", "--filter", "event=start", "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.TimeNano}}"]).catch(() => "");
  const at = (type: string, action: string) =>
    text
      .split("\n")
      .map((l) => l.split(" "))
      .filter(([t, a, name]) => t === type && a === action && name?.startsWith(project))
      .map(([, , , nano]) => Number(BigInt(nano!) / 1000n) / 1000 - spawnEpochMs);
  const network = at("network", "create");
  const creates = at("container", "create");
  const starts = at("container", "start");
  return { networkMs: network.length ? Math.min(...network) : Number.NaN, firstCreateMs: creates.length ? Math.min(...creates) : Number.NaN, lastStartMs: starts.length ? Math.max(...starts) : Number.NaN };
}

async function attachedUp(peers: Peers, peer: Peer, project: string, services: number): Promise<UpOutcome> {
  const seen = new Map<string, number>();
  let pending = "";
  let allSeen: (() => void) | undefined;
  const allSeenP = new Promise<void>((resolve) => (allSeen = resolve));
  const [cmd, args] = peers.compose(peer, "up.yaml", project, ["up"]);
  const proc = spawnTimed(cmd, args, peers.dir, (chunk, at) => {
    const text = pending + chunk.toString("latin1");
    const cut = text.lastIndexOf("\n");
    pending = text.slice(cut + 1);
    for (const m of text.slice(0, cut + 1).matchAll(/ready-(s\d\d)-/g)) if (!seen.has(m[1]!)) seen.set(m[1]!, at);
    if (seen.size === services) allSeen!();
  });
  const exited = proc.done.then((r) => ({ exited: r }));
  const first = await Promise.race([allSeenP.then(() => undefined), exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), PEER_TIMEOUT_MS).unref())]);
  const stopAt = performance.now();
  proc.interrupt();
  const stopTimer = setTimeout(() => proc.kill(), STOP_TIMEOUT_MS);
  const r = await proc.done;
  clearTimeout(stopTimer);
  const stopMs = performance.now() - stopAt;
  const engine = await engineTimeline(project, performance.timeOrigin + proc.t0);
  await peers.down(peer, "up.yaml", project);
  const times = [...seen.values()];
  const outcome: UpOutcome = { peer, ok: first === undefined, allSeenMs: first === undefined ? Math.max(...times) : Number.NaN, firstSeenMs: times.length ? Math.min(...times) : Number.NaN, stopMs, engine, exitCode: r.exitCode, maxRss: r.maxRss, cpuMs: r.cpuMs };
  if (first !== undefined) outcome.error = `${first === "timeout" ? "timed out" : `exited ${r.exitCode}`} with ${seen.size}/${services} services seen: ${r.stderrTail.trim().split("\n").slice(-5).join(" / ")}`;
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// Scenario 2: logs --follow throughput

interface LogsOutcome {
  peer: LogsPeer;
  ok: boolean;
  wallMs: number;
  linesPerS: number;
  lines: number;
  bytes: number;
  maxRss: number;
  cpuMs: number;
  error?: string;
}

async function followLogs(peers: Peers, peer: Peer, project: string, o: Options): Promise<LogsOutcome> {
  const expected = o.services * o.lines;
  const mark = lastLineMark(o.lines);
  const lastSeen = new Set<string>();
  let newlines = 0;
  let bytes = 0;
  let carry = "";
  const [cmd, args] = peers.compose(peer, "logs.yaml", project, peers.logsArgs(peer));
  const proc = spawnTimed(cmd, args, peers.dir, (chunk) => {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
    // Each service's last line must arrive: a reader that stops early is not fast.
    const text = carry + chunk.toString("latin1");
    for (let at = text.indexOf(mark); at !== -1; at = text.indexOf(mark, at + 1)) lastSeen.add(text.slice(at - 3, at));
    carry = text.slice(-(mark.length + 4));
  });
  const r = await proc.done;
  const ok = r.exitCode === 0 && newlines === expected && lastSeen.size === o.services;
  const outcome: LogsOutcome = { peer, ok, wallMs: r.wallMs, linesPerS: newlines / (r.wallMs / 1000), lines: newlines, bytes, maxRss: r.maxRss, cpuMs: r.cpuMs };
  if (!ok) outcome.error = `exit ${r.exitCode}, ${newlines}/${expected} lines, last lines of ${lastSeen.size}/${o.services} services: ${r.stderrTail.trim().split("\n").slice(-5).join(" / ")}`;
  return outcome;
}

/** The floor: the engine's raw log streams, read by curl into /dev/null, all containers at once. */
async function floorLogs(peers: Peers, ids: string[], apiVersion: string, o: Options): Promise<LogsOutcome> {
  const args = ["-sS", "--fail", "--parallel", "--parallel-max", String(ids.length), "--unix-socket", SOCKET, "-w", "%{size_download}\\n"];
  for (const id of ids) args.push("-o", "/dev/null", `http://docker/v${apiVersion}/containers/${id}/logs?follow=1&stdout=1&stderr=1`);
  let out = "";
  const proc = spawnTimed("curl", args, peers.dir, (chunk) => (out += chunk.toString("utf8")));
  const r = await proc.done;
  // Each line is one 8-byte frame header and the line.
  const bytes = out.split("\n").filter(Boolean).reduce((a, b) => a + Number(b), 0);
  const lineBytes = `s01${lastLineMark(o.lines)}, padded to about sixty bytes...\n`.length;
  const lines = bytes / (8 + lineBytes);
  const ok = r.exitCode === 0 && lines === o.services * o.lines;
  const outcome: LogsOutcome = { peer: "floor", ok, wallMs: r.wallMs, linesPerS: lines / (r.wallMs / 1000), lines, bytes, maxRss: r.maxRss, cpuMs: r.cpuMs };
  if (!ok) outcome.error = `exit ${r.exitCode}, ${bytes} bytes (${lines} lines of ${o.services * o.lines}): ${r.stderrTail.trim().slice(-500)}`;
  return outcome;
}

async function projectContainers(project: string): Promise<string[]> {
  return (await exec("docker", ["ps", "-aq", "--no-trunc", "--filter", `label=com.docker.compose.project=${project}`])).split("\n").filter(Boolean);
}

/** `up -d` with the peer's own tool, then until every container has exited 0 (untimed). */
async function prepareLogsProject(peers: Peers, peer: Peer, project: string, services: number): Promise<string[]> {
  const [cmd, args] = peers.compose(peer, "logs.yaml", project, ["up", "-d"]);
  await exec(cmd, args, peers.dir);
  const ids = await projectContainers(project);
  if (ids.length !== services) throw new Error(`${peer}: up -d made ${ids.length} containers, not ${services}`);
  const codes = (await exec("docker", ["wait", ...ids])).split("\n");
  if (codes.some((c) => c.trim() !== "0")) throw new Error(`${peer}: the log writers exited ${codes.join(", ")}`);
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Clean-up: everything of this run carries its prefix in its name

async function sweep(prefix: string): Promise<{ removed: number; stuck: string[] }> {
  const list = async (args: string[]) => (await exec("docker", [...args, "--filter", `name=${prefix}`]).catch(() => "")).split("\n").filter(Boolean);
  const containers = await list(["ps", "-aq"]);
  if (containers.length) await exec("docker", ["rm", "-f", "-v", ...containers]).catch(() => undefined);
  const networks = await list(["network", "ls", "-q"]);
  if (networks.length) await exec("docker", ["network", "rm", ...networks]).catch(() => undefined);
  // A network the engine still refuses ("has active endpoints" with no container: moby/moby#43286)
  // stays until dockerd restarts; say so rather than hide it.
  const stuck = [...(await list(["ps", "-a", "--format", "{{.Names}}"])), ...(await list(["network", "ls", "--format", "{{.Name}}"]))];
  return { removed: containers.length + networks.length - stuck.length, stuck };
}

// ---------------------------------------------------------------------------------------------
// Figures

const sec = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "–");
const mb = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(1)} MB` : "–");
const klps = (lps: number) => (Number.isFinite(lps) ? `${(lps / 1000).toFixed(1)}k lines/s` : "–");

interface Spread {
  median: number;
  min: number;
  max: number;
  perRound: number[];
}

function spreadOf(values: number[]): Spread {
  const v = values.filter(Number.isFinite);
  return { median: v.length ? median(v) : Number.NaN, min: Math.min(...v), max: Math.max(...v), perRound: values };
}

const fmt = (x: Spread, digits = 3, unit = "") => (Number.isFinite(x.median) ? `${x.median.toFixed(digits)} [${x.min.toFixed(digits)}–${x.max.toFixed(digits)}]${unit}` : "–");

async function main(): Promise<void> {
  const o = options();
  const log = (line: string) => {
    if (!o.json) console.log(line);
  };
  const prefix = `sbattach-${randomBytes(3).toString("hex")}-`;
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-bench-compose-attach-"));
  const cli = o.cli ? path.resolve(o.cli) : await buildPublishedCli("compose-attach");
  let interrupted = false;
  process.once("SIGINT", () => {
    interrupted = true;
    for (const c of live) {
      try {
        process.kill(-c.pid!, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    void sweep(prefix).finally(() => process.exit(130));
  });

  const [upHelp, logsHelp, engineVersion, composeVersion, revision, srcChanges] = await Promise.all([
    exec(process.execPath, [cli, "compose", "up", "--help"]),
    exec(process.execPath, [cli, "compose", "logs", "--help"]),
    exec("docker", ["version", "-f", "{{.Server.Version}} (API {{.Server.APIVersion}})"]),
    exec("docker", ["compose", "version", "--short"]),
    exec("git", ["rev-parse", "--short", "HEAD"]).catch(() => "unknown"),
    exec("git", ["status", "--porcelain", "--", "src"]).catch(() => ""),
  ]);
  const apiVersion = /API ([\d.]+)/.exec(engineVersion)?.[1] ?? "1.41";
  // Attached up exists once `up` offers what only an attached up has, and no longer says it never attaches.
  const slipwayAttaches = /--abort-on-container-exit|--attach\b/.test(upHelp) || (/--detach/.test(upHelp) && !/never attaches/.test(upHelp));
  const peers = new Peers(cli, dir, /--no-color/.test(logsHelp));
  await writeFile(path.join(dir, "up.yaml"), upFile(o.services));
  await writeFile(path.join(dir, "logs.yaml"), logsFile(o.services, o.lines));
  await exec("docker", ["image", "inspect", IMAGE]).catch(() => exec("docker", ["pull", "-q", IMAGE]));

  // Start-up of each CLI alone, for reading the up times: median of 3 after one warm-up.
  const startup = async (cmd: string, args: string[]) => {
    const walls: number[] = [];
    for (let i = 0; i < 4; i++) walls.push((await spawnTimed(cmd, args, dir, () => undefined).done).wallMs);
    return median(walls.slice(1));
  };
  const startupMs = { slipway: await startup(process.execPath, [cli, "--version"]), docker: await startup("docker", ["compose", "version"]), node: await startup(process.execPath, ["-e", ""]) };

  log(`compose attach: ${o.services} services; logs ${o.lines.toLocaleString("en")} lines each; ${o.rounds} round(s); files in ${dir}; projects ${prefix}*`);
  log(`slipway at ${revision}${srcChanges ? " + uncommitted changes in src/" : ""} (${path.relative(process.cwd(), cli)}); engine ${engineVersion}, docker compose ${composeVersion}, node ${process.versions.node}`);
  log(`start-up alone (median of 3): slipway --version ${sec(startupMs.slipway)}, docker compose version ${sec(startupMs.docker)}, bare node ${sec(startupMs.node)}; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);

  const upPeers: Peer[] = slipwayAttaches ? ["slipway", "docker"] : ["docker"];
  const upRounds: { order: Peer[]; outcomes: UpOutcome[]; loadavg: number }[] = [];
  const logsRounds: { order: LogsPeer[]; outcomes: LogsOutcome[]; loadavg: number }[] = [];
  try {
    if (!o.skip.has("up")) {
      log("");
      if (!slipwayAttaches) log("up: slipway's `compose up` has no attached mode in this build (its --help: never attaches); docker alone, the slipway side NOT MEASURED");
      for (let round = 0; round < o.rounds && !interrupted; round++) {
        const order = round % 2 === 0 ? upPeers : [...upPeers].reverse();
        const outcomes: UpOutcome[] = [];
        for (const peer of order) {
          const u = await attachedUp(peers, peer, `${prefix}up-${peer}-${round + 1}`, o.services);
          outcomes.push(u);
          log(`  up   round ${round + 1} ${peer.padEnd(8)} ${u.ok ? `all ${o.services} first lines ${sec(u.allSeenMs).padStart(8)} (first ${sec(u.firstSeenMs)}; engine: network ${sec(u.engine.networkMs)}, first create ${sec(u.engine.firstCreateMs)}, last start ${sec(u.engine.lastStartMs)})` : `FAILED: ${u.error}`}  peak RSS ${mb(u.maxRss).padStart(8)}  CPU ${sec(u.cpuMs).padStart(7)}  exit ${u.exitCode} ${sec(u.stopMs)} after SIGINT`);
        }
        upRounds.push({ order, outcomes, loadavg: loadavg()[0]! });
      }
    }
    if (!o.skip.has("logs") && !interrupted) {
      log("");
      const projects: Record<Peer, string> = { slipway: `${prefix}logs-slipway`, docker: `${prefix}logs-docker` };
      const t = performance.now();
      const ids = (await Promise.all((["slipway", "docker"] as const).map((p) => prepareLogsProject(peers, p, projects[p], o.services))))[1]!;
      log(`  logs: both projects up and their writers exited in ${sec(performance.now() - t)} (untimed)`);
      const logsPeers: LogsPeer[] = ["slipway", "docker", "floor"];
      for (let round = 0; round < o.rounds && !interrupted; round++) {
        const order = round % 2 === 0 ? logsPeers : [...logsPeers].reverse();
        const outcomes: LogsOutcome[] = [];
        for (const peer of order) {
          const l = peer === "floor" ? await floorLogs(peers, ids, apiVersion, o) : await followLogs(peers, peer, projects[peer], o);
          outcomes.push(l);
          log(`  logs round ${round + 1} ${peer.padEnd(8)} ${l.ok ? `${sec(l.wallMs).padStart(8)}  ${klps(l.linesPerS).padStart(17)}` : `FAILED: ${l.error}`}  ${mb(l.bytes)} read  peak RSS ${mb(l.maxRss).padStart(8)}  CPU ${sec(l.cpuMs).padStart(7)}`);
        }
        logsRounds.push({ order, outcomes, loadavg: loadavg()[0]! });
      }
      for (const p of ["slipway", "docker"] as const) await peers.down(p, "logs.yaml", projects[p]);
    }
  } finally {
    const swept = await sweep(prefix);
    if (swept.removed) log(`swept ${swept.removed} container(s)/network(s) the peers left`);
    if (swept.stuck.length) log(`the engine refuses to remove ${swept.stuck.join(", ")} (stale endpoints, moby/moby#43286: until dockerd restarts)`);
    await rm(dir, { recursive: true, force: true });
  }
  report(o, { upRounds, logsRounds, slipwayAttaches, startupMs, engineVersion, composeVersion, revision: `${revision}${srcChanges ? "+dirty" : ""}` });
}

function report(
  o: Options,
  r: {
    upRounds: { order: Peer[]; outcomes: UpOutcome[]; loadavg: number }[];
    logsRounds: { order: LogsPeer[]; outcomes: LogsOutcome[]; loadavg: number }[];
    slipwayAttaches: boolean;
    startupMs: Record<string, number>;
    engineVersion: string;
    composeVersion: string;
    revision: string;
  },
): void {
  const lines = ["", `${o.rounds} round(s); medians over rounds [min–max]:`];
  const summary: Record<string, unknown> = { date: new Date().toISOString(), services: o.services, linesPerService: o.lines, engine: r.engineVersion, compose: r.composeVersion, revision: r.revision, startupMs: r.startupMs };
  let missed = false;

  if (!o.skip.has("up")) {
    const of = (p: Peer) => r.upRounds.map((x) => x.outcomes.find((u) => u.peer === p)).map((u) => (u?.ok ? u : undefined));
    const up: Record<string, unknown> = {};
    for (const p of ["slipway", "docker"] as const) {
      const runs = of(p);
      const all = spreadOf(runs.map((u) => u?.allSeenMs ?? Number.NaN).map((ms) => ms / 1000));
      lines.push(`  up   ${p.padEnd(8)} until all first lines ${fmt(all, 2, " s")}   first line ${fmt(spreadOf(runs.map((u) => (u?.firstSeenMs ?? Number.NaN) / 1000)), 2, " s")}   peak RSS ${fmt(spreadOf(runs.map((u) => (u?.maxRss ?? Number.NaN) / 2 ** 20)), 1, " MB")}   CPU ${fmt(spreadOf(runs.map((u) => (u?.cpuMs ?? Number.NaN) / 1000)), 2, " s")}`);
      const phase = (f: (u: UpOutcome) => number) => fmt(spreadOf(runs.map((u) => (u ? f(u) : Number.NaN) / 1000)), 2, " s");
      lines.push(`       ${" ".repeat(8)} engine saw: network created ${phase((u) => u.engine.networkMs)}   first container created ${phase((u) => u.engine.firstCreateMs)}   last started ${phase((u) => u.engine.lastStartMs)}   (since spawn)`);
      up[p] = { allSeenS: all, runs: r.upRounds.map((x) => x.outcomes.find((u) => u.peer === p)) };
    }
    const [ours, theirs] = [of("slipway"), of("docker")];
    const ratio = spreadOf(r.upRounds.map((_, i) => (ours[i]?.allSeenMs ?? Number.NaN) / (theirs[i]?.allSeenMs ?? Number.NaN)));
    const met = Number.isFinite(ratio.median) && ratio.median <= UP_TARGET;
    if (!met) missed = true;
    lines.push(`  up   slipway/docker time: ${fmt(ratio)}; target ≤ ${UP_TARGET.toFixed(1)}: ${met ? "met" : Number.isFinite(ratio.median) ? "MISSED" : r.slipwayAttaches ? "NOT MEASURED (slipway failed)" : "NOT MEASURED (no attached up in slipway)"}   rounds: ${ratio.perRound.map((x) => x.toFixed(3)).join(", ")}`);
    up["ratio"] = ratio;
    up["met"] = met;
    summary["up"] = up;
  }

  if (!o.skip.has("logs")) {
    const of = (p: LogsPeer) => r.logsRounds.map((x) => x.outcomes.find((l) => l.peer === p)).map((l) => (l?.ok ? l : undefined));
    const logs: Record<string, unknown> = {};
    for (const p of ["slipway", "docker", "floor"] as const) {
      const runs = of(p);
      const lps = spreadOf(runs.map((l) => (l?.linesPerS ?? Number.NaN) / 1000));
      lines.push(`  logs ${p.padEnd(8)} ${fmt(lps, 1, "k lines/s")}   wall ${fmt(spreadOf(runs.map((l) => (l?.wallMs ?? Number.NaN) / 1000)), 2, " s")}   peak RSS ${fmt(spreadOf(runs.map((l) => (l?.maxRss ?? Number.NaN) / 2 ** 20)), 1, " MB")}   CPU ${fmt(spreadOf(runs.map((l) => (l?.cpuMs ?? Number.NaN) / 1000)), 2, " s")}`);
      logs[p] = { kLinesPerS: lps, runs: r.logsRounds.map((x) => x.outcomes.find((l) => l.peer === p)) };
    }
    const ratio = (a: LogsPeer, b: LogsPeer) => spreadOf(r.logsRounds.map((_, i) => (of(a)[i]?.linesPerS ?? Number.NaN) / (of(b)[i]?.linesPerS ?? Number.NaN)));
    const sd = ratio("slipway", "docker");
    const met = Number.isFinite(sd.median) && sd.median >= LOGS_TARGET;
    if (!met) missed = true;
    lines.push(`  logs slipway/docker throughput: ${fmt(sd)}; target ≥ ${LOGS_TARGET.toFixed(1)}: ${met ? "met" : Number.isFinite(sd.median) ? "MISSED" : "NOT MEASURED (slipway failed)"}   rounds: ${sd.perRound.map((x) => x.toFixed(3)).join(", ")}`);
    // Against the floor: when even raw curl is no faster than docker, the engine sets the pace.
    const sf = ratio("slipway", "floor");
    const df = ratio("docker", "floor");
    lines.push(`  logs slipway/floor: ${fmt(sf)}   docker/floor: ${fmt(df)}`);
    Object.assign(logs, { slipwayOverDocker: sd, slipwayOverFloor: sf, dockerOverFloor: df, met });
    summary["logs"] = logs;
  }
  const loads = [...r.upRounds, ...r.logsRounds].map((x) => x.loadavg.toFixed(1));
  lines.push(`  load average after each round (up, then logs): ${loads.join(", ")}`);
  summary["loadavg"] = loads.map(Number);
  if (missed) process.exitCode = 1;
  if (o.json) console.log(JSON.stringify(summary, null, 2));
  else console.log(lines.join("\n"));
}

await main();
