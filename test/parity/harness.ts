/**
 * The parity harness: the same command line through `docker compose` (2.26.1, the test world's
 * plugin binary, run standalone: `docker-compose …`) and through `slipway compose`
 * (the published bundle), each on its own project from one fixture folder, then the results side
 * by side: exit codes, outputs, and what each left on the engine, normalized so that only what
 * differs by nature is left out (IDs, times, host ports the engine picked, each tool's own labels;
 * see IGNORED).
 *
 *   await using p = await ParityProjects.open("app", "up");
 *   const r = await p.both(["up", "-d"]);            // -p <each tool's project> is added
 *   assert.equal(r.slipway.code, r.docker.code);
 *   assertSame(await p.state(), known, "up -d");     // containers, networks, volumes
 *
 * Every run is bounded (a child still running after RUN_LIMIT_MS is killed and the case fails
 * saying so); disposal removes both projects' containers, networks, volumes and built images
 * through the Engine API, whatever the tools did.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { Engine, endpointFromEnv } from "../../src/engine/index.ts";
import type { ContainerInspect } from "../../src/engine/types.ts";
import { loadWorldSync } from "../support/world.ts";
import { publishedBin, repoRoot } from "../e2e/support.ts";

export const world = loadWorldSync();
/** Why the parity suite cannot run here, or undefined. */
export const skipReason = world.skipReason("compose-v2", "image:busybox:latest");

export const fixture = (name: string) => path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", name);

export type Tool = "docker" | "slipway";
export const TOOLS: readonly Tool[] = ["docker", "slipway"];
export type Pair<T> = Record<Tool, T>;

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A guard against a hung tool, not a performance threshold: generous on a loaded machine. */
const RUN_LIMIT_MS = 240_000;

/** Both tools see this environment: the caller's, without COMPOSE_* (a case sets what it tests) or the plugin handshake. */
function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith("COMPOSE_") || k.startsWith("DOCKER_CLI_PLUGIN")) continue;
    env[k] = v;
  }
  return { ...env, DOCKER_HOST: world.dockerHost, NO_COLOR: "1", ...extra };
}

export interface RunOptions {
  /** Working directory (default: the fixture folder). */
  cwd?: string;
  env?: Record<string, string>;
  /** Written to the tool's standard input, then closed. */
  stdin?: string;
  /** Called with everything the tool wrote to stdout so far, each time it writes (to wait for a line). */
  onStdout?: (soFar: string) => void;
  /** Ends the tool (SIGTERM) when aborted: for commands that follow until stopped (`events`). */
  signal?: AbortSignal;
}

/** Runs one tool's compose command line (without any project option of ours). */
export function runTool(tool: Tool, args: readonly string[], opts: RunOptions & { cwd: string }): Promise<ToolResult> {
  const [cmd, argv] = tool === "docker" ? [world.require("compose-v2").path, [...args]] : [process.execPath, [publishedBin, "compose", ...args]];
  const child = spawn(cmd, argv, { cwd: opts.cwd, env: baseEnv(opts.env), stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
    opts.onStdout?.(stdout);
  });
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.end(opts.stdin ?? "");
  child.stdin.on("error", () => undefined);
  let killed = false;
  opts.signal?.addEventListener("abort", () => child.kill("SIGTERM"), { once: true });
  const guard = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, RUN_LIMIT_MS);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      if (killed) reject(new Error(`${tool} compose ${args.join(" ")}: still running after ${RUN_LIMIT_MS / 1000} s, killed\n${stdout}${stderr}`));
      else resolve({ code: code ?? 128 + (signal === "SIGKILL" ? 9 : 15), stdout, stderr });
    });
  });
}

const PROJECT_PLACEHOLDER = "<project>";

/** Container state as both tools must leave it, with only what differs by nature taken out. */
export interface ContainerState {
  service: string;
  number: string;
  oneoff: string;
  state: string;
  exitCode?: number;
  health?: string;
  image: string;
  cmd: string[] | null;
  entrypoint: string[] | null;
  env: string[];
  workingDir: string;
  healthcheck: unknown;
  restart: string;
  init: boolean | null;
  ports: string[];
  mounts: string[];
  networks: Record<string, string[]>;
  labels: Record<string, string>;
}

export interface ProjectState {
  containers: Record<string, ContainerState>;
  networks: Record<string, { driver: string; labels: Record<string, string> }>;
  volumes: Record<string, { driver: string; labels: Record<string, string> }>;
}

interface Ignored {
  what: string;
  /** Why it differs by nature; docs/compose-differences.md says the same where it is a Slipway choice. */
  reason: string;
}

/**
 * Left out of every comparison. The reasons that are Slipway's choices appear in
 * docs/compose-differences.md word for word (a test checks it).
 */
export const IGNORED: Record<string, Ignored> = {
  version: { what: "the com.docker.compose.version label", reason: "Slipway does not write com.docker.compose.version: it is not docker compose." },
  configHash: {
    what: "the com.docker.compose.config-hash label's value",
    reason:
      "The config hash is Slipway's own: a SHA-256 of its normalized service with the image ID. docker compose hashes compose-go's Go structure, which Slipway cannot reproduce byte for byte, so the same file gives another value.",
  },
  slipwayLabels: { what: "labels under dev.slipway.", reason: "Slipway also labels what it creates with dev.slipway.* (run, owner, lifetime), which docker compose does not write." },
  slug: { what: "the com.docker.compose.slug label's value", reason: "random per one-off container" },
  ids: { what: "IDs, creation times, run suffixes of one-off containers, host ports the engine picks", reason: "different on every run" },
};

/** Replaces each project's name with <project>, in every string of a value. */
export function normalizeProject<T>(value: T, project: string): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return v.split(project).join(PROJECT_PLACEHOLDER);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [walk(k) as string, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** One-off containers: `<project>-<service>-run-<random>` in both tools; the random part goes. */
const oneoffName = (name: string) => name.replace(/-run-[0-9a-f]+$/, "-run-<id>");

function labelsOf(raw: Record<string, string> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (k.startsWith("dev.slipway.") || k === "com.docker.compose.version") continue;
    out[k] = k === "com.docker.compose.config-hash" ? "<hash>" : k === "com.docker.compose.slug" ? "<slug>" : v;
  }
  return out;
}

function containerState(c: ContainerInspect): ContainerState {
  const labels = c.Config.Labels ?? {};
  const ports = Object.entries(c.HostConfig.PortBindings ?? {}).flatMap(([port, bindings]) => (bindings ?? []).map((b) => `${b.HostIp || "0.0.0.0"}:${b.HostPort ? "<port>" : ""}->${port}`));
  return {
    service: labels["com.docker.compose.service"] ?? "",
    number: labels["com.docker.compose.container-number"] ?? "",
    oneoff: labels["com.docker.compose.oneoff"] ?? "",
    state: c.State.Status,
    ...(c.State.Status === "exited" ? { exitCode: c.State.ExitCode } : {}),
    ...(c.State.Health ? { health: c.State.Health.Status } : {}),
    image: c.Config.Image,
    cmd: c.Config.Cmd ?? null,
    entrypoint: c.Config.Entrypoint ?? null,
    env: [...(c.Config.Env ?? [])].sort(),
    workingDir: c.Config.WorkingDir ?? "",
    healthcheck: c.Config.Healthcheck ?? null,
    restart: c.HostConfig.RestartPolicy?.Name ?? "",
    init: c.HostConfig.Init ?? null,
    ports: ports.sort(),
    mounts: c.Mounts.map((m) => `${m.Type}:${m.Type === "volume" ? m.Name : m.Source}:${m.Destination}:${m.RW ? "rw" : "ro"}`).sort(),
    networks: Object.fromEntries(Object.entries(c.NetworkSettings.Networks).map(([n, e]) => [n, [...(e.Aliases ?? [])].filter((a) => !/^[0-9a-f]{12}$/.test(a)).map(oneoffName).sort()])),
    labels: labelsOf(c.Config.Labels),
  };
}

async function projectState(engine: Engine, project: string): Promise<ProjectState> {
  const filters = { label: [`com.docker.compose.project=${project}`] };
  const [containers, networks, volumes] = await Promise.all([engine.containers.list({ all: true, filters }), engine.networks.list({ filters }), engine.volumes.list({ filters })]);
  const state: ProjectState = { containers: {}, networks: {}, volumes: {} };
  for (const c of containers) {
    const inspect = await engine.containers.inspect(c.Id);
    state.containers[oneoffName(inspect.Name.replace(/^\//, ""))] = containerState(inspect);
  }
  for (const n of networks) state.networks[n.Name] = { driver: n.Driver, labels: labelsOf(n.Labels) };
  for (const v of volumes) state.volumes[v.Name] = { driver: v.Driver, labels: labelsOf(v.Labels) };
  return normalizeProject(state, project);
}

/** Two projects of one fixture, one per tool, removed (through the Engine API) when disposed. */
export class ParityProjects implements AsyncDisposable {
  private constructor(
    readonly dir: string,
    readonly project: Pair<string>,
    private readonly engine: Engine,
  ) {}

  static async open(fixtureName: string, label: string): Promise<ParityProjects> {
    const id = Math.random().toString(36).slice(2, 8);
    const base = `parity-${label}`.toLowerCase().replace(/[^a-z0-9-]/g, "-");
    const engine = await Engine.connect({ endpoint: endpointFromEnv({ ...process.env, DOCKER_HOST: world.dockerHost }) });
    return new ParityProjects(fixture(fixtureName), { docker: `${base}-d${id}`, slipway: `${base}-s${id}` }, engine);
  }

  /** One tool: `-p <its project>` then `args`. */
  run(tool: Tool, args: readonly string[], opts: RunOptions = {}): Promise<ToolResult> {
    return runTool(tool, ["-p", this.project[tool], ...args], { ...opts, cwd: opts.cwd ?? this.dir });
  }

  /** Both tools at once (separate projects, one engine), outputs with the project names normalized. */
  async both(args: readonly string[], opts: RunOptions = {}): Promise<Pair<ToolResult>> {
    const [docker, slipway] = await Promise.all(TOOLS.map((t) => this.run(t, args, opts)));
    return { docker: normalizeProject(docker!, this.project.docker), slipway: normalizeProject(slipway!, this.project.slipway) };
  }

  /** Both tools, one after the other (for commands whose timing the other tool's load would change). */
  async inTurn(args: readonly string[], opts: RunOptions = {}): Promise<Pair<ToolResult>> {
    const docker = await this.run("docker", args, opts);
    const slipway = await this.run("slipway", args, opts);
    return { docker: normalizeProject(docker, this.project.docker), slipway: normalizeProject(slipway, this.project.slipway) };
  }

  /** Each project's container IDs by name: to tell kept containers from recreated ones. */
  async containerIds(): Promise<Pair<Record<string, string>>> {
    const ids = async (project: string) => {
      const list = await this.engine.containers.list({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } });
      return Object.fromEntries(list.map((c) => [(c.Names[0] ?? "").replace(/^\//, ""), c.Id]).sort(([a], [b]) => a!.localeCompare(b!)));
    };
    return { docker: await ids(this.project.docker), slipway: await ids(this.project.slipway) };
  }

  /**
   * Both projects' state, once no container is between states the engine reports on its own
   * time (a healthcheck still `starting`, a container `restarting` or `removing`): the tools may
   * finish a command at different moments of a container's start, and their speed is not what is
   * compared.
   */
  async state(): Promise<Pair<ProjectState>> {
    const end = Date.now() + RUN_LIMIT_MS;
    for (;;) {
      const lists = await Promise.all(TOOLS.map((t) => this.engine.containers.list({ all: true, filters: { label: [`com.docker.compose.project=${this.project[t]}`] } })));
      const moving = lists.flat().filter((c) => /\(health: starting\)/.test(c.Status) || c.State === "restarting" || c.State === "removing");
      if (moving.length === 0) break;
      if (Date.now() > end) throw new Error(`containers still moving after ${RUN_LIMIT_MS / 1000} s: ${moving.map((c) => `${c.Names[0]} ${c.Status}`).join(", ")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const [docker, slipway] = await Promise.all(TOOLS.map((t) => projectState(this.engine, this.project[t])));
    return { docker: docker!, slipway: slipway! };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      for (const project of Object.values(this.project)) {
        const filters = { label: [`com.docker.compose.project=${project}`] };
        for (const c of await this.engine.containers.list({ all: true, filters })) await this.engine.containers.remove(c.Id, { force: true, volumes: true });
        for (const n of await this.engine.networks.list({ filters })) await this.engine.networks.remove(n.Id);
        for (const v of await this.engine.volumes.list({ filters })) await this.engine.volumes.remove(v.Name, { force: true });
        // Images the tools built are named <project>-<service>, or after the project (push fixture).
        for (const image of await this.engine.images.list()) {
          for (const tag of image.RepoTags ?? []) if (tag.startsWith(`${project}-`) || tag.includes(`/${project}:`)) await this.engine.images.remove(tag, { force: true });
        }
      }
    } finally {
      await this.engine.close();
    }
  }
}

export interface Difference {
  path: string[];
  docker: unknown;
  slipway: unknown;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Where two values differ, as deep as both still have the same shape. */
export function differences(docker: unknown, slipway: unknown, at: string[] = [], out: Difference[] = []): Difference[] {
  if (isDeepStrictEqual(docker, slipway)) return out;
  if (isMap(docker) && isMap(slipway)) {
    for (const k of [...new Set([...Object.keys(docker), ...Object.keys(slipway)])].sort()) differences(docker[k], slipway[k], [...at, k], out);
  } else if (Array.isArray(docker) && Array.isArray(slipway) && docker.length === slipway.length) {
    docker.forEach((d, i) => differences(d, slipway[i], [...at, String(i)], out));
  } else out.push({ path: at, docker, slipway });
  return out;
}

/**
 * A difference a case knows of. `deliberate` ones are Slipway's choices: their reason appears in
 * docs/compose-differences.md word for word. `bug` ones are differences Slipway should not have,
 * reported and kept here so that the rest of the case still guards parity; when one is fixed its
 * entry no longer matches, and `assertAllKnownSeen` fails until it is taken out.
 */
export interface Known {
  /** The comparison's label (the `what` given to assertSame). */
  what: string;
  /** Path segments; `*` matches one segment, a last `**` any rest. */
  path: string[];
  kind: "deliberate" | "bug";
  reason: string;
}

function matches(pattern: readonly string[], p: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === "**") return true;
    if (i >= p.length || (pattern[i] !== "*" && pattern[i] !== p[i])) return false;
  }
  return pattern.length === p.length;
}

/** Asserts that docker's and Slipway's values are equal but for `known` differences (recorded as seen). */
export function assertSame(pair: Pair<unknown>, known: KnownList, what: string): void {
  const unexplained = differences(pair.docker, pair.slipway).filter((d) => {
    const k = known.entries.find((e) => e.what === what && matches(e.path, d.path));
    if (k) known.seen.add(k);
    return !k;
  });
  assert.deepEqual(
    unexplained.map((d) => `${d.path.join(" › ")}: docker ${JSON.stringify(d.docker)}, slipway ${JSON.stringify(d.slipway)}`),
    [],
    `${what}: docker compose and slipway compose differ`,
  );
}

export class KnownList {
  readonly seen = new Set<Known>();
  constructor(readonly entries: readonly Known[]) {}

  /**
   * Every entry of these comparisons still matched a difference: called at the end of the test
   * that made them (a test that failed before has not seen them all, and says so itself).
   */
  assertSeen(...whats: string[]): void {
    const stale = this.entries.filter((e) => whats.includes(e.what) && !this.seen.has(e));
    assert.deepEqual(stale.map((e) => `${e.what}: ${e.path.join(" › ")}`), [], "known differences that no longer occur: take them out (and out of docs/compose-differences.md)");
  }

  /** The deliberate entries' reasons are in docs/compose-differences.md. */
  assertDocumented(): void {
    assertDocumented(this.entries.filter((e) => e.kind === "deliberate").map((e) => e.reason));
  }
}

export const differencesDoc = path.join(repoRoot, "docs/compose-differences.md");

/** Each reason appears in docs/compose-differences.md word for word (line breaks aside). */
export function assertDocumented(reasons: readonly string[]): void {
  const doc = readFileSync(differencesDoc, "utf8").replace(/\s+/g, " ");
  assert.deepEqual(reasons.filter((r) => !doc.includes(r.replace(/\s+/g, " "))), [], "reasons missing from docs/compose-differences.md");
}

/** Compose's JSON output lines (`--format json` prints one object per line), parsed. */
export function jsonLines(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  if (trimmed.startsWith("[")) return JSON.parse(trimmed) as unknown[];
  return trimmed.split("\n").map((l) => JSON.parse(l) as unknown);
}

export { repoRoot };

/** Both tools' stderr, for an assertion's message. */
export const failed = (r: Pair<ToolResult>): string => `docker: ${r.docker.stderr}\nslipway: ${r.slipway.stderr}`;

/**
 * Multiplexed output lines, sorted: compose erases the line before each one (ESC[2K) even without
 * a terminal, lines of different containers interleave as they come, and compose pads each prefix
 * to the longest name it had seen when that container's first line came (so the padding depends on
 * the order of arrival too).
 */
export const outputLines = (out: string): string[] =>
  out
    .replace(/\u001b\[[0-9;]*[A-Za-z]/g, "")
    .split("\n")
    .filter(Boolean)
    .map((l) => l.replace(/^(\S+) +\| /, "$1 | "))
    .sort();
