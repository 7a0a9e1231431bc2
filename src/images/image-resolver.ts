/**
 * Images for one run: each reference is pulled at most once per run, and the image id found then
 * is what every container of the run uses (a tag moved by someone else mid-run changes nothing).
 * Builds go through the engine's builder with a checked Dockerfile and a .dockerignore-aware context.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { SlipwayError } from "../errors/index.ts";
import { untilAborted } from "../engine/streams/abortable.ts";
import type { Engine } from "../engine/index.ts";
import type { ImageInspect, ProgressMessage } from "../engine/types.ts";
import { builtImageId } from "../engine/streams/json-stream.ts";
import type { EventBus } from "../events/index.ts";
import { packContext } from "./build-context.ts";
import { baseImages } from "./base-images.ts";
import { Redactor } from "../run/redact.ts";
import { dockerfileProblems } from "./dockerfile-check.ts";
import { builderFor, classicBuilderReason } from "../engine/images.ts";
import { JsonStreamError } from "../engine/streams/json-stream.ts";
import { EngineApiError } from "../engine/engine-error.ts";

export type PullPolicy = "missing" | "always" | "never" | "build" | "if_not_present" | "daily" | "weekly" | `every_${string}`;

export interface BuildRequest {
  /** Absolute context directory. */
  context: string;
  /** Relative to the context; with `dockerfileInline`, the name the inline text is sent under. */
  dockerfile: string;
  /** compose's `dockerfile_inline`: the Dockerfile's text, sent inside the context. */
  dockerfileInline?: string;
  tags: string[];
  args?: Record<string, string>;
  labels?: Record<string, string>;
  target?: string;
  pull?: boolean;
  noCache?: boolean;
  network?: string;
  extraHosts?: string[];
  shmSize?: number;
  cacheFrom?: string[];
  ulimits?: Record<string, { soft: number; hard: number }>;
  isolation?: string;
  platform?: string;
  /** Build secrets: the id a `RUN --mount=type=secret` names, and how to read the value when the build runs. */
  secrets?: { id: string; /** Where the value comes from (`file:/path`, `env:NAME`), never the value. */ origin?: string; value: () => Promise<Uint8Array> }[];
  /**
   * Folders left out of the context whatever its .dockerignore says (paths relative to `context`,
   * posix): the pipeline's own outputs. Hash the context with the same list (ContextHashInput.exclude).
   */
  exclude?: string[];
  /** Who asks, for messages and progress (e.g. the service name). */
  subject: string;
}

export class ImageResolver {
  readonly #engine: Engine;
  readonly #events: EventBus;
  readonly #pulled = new Map<string, Promise<string>>();
  /** Local lookups by reference, once per run (a build or pull of that reference replaces it). */
  readonly #local = new Map<string, Promise<ImageInspect | undefined>>();

  /** Cancels work shared by callers (a pull several steps wait for): the run's, not one caller's. */
  readonly #runSignal: AbortSignal | undefined;

  constructor(engine: Engine, events: EventBus, runSignal?: AbortSignal) {
    this.#engine = engine;
    this.#events = events;
    this.#runSignal = runSignal;
  }

  /** `redact`: for a build with secrets, what its steps print may hold them (`sh -x`…). */
  #progress(task: string, redact: (text: string) => string = (t) => t) {
    return (m: ProgressMessage) => {
      if (m.stream) {
        for (const line of m.stream.split("\n")) {
          if (!line.trim()) continue;
          this.#events.emit({ type: "log", level: "info", message: redact(line), scope: task });
          // The classic builder numbers its steps: a progress bar for the build, as BuildKit's trace gives.
          const step = /^Step (\d+)\/(\d+) : /.exec(line);
          if (step) this.#events.emit({ type: "progress", task, status: `step ${step[1]}/${step[2]}`, id: "steps", current: Number(step[1]) - 1, total: Number(step[2]) });
        }
        return;
      }
      if (m.status) {
        this.#events.emit({
          type: "progress",
          task,
          status: m.status,
          ...(m.id ? { id: m.id } : {}),
          ...(m.progressDetail?.current !== undefined ? { current: m.progressDetail.current } : {}),
          ...(m.progressDetail?.total !== undefined ? { total: m.progressDetail.total } : {}),
        });
      }
    };
  }

  /**
   * The local image `ref` names, inspected once per run once found: every service of one image,
   * and every stage of a run, share one lookup (`up` of 30 services of one image makes one request).
   */
  lookup(ref: string, signal?: AbortSignal): Promise<ImageInspect | undefined> {
    let pending = this.#local.get(ref);
    if (!pending) {
      // Shared, so no caller's signal cancels it for the others (an inspect takes milliseconds);
      // each caller stops waiting on its own signal below.
      pending = this.#engine.images.find(ref);
      this.#local.set(ref, pending);
      // Only what exists is remembered: an image may appear later in the run (a build, a tag).
      const forget = () => this.#local.get(ref) === pending && this.#local.delete(ref);
      pending.then((found) => !found && forget(), forget);
    }
    return untilAborted(pending, signal);
  }

  /** The image id to run for `ref`, pulling according to `policy` (once per run). */
  async ensure(ref: string, policy: PullPolicy = "missing", signal?: AbortSignal, platform?: string): Promise<string> {
    const key = `${policy}:${platform ?? ""}:${ref}`;
    let pending = this.#pulled.get(key);
    if (!pending) {
      // Shared: one caller giving up (its step cancelled) must not fail the others' pull.
      pending = this.#resolve(ref, policy, this.#runSignal, platform);
      this.#pulled.set(key, pending);
      pending.catch(() => this.#pulled.delete(key));
    }
    return untilAborted(pending, signal);
  }

  async #resolve(ref: string, policy: PullPolicy, signal?: AbortSignal, platform?: string): Promise<string> {
    if (policy !== "always") {
      const local = await this.lookup(ref, signal);
      const maxAge = pullInterval(policy);
      // daily, weekly, every_<duration>: the local image serves until it is that old.
      if (local && (maxAge === undefined || Date.now() - Date.parse(local.Metadata?.LastTagTime || local.Created) < maxAge)) return local.Id;
      if (policy === "never") {
        throw new SlipwayError(`Image ${ref} is not present and pull_policy is never`, {
          code: "IMAGE_MISSING",
          kind: "config",
          hint: `Build or pull ${ref} first, or change pull_policy.`,
        });
      }
    }
    // A refusal is already a registry error naming the image (Images.pull); an unreachable engine
    // stays an engine error.
    await this.#engine.images.pull(ref, { signal, ...(platform ? { platform } : {}), onProgress: this.#progress(`pull ${ref}`) });
    this.#local.delete(ref);
    const pulled = await this.lookup(ref, signal);
    if (!pulled) throw new SlipwayError(`Image ${ref} was pulled but the engine does not list it`, { code: "IMAGE_MISSING", kind: "engine" });
    return pulled.Id;
  }

  /** Builds and returns the image id. */
  async build(req: BuildRequest, signal?: AbortSignal): Promise<string> {
    return (await this.buildWithDetails(req, signal)).id;
  }

  /**
   * Builds; also returns the images the classic builder created afresh for this build (one per
   * step, " ---> <id>" lines not preceded by "Using cache"): the non-target stages among them are
   * left untagged — dangling — and are for the caller to remove when the run ends (seed 000).
   */
  async buildWithDetails(req: BuildRequest, signal?: AbortSignal): Promise<{ id: string; freshImages: string[] }> {
    const dockerfilePath = req.dockerfileInline !== undefined ? `${req.subject}'s build.dockerfile_inline` : path.resolve(req.context, req.dockerfile);
    const dockerfileName = req.dockerfileInline !== undefined ? INLINE_DOCKERFILE : path.relative(req.context, dockerfilePath).split(path.sep).join("/");
    const text = req.dockerfileInline ?? (await readDockerfile(dockerfilePath, req.subject));
    const builder = builderFor(this.#engine.builder, req);
    const problems = dockerfileProblems(text, { buildkit: builder === "buildkit", modernFrontend: builder === "buildkit" && this.#engine.supports("1.42") });
    if (problems.length > 0) {
      const first = problems[0]!;
      throw new SlipwayError(`${dockerfilePath}:${first.line}: ${first.message}`, {
        code: "DOCKERFILE_UNSUPPORTED",
        kind: "build",
        hint:
          builder === "buildkit"
            ? /ssh agent/.test(first.message)
              ? "Remove the ssh mount: Slipway does not forward an ssh agent into builds yet. A private repository can be fetched with a token passed as a build secret (build.secrets) instead."
              : `Slipway builds with the engine's BuildKit (Engine API ${this.#engine.apiVersion}); its Dockerfile frontend is too old for this. Add \`# syntax=docker/dockerfile:1\` as the first line (the frontend image must be pullable), rewrite the instruction, or use Engine 23 or newer.`
            : `Slipway builds this image with the engine's classic builder because ${classicBuilderReason(this.#engine.builder, req)}. Rewrite the instruction without it${this.#engine.builder === "buildkit" ? ", or drop that setting so BuildKit builds it" : ""}.`,
        details: { problems },
      });
    }
    // BuildKit without a session may not resolve a base image from a registry itself (newer
    // engines refuse: "no active sessions"); what is local it takes as is. So bases are ensured
    // here, once per run, with the registry's errors named as ours.
    if (builder === "buildkit") await Promise.all(baseImages(text, req.args).map((ref) => this.ensure(ref, req.pull ? "always" : "missing", signal)));
    const secrets = req.secrets?.length ? new Map(await Promise.all(req.secrets.map(async (s) => [s.id, await s.value()] as const))) : undefined;
    // What a step prints may hold a secret (`sh -x`…): the build's output and error are redacted with them.
    const redactor = secrets ? new Redactor() : undefined;
    for (const value of secrets?.values() ?? []) redactor!.add(Buffer.from(value).toString("utf8"));
    const context = await packContext(req.context, dockerfileName, req.dockerfileInline !== undefined ? { name: INLINE_DOCKERFILE, content: req.dockerfileInline } : undefined, req.exclude);
    let messages: ProgressMessage[];
    try {
      messages = await this.#engine.images.build({
        context,
        dockerfile: dockerfileName,
        tags: req.tags,
        ...(req.args ? { buildArgs: req.args } : {}),
        ...(req.labels ? { labels: req.labels } : {}),
        ...(req.target ? { target: req.target } : {}),
        // BuildKit's pull=1 would resolve the bases at the registry itself, without a session;
        // they were pulled fresh just above instead.
        ...(req.pull && builder === "classic" ? { pull: true } : {}),
        ...(req.noCache ? { noCache: true } : {}),
        ...(req.network ? { network: req.network } : {}),
        ...(req.extraHosts?.length ? { extraHosts: req.extraHosts } : {}),
        ...(req.shmSize ? { shmSize: req.shmSize } : {}),
        ...(req.cacheFrom?.length ? { cacheFrom: req.cacheFrom } : {}),
        ...(req.ulimits ? { ulimits: req.ulimits } : {}),
        ...(req.isolation ? { isolation: req.isolation } : {}),
        ...(req.platform ? { platform: req.platform } : {}),
        ...(secrets ? { secrets } : {}),
        builder,
        onProgress: this.#progress(`build ${req.subject}`, redactor ? (t) => redactor.redact(t) : undefined),
        signal,
      });
    } catch (err) {
      // The error carries the failed step's output.
      if (redactor && err instanceof SlipwayError) err.message = redactor.redact(err.message);
      throw withDockerfileLine(err, dockerfilePath);
    } finally {
      await context.close();
    }
    // The tags now name the new image: a lookup made before the build is stale.
    for (const tag of req.tags) this.#local.delete(tag);
    const freshImages = freshStepImages(messages);
    const id = builtImageId(messages);
    if (id) return { id, freshImages };
    const tag = req.tags[0];
    if (tag) return { id: (await this.#engine.images.inspect(tag, { signal })).Id, freshImages };
    throw new SlipwayError(`${req.subject}: the build reported no image id`, { code: "BUILD_NO_ID", kind: "build" });
  }
}

/** How old a local image may be under `pull_policy` daily, weekly or every_<duration> (ms); undefined for the others. */
export function pullInterval(policy: string): number | undefined {
  if (policy === "daily") return 86_400_000;
  if (policy === "weekly") return 7 * 86_400_000;
  const every = /^every_(.+)$/.exec(policy)?.[1];
  if (!every) return undefined;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
  let total = 0;
  let rest = every;
  for (const m of every.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) {
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.replace(m[0], "");
  }
  return rest === "" && total > 0 ? total : undefined;
}

/** The name an inline Dockerfile (compose's `dockerfile_inline`) is sent under, in the context's tar. */
const INLINE_DOCKERFILE = ".slipway-inline.Dockerfile";

async function readDockerfile(dockerfilePath: string, subject: string): Promise<string> {
  try {
    return await readFile(dockerfilePath, "utf8");
  } catch {
    throw new SlipwayError(`${subject}: Dockerfile ${dockerfilePath} not found`, {
      code: "DOCKERFILE_MISSING",
      kind: "config",
      hint: "Check build.context and build.dockerfile.",
    });
  }
}

/**
 * Both builders report a Dockerfile the frontend cannot parse as "dockerfile parse error line N:
 * …" (BuildKit inside "failed to solve with frontend dockerfile.v0: failed to create LLB
 * definition: …", in the stream; the classic builder as the request's HTTP 400), naming the line
 * but not the file: say both, as file:line.
 */
function withDockerfileLine(err: unknown, dockerfilePath: string): unknown {
  if (!(err instanceof JsonStreamError || err instanceof EngineApiError)) return err;
  if (/no active sessions?/i.test(err.message)) {
    return new SlipwayError(`The engine's BuildKit needed a session service to build ${dockerfilePath} (registry access from the build) that Slipway does not serve: ${err.message.split("\n")[0]}`, {
      code: "BUILDKIT_SESSION_NEEDED",
      kind: "build",
      cause: err,
      hint: "Something in the build resolves at a registry by itself (an image the Dockerfile names through a variable Slipway could not resolve, or a # syntax= frontend). Name it literally, or build with the classic builder: DOCKER_BUILDKIT=0.",
    });
  }
  const m = /dockerfile parse error (?:on )?line (\d+): ([^\n]*)/i.exec(err.message);
  if (!m) return err;
  return new SlipwayError(`${dockerfilePath}:${m[1]}: ${m[2]}`, {
    code: "DOCKERFILE_INVALID",
    kind: "build",
    cause: err,
    hint: "Fix the instruction at that line of the Dockerfile.",
  });
}

/** Step result ids the classic builder made afresh (not cache hits), from its " ---> <id>" lines. */
export function freshStepImages(messages: ProgressMessage[]): string[] {
  const lines = messages.flatMap((m) => (m.stream ?? "").split("\n")).map((l) => l.trim());
  const out: string[] = [];
  let cached = false;
  for (const line of lines) {
    if (line === "---> Using cache") cached = true;
    const m = /^---> ([0-9a-f]{12,64})$/.exec(line);
    if (m) {
      if (!cached) out.push(m[1]!);
      cached = false;
    }
  }
  return out;
}
