/**
 * The offline Docker test world, as tests see it: a typed view of the world.json that
 * testworld/setup.sh writes, and skip reasons for what this world cannot give.
 *
 *   const world = await loadWorld();
 *   test("publish", { skip: world.skipReason("auth-registry") }, async () => {
 *     const { address, username, password } = world.require("auth-registry");
 *   });
 *
 * On a fresh machine and in CI the world has everything and nothing is skipped. With
 * SLIPWAY_WORLD_STRICT=1 (or CI set) a missing capability is an error, never a skip.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";

/** What world.json says (schemaVersion 1). */
export interface WorldFile {
  schemaVersion: 1;
  createdAt: string;
  /** The engine setup found or started, e.g. "unix:///var/run/docker.sock". */
  dockerHost: string;
  /** true: setup started this engine (with our mirror config); false: it reused one as it was. */
  managed: boolean;
  engine: { version: string; apiVersion: string; arch: string };
  /** The Docker Hub mirror the engine pulls `postgres:15` etc. through; null when it does not. */
  mirror: { address: string } | null;
  registries: {
    plain: { address: string } | null;
    auth: { address: string; username: string; password: string } | null;
    /** Bearer-token auth; absent from a world.json written before the token registry existed. */
    token?: TokenRegistry | null;
  };
  /** Fixture image names present in the engine ("postgres:15", "node:20-alpine", ...). */
  images: string[];
  /** Executable of docker compose v2 (a CLI plugin, runs standalone too), or null. */
  composeV2: string | null;
  /** Executable of docker-compose v1, or null. */
  composeV1: string | null;
  /** Capability → why this world lacks it. */
  unavailable: Record<string, string>;
  fixturesHash: string;
  stateDir: string;
  cacheDir: string;
}

/**
 * The registry with Bearer-token auth. Its token service (`realm`) is not running: tests start it
 * with test/support/token-issuer.ts, signing with `issuerKey` (the registry trusts `issuerCert`).
 */
export interface TokenRegistry {
  address: string;
  /** e.g. http://127.0.0.1:5005/token */
  realm: string;
  /** The registry's `service` (the tokens' audience) and the `issuer` it trusts. */
  service: string;
  issuer: string;
  username: string;
  password: string;
  /** PEM files. */
  issuerKey: string;
  issuerCert: string;
}

export type Capability =
  | "engine"
  | "managed-engine"
  | "mirror"
  | "plain-registry"
  | "auth-registry"
  | "token-registry"
  | "compose-v2"
  | "compose-v1"
  | `image:${string}`;

/** What `require` returns for each capability. */
export interface Provided {
  engine: { dockerHost: string };
  "managed-engine": { dockerHost: string };
  mirror: { address: string };
  "plain-registry": { address: string };
  "auth-registry": { address: string; username: string; password: string };
  "token-registry": TokenRegistry;
  "compose-v2": { path: string };
  "compose-v1": { path: string };
}
type ProvidedFor<C extends Capability> = C extends keyof Provided ? Provided[C] : { name: string };

export class WorldUnavailableError extends Error {
  constructor(
    readonly capability: Capability,
    readonly reason: string,
  ) {
    super(`the test world lacks ${capability}: ${reason}`);
    this.name = "WorldUnavailableError";
  }
}

export class World {
  constructor(
    /** The parsed world.json; undefined when there is none. */
    readonly file: WorldFile | undefined,
    /** Where world.json was looked for. */
    readonly path: string,
    private readonly strict = false,
  ) {}

  get dockerHost(): string {
    return this.file?.dockerHost ?? "unix:///var/run/docker.sock";
  }

  /** Why `capability` is missing, or undefined when the world has it. */
  reason(capability: Capability): string | undefined {
    const file = this.file;
    if (!file) return `no test world (no ${this.path}); run: bash testworld/setup.sh`;
    const recorded = file.unavailable[capability];
    if (recorded) return recorded;
    switch (capability) {
      case "engine":
        return undefined;
      case "managed-engine":
        return file.managed ? undefined : `the engine at ${file.dockerHost} is the user's own; tests must not reconfigure or restart it`;
      case "mirror":
        return file.mirror ? undefined : "the engine does not pull Docker Hub names through the test world's mirror";
      case "plain-registry":
        return file.registries.plain ? undefined : "no plain registry";
      case "auth-registry":
        return file.registries.auth ? undefined : "no basic-auth registry";
      case "token-registry":
        return file.registries.token ? undefined : "no token-auth registry (a world.json from before it has none: run bash testworld/setup.sh)";
      case "compose-v2":
        return file.composeV2 ? undefined : "no docker compose v2";
      case "compose-v1":
        return file.composeV1 ? undefined : "no docker-compose v1";
      default: {
        const name = capability.slice("image:".length);
        return file.images.includes(name) ? undefined : `the engine has no fixture image ${name}`;
      }
    }
  }

  has(capability: Capability): boolean {
    return this.reason(capability) === undefined;
  }

  /**
   * For node:test's `skip` option: the reason of the first missing capability, or undefined to
   * run. In strict mode a missing capability throws instead: CI must not pass by skipping.
   */
  skipReason(...capabilities: Capability[]): string | undefined {
    for (const capability of capabilities) {
      const reason = this.reason(capability);
      if (reason === undefined) continue;
      if (this.strict) throw new WorldUnavailableError(capability, reason);
      return reason;
    }
    return undefined;
  }

  /** The capability's details; throws WorldUnavailableError (with the reason) when it is missing. */
  require<C extends Capability>(capability: C): ProvidedFor<C> {
    const reason = this.reason(capability);
    if (reason !== undefined) throw new WorldUnavailableError(capability, reason);
    const file = this.file!;
    const provided: Record<string, unknown> = {
      engine: { dockerHost: file.dockerHost },
      "managed-engine": { dockerHost: file.dockerHost },
      mirror: file.mirror,
      "plain-registry": file.registries.plain,
      "auth-registry": file.registries.auth,
      "token-registry": file.registries.token,
      "compose-v2": { path: file.composeV2 },
      "compose-v1": { path: file.composeV1 },
    };
    return (provided[capability] ?? { name: capability.slice("image:".length) }) as ProvidedFor<C>;
  }
}

/** world.json's path: $SLIPWAY_WORLD, else the default of testworld/lib/paths.sh. */
export function worldPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env["SLIPWAY_WORLD"]) return env["SLIPWAY_WORLD"];
  const state =
    env["SLIPWAY_TESTWORLD_STATE"] ||
    (process.getuid?.() === 0
      ? "/var/lib/slipway-testworld"
      : path.join(env["XDG_STATE_HOME"] || path.join(homedir(), ".local", "state"), "slipway-testworld"));
  return path.join(state, "world.json");
}

function isStrict(env: NodeJS.ProcessEnv): boolean {
  const v = env["SLIPWAY_WORLD_STRICT"] ?? env["CI"];
  return v !== undefined && v !== "" && v !== "0" && v !== "false";
}

function parse(text: string | undefined, file: string, env: NodeJS.ProcessEnv): World {
  if (text === undefined) return new World(undefined, file, isStrict(env));
  const parsed = JSON.parse(text) as WorldFile;
  if (parsed.schemaVersion !== 1) throw new Error(`${file}: schemaVersion ${String(parsed.schemaVersion)}, expected 1; re-run testworld/setup.sh`);
  return new World(parsed, file, isStrict(env));
}

function missing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === "ENOENT";
}

export async function loadWorld(env: NodeJS.ProcessEnv = process.env): Promise<World> {
  const file = worldPath(env);
  let text: string | undefined;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if (!missing(err)) throw err;
  }
  return parse(text, file, env);
}

/** For a test file's top level without top-level await. */
export function loadWorldSync(env: NodeJS.ProcessEnv = process.env): World {
  const file = worldPath(env);
  let text: string | undefined;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (!missing(err)) throw err;
  }
  return parse(text, file, env);
}
