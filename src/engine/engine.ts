/**
 * Slipway's Engine API client: a thin typed layer on undici (not dockerode — see issue 2 for the
 * measurements). Connect once per process: resolves the endpoint, negotiates the API version from
 * `GET /_ping`, then hands out resource groups that share one connection pool.
 */
import type { Builder } from "./types.ts";

export type { Builder };
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { SlipwayError } from "../errors/index.ts";
import { Containers } from "./containers.ts";
import { describeEndpoint, resolveEndpoint, type EngineEndpoint } from "./endpoint.ts";
import { Execs } from "./exec.ts";
import { EngineHttp, type Trace } from "./http.ts";
import { Images } from "./images.ts";
import { Networks } from "./networks.ts";
import { Nodes } from "./nodes.ts";
import { Services } from "./services.ts";
import { Swarm } from "./swarm.ts";
import { SwarmHttp } from "./swarm-http.ts";
import { Configs, Secrets } from "./swarm-objects.ts";
import { System } from "./system.ts";
import { Tasks } from "./tasks.ts";
import { createTransport } from "./transport.ts";
import { MIN_API_VERSION, apiAtLeast, negotiateApiVersion } from "./version.ts";
import { Volumes } from "./volumes.ts";

/**
 * Which of the engine's builders `POST /build` uses: BuildKit (`version=2`, no session: the context
 * goes up as the request body) or the classic one. BuildKit builds only the stages a target needs,
 * runs independent ones in parallel and commits no container per step (a cold rebuild of the
 * example's test image: 4.5 s against 6.0 s on Engine 20.10); Windows engines have only the classic one.
 */

export interface ConnectOptions {
  endpoint: EngineEndpoint;
  signal?: AbortSignal;
  trace?: Trace;
  /** Overrides the choice of builder (DOCKER_BUILDKIT=0 asks for the classic one: `builderFromEnv`). */
  builder?: Builder | undefined;
}

/** `DOCKER_BUILDKIT`, as the docker CLI reads it: 0/false for the classic builder, 1/true for BuildKit, else the engine's. */
export function builderFromEnv(env: Record<string, string | undefined>): Builder | undefined {
  const value = env["DOCKER_BUILDKIT"]?.trim().toLowerCase();
  if (value === "0" || value === "false") return "classic";
  if (value === "1" || value === "true") return "buildkit";
  return undefined;
}

export class Engine implements AsyncDisposable {
  readonly endpoint: EngineEndpoint;
  /** The version we talk (the lower of ours and the engine's). */
  readonly apiVersion: string;
  /** The engine's own maximum API version. */
  readonly engineApiVersion: string;
  /** The builder `images.build` uses unless told otherwise. */
  readonly builder: Builder;
  readonly containers: Containers;
  readonly images: Images;
  readonly networks: Networks;
  readonly volumes: Volumes;
  readonly execs: Execs;
  readonly system: System;
  /** Swarm resources: they need a swarm manager, and anything else answers NotASwarmManagerError. */
  readonly swarm: Swarm;
  readonly services: Services;
  readonly tasks: Tasks;
  readonly nodes: Nodes;
  readonly secrets: Secrets;
  readonly configs: Configs;
  readonly #http: EngineHttp;

  private constructor(http: EngineHttp, apiVersion: string, engineApiVersion: string, builder: Builder) {
    this.#http = http;
    this.endpoint = http.endpoint;
    this.apiVersion = apiVersion;
    this.engineApiVersion = engineApiVersion;
    this.builder = builder;
    this.containers = new Containers(http);
    this.images = new Images(http, builder);
    this.networks = new Networks(http);
    this.volumes = new Volumes(http);
    this.execs = new Execs(http);
    this.system = new System(http);
    const swarmHttp = new SwarmHttp(http);
    this.swarm = new Swarm(swarmHttp);
    this.services = new Services(swarmHttp);
    this.tasks = new Tasks(swarmHttp);
    this.nodes = new Nodes(swarmHttp);
    this.secrets = new Secrets(swarmHttp);
    this.configs = new Configs(swarmHttp);
  }

  static async connect(opts: ConnectOptions): Promise<Engine> {
    const http = new EngineHttp(opts.endpoint, createTransport(opts.endpoint), opts.trace);
    try {
      const ping = await new System(http).ping({ signal: opts.signal });
      const apiVersion = negotiateApiVersion(ping.apiVersion);
      if (!apiVersion) {
        throw new SlipwayError(
          `The Docker engine at ${describeEndpoint(opts.endpoint)} speaks API ${ping.apiVersion ?? "unknown"}; Slipway needs ${MIN_API_VERSION} or newer`,
          { code: "ENGINE_TOO_OLD", kind: "engine", hint: "Upgrade the engine to Docker 20.10 or newer." },
        );
      }
      http.apiVersion = apiVersion;
      const builder = opts.builder ?? (ping.osType === "windows" ? "classic" : "buildkit");
      return new Engine(http, apiVersion, ping.apiVersion ?? apiVersion, builder);
    } catch (err) {
      await http.close().catch(() => undefined);
      throw err;
    }
  }

  /** True when the negotiated API has `version` (e.g. healthcheck start_interval needs 1.44). */
  supports(version: string): boolean {
    return apiAtLeast(this.apiVersion, version);
  }

  /** The low-level request core, for endpoints without a typed wrapper yet. */
  get http(): EngineHttp {
    return this.#http;
  }

  describe(): string {
    return describeEndpoint(this.endpoint);
  }

  async close(): Promise<void> {
    await this.#http.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Resolve the endpoint from an environment the way the docker CLI does, reading real files. */
export function endpointFromEnv(env: Record<string, string | undefined>): EngineEndpoint {
  return resolveEndpoint({
    env,
    homeDir: env["HOME"] || homedir(),
    files: {
      readText(file) {
        try {
          return readFileSync(file, "utf8");
        } catch {
          return undefined;
        }
      },
    },
  });
}
