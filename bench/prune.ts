/**
 * `slipway prune` against the least work any tool can do for the same removals, in one process run
 * against the real engine: the pipeline's N images that nothing needs go, the K it must keep and a
 * user's look-alikes stay.
 *                                      target: slipway ≤ 1.5 × docker-rmi's time (median of the rounds' ratios)
 *
 * Setup, untimed, for every peer's run: a fresh pipeline `sbprune-<hex>-r<round>-<peer>` and a
 * temporary folder whose slipway.yml is `name: <pipeline>` (no git repository: no current commit).
 * Its images are made in one `docker load` of a tar written here: busybox:latest's layers (saved
 * once at the start) under N + K + L image configs that differ in their labels and creation time,
 * so each is its own image with the layers shared, no parent (as BuildKit's images have none):
 *   N (--images, default 30)  `<pipeline>-app:c<i>`, Slipway's labels (dev.slipway.context-hash,
 *                             dev.slipway.pipeline=<pipeline>, the revision of an old commit): to go
 *   K (--keep-images, 10)     the same labels, each kept for a reason: `<pipeline>-k<i>:latest`,
 *                             `<pipeline>-k<i>:slipway` (the newest build), or `<pipeline>-app:u<i>`
 *                             used by a created (never started) container, in turn
 *   L (3)                     `<pipeline>-app:mine<i>` without Slipway's labels: a user's look-alikes
 * The image IDs are known in advance (the sha256 of each config), so every peer is checked after
 * its run (untimed): the N gone, everything else there with its tags; a run that removed anything
 * else, or left one of the N, fails the round.
 *
 * Peers, each timed from the spawn to the exit (under /usr/bin/time), all removing the same N:
 *   slipway        `node <bundle> prune` in the folder: the published CLI, bundled from the working
 *                  tree at the start by scripts/bundle-cli.mjs into bench/.out/prune/ (`--cli PATH`
 *                  runs a given bundle instead). It reads (abandoned runs, images, containers,
 *                  records, volumes; the build cache's size only with --dry-run or
 *                  --build-cache), plans, then removes the images 8 at a time, each by its tags
 *                  (or its id when it has none), never forced
 *   docker-rmi     `docker image rm <the N tags>`: one process told the tags in advance, one request
 *                  an image: the floor (the oracle) the target is against
 *   slipway-dry    `node <bundle> prune --dry-run`: the same reads and plan, nothing removed
 *                  (slipway − slipway-dry ≈ the removals)
 *   curl-seq       curl, one process, `DELETE /images/<tag>` for the N on one connection, in turn:
 *                  the removals without a CLI's start-up
 *   curl-par       the same with `--parallel` (all N at once): does the engine serialise deletes?
 *   docker-prune   `docker image prune -a -f --filter label=dev.slipway.pipeline=<pipeline>`, on a
 *                  setup of the N images ONLY: it removes every unused image of the label, so it
 *                  would take the K that must stay but are used by no container (latest, :slipway)
 * Each round runs every peer once, the order reversed every other round (A B C, C B A, …), so drift
 * in the machine's load hits all alike; ratios are per round, the figure is their median [min–max].
 * Beside the peers, each round times the reads slipway makes before removing anything, with curl
 * (the CLI's start-up, `node <bundle> --version`; `GET /system/df?type=build-cache` — an engine before API 1.42 ignores `type` and sizes every
 * image, container and volume — `/images/json` by label, `/containers/json?all=1`, `/volumes`),
 * to say where the time goes. The engine is shared: slipway prune also removes displaced
 * (untagged) Slipway images that name no pipeline (built before images carried one) and
 * Slipway's dangling volumes; such extra removals are counted and said, not failed.
 *
 * Everything the run made carries `dev.slipway.bench.run=<hex>` (images and containers) and its
 * names start with the run's prefix; it is removed at the end, on failure and on Ctrl-C. Exit code
 * 1 when the target is missed or a round failed.
 *
 *   node --import tsx bench/prune.ts [--rounds 5] [--images 30] [--keep-images 10]
 *        [--skip curl-par,docker-prune,...] [--cli dist/bin/slipway.js] [--json]
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { buildPublishedCli } from "./published-cli.ts";
import { flagValue, median, numberFlag, ratioStats, s, spread, type RatioStats } from "./rounds.ts";
import { BENCH_LABEL, runTimed, type TimedResult } from "./timed-process.ts";

const BASE_IMAGE = "busybox:latest";
const TARGET = 1.5;
const LOOKALIKES = 3;
const PEER_TIMEOUT_MS = 300_000;
const RUN_LABEL = `${BENCH_LABEL}.run`;
const SOCKET = (process.env["DOCKER_HOST"] ?? "unix:///var/run/docker.sock").replace(/^unix:\/\//, "");
const OLD_COMMIT = randomBytes(20).toString("hex");

const PEERS = ["slipway", "docker-rmi", "slipway-dry", "curl-seq", "curl-par", "docker-prune"] as const;
type Peer = (typeof PEERS)[number];

interface Options {
  rounds: number;
  images: number;
  keepImages: number;
  peers: Peer[];
  cli: string | undefined;
  json: boolean;
}

function options(): Options {
  const skip = new Set((flagValue("skip") ?? "").split(",").filter(Boolean));
  return {
    rounds: Math.max(1, Math.floor(numberFlag("rounds", 5))),
    images: Math.max(1, Math.floor(numberFlag("images", 30))),
    keepImages: Math.floor(numberFlag("keep-images", 10)),
    peers: PEERS.filter((p) => p === "slipway" || p === "docker-rmi" || !skip.has(p)),
    cli: flagValue("cli"),
    json: process.argv.includes("--json"),
  };
}

/** busybox:latest as `docker save` writes it: its config and its layers' files, read once. */
interface Base {
  dir: string;
  config: Record<string, unknown>;
  layers: string[];
}

async function saveBase(dir: string): Promise<Base> {
  const r = await runTimed("sh", ["-c", `docker save "$1" | tar -xf - -C "$2"`, "sh", BASE_IMAGE, dir], {}, { timeoutMs: 120_000 });
  if (r.exitCode !== 0) throw new Error(`docker save ${BASE_IMAGE}: ${r.stderr.trim()}`);
  const [manifest] = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as { Config: string; Layers: string[] }[];
  const config = JSON.parse(await readFile(path.join(dir, manifest!.Config), "utf8")) as Record<string, unknown>;
  return { dir, config, layers: manifest!.Layers };
}

interface Made {
  pipeline: string;
  dir: string;
  /** The N, by id, with their tags. */
  doomed: Map<string, string>;
  /** Everything that must stay: id → its tags. */
  kept: Map<string, string[]>;
  containers: string[];
}

/** One image config on busybox's layers: its own labels and creation time, so its own id. */
function imageConfig(base: Base, labels: Record<string, string>, created: Date): { id: string; json: string } {
  const config = { ...(base.config["config"] as Record<string, unknown>), Labels: labels };
  const json = JSON.stringify({ ...base.config, config, container_config: config, created: created.toISOString() });
  return { id: `sha256:${createHash("sha256").update(json).digest("hex")}`, json };
}

async function setUp(base: Base, run: string, pipeline: string, opts: { images: number; keepImages: number; onlyDoomed: boolean }): Promise<Made> {
  const dir = await mkdtemp(path.join(tmpdir(), `${pipeline}-`));
  await writeFile(path.join(dir, "slipway.yml"), `name: ${pipeline}\n`);
  const load = path.join(dir, "load");
  await mkdir(load);
  const bench = { [BENCH_LABEL]: "prune", [RUN_LABEL]: run };
  const slipway = () => ({ ...bench, "dev.slipway.context-hash": randomBytes(16).toString("hex"), "dev.slipway.pipeline": pipeline, "org.opencontainers.image.revision": OLD_COMMIT });
  const manifest: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  const made: Made = { pipeline, dir, doomed: new Map(), kept: new Map(), containers: [] };
  const t0 = Date.now() - 86_400_000;
  let n = 0;
  const add = async (labels: Record<string, string>, tags: string[]) => {
    const { id, json } = imageConfig(base, labels, new Date(t0 + 1000 * n++));
    const file = `${id.slice(7)}.json`;
    await writeFile(path.join(load, file), json);
    manifest.push({ Config: file, RepoTags: tags, Layers: base.layers });
    return id;
  };
  for (let i = 0; i < opts.images; i++) {
    const tag = `${pipeline}-app:c${i}`;
    made.doomed.set(await add(slipway(), [tag]), tag);
  }
  const users: [string, string][] = [];
  if (!opts.onlyDoomed) {
    for (let i = 0; i < opts.keepImages; i++) {
      const tags = [i % 3 === 0 ? `${pipeline}-k${i}:latest` : i % 3 === 1 ? `${pipeline}-k${i}:slipway` : `${pipeline}-app:u${i}`];
      const id = await add(slipway(), tags);
      made.kept.set(id, tags);
      if (i % 3 === 2) users.push([id, `${pipeline}-user-${i}`]);
    }
    for (let i = 0; i < LOOKALIKES; i++) {
      const tags = [`${pipeline}-app:mine${i}`];
      made.kept.set(await add(bench, tags), tags);
    }
  }
  await writeFile(path.join(load, "manifest.json"), JSON.stringify(manifest));
  const layerDirs = [...new Set(base.layers.map((l) => l.split("/")[0]!))];
  const r = await runTimed("sh", ["-c", `tar -cf - -C "$1" . -C "$2" ${layerDirs.map((l) => `'${l}'`).join(" ")} | docker load -q`, "sh", load, base.dir], {}, { timeoutMs: PEER_TIMEOUT_MS });
  if (r.exitCode !== 0) throw new Error(`docker load for ${pipeline}: ${r.stderr.trim()}`);
  for (const [id, name] of users) {
    const c = await runTimed("docker", ["create", "--name", name, "--label", `${BENCH_LABEL}=prune`, "--label", `${RUN_LABEL}=${run}`, id, "true"], {}, { timeoutMs: 60_000 });
    if (c.exitCode !== 0) throw new Error(`docker create ${name}: ${c.stderr.trim()}`);
    made.containers.push(name);
  }
  await rm(load, { recursive: true, force: true });
  return made;
}

/** Image id → tags, of every image this setup made that is still there. */
async function present(run: string, pipeline: string): Promise<Map<string, string[]>> {
  const r = await runTimed("docker", ["images", "--no-trunc", "--filter", `label=${RUN_LABEL}=${run}`, "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"], {}, { timeoutMs: 60_000 });
  const out = new Map<string, string[]>();
  for (const line of r.stdout.split("\n").filter(Boolean)) {
    const [id, ref] = line.split(" ") as [string, string];
    if (!ref.startsWith(`${pipeline}-`) && ref !== "<none>:<none>") continue;
    out.set(id, [...(out.get(id) ?? []), ...(ref === "<none>:<none>" ? [] : [ref])]);
  }
  // Untagged images of this run cannot be told apart by name: keep them all (only the N can lose tags).
  return out;
}

/** What is wrong after a peer's run, or undefined. */
async function check(run: string, made: Made, removes: boolean): Promise<string | undefined> {
  const now = await present(run, made.pipeline);
  const problems: string[] = [];
  const left = [...made.doomed.keys()].filter((id) => now.has(id));
  if (removes && left.length) problems.push(`${left.length} of the ${made.doomed.size} images to remove are still there`);
  if (!removes && left.length !== made.doomed.size) problems.push(`a dry run removed ${made.doomed.size - left.length} images`);
  for (const [id, tags] of made.kept) {
    const have = now.get(id);
    if (!have) problems.push(`${tags.join(",")} (${id.slice(7, 19)}) was removed`);
    else if (tags.some((t) => !have.includes(t))) problems.push(`${tags.join(",")} lost a tag (now ${have.join(",") || "none"})`);
  }
  return problems.length ? problems.join("; ") : undefined;
}

async function tearDown(run: string, made: Made): Promise<void> {
  if (made.containers.length) await runTimed("docker", ["rm", "-f", ...made.containers], {}, { timeoutMs: 60_000 });
  const ids = [...(await present(run, made.pipeline)).keys()];
  if (ids.length) await runTimed("docker", ["image", "rm", "-f", ...ids], {}, { timeoutMs: 120_000 });
  await rm(made.dir, { recursive: true, force: true });
}

/** Everything of the run, by its label: at the end and on Ctrl-C. */
async function sweep(run: string): Promise<void> {
  const c = await runTimed("docker", ["ps", "-aq", "--filter", `label=${RUN_LABEL}=${run}`], {}, { timeoutMs: 60_000 });
  const containers = c.stdout.split("\n").filter(Boolean);
  if (containers.length) await runTimed("docker", ["rm", "-f", ...containers], {}, { timeoutMs: 60_000 });
  const i = await runTimed("docker", ["images", "-q", "--no-trunc", "--filter", `label=${RUN_LABEL}=${run}`], {}, { timeoutMs: 60_000 });
  const images = [...new Set(i.stdout.split("\n").filter(Boolean))];
  if (images.length) await runTimed("docker", ["image", "rm", "-f", ...images], {}, { timeoutMs: 300_000 });
}

const curlDelete = (tags: string[], parallel: boolean): [string, string[]] => [
  "curl",
  ["-sS", "--fail-early", ...(parallel ? ["--parallel", "--parallel-max", String(tags.length)] : []), "--unix-socket", SOCKET, "-X", "DELETE", ...tags.flatMap((t) => ["-o", "/dev/null", `http://localhost/images/${encodeURIComponent(t)}`])],
];

async function runPeer(peer: Peer, cli: string, made: Made): Promise<TimedResult> {
  const tags = [...made.doomed.values()];
  const timed = { timed: true, timeoutMs: PEER_TIMEOUT_MS };
  switch (peer) {
    case "slipway":
      return runTimed("env", ["-C", made.dir, process.execPath, cli, "prune"], {}, timed);
    case "slipway-dry":
      return runTimed("env", ["-C", made.dir, process.execPath, cli, "prune", "--dry-run"], {}, timed);
    case "docker-rmi":
      return runTimed("docker", ["image", "rm", ...tags], {}, timed);
    case "curl-seq":
      return runTimed(...curlDelete(tags, false), {}, timed);
    case "curl-par":
      return runTimed(...curlDelete(tags, true), {}, timed);
    case "docker-prune":
      return runTimed("docker", ["image", "prune", "-a", "-f", "--filter", `label=dev.slipway.pipeline=${made.pipeline}`], {}, timed);
  }
}

/** The reads slipway prune makes before removing anything, each timed alone with curl, ms. */
async function reads(cli: string): Promise<Record<string, number>> {
  const paths: Record<string, string> = {
    "system/df (build cache)": "/system/df?type=build-cache",
    "images by label": `/images/json?filters=${encodeURIComponent(JSON.stringify({ label: ["dev.slipway.context-hash"] }))}`,
    "containers (all)": "/containers/json?all=1",
    "volumes by label": `/volumes?filters=${encodeURIComponent(JSON.stringify({ label: ["dev.slipway.run"] }))}`,
  };
  const out: Record<string, number> = {};
  out["start-up (node <bundle> --version)"] = (await runTimed(process.execPath, [cli, "--version"], {}, { timeoutMs: 60_000 })).wallMs;
  for (const [name, p] of Object.entries(paths)) {
    const r = await runTimed("curl", ["-sS", "-o", "/dev/null", "-w", "%{time_total}", "--unix-socket", SOCKET, `http://localhost${p}`], {}, { timeoutMs: 120_000 });
    out[name] = Number(r.stdout) * 1000;
  }
  return out;
}

interface RunResult {
  round: number;
  peer: Peer;
  wallMs: number;
  cpuS?: number;
  load: number;
  failure?: string;
  /** slipway: images it said it removed beyond the N (others' displaced images), volumes, runs swept. */
  extra?: string;
}

async function main(): Promise<void> {
  const o = options();
  const run = randomBytes(3).toString("hex");
  const prefix = `sbprune-${run}-`;
  const work = await mkdtemp(path.join(tmpdir(), prefix));
  const live = new Set<Made>();
  let stopping = false;
  const cleanUp = async () => {
    for (const m of live) await rm(m.dir, { recursive: true, force: true }).catch(() => undefined);
    await sweep(run).catch(() => undefined);
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
  };
  process.on("SIGINT", () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write("\ninterrupted: removing what the run made…\n");
    void cleanUp().finally(() => process.exit(130));
  });
  const log = (line: string) => void (o.json ? process.stderr : process.stdout).write(`${line}\n`);

  try {
    const cli = o.cli ? path.resolve(o.cli) : await buildPublishedCli("prune");
    const baseDir = path.join(work, "base");
    await mkdir(baseDir);
    const base = await saveBase(baseDir);
    log(`slipway prune bench: run ${run}, ${o.rounds} rounds, ${o.images} images to remove, ${o.keepImages} to keep + ${LOOKALIKES} look-alikes; peers ${o.peers.join(", ")}; load ${loadavg()[0]!.toFixed(1)}`);
    const results: RunResult[] = [];
    const readsPerRound: Record<string, number>[] = [];
    for (let round = 1; round <= o.rounds && !stopping; round++) {
      const order = round % 2 ? o.peers : [...o.peers].reverse();
      for (const peer of order) {
        if (stopping) break;
        const made = await setUp(base, run, `${prefix}r${round}-${peer}`, { images: o.images, keepImages: o.keepImages, onlyDoomed: peer === "docker-prune" });
        live.add(made);
        try {
          const load = loadavg()[0]!;
          const r = await runPeer(peer, cli, made);
          const result: RunResult = { round, peer, wallMs: r.wallMs, load, ...(r.cpuUser !== undefined ? { cpuS: r.cpuUser + (r.cpuSys ?? 0) } : {}) };
          const problem = r.exitCode !== 0 ? `exit ${r.exitCode}: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}` : await check(run, made, peer !== "slipway-dry");
          if (problem) {
            // An id in the engine's answer: one of this setup's, or another process's image on the shared engine?
            const id = /sha256:[0-9a-f]{64}/.exec(problem)?.[0];
            result.failure = id ? `${problem} (${made.doomed.has(id) ? "one of this setup's N" : made.kept.has(id) ? "one this setup keeps" : "not this setup's: another's image on the shared engine"})` : problem;
          }
          if (peer === "slipway") {
            const removed = r.stdout.split("\n").filter((l) => /^removed {2,}/.test(l));
            const extra = removed.filter((l) => !l.includes(`${made.pipeline}-`)).length;
            const volumes = removed.filter((l) => l.includes(" volume ")).length;
            const swept = r.stdout.split("\n").filter((l) => l.startsWith("swept run")).length;
            if (extra || swept) result.extra = `also removed ${extra - volumes} images, ${volumes} volumes not of this setup; swept ${swept} runs`;
          }
          results.push(result);
          log(`round ${round} ${peer.padEnd(12)} ${s(r.wallMs).padStart(8)}  cpu ${result.cpuS?.toFixed(2) ?? "?"} s  load ${load.toFixed(1)}${result.failure ? `  FAILED: ${result.failure}` : ""}${result.extra ? `  (${result.extra})` : ""}`);
        } finally {
          await tearDown(run, made);
          live.delete(made);
        }
      }
      if (!stopping) {
        const rd = await reads(cli);
        readsPerRound.push(rd);
        log(`round ${round} reads: ${Object.entries(rd).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(", ")}`);
      }
    }

    const ok = (peer: Peer, round: number) => results.find((r) => r.peer === peer && r.round === round && !r.failure);
    const ratio = (ours: Peer, theirs: Peer): RatioStats | undefined => {
      const pairs = [];
      for (let round = 1; round <= o.rounds; round++) {
        const a = ok(ours, round);
        const b = ok(theirs, round);
        if (a && b) pairs.push({ ours: a.wallMs, theirs: b.wallMs });
      }
      return pairs.length ? ratioStats(pairs) : undefined;
    };
    const walls = Object.fromEntries(o.peers.map((p) => [p, results.filter((r) => r.peer === p && !r.failure).map((r) => r.wallMs)]));
    const cpu = Object.fromEntries(o.peers.map((p) => [p, median(results.filter((r) => r.peer === p && !r.failure && r.cpuS !== undefined).map((r) => r.cpuS!))]));
    const ratios = Object.fromEntries(o.peers.filter((p) => p !== "docker-rmi").map((p) => [`${p}/docker-rmi`, ratio(p, "docker-rmi")]));
    const main = ratios["slipway/docker-rmi"];
    const failures = results.filter((r) => r.failure);
    const met = !!main && main.median <= TARGET && failures.length === 0;
    const readMedians = Object.fromEntries(Object.keys(readsPerRound[0] ?? {}).map((k) => [k, median(readsPerRound.map((r) => r[k]!))]));
    const loads = results.map((r) => r.load);

    if (o.json) {
      process.stdout.write(`${JSON.stringify({ run, options: { rounds: o.rounds, images: o.images, keepImages: o.keepImages, lookalikes: LOOKALIKES, peers: o.peers }, target: TARGET, met, load: { min: Math.min(...loads), max: Math.max(...loads) }, results, ratios, reads: readMedians }, null, 2)}\n`);
    } else {
      log("");
      log(`| round | ${o.peers.join(" | ")} | slipway/docker-rmi | load |`);
      log(`|---|${o.peers.map(() => "---:|").join("")}---:|---:|`);
      for (let round = 1; round <= o.rounds; round++) {
        const cells = o.peers.map((p) => {
          const r = results.find((x) => x.peer === p && x.round === round);
          return r ? (r.failure ? "failed" : s(r.wallMs)) : "–";
        });
        const a = ok("slipway", round);
        const b = ok("docker-rmi", round);
        const rl = results.filter((r) => r.round === round).map((r) => r.load);
        log(`| ${round} | ${cells.join(" | ")} | ${a && b ? (a.wallMs / b.wallMs).toFixed(3) : "–"} | ${rl.length ? `${Math.min(...rl).toFixed(1)}–${Math.max(...rl).toFixed(1)}` : "–"} |`);
      }
      log("");
      for (const p of o.peers) if (walls[p]!.length) log(`${p.padEnd(12)} wall ${spread(walls[p]!.map((w) => w / 1000), 2)} s, cpu (user+sys) ${cpu[p]!.toFixed(2)} s, per image ${(median(walls[p]!) / o.images).toFixed(1)} ms`);
      for (const [name, r] of Object.entries(ratios)) if (r) log(`${name.padEnd(26)} ${spread(r.perRound)}, ratio of medians ${r.ofMedians.toFixed(3)}`);
      log(`reads before removing (medians): ${Object.entries(readMedians).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(", ")}`);
      log(`load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
      for (const f of failures) log(`FAILED round ${f.round} ${f.peer}: ${f.failure}`);
      log(main ? `slipway/docker-rmi ${main.median.toFixed(3)} (target ≤ ${TARGET}): ${met ? "met" : "MISSED"}` : "slipway/docker-rmi: not measured");
    }
    process.exitCode = met ? 0 : 1;
  } finally {
    if (!stopping) await cleanUp();
  }
}

await main();
