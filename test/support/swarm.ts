/**
 * The test world's Docker Swarm, as tests see it: three Engine 26 nodes in containers, all managers,
 * made (or reused) by `bash testworld/swarm.sh up` and described in its swarm.json.
 *
 *   const skip = swarmSkipReason();
 *   describe("deploy", { skip }, () => {
 *     let swarm: SwarmWorld;
 *     before(async () => (swarm = await ensureSwarm()));
 *     test("...", async () => {
 *       const engine = await Engine.connect({ endpoint: endpointFromEnv({ DOCKER_HOST: swarm.nodes[0]!.dockerHost }) });
 *     });
 *   });
 *
 * Inside every node the host's registries answer under the names Slipway pins (127.0.0.1:5001 the
 * Docker Hub mirror, :5002 basic auth, :5003 plain, :5004 token auth), so `busybox:latest` and an
 * image pushed from the host to 127.0.0.1:5003 pull there as they do on the host. The swarm is
 * shared by every test process on the machine: name what you create uniquely and remove it. This
 * repository's swarm scenarios all run in one file, test/integration/swarm/swarm.test.ts, one after
 * another: its last one stops a node (then heals the swarm, healSwarm), which a test running
 * beside it would see.
 *
 * With SLIPWAY_WORLD_STRICT=1 (or CI set) a host that cannot run the swarm is an error, never a skip.
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadWorldSync, type Capability } from "./world.ts";

export interface SwarmNode {
  /** The node's container on the host engine, its hostname and its swarm node name, all one. */
  name: string;
  container: string;
  hostname: string;
  /** Fixed: the node comes back on it after a restart. */
  ip: string;
  /** DOCKER_HOST for this node's engine, e.g. unix:///var/lib/slipway-testworld/swarm/slipway-swarm-1/docker.sock */
  dockerHost: string;
  role: "manager" | "worker";
  nodeId: string;
  /** The address its raft and the other nodes' joins use, `ip:2377`. */
  managerAddr: string;
}

export interface SwarmWorld {
  schemaVersion: 1;
  createdAt: string;
  /** Every node's engine: Debian trixie's docker.io, 26.x, API 1.45. */
  engine: { version: string; apiVersion: string };
  /** The nodes' network on the host engine: `--internal`, nothing beyond it is reachable from a node. */
  network: { name: string; subnet: string; gateway: string; bridge: string; internal: boolean };
  /** Where the swarm's overlay networks (ingress too) take their subnets. */
  defaultAddrPool: { base: string; maskLength: number };
  nodes: SwarmNode[];
  /** The registries as every node reaches them (the same addresses as on the host). */
  registries: { mirror: string; auth: string; plain: string; token: string };
  /** The node image on the host engine. */
  image: string;
  /** The label on everything testworld/swarm.sh made on the host engine. */
  label: string;
  /** The `up` that wrote this file: how long it took and what it reused. */
  up: {
    /** The whole `up`, including `lockWaitSeconds` spent waiting for a concurrent one. */
    seconds: number;
    lockWaitSeconds: number;
    image: "reused" | "imported" | "built";
    nodes: "reused" | "started" | "created";
    swarm: "reused" | "joined" | "formed";
    steps: Record<string, number>;
  };
  /** Where this was read from. */
  path: string;
}

export class SwarmUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`the test world cannot run its swarm: ${reason}`);
    this.name = "SwarmUnavailableError";
  }
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function isStrict(env: NodeJS.ProcessEnv): boolean {
  const v = env["SLIPWAY_WORLD_STRICT"] ?? env["CI"];
  return v !== undefined && v !== "" && v !== "0" && v !== "false";
}

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env["PATH"] ?? "").split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why this host cannot run the swarm, or undefined when it can. */
export function swarmUnavailableReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const world = loadWorldSync(env);
  const needs: Capability[] = ["engine", "mirror", "plain-registry"];
  for (const capability of needs) {
    const reason = world.reason(capability);
    if (reason !== undefined) return `the test world lacks ${capability}: ${reason}`;
  }
  if (process.platform !== "linux") return "the swarm's nodes are Linux containers with their own dockerd";
  if (!world.dockerHost.startsWith("unix://")) {
    return `the swarm runs on an engine of this host (its relays and node sockets are local), not ${world.dockerHost}`;
  }
  if (process.getuid?.() !== 0) return "the swarm needs root: debootstrap builds its node image, and the nodes' sockets are root's";
  for (const command of ["docker", "socat", "curl"]) {
    if (!onPath(command, env)) return `no ${command} on PATH (bash testworld/setup.sh installs it)`;
  }
  return undefined;
}

/**
 * For node:test's `skip` option: why the swarm is unavailable, or undefined to run. In strict mode
 * (SLIPWAY_WORLD_STRICT=1 or CI) it throws instead: CI must not pass by skipping.
 */
export function swarmSkipReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const reason = swarmUnavailableReason(env);
  if (reason !== undefined && isStrict(env)) throw new SwarmUnavailableError(reason);
  return reason;
}

let ensured: Promise<SwarmWorld> | undefined;

/**
 * Runs `bash testworld/swarm.sh up` once per process (idempotent and serialized by a lock, so
 * concurrent test processes share one swarm) and returns its swarm.json. A cold machine builds the
 * node image first (about a minute); a formed swarm answers in under a second.
 */
export function ensureSwarm(env: NodeJS.ProcessEnv = process.env): Promise<SwarmWorld> {
  ensured ??= up(env).catch((err: unknown) => {
    ensured = undefined; // a later call may try again
    throw err;
  });
  return ensured;
}

/**
 * Runs `up` again, whatever this process ran before, for a test that took the swarm apart (a node
 * stopped): `up` starts a stopped node, waits until every node is a Ready manager again and
 * answers on its socket, and probes the registries from inside every node. ensureSwarm() answers
 * this from then on.
 */
export function healSwarm(env: NodeJS.ProcessEnv = process.env): Promise<SwarmWorld> {
  ensured = undefined;
  return ensureSwarm(env);
}

async function up(env: NodeJS.ProcessEnv): Promise<SwarmWorld> {
  const script = path.join(repoRoot, "testworld", "swarm.sh");
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn("bash", [script, "up"], { env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (exitCode) => resolve({ code: exitCode, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
  });
  if (code !== 0) {
    const tail = stderr.trimEnd().split("\n").slice(-30).join("\n");
    throw new Error(`bash testworld/swarm.sh up failed (exit ${String(code)}):\n${tail}`);
  }
  const file = stdout.trim().split("\n").pop() ?? "";
  if (!file) throw new Error(`bash testworld/swarm.sh up did not say where swarm.json is:\n${stderr}`);
  const parsed = JSON.parse(await readFile(file, "utf8")) as Omit<SwarmWorld, "path">;
  if (parsed.schemaVersion !== 1) throw new Error(`${file}: schemaVersion ${String(parsed.schemaVersion)}, expected 1`);
  return { ...parsed, path: file };
}
