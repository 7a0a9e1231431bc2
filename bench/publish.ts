/**
 * Publishing a release image (issue "Tag and publish"): a ~200 MB image under 5 tags, by Slipway
 * against `docker push` of the same tags, warm (every layer already in the repository) and cold
 * (a new repository), in one process run against the real engine and the test world's basic-auth
 * registry.
 *
 *   slipway          a separate node process running `publishImage` (src/publish/publisher.ts) as
 *                    the CLI would: read what every tag points at through the registry API, push
 *                    the image once under a staging tag through the engine, read its manifest back
 *                    by digest, put the 5 tags through the registry API, each read back. It is the
 *                    bench file itself, bundled with esbuild into bench/.out/publish/ the way the
 *                    published CLI is bundled, started with `--child`; like the CLI it imports
 *                    src/cli/process-tuning.ts first. Credentials come from the test world's file.
 *   docker           what a Makefile does: the 5 tags made beforehand (not timed), then
 *                    `docker push REPO:TAG` for each, one process after another, each under
 *                    /usr/bin/time (peak RSS: the largest; CPU: summed); timed from the first
 *                    spawn to the last exit, and each push on its own
 *   docker-all-tags  the same 5 tags, one `docker push --all-tags REPO`
 *   floor            the engine's own push of one tag (made beforehand) through
 *                    Slipway's engine client, `engine.images.push`, in a node process like the
 *                    slipway one: the least any client can make the engine do. Its push call alone
 *                    (timed inside the process) is reported too.
 *
 * The docker CLI logs in through a temporary DOCKER_CONFIG (an `auths` entry for the registry),
 * made at the start and removed at the end.
 *
 * Tags: a commit tag (40 hex), `1.2.3`, `1.2`, `1`, `latest`, with their rules (PlannedTag); the
 * image carries `org.opencontainers.image.version=1.2.3`.
 *
 * The image: FROM busybox:latest, `--layers` RUN steps each writing `--layer-mb` MB of
 * /dev/urandom (incompressible), then a one-line layer with a nonce; built with the classic builder
 * and no cache, so every build is new data. Each peer gets its own fresh image every round and
 * pushes it to its own new repository (`slipway-bench-publish/<run>-r<round>-<peer>`): the registry
 * serves blobs per repository, but the engine mounts a blob it knows it pushed to another repository
 * of the same registry instead of uploading it (cross-repository mount), so two peers pushing the
 * same image would make the second one warm. Every cold push is checked in the engine's push
 * output: each of the image's own layers must say "Pushed" (only busybox's base layers may say
 * "Mounted from" or "Layer already exists"), else the run fails. Warm: the same peer pushes the
 * same image under the same tags to the same repository again, right after the cold phase; there
 * no layer may say "Pushed".
 *
 * Each round: build the images in the round's order (not timed, then `sync`), the cold phase
 * (peers in turn, `sync` after each: the registry has just written 200 MB), then the warm phase.
 * The order is reversed every other round and rotated every two (`roundOrder`), so drift in the
 * machine's load hits all alike and no peer always has the same place. Ratios are taken per
 * round; the figure is their median [min–max]. Where the time goes is printed too: Slipway's
 * process minus its engine push, against the docker CLI's four pushes after the first.
 *
 * Targets: slipway/docker wall time ≤ 1.0, warm and cold. Exit code 1 when one is missed.
 *
 * Clean-up: the round's local images after each round, every image with the bench label at the
 * end. Pushed data: the registry API cannot free blob storage (a blob DELETE only unlinks it; the
 * registry's garbage collector must not run beside other users), so when the registry's
 * filesystem storage is on this machine (the test world's, from its config file) the run's
 * repositories are removed from it, and the blobs they linked that no other repository links
 * (their fresh layers, configs and manifests). `--keep-pushed` leaves them.
 *
 *   node --import tsx bench/publish.ts [--rounds 5] [--peers slipway,docker,docker-all-tags,floor]
 *        [--layers 5] [--layer-mb 40] [--keep-pushed] [--json]
 *
 * About 4 minutes at load average 3–5 on 2 cores, 7 at load 10–20.
 */
// First, as in src/cli/main.ts: the process-wide V8 settings of the published CLI, before undici
// loads. esbuild keeps this module first in the child's bundle. The parent gets them too; only the
// children are measured.
import "../src/cli/process-tuning.ts";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { subscribe } from "node:diagnostics_channel";
import { mkdtemp, readdir, readFile, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { BENCH_LABEL, bundleChild, removeBenchImages, runTimed, type TimedResult } from "./timed-process.ts";
import { median, spread } from "./rounds.ts";
import { Engine, endpointFromEnv, type ProgressMessage } from "../src/engine/index.ts";
import { builtImageId, tarFromEntries } from "../src/engine/streams/index.ts";
import { EventBus } from "../src/events/index.ts";
import { publishImage } from "../src/publish/publisher.ts";
import { engineAuth } from "../src/registry/credentials.ts";
import type { RegistryCredential } from "../src/registry/types.ts";
import { newRunId } from "../src/run/identity.ts";
import type { PlannedTag } from "../src/tags/tag-plan.ts";
import { loadWorldSync } from "../test/support/world.ts";

const LABEL_VALUE = "publish";
const REPO_PREFIX = "slipway-bench-publish";
const VERSION = "1.2.3";
const TIME_RATIO_TARGET = 1.0;
const RUN_TIMEOUT_MS = 600_000;

const ALL_PEERS = ["slipway", "docker", "docker-all-tags", "floor"] as const;
type PeerName = (typeof ALL_PEERS)[number];
type Phase = "cold" | "warm";

/** The tags a release of VERSION at `commit` gets, as the tag plan makes them. */
function plannedTags(commit: string): PlannedTag[] {
  const [major, minor] = VERSION.split(".");
  return [
    { tag: commit, rule: "commit", why: `commit ${commit}`, moving: false },
    { tag: VERSION, rule: "semver", why: `git tag v${VERSION} on HEAD`, moving: false, version: VERSION },
    { tag: `${major}.${minor}`, rule: "semver-minor", why: `git tag v${VERSION} on HEAD`, moving: true, version: VERSION },
    { tag: major!, rule: "semver-major", why: `git tag v${VERSION} on HEAD`, moving: true, version: VERSION },
    { tag: "latest", rule: "latest", why: "the highest release", moving: true, version: VERSION },
  ];
}

function credentialFromWorld(): { registry: string; credential: RegistryCredential } {
  const { address, username, password } = loadWorldSync().require("auth-registry");
  return { registry: address, credential: { username, password, source: "the test world's world.json (auth-registry)" } };
}

// ---------------------------------------------------------------------------------------------
// Push output: what the engine did with each layer.

interface LayerCounts {
  pushed: number;
  mounted: number;
  exists: number;
}

/** The last word on each layer of each push: "Pushed", "Mounted from …", "Layer already exists". */
function countLayers(statuses: Iterable<{ id?: string | undefined; status?: string | undefined }>): LayerCounts {
  const counts = { pushed: 0, mounted: 0, exists: 0 };
  for (const { status } of statuses) {
    if (status === "Pushed") counts.pushed++;
    else if (status?.startsWith("Mounted from ")) counts.mounted++;
    else if (status === "Layer already exists") counts.exists++;
  }
  return counts;
}

/** The docker CLI's non-tty push output: `<id>: Pushed`. */
function cliStatuses(stdout: string): { id: string; status: string }[] {
  return [...stdout.matchAll(/^([0-9a-f]{12}): (.+)$/gm)].map((m) => ({ id: m[1]!, status: m[2]!.trim() }));
}

// ---------------------------------------------------------------------------------------------
// Child: one publish (or one engine push for the floor), reporting what it did.

interface RegistryRequest {
  to: "registry" | "engine";
  method: string;
  /** `/v2/`, `manifests/<ref>`, `blobs/<digest>` (shortened), with the scheme. */
  what: string;
  status: number | string;
  /** When it started, ms since the process started, and how long until its response ended (a push: its whole progress stream). */
  at: number;
  ms: number;
}

interface ChildReport {
  /** ms from process start to the end of engine connect. */
  startupMs: number;
  /** ms of the work itself (publishImage, or the floor's push call). */
  workMs: number;
  /** slipway: ms before the staging push starts (registry connect, tag reads), of the push, and after it (manifest check, tag puts). */
  phases?: { beforePushMs: number; pushMs: number; afterPushMs: number };
  actions?: string[];
  digest?: string;
  layers: LayerCounts;
  /** Did the engine push at all (slipway skips it when every tag is already on the image). */
  pushed: boolean;
  /** Every HTTP request the process made, the registry's and the engine's, in the order they ended. */
  requests: RegistryRequest[];
  maxRss: number;
}

/** Every request this process makes (registry: to `host`; engine: the rest), through undici's diagnostics channels. */
function recordRequests(host: string): RegistryRequest[] {
  const out: RegistryRequest[] = [];
  const started = new WeakMap<object, Omit<RegistryRequest, "status" | "ms">>();
  subscribe("undici:request:create", (message) => {
    const { request } = message as { request: { origin: unknown; method: string; path: string } };
    const origin = String(request.origin);
    const at = performance.now();
    if (origin.includes(host)) {
      const scheme = origin.split(":")[0];
      const m = /^\/v2\/.+\/(manifests|blobs)\/([^/]+)$/.exec(request.path);
      const what = m ? `${m[1]}/${m[2]!.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, "$1…")}` : request.path;
      started.set(request, { to: "registry", method: request.method, what: `${scheme} ${what}`, at });
    } else {
      const what = request.path.replace(/^\/v\d+\.\d+/, "").replace(/\?.*$/, "").replace(/^\/images\/.+?(\/(push|tag|json))?$/, "/images/…$1");
      started.set(request, { to: "engine", method: request.method, what, at });
    }
  });
  const answered = new WeakMap<object, RegistryRequest>();
  const end = (request: object, status: number | string) => {
    const s = started.get(request);
    if (!s) return;
    started.delete(request);
    const done = { ...s, status, ms: performance.now() - s.at };
    answered.set(request, done);
    out.push(done);
  };
  subscribe("undici:request:headers", (message) => {
    const { request, response } = message as { request: object; response: { statusCode: number } };
    end(request, response.statusCode);
  });
  // The body's end: for a push, when the engine is done.
  subscribe("undici:request:trailers", (message) => {
    const done = answered.get((message as { request: object }).request);
    if (done) done.ms = performance.now() - done.at;
  });
  subscribe("undici:request:error", (message) => {
    const { request, error } = message as { request: object; error: { code?: string; message?: string } };
    end(request, error.code ?? error.message ?? "error");
  });
  return out;
}

async function child(argv: string[]): Promise<void> {
  const arg = (name: string) => {
    const at = argv.indexOf(`--${name}`);
    if (at < 0) throw new Error(`child: --${name} missing`);
    return argv[at + 1]!;
  };
  const { registry, credential } = credentialFromWorld();
  const requests = recordRequests(registry);
  const engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const startupMs = performance.now();
  // What the engine says about each layer: the check that a cold push uploaded.
  const messages: ProgressMessage[] = [];
  const images = engine.images;
  const push = images.push.bind(images);
  images.push = async (ref, opts) => {
    const m = await push(ref, opts);
    messages.push(...m);
    return m;
  };
  const t0 = performance.now();
  let report: Omit<ChildReport, "maxRss" | "requests" | "startupMs">;
  if (argv.includes("--floor")) {
    await images.push(arg("ref"), { auth: engineAuth(credential, registry) });
    report = { workMs: performance.now() - t0, layers: countLayers(messages), pushed: true };
  } else {
    const events = new EventBus();
    let pushStart = Number.NaN;
    let pushEnd = Number.NaN;
    events.on((e) => {
      if (e.type === "step.start" && e.step.startsWith("push ")) pushStart = performance.now();
      if (e.type === "step.end" && e.step.startsWith("push ")) pushEnd = performance.now();
    });
    const result = await publishImage({
      engine,
      events,
      signal: new AbortController().signal,
      image: { name: arg("image-name"), imageId: arg("image-id"), version: VERSION },
      registry,
      repository: arg("repository"),
      tags: plannedTags(arg("commit")),
      runId: newRunId(),
      credential,
    });
    const end = performance.now();
    const pushed = Number.isFinite(pushStart);
    report = {
      workMs: end - t0,
      phases: pushed ? { beforePushMs: pushStart - t0, pushMs: pushEnd - pushStart, afterPushMs: end - pushEnd } : { beforePushMs: end - t0, pushMs: 0, afterPushMs: 0 },
      actions: result.decisions.map((d) => `${d.tag}:${d.action}`),
      ...(result.digest ? { digest: result.digest } : {}),
      layers: countLayers(messages),
      pushed,
    };
  }
  await engine.close();
  const full: ChildReport = { startupMs, ...report, requests, maxRss: process.resourceUsage().maxRSS * 1024 };
  process.stdout.write(`${JSON.stringify(full)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  rounds: number;
  peers: PeerName[];
  layers: number;
  layerMb: number;
  keepPushed: boolean;
  json: boolean;
}

function flagValue(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

function options(): Options {
  const rounds = Number(flagValue("rounds") ?? 5);
  const layers = Number(flagValue("layers") ?? 5);
  const layerMb = Number(flagValue("layer-mb") ?? 40);
  const peers = (flagValue("peers") ?? ALL_PEERS.join(",")).split(",").map((p) => p.trim()) as PeerName[];
  for (const p of peers) if (!ALL_PEERS.includes(p)) throw new Error(`--peers: unknown peer ${p} (known: ${ALL_PEERS.join(", ")})`);
  if (!peers.includes("slipway") || !peers.includes("docker")) throw new Error("--peers: slipway and docker are the two compared; both are needed");
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error("--rounds: a whole number ≥ 1");
  if (!Number.isInteger(layers) || layers < 1) throw new Error("--layers: a whole number ≥ 1");
  if (!(layerMb > 0)) throw new Error("--layer-mb: a positive number");
  return { rounds, peers, layers, layerMb, keepPushed: process.argv.includes("--keep-pushed"), json: process.argv.includes("--json") };
}

// ---------------------------------------------------------------------------------------------
// Processes

type ProcessResult = TimedResult;

function run(command: string, args: string[], env: NodeJS.ProcessEnv, timed = false): Promise<ProcessResult> {
  return runTimed(command, args, env, { timed, timeoutMs: RUN_TIMEOUT_MS });
}


/** A DOCKER_CONFIG folder whose config.json logs the docker CLI in to `registry`. */
async function dockerConfig(registry: string, credential: RegistryCredential): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `${REPO_PREFIX}-docker-config-`));
  const auth = Buffer.from(`${credential.username}:${credential.password}`).toString("base64");
  await writeFile(path.join(dir, "config.json"), JSON.stringify({ auths: { [registry]: { auth } } }), { mode: 0o600 });
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Images

interface BenchImage {
  id: string;
  /** Layers the engine must upload on a cold push: the RUN steps' and the nonce's. */
  ownLayers: number;
}

async function buildImage(engine: Engine, opts: Options, tag: string): Promise<BenchImage> {
  const bytes = Math.round(opts.layerMb * 2 ** 20);
  const runs = Array.from({ length: opts.layers }, (_, i) => `RUN head -c ${bytes} /dev/urandom > /data-${i + 1}\n`).join("");
  const dockerfile = `FROM busybox:latest\n${runs}LABEL org.opencontainers.image.version=${VERSION}\nRUN echo ${randomBytes(8).toString("hex")} > /nonce\n`;
  const messages = await engine.images.build({
    context: await tarFromEntries([{ name: "Dockerfile", content: dockerfile }]),
    tags: [tag],
    labels: { [BENCH_LABEL]: LABEL_VALUE },
    noCache: true,
    builder: "classic",
  });
  const id = builtImageId(messages);
  if (!id) throw new Error(`build of ${tag} reported no image ID`);
  return { id: id.startsWith("sha256:") ? id : (await engine.images.inspect(id)).Id, ownLayers: opts.layers + 1 };
}

// ---------------------------------------------------------------------------------------------
// Peers

interface Outcome {
  peer: PeerName;
  phase: Phase;
  wallMs: number;
  maxRss: number;
  cpuMs: number;
  layers: LayerCounts;
  /** docker peers: each docker process's wall time, ms. */
  processes?: number[];
  child?: ChildReport;
}

interface Setup {
  registry: string;
  childBundle: string;
  dockerConfigDir: string;
  commit: string;
  tags: PlannedTag[];
}

interface PeerTarget {
  repository: string;
  image: BenchImage;
  /** The local name slipway's image goes by (its messages name it). */
  localName: string;
}

async function runPeer(peer: PeerName, phase: Phase, target: PeerTarget, setup: Setup): Promise<Outcome> {
  const name = `${setup.registry}/${target.repository}`;
  let r: ProcessResult;
  let report: ChildReport | undefined;
  let layers: LayerCounts;
  let processes: number[] | undefined;
  if (peer === "docker" || peer === "docker-all-tags") {
    const commands = peer === "docker" ? setup.tags.map((t) => ["push", `${name}:${t.tag}`]) : [["push", "--all-tags", name]];
    const parts: ProcessResult[] = [];
    const t0 = performance.now();
    for (const args of commands) {
      const part = await run("docker", args, { DOCKER_CONFIG: setup.dockerConfigDir }, true);
      parts.push(part);
      if (part.exitCode !== 0) break;
    }
    r = {
      exitCode: parts.find((p) => p.exitCode !== 0)?.exitCode ?? 0,
      wallMs: performance.now() - t0,
      stdout: parts.map((p) => p.stdout).join("\n"),
      stderr: parts.map((p) => p.stderr).join("\n"),
      maxRss: Math.max(...parts.map((p) => p.maxRss ?? Number.NaN)),
      cpuUser: parts.reduce((a, p) => a + (p.cpuUser ?? 0), 0),
      cpuSys: parts.reduce((a, p) => a + (p.cpuSys ?? 0), 0),
    };
    processes = parts.map((p) => p.wallMs);
    layers = countLayers(cliStatuses(r.stdout));
    if (r.exitCode === 0) {
      // Every tag must have been pushed: `<tag>: digest: sha256:… size: N`.
      const done = new Set([...r.stdout.matchAll(/^(\S+): digest: sha256:[0-9a-f]{64} size: \d+$/gm)].map((m) => m[1]));
      const missing = setup.tags.filter((t) => !done.has(t.tag));
      if (missing.length) throw new Error(`${peer} (${phase}): no digest reported for ${missing.map((t) => t.tag).join(", ")}\n${r.stdout.slice(-3000)}`);
    }
  } else {
    const args =
      peer === "floor"
        ? [setup.childBundle, "--child", "--floor", "--ref", `${name}:${setup.commit}`]
        : [setup.childBundle, "--child", "--repository", target.repository, "--image-id", target.image.id, "--image-name", target.localName, "--commit", setup.commit];
    r = await run(process.execPath, args, {}, true);
    const line = r.stdout.trim().split("\n").pop() ?? "";
    if (r.exitCode === 0) report = JSON.parse(line) as ChildReport;
    layers = report?.layers ?? { pushed: 0, mounted: 0, exists: 0 };
  }
  if (r.exitCode !== 0) throw new Error(`${peer} (${phase}): exit ${r.exitCode}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  // A cold push that did not upload the image's own layers measured a mount or a no-op, not a push.
  if (phase === "cold" && layers.pushed < target.image.ownLayers) {
    throw new Error(`${peer} (cold): the engine reported ${layers.pushed} layers pushed, ${layers.mounted} mounted, ${layers.exists} already there; the image has ${target.image.ownLayers} layers of its own: not a cold push`);
  }
  if (phase === "warm" && layers.pushed > 0) throw new Error(`${peer} (warm): the engine pushed ${layers.pushed} layers again: not a warm push`);
  return { peer, phase, wallMs: r.wallMs, maxRss: r.maxRss ?? Number.NaN, cpuMs: ((r.cpuUser ?? 0) + (r.cpuSys ?? 0)) * 1000, layers, ...(processes ? { processes } : {}), ...(report ? { child: report } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Registry clean-up

/** The test world's registry storage for `registry`, when it is on this machine and readable. */
async function registryStorage(registry: string): Promise<string | undefined> {
  const world = loadWorldSync();
  const stateDir = world.file?.stateDir;
  if (!stateDir || world.file?.registries.auth?.address !== registry) return undefined;
  const config = await readFile(path.join(stateDir, "etc", "registry-auth.yml"), "utf8").catch(() => "");
  const root = /rootdirectory:\s*([^\s,}]+)/.exec(config)?.[1];
  if (!root) return undefined;
  const v2 = path.join(root, "docker", "registry", "v2");
  return (await stat(path.join(v2, "repositories")).then(() => true, () => false)) ? v2 : undefined;
}

async function subdirs(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name);
}

/** The blob digests (hex) a repository links: its layers and configs, and its manifests. */
async function linkedBlobs(repoDir: string): Promise<string[]> {
  return [...(await subdirs(path.join(repoDir, "_layers", "sha256"))), ...(await subdirs(path.join(repoDir, "_manifests", "revisions", "sha256")))];
}

/** Every repository folder under `dir` (one holding `_layers` or `_manifests`), at any depth. */
async function repositoryDirs(dir: string): Promise<string[]> {
  const names = await subdirs(dir);
  if (names.includes("_layers") || names.includes("_manifests")) return [dir];
  return (await Promise.all(names.filter((n) => !n.startsWith("_")).map((n) => repositoryDirs(path.join(dir, n))))).flat();
}

/**
 * Removes this run's repositories from the registry's storage, and the blobs they linked that no
 * other repository links. Returns the bytes freed.
 */
async function removePushed(v2: string, runPrefix: string): Promise<{ repositories: number; blobs: number; bytes: number }> {
  const parent = path.join(v2, "repositories", REPO_PREFIX);
  const ours = (await subdirs(parent)).filter((n) => n.startsWith(runPrefix)).map((n) => path.join(parent, n));
  const candidates = new Set((await Promise.all(ours.map(linkedBlobs))).flat());
  for (const dir of ours) await rm(dir, { recursive: true, force: true });
  await rmdir(parent).catch(() => undefined);
  const others = await repositoryDirs(path.join(v2, "repositories"));
  for (const dir of others) for (const hex of await linkedBlobs(dir)) candidates.delete(hex);
  let bytes = 0;
  let blobs = 0;
  for (const hex of candidates) {
    if (!/^[0-9a-f]{64}$/.test(hex)) continue;
    const blobDir = path.join(v2, "blobs", "sha256", hex.slice(0, 2), hex);
    const size = await stat(path.join(blobDir, "data")).then((s) => s.size, () => -1);
    if (size < 0) continue;
    await rm(blobDir, { recursive: true, force: true });
    bytes += size;
    blobs++;
  }
  return { repositories: ours.length, blobs, bytes };
}

// ---------------------------------------------------------------------------------------------
// Figures

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const layerText = (l: LayerCounts) => `layers pushed ${l.pushed}, mounted ${l.mounted}, already there ${l.exists}`;

/**
 * The peers' order in round `round`: reversed every other round and rotated by one every two, so
 * that over rounds every peer takes every place (the first push after the builds is not like the
 * others), and every two peers come in both orders. A plain A B C / C B A alternation would never
 * put B first.
 */
export function roundOrder<T>(peers: readonly T[], round: number): T[] {
  const shift = Math.floor(round / 2) % peers.length;
  const rotated = [...peers.slice(shift), ...peers.slice(0, shift)];
  return round % 2 === 0 ? rotated : rotated.reverse();
}

interface Round {
  round: number;
  order: PeerName[];
  outcomes: Outcome[];
  /** Load average (1 min) before the round's pushes and after them. */
  loadavg: [number, number];
}

function describeChild(c: ChildReport): string {
  const requests = c.requests.filter((q) => q.to === "registry");
  const regMs = requests.reduce((a, r) => a + r.ms, 0);
  const phases = c.phases ? `; reads ${s(c.phases.beforePushMs)}, push ${s(c.phases.pushMs)}, check + tags ${s(c.phases.afterPushMs)}` : "";
  return `(start-up ${s(c.startupMs)}, work ${s(c.workMs)}${phases}; ${requests.length} registry requests, ${s(regMs)} summed)`;
}

async function main(): Promise<void> {
  const opts = options();
  const log = (line: string) => {
    if (!opts.json) console.log(line);
  };
  const { registry, credential } = credentialFromWorld();
  const engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const [engineVersion, cliVersion, revision, srcChanges] = await Promise.all([
    engine.system.version().then((v) => `${v.Version} (API ${v.ApiVersion})`),
    run("docker", ["version", "-f", "{{.Client.Version}}"], {}).then((r) => r.stdout.trim()),
    run("git", ["rev-parse", "--short", "HEAD"], {}).then((r) => r.stdout.trim() || "unknown"),
    run("git", ["status", "--porcelain", "--", "src"], {}).then((r) => r.stdout.trim()),
  ]);
  if ((await engine.images.inspect("busybox:latest").catch(() => undefined)) === undefined) throw new Error("busybox:latest is not in the engine: run testworld/setup.sh");
  const childBundle = await bundleChild(import.meta.url, "publish");
  // What node alone costs here: the start-up no node process avoids.
  const bareRun = await run(process.execPath, ["-e", ""], {}, true);
  const bare = { wallMs: bareRun.wallMs, maxRss: bareRun.maxRss ?? Number.NaN };
  const dockerConfigDir = await dockerConfig(registry, credential);
  const runPrefix = randomBytes(4).toString("hex");
  const commit = randomBytes(20).toString("hex");
  const setup: Setup = { registry, childBundle, dockerConfigDir, commit, tags: plannedTags(commit) };

  log(`publish: ${opts.layers} × ${opts.layerMb} MB random layers on busybox, ${setup.tags.length} tags (${setup.tags.map((t) => t.tag.slice(0, 12)).join(", ")}) to ${registry} (basic auth)`);
  log(`slipway at ${revision}${srcChanges ? " + uncommitted changes in src/" : ""}; engine ${engineVersion}, docker CLI ${cliVersion}, node ${process.versions.node} (bare node: ${s(bare.wallMs)}, peak RSS ${mb(bare.maxRss)})`);
  log(`peers: ${opts.peers.join(", ")}; ${opts.rounds} round(s); repositories ${REPO_PREFIX}/${runPrefix}-r<round>-<peer>; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);

  const rounds: Round[] = [];
  let cleanup = "";
  try {
    await removeBenchImages(LABEL_VALUE);
    for (let round = 0; round < opts.rounds; round++) {
      const order = roundOrder(opts.peers, round);
      const targets = new Map<PeerName, PeerTarget>();
      const tb = performance.now();
      // Built in the round's order too: no peer always pushes the image that has waited longest.
      for (const peer of order) {
        const repository = `${REPO_PREFIX}/${runPrefix}-r${round + 1}-${peer}`;
        const localName = `${REPO_PREFIX}:${runPrefix}-r${round + 1}-${peer}`;
        const image = await buildImage(engine, opts, localName);
        // The registry names the docker CLI pushes (a Makefile's `docker tag`), made before the clock starts.
        const tags = peer === "floor" ? [commit] : peer === "slipway" ? [] : setup.tags.map((t) => t.tag);
        for (const tag of tags) await engine.images.tag(image.id, `${registry}/${repository}:${tag}`);
        targets.set(peer, { repository, image, localName });
      }
      await run("sync", [], {});
      log(`round ${round + 1}: ${opts.peers.length} fresh images built in ${s(performance.now() - tb)}; order ${order.join(", ")}`);
      const load0 = loadavg()[0]!;
      const outcomes: Outcome[] = [];
      for (const phase of ["cold", "warm"] as const) {
        for (const peer of order) {
          const o = await runPeer(peer, phase, targets.get(peer)!, setup);
          outcomes.push(o);
          log(`  round ${round + 1} ${phase} ${peer.padEnd(15)} ${s(o.wallMs).padStart(8)}  peak RSS ${mb(o.maxRss).padStart(8)}  CPU ${s(o.cpuMs).padStart(7)}  ${layerText(o.layers)}${o.child ? `  ${describeChild(o.child)}` : ""}${o.processes && o.processes.length > 1 ? `  (pushes: ${o.processes.map(s).join(", ")})` : ""}`);
          // The registry has just written the image: the next peer does not pay for flushing it.
          if (phase === "cold") await run("sync", [], {});
        }
      }
      rounds.push({ round, order, outcomes, loadavg: [load0, loadavg()[0]!] });
      for (const t of targets.values()) await engine.images.remove(t.image.id, { force: true }).catch(() => undefined);
    }
  } finally {
    await removeBenchImages(LABEL_VALUE).catch(() => undefined);
    await rm(dockerConfigDir, { recursive: true, force: true });
    const v2 = await registryStorage(registry);
    if (opts.keepPushed) cleanup = `pushed data kept (--keep-pushed): ${REPO_PREFIX}/${runPrefix}-*`;
    else if (!v2) cleanup = `pushed data left in ${registry} (${REPO_PREFIX}/${runPrefix}-*): its storage is not on this machine`;
    else {
      const removed = await removePushed(v2, runPrefix).catch((err: Error) => err);
      cleanup = removed instanceof Error ? `removing the pushed data failed: ${removed.message}` : `removed from the registry's storage: ${removed.repositories} repositories, ${removed.blobs} blobs, ${mb(removed.bytes)}`;
    }
    await engine.close();
  }
  report(rounds, opts, cleanup, bare);
}

function report(rounds: Round[], opts: Options, cleanup: string, bare: { wallMs: number; maxRss: number }): void {
  const setupTags = rounds[0]?.outcomes.find((o) => o.peer === "docker")?.processes?.length ?? 5;
  const of = (r: Round, p: PeerName, phase: Phase) => r.outcomes.find((o) => o.peer === p && o.phase === phase)!;
  const lines: string[] = ["", `${rounds.length} round(s), ${opts.layers} × ${opts.layerMb} MB; medians over rounds [min–max]:`];
  const summary: Record<string, unknown> = { date: new Date().toISOString(), bareNode: bare, layers: opts.layers, layerMb: opts.layerMb, peers: {}, ratios: {}, targets: {}, rounds, cleanup };
  for (const phase of ["cold", "warm"] as const) {
    lines.push(`${phase}:`);
    for (const p of opts.peers) {
      const wall = rounds.map((r) => of(r, p, phase).wallMs / 1000);
      const rss = rounds.map((r) => of(r, p, phase).maxRss / 2 ** 20);
      const cpu = rounds.map((r) => of(r, p, phase).cpuMs / 1000);
      lines.push(`  ${p.padEnd(15)} wall ${spread(wall, 2)} s   peak RSS ${spread(rss, 1)} MB   CPU ${spread(cpu, 2)} s   rounds: ${wall.map((w) => w.toFixed(2)).join(", ")}`);
      (summary["peers"] as Record<string, unknown>)[`${p} ${phase}`] = { wallS: median(wall), peakRssMb: median(rss), cpuS: median(cpu) };
    }
    const inside = (p: PeerName, pick: (c: ChildReport) => number) => rounds.map((r) => of(r, p, phase).child).filter((c): c is ChildReport => c !== undefined).map((c) => pick(c) / 1000);
    if (opts.peers.includes("floor")) lines.push(`  floor, the engine's push call alone (in its process): ${spread(inside("floor", (c) => c.workMs), 2)} s`);
    const sw = inside("slipway", (c) => c.workMs);
    const swPush = inside("slipway", (c) => c.phases?.pushMs ?? 0);
    const requests = rounds.map((r) => of(r, "slipway", phase).child?.requests.filter((q) => q.to === "registry").length ?? 0);
    lines.push(`  slipway inside its process: start-up ${spread(inside("slipway", (c) => c.startupMs), 2)} s, publishImage ${spread(sw, 2)} s, of it the engine push ${spread(swPush, 2)} s; ${spread(requests, 0)} registry requests`);
    // What each side spends beyond the one upload: Slipway's process minus its engine push, the
    // docker CLI's five processes minus the first one (which uploads).
    const swRest = rounds.map((r) => (of(r, "slipway", phase).wallMs - (of(r, "slipway", phase).child?.phases?.pushMs ?? 0)) / 1000);
    const dFirst = rounds.map((r) => of(r, "docker", phase).processes![0]! / 1000);
    const dRest = rounds.map((r) => (of(r, "docker", phase).wallMs - of(r, "docker", phase).processes![0]!) / 1000);
    const diff = swRest.map((v, i) => v - dRest[i]!);
    lines.push(`  beyond the upload: slipway's wall minus its engine push ${spread(swRest, 2)} s; docker's first push ${spread(dFirst, 2)} s, the other ${setupTags - 1} pushes ${spread(dRest, 2)} s; slipway − docker per round ${spread(diff, 2)} s`);
    (summary["ratios"] as Record<string, unknown>)[`beyond the upload ${phase}`] = { slipwayS: swRest, dockerOtherPushesS: dRest, dockerFirstPushS: dFirst };
    const ratio = (a: PeerName, b: PeerName) => rounds.map((r) => of(r, a, phase).wallMs / of(r, b, phase).wallMs);
    for (const [a, b] of [["slipway", "docker"], ["docker-all-tags", "docker"], ["floor", "docker"], ["slipway", "floor"]] as [PeerName, PeerName][]) {
      if (!opts.peers.includes(a) || !opts.peers.includes(b)) continue;
      const values = ratio(a, b);
      const isTarget = a === "slipway" && b === "docker";
      const met = median(values) <= TIME_RATIO_TARGET;
      if (isTarget && !met) process.exitCode = 1;
      lines.push(`  ${a}/${b}: ${spread(values)}${isTarget ? `; target ≤ ${TIME_RATIO_TARGET.toFixed(1)}: ${met ? "met" : "MISSED"}` : ""}   rounds: ${values.map((v) => v.toFixed(3)).join(", ")}`);
      (summary["ratios"] as Record<string, unknown>)[`${a}/${b} ${phase}`] = { median: median(values), min: Math.min(...values), max: Math.max(...values), rounds: values };
      if (isTarget) (summary["targets"] as Record<string, unknown>)[phase] = { target: TIME_RATIO_TARGET, met };
    }
  }
  // What Slipway asked the registry and the engine, from the median cold and warm rounds' slipway
  // runs: per kind, how many, the first start and last end (ms since its process started), and
  // their latencies summed (parallel requests overlap).
  for (const phase of ["cold", "warm"] as const) {
    const runs = rounds.map((r) => of(r, "slipway", phase).child!).sort((a, b) => a.workMs - b.workMs);
    const c = runs[runs.length >> 1]!;
    const byKind = new Map<string, { n: number; first: number; last: number; ms: number }>();
    for (const q of [...c.requests].sort((a, b) => a.at - b.at)) {
      const what = q.what.replace(/(manifests|blobs)\/sha256:.*/, "$1/<digest>").replace(/manifests\/[^<].*/, "manifests/<tag>");
      const key = `${q.to} ${q.method} ${what} → ${q.status}`;
      const k = byKind.get(key) ?? { n: 0, first: q.at, last: 0, ms: 0 };
      k.n++;
      k.last = Math.max(k.last, q.at + q.ms);
      k.ms += q.ms;
      byKind.set(key, k);
    }
    lines.push(`slipway's requests, ${phase} (median run, start-up ended at ${c.startupMs.toFixed(0)} ms; ${c.actions?.join(", ") ?? ""}):`);
    for (const [k, v] of byKind) lines.push(`  ${String(v.n).padStart(3)} × ${k.padEnd(52)} ${v.first.toFixed(0).padStart(5)}–${v.last.toFixed(0).padStart(5)} ms, ${v.ms.toFixed(0).padStart(5)} ms summed`);
  }
  lines.push(`load average (1 min) before and after each round's pushes: ${rounds.map((r) => `${r.loadavg[0].toFixed(1)}→${r.loadavg[1].toFixed(1)}`).join(", ")}`);
  lines.push(cleanup);
  if (opts.json) console.log(JSON.stringify(summary, null, 2));
  else console.log(lines.join("\n"));
}

// Not a top-level await: the child runs as a CommonJS bundle, as the CLI does (timed-process.ts).
void (process.argv.includes("--child") ? child(process.argv) : main()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
