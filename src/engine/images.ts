/** Image endpoints: pull, push and build follow one JSON progress stream that fails on in-stream errors. */
import type { Readable } from "node:stream";
import { borrowedChunks, isByteSource, type ByteSource } from "./streams/byte-source.ts";
import { isNotFound } from "./engine-error.ts";
import { encodeRegistryAuth, type EngineHttp, type StreamResponse } from "./http.ts";
import { JsonStreamError, followJsonStream } from "./streams/json-stream.ts";
import { TraceLines, decodeTrace } from "./streams/buildkit-trace.ts";
import { randomUUID } from "node:crypto";
import type { Builder } from "./types.ts";
import { BuildKitSession } from "./buildkit-session.ts";
import { SlipwayError } from "../errors/index.ts";
import { EngineApiError } from "./engine-error.ts";
import type { ImageInspect, ImageSummary, ProgressMessage, RegistryAuth } from "./types.ts";
import type { Filters } from "./containers.ts";

interface Signal {
  signal?: AbortSignal | undefined;
}
export type OnProgress = (message: ProgressMessage) => void;

/** Splits `repo[:tag|@digest]` as the engine expects for `fromImage`/`tag`. */
export function splitImageRef(ref: string): { repo: string; tag?: string; digest?: string } {
  const at = ref.indexOf("@");
  if (at >= 0) return { repo: ref.slice(0, at), digest: ref.slice(at + 1) };
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  // A colon before the last slash belongs to a registry host:port, not a tag.
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref };
}

type BuilderNeeds = { network?: string | undefined; shmSize?: number | undefined; ulimits?: object | undefined };

/**
 * Why a build runs on the classic builder, or undefined when BuildKit builds it. BuildKit through
 * the API takes only the default, host and none networks, and Engine 20.10's ignores `shmsize`
 * and `ulimits` without a word (measured: /dev/shm stayed 64 MB, nofile stayed 20000).
 */
export function classicBuilderReason(preferred: Builder, opts: BuilderNeeds): string | undefined {
  if (preferred !== "buildkit") return "DOCKER_BUILDKIT=0 asks for it (or the engine has no BuildKit)";
  if (opts.network && !["default", "host", "none"].includes(opts.network)) return `the build's network is ${opts.network} (BuildKit takes only default, host and none)`;
  if (opts.shmSize) return "the build sets shm_size (Engine 20.10's BuildKit ignores it)";
  if (opts.ulimits && Object.keys(opts.ulimits).length > 0) return "the build sets ulimits (Engine 20.10's BuildKit ignores them)";
  return undefined;
}

/** The builder a build runs on: BuildKit, unless `classicBuilderReason` gives a reason. */
export function builderFor(preferred: Builder, opts: BuilderNeeds): Builder {
  return classicBuilderReason(preferred, opts) === undefined ? "buildkit" : "classic";
}

export interface BuildOptions extends Signal {
  /** The build context's tar: a stream, its bytes, or a source read into the client's own buffers. */
  context: Readable | Buffer | ByteSource;
  tags?: string[];
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  target?: string;
  pull?: boolean;
  noCache?: boolean;
  network?: string;
  platform?: string;
  extraHosts?: string[];
  shmSize?: number;
  /** Images to use as cache sources. */
  cacheFrom?: string[];
  ulimits?: Record<string, { soft: number; hard: number }>;
  isolation?: string;
  /** Credentials for base-image registries, keyed by registry host (the classic builder's; BuildKit uses what is pulled already). */
  registryConfig?: Record<string, RegistryAuth>;
  /** Defaults to the engine's (`Engine.builder`). */
  builder?: Builder;
  /**
   * Build secrets by id, for `RUN --mount=type=secret,id=…`: handed to BuildKit through a session,
   * never in the request, a layer or the image's history. BuildKit only.
   */
  secrets?: ReadonlyMap<string, Uint8Array>;
  /**
   * Sees each message; a BuildKit build's trace messages arrive decoded, as plain progress lines
   * in `stream` ("#7 [build 4/4] RUN npx tsc", "#7 DONE 3.4s", the step's output).
   */
  onProgress?: OnProgress;
}

/** One entry of `DELETE /images/{name}`'s answer. */
export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export class Images {
  readonly #http: EngineHttp;
  readonly #builder: Builder;
  constructor(http: EngineHttp, builder: Builder = "classic") {
    this.#http = http;
    this.#builder = builder;
  }

  /** Pulls `ref`; rejects (kind "registry") on a refusal before or inside the progress stream. */
  async pull(ref: string, opts: Signal & { auth?: RegistryAuth; platform?: string; onProgress?: OnProgress } = {}): Promise<ProgressMessage[]> {
    const { repo, tag, digest } = splitImageRef(ref);
    const response = await registryRefusal(`pull ${ref}`, "PULL_FAILED", () =>
      this.#http.stream("POST", "/images/create", {
        query: { fromImage: repo, tag: digest ?? tag ?? "latest", platform: opts.platform },
        headers: { "X-Registry-Auth": encodeRegistryAuth(opts.auth) },
        signal: opts.signal,
      }),
    );
    return followJsonStream<ProgressMessage>(response.body, opts.onProgress, { signal: opts.signal, kind: "registry", code: "PULL_FAILED", what: `pull ${ref}` });
  }

  /** Pushes `ref`; rejects on an error inside the progress stream. */
  async push(ref: string, opts: Signal & { auth?: RegistryAuth; onProgress?: OnProgress } = {}): Promise<ProgressMessage[]> {
    const { repo, tag } = splitImageRef(ref);
    const response = await registryRefusal(`push ${ref}`, "PUSH_FAILED", () =>
      this.#http.stream("POST", `/images/${repo}/push`, {
        query: { tag },
        headers: { "X-Registry-Auth": encodeRegistryAuth(opts.auth) },
        signal: opts.signal,
      }),
    );
    return followJsonStream<ProgressMessage>(response.body, opts.onProgress, { signal: opts.signal, kind: "registry", code: "PUSH_FAILED", what: `push ${ref}` });
  }

  /**
   * What a registry says a reference names, asked through the engine (`GET /distribution`): its
   * manifest's digest, resolved with the engine's own registry settings (mirrors, insecure ones,
   * certs.d) as a swarm manager resolves a service's image. A reference the registry does not
   * have is a registry error.
   */
  async distribution(ref: string, opts: Signal & { auth?: RegistryAuth } = {}): Promise<{ Descriptor: { mediaType: string; digest: string; size: number } }> {
    return registryRefusal(`resolve ${ref}`, "RESOLVE_FAILED", () =>
      this.#http.json<{ Descriptor: { mediaType: string; digest: string; size: number } }>("GET", `/distribution/${ref}/json`, {
        headers: opts.auth ? { "X-Registry-Auth": encodeRegistryAuth(opts.auth) } : {},
        signal: opts.signal,
      }),
    );
  }

  async build(opts: BuildOptions): Promise<ProgressMessage[]> {
    const headers: Record<string, string> = { "content-type": "application/x-tar" };
    if (opts.registryConfig) headers["X-Registry-Config"] = encodeRegistryAuth(opts.registryConfig);
    const buildkit = builderFor(opts.builder ?? this.#builder, opts) === "buildkit";
    const buildId = buildkit ? randomUUID() : undefined;
    if (opts.secrets?.size && !buildkit) {
      throw new SlipwayError("This build has secrets, which only BuildKit can pass to it, and it would run on the classic builder", {
        code: "BUILD_SECRETS_NEED_BUILDKIT",
        kind: "config",
        hint: "Unset DOCKER_BUILDKIT=0, and drop build.network (a named network), shm_size or ulimits from this build.",
      });
    }
    const session = opts.secrets?.size ? await BuildKitSession.open(this.#http, { secrets: opts.secrets, signal: opts.signal }) : undefined;
    // Closing the connection stops a classic build; BuildKit's solve is also cancelled by id,
    // from the start (an abort while the context uploads included).
    const cancel = () => void this.#http.none("POST", "/build/cancel", { query: { id: buildId } }).catch(() => undefined);
    if (buildId) opts.signal?.addEventListener("abort", cancel, { once: true });
    let response: StreamResponse;
    try {
      response = await this.#http.stream("POST", "/build", {
        query: {
          t: opts.tags,
          dockerfile: opts.dockerfile,
          buildargs: opts.buildArgs,
          labels: opts.labels,
          target: opts.target,
          pull: opts.pull ? "1" : undefined,
          nocache: opts.noCache ?? undefined,
          networkmode: opts.network,
          platform: opts.platform,
          extrahosts: opts.extraHosts?.join(","),
          shmsize: opts.shmSize,
          cachefrom: opts.cacheFrom?.length ? JSON.stringify(opts.cacheFrom) : undefined,
          ulimits: opts.ulimits ? JSON.stringify(Object.entries(opts.ulimits).map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard }))) : undefined,
          isolation: opts.isolation,
          rm: true,
          forcerm: true,
          ...(buildkit ? { version: "2", buildid: buildId } : {}),
          ...(session ? { session: session.id } : {}),
        },
        body: isByteSource(opts.context) ? borrowedChunks(opts.context) : opts.context,
        headers,
        signal: opts.signal,
      });
    } catch (err) {
      if (buildId) opts.signal?.removeEventListener("abort", cancel);
      await session?.close();
      throw err;
    }
    // A failing step is reported in one message ("returned a non-zero code: N", BuildKit's
    // "executor failed running […]: exit code: N"); what the command printed came earlier in the
    // stream. Keep its last lines for the error.
    const tail: string[] = [];
    const trace = buildkit ? new TraceLines() : undefined;
    const onMessage = (m: ProgressMessage) => {
      if (trace && m.id === "moby.buildkit.trace" && typeof m.aux === "string") {
        let status: ReturnType<typeof decodeTrace>;
        try {
          status = decodeTrace(m.aux);
        } catch {
          // Progress we cannot read is not a failed build: the build's outcome comes apart.
          return;
        }
        const lines = trace.lines(status);
        if (lines.length === 0) return;
        const { finished, total } = trace.counts;
        opts.onProgress?.({ status: `step ${finished}/${total}`, id: "steps", progressDetail: { current: finished, total } });
        m = { stream: lines.map((l) => `${l}\n`).join("") };
      }
      for (const line of (m.stream ?? "").split("\n")) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 30) tail.shift();
      }
      opts.onProgress?.(m);
    };
    try {
      return await followJsonStream<ProgressMessage>(response.body, onMessage, { signal: opts.signal, kind: "build", code: "BUILD_FAILED", what: "build" });
    } catch (err) {
      if (err instanceof JsonStreamError && tail.length) {
        const shown = failedStepOutput(tail) ?? tail;
        throw new JsonStreamError(`${err.message}\n  last build output:\n${shown.slice(-15).map((l) => `    ${l}`).join("\n")}`, {
          code: err.code,
          kind: err.kind,
          ...(err.hint ? { hint: err.hint } : {}),
          ...(err.streamMessage ? { streamMessage: err.streamMessage } : {}),
        });
      }
      throw err;
    } finally {
      if (buildId) opts.signal?.removeEventListener("abort", cancel);
      await session?.close();
    }
  }

  inspect(ref: string, opts: Signal = {}): Promise<ImageInspect> {
    return this.#http.json("GET", `/images/${ref}/json`, { signal: opts.signal });
  }

  async find(ref: string, opts: Signal = {}): Promise<ImageInspect | undefined> {
    try {
      return await this.inspect(ref, opts);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  list(opts: Signal & { all?: boolean; filters?: Filters } = {}): Promise<ImageSummary[]> {
    return this.#http.json("GET", "/images/json", { query: { all: opts.all, filters: opts.filters }, signal: opts.signal });
  }

  async tag(source: string, target: string, opts: Signal = {}): Promise<void> {
    const { repo, tag } = splitImageRef(target);
    await this.#http.none("POST", `/images/${source}/tag`, { query: { repo, tag }, signal: opts.signal });
  }

  /**
   * Removing an image that is already gone is success (nothing untagged or deleted). Says what the
   * engine did: removing a tag untags it, and deletes the image only with its last reference.
   */
  async remove(ref: string, opts: Signal & { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    try {
      return (await this.#http.json<ImageDeleteItem[] | undefined>("DELETE", `/images/${ref}`, { query: { force: opts.force, noprune: opts.noprune }, signal: opts.signal })) ?? [];
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return [];
    }
  }
}

/**
 * BuildKit interleaves steps: of its last lines, those of the step that failed (its header and
 * output; its ERROR line repeats the error itself), or undefined when no step reported one.
 */
export function failedStepOutput(lines: string[]): string[] | undefined {
  const failed = lines.findLast((l) => /^#\d+ ERROR: /.test(l));
  if (!failed) return undefined;
  const prefix = `${failed.split(" ")[0]} `;
  return lines.filter((l) => l.startsWith(prefix) && l !== failed);
}

/**
 * A registry's refusal can come before the progress stream starts, as the HTTP status of the
 * request itself (404 manifest unknown, 500 from an unreachable registry): that is a registry
 * failure too, not an engine one.
 */
async function registryRefusal<T>(what: string, code: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    if (err instanceof EngineApiError && err.status >= 400) {
      throw new SlipwayError(`${what} failed: ${err.message}`, {
        code,
        kind: "registry",
        cause: err,
        hint: "Check the image name and tag, that the registry is reachable, and the credentials for it.",
        details: { status: err.status },
      });
    }
    throw err;
  }
}
