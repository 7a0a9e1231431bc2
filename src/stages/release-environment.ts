/**
 * The release environment (seed 001): the release compose files brought up under the run's unique
 * project name with exactly the images this run built — checked by image ID — after the bootstrap
 * tasks (migrations, static files) ran once each, in order, as one-shot containers; then every
 * long-running service ready. The release stage starts it and hands it to acceptance, which runs
 * its suite against it; the run tears it down at the end (kept after a failure with --keep, with
 * the URL of every published port).
 *
 * The pure parts — which service runs which image, which bootstrap tasks in which order, the gates
 * of the final `up`, the URLs of published ports — are tested without an engine.
 */
import path from "node:path";
import { renderConfig } from "../compose/load/index.ts";
import type { Project } from "../compose/model/index.ts";
import { withDependencies } from "../compose/runner/graph.ts";
import { projectFilter } from "../compose/runner/observe.ts";
import { checkServices, composeUp } from "../compose/runner/up.ts";
import type { EnvironmentConfig, ImageConfig, ReleaseStageConfig } from "../config/pipeline-schema.ts";
import type { EngineEndpoint, PortBinding } from "../engine/index.ts";
import { InternalError, SlipwayError } from "../errors/index.ts";
import type { AcceptedImage } from "../history/record-store.ts";
import { DEFAULT_COMMIT_ARG } from "../images/release-labels.ts";
import { UNKNOWN_COMMIT } from "../images/revision.ts";
import { DependencyFailedError } from "../readiness/dependency-error.ts";
import { formatDiagnostics } from "../readiness/diagnostics.ts";
import type { ReadyCondition } from "../readiness/wait-ready.ts";
import type { RunContext } from "../run/context.ts";
import { teardownSignal } from "../run/lifetimes.ts";
import { together } from "../run/together.ts";
import { passed, type Verdict } from "../run/verdict.ts";
import { buildServiceImages, pipelineOutputs, type BuiltImage } from "./build-images-step.ts";
import { StartedEnvironment } from "./environment.ts";
import { buildReleaseImage, readReleaseRevision, type ReleaseImage } from "./release-image-step.ts";
import { runTagPlan } from "./accepted-images.ts";
import type { RunServices, StageName } from "./stage.ts";
import { runStep } from "./step.ts";
import { environmentConfig, keepReportsAndEvidence, loadEnvironment, redactProject, stageImageTag, stageProjectName } from "./suite-run.ts";

/** What a stage reports of a release image (its `outputs.images`). */
export interface ReleasedImage {
  key: string;
  imageId: string;
  tags: string[];
  revision: ReleaseImage["revision"];
  version?: string;
}

// ---------------------------------------------------------------------------------------------
// Pure: the plan of the release environment

const sameFile = (a: string, b: string) => path.resolve(a) === path.resolve(b);

/**
 * Which service runs which of the pipeline's images, as service → image key: `declared`
 * (stages.release.images) when it names any, else every service whose build is an image's build
 * (the same context folder, Dockerfile and target; build arguments may differ, since the release
 * build sets the commit's). `pipelineDir` is slipway.yml's folder, which image contexts are
 * relative to.
 */
export function serviceImages(project: Project, images: Record<string, ImageConfig>, pipelineDir: string, declared: Record<string, string> = {}): Map<string, string> {
  if (Object.keys(declared).length > 0) {
    for (const [service, key] of Object.entries(declared)) {
      if (!project.services[service]) {
        throw new SlipwayError(`stages.release.images names service ${service}, which the release environment does not have`, {
          code: "NO_SUCH_SERVICE",
          kind: "config",
          hint: `Its services: ${Object.keys(project.services).join(", ") || "none"}.`,
        });
      }
      if (!images[key]) {
        throw new SlipwayError(`stages.release.images: ${service} runs image ${key}, which is not under images:`, {
          code: "IMAGE_UNKNOWN",
          kind: "config",
          hint: `Images: ${Object.keys(images).join(", ") || "none"}.`,
        });
      }
    }
    return new Map(Object.entries(declared));
  }
  const out = new Map<string, string>();
  for (const [name, service] of Object.entries(project.services)) {
    const build = service.build;
    if (!build || build.dockerfile_inline !== undefined || /^[a-z][a-z0-9+.-]*:\/\//i.test(build.context)) continue;
    const matches = Object.entries(images).filter(([, image]) => {
      const context = path.resolve(pipelineDir, image.build.context);
      return sameFile(build.context, context) && sameFile(path.resolve(build.context, build.dockerfile), path.resolve(context, image.build.dockerfile)) && (build.target ?? "") === (image.build.target ?? "");
    });
    if (matches.length > 1) {
      throw new SlipwayError(`Service ${name} builds what images ${matches.map(([k]) => k).join(" and ")} build: which one it runs is ambiguous`, {
        code: "RELEASE_IMAGE_AMBIGUOUS",
        kind: "config",
        hint: `Name it in slipway.yml: stages: { release: { images: { ${name}: ${matches[0]![0]} } } }.`,
      });
    }
    if (matches[0]) out.set(name, matches[0][0]);
  }
  return out;
}

/** Services that some other service (never `suite`) waits on to complete successfully, in file order. */
function awaitedOneShots(project: Project, suite: string | undefined): string[] {
  const awaited = new Set<string>();
  for (const service of Object.values(project.services)) {
    if (service.name === suite) continue;
    for (const [dep, d] of Object.entries(service.depends_on)) {
      if (d.condition === "service_completed_successfully" && project.services[dep] && dep !== suite) awaited.add(dep);
    }
  }
  return Object.keys(project.services).filter((s) => awaited.has(s));
}

/**
 * The bootstrap tasks, in the order they run: `declared` (stages.release.bootstrap) as written,
 * or, when absent, the one-shots other services wait on with `service_completed_successfully`,
 * each after the tasks it depends on. A task brings its own dependencies up, so a declared task
 * that depends on one listed after it would run that one first, out of order: a config error.
 * `suite` (the acceptance service) is never a bootstrap task, nor what makes one.
 */
export function bootstrapTasks(project: Project, declared: string[] | undefined, suite: string | undefined): string[] {
  if (declared) {
    const seen = new Set<string>();
    for (const task of declared) {
      if (!project.services[task]) {
        throw new SlipwayError(`stages.release.bootstrap names service ${task}, which the release environment does not have`, {
          code: "NO_SUCH_SERVICE",
          kind: "config",
          hint: `Its services: ${Object.keys(project.services).join(", ") || "none"}.`,
        });
      }
      if (task === suite) {
        throw new SlipwayError(`stages.release.bootstrap names ${task}, the environment's acceptance service`, { code: "BOOTSTRAP_INVALID", kind: "config", hint: "Bootstrap tasks prepare the app; the acceptance tests run after them." });
      }
      if (seen.has(task)) throw new SlipwayError(`stages.release.bootstrap lists ${task} twice`, { code: "BOOTSTRAP_INVALID", kind: "config", hint: "Each task runs once." });
      seen.add(task);
    }
    declared.forEach((task, i) => {
      const later = declared.slice(i + 1);
      const needs = withDependencies(project, [task]).filter((d) => d !== task && later.includes(d));
      if (needs.length > 0) {
        throw new SlipwayError(`stages.release.bootstrap runs ${task} before ${needs.join(", ")}, but ${task} depends on ${needs.length === 1 ? "it" : "them"}`, {
          code: "BOOTSTRAP_ORDER",
          kind: "config",
          hint: `List ${needs.join(", ")} before ${task}.`,
        });
      }
    });
    return [...declared];
  }
  const candidates = awaitedOneShots(project, suite);
  const tasks = new Set(candidates);
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (ordered.includes(name) || visiting.has(name)) return; // a cycle is reported by the compose loader
    visiting.add(name);
    for (const dep of withDependencies(project, [name])) if (dep !== name && tasks.has(dep)) visit(dep);
    visiting.delete(name);
    ordered.push(name);
  };
  candidates.forEach(visit);
  return ordered;
}

/**
 * The readiness gates of the final `up` (every service but the acceptance suite): a bootstrap task
 * has completed (it ran before, and is not run again); a one-shot other services wait on is left
 * to their depends_on; every other service is healthy when it has a healthcheck, running otherwise.
 */
export function releaseGates(project: Project, services: string[], tasks: string[]): Record<string, ReadyCondition> {
  const awaited = new Set(awaitedOneShots(project, undefined));
  const gates: Record<string, ReadyCondition> = {};
  for (const name of services) {
    const health = project.services[name]?.healthcheck;
    if (tasks.includes(name)) gates[name] = "service_completed_successfully";
    else if (!awaited.has(name)) gates[name] = health?.test && !health.disable ? "service_healthy" : "service_started";
  }
  return gates;
}

export interface PublishedUrl {
  service: string;
  /** The container's port, as the engine names it (`80/tcp`). */
  port: string;
  url: string;
}

/**
 * The URL of every published port (seed 001's `make url`): on the address it is bound to, or,
 * bound to every address, on the engine's host (loopback for a local engine). An IPv6 binding of
 * a port also bound on IPv4 adds nothing.
 */
export function publishedUrls(containers: { service: string; ports: Record<string, PortBinding[] | null> | null }[], engineHost: string | undefined): PublishedUrl[] {
  const out: PublishedUrl[] = [];
  const seen = new Set<string>();
  for (const { service, ports } of containers) {
    for (const [port, bindings] of Object.entries(ports ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      for (const b of bindings ?? []) {
        if (!b.HostPort) continue;
        const key = `${service}\0${port}\0${b.HostPort}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const ip = b.HostIp ?? "";
        const host = ip === "" || ip === "0.0.0.0" || ip === "::" ? (engineHost ?? "127.0.0.1") : ip.includes(":") ? `[${ip}]` : ip;
        const scheme = port.endsWith("/udp") ? "udp" : port.endsWith("/sctp") ? "sctp" : "http";
        out.push({ service, port, url: `${scheme}://${host}:${b.HostPort}` });
      }
    }
  }
  return out;
}

/** Where published ports are reached: the engine's host when it is remote over TCP or ssh. */
export function engineHost(endpoint: EngineEndpoint): string | undefined {
  return endpoint.kind === "tcp" || endpoint.kind === "ssh" ? endpoint.host : undefined;
}

/** The images as the run's record keeps what it accepted. */
export function acceptedImages(images: readonly ReleasedImage[]): AcceptedImage[] {
  return images.map((i) => ({ name: i.key, imageId: i.imageId, commit: i.revision.commit, dirty: i.revision.dirty, ...(i.version ? { version: i.version } : {}) }));
}

/** The images as a verdict's message says them: key, ID and revision. */
export function describeImages(images: readonly ReleasedImage[]): string {
  return images
    .map((i) => `${i.key} ${i.imageId} (revision ${i.revision.commit}${i.revision.dirty ? ", work tree dirty" : ""})`)
    .join("; ");
}

// ---------------------------------------------------------------------------------------------
// Effects: build, start, verify

/** The release's images and its environment's project, built and loaded (a stage's preparation). */
export interface PreparedRelease {
  environment: string;
  envConfig: EnvironmentConfig;
  project: Project;
  /** The pipeline's images (slipway.yml `images:`), built with the commit. */
  images: ReleaseImage[];
  /** Which service runs which of them, as service → image key. */
  mapping: Map<string, string>;
  /** The bootstrap tasks, in the order they run. */
  tasks: string[];
  /** The environment's other builds (a proxy, the acceptance suite), by service. */
  others: Map<string, BuiltImage>;
}

/**
 * Builds every image of slipway.yml's `images:` (the commit in labels and build argument, bases
 * pulled once per run), then loads the release environment — with the commit as `GIT_SHA` (the
 * build argument's name) for interpolation, so the compose files see the same commit the images
 * carry — and builds its other services' images. Needs nothing from the stages before it.
 */
export async function prepareRelease(ctx: RunContext, services: RunServices, config: ReleaseStageConfig): Promise<PreparedRelease> {
  const { pipeline } = services;
  const environment = config.environment;
  const envConfig = environmentConfig(services, environment);
  const keys = Object.keys(pipeline.config.images);
  if (keys.length === 0) {
    throw new SlipwayError("The release stage has no image to release: slipway.yml has no `images:`", { code: "NO_RELEASE_IMAGE", kind: "config", hint: "Add the release image under images: with its build." });
  }
  // One reading of the checkout for every image (and one warning when it is dirty).
  const [revision, { plan }] = await Promise.all([readReleaseRevision(ctx, pipeline, "release images"), runTagPlan(ctx, services)]);
  const version = plan.version ? { version: plan.version } : {};
  const built = await together(ctx.signal, ...keys.map((key) => (signal: AbortSignal) => buildReleaseImage({ ...ctx, signal }, services, key, { revision, ...version })));
  const images = await Promise.all(built.map(async (image) => ({ ...image, imageId: await fullImageId(ctx, image.imageId) })));
  const commit = images[0]!.revision.commit;
  const projectName = stageProjectName(pipeline.name, environment, ctx.owner.runId);
  // The commit is a fact of the checkout: it wins over a GIT_SHA of the caller's, as it does for the build argument.
  const project = await loadEnvironment(services, envConfig, projectName, commit === UNKNOWN_COMMIT ? {} : { [DEFAULT_COMMIT_ARG]: commit });
  if (envConfig.service) checkServices(project, [envConfig.service]);
  // Before any build of the environment's own prints a line.
  await redactProject(services, project);
  const mapping = serviceImages(project, pipeline.config.images, pipeline.dir, config.images);
  if (mapping.size === 0) {
    throw new SlipwayError(`No service of environment ${environment} runs an image of images: (${keys.join(", ")})`, {
      code: "NO_RELEASE_SERVICE",
      kind: "config",
      hint: `Give a service the same build (context, dockerfile, target) as the image, or name it: stages: { release: { images: { <service>: ${keys[0]} } } }.`,
    });
  }
  const tasks = bootstrapTasks(project, config.bootstrap, envConfig.service);
  const toBuild = Object.keys(project.services).filter((s) => project.services[s]!.build && !mapping.has(s));
  const others = toBuild.length ? await buildServiceImages(ctx, project, toBuild, services.images, (name) => stageImageTag(pipeline.name, environment, name), pipelineOutputs(pipeline)) : new Map<string, BuiltImage>();
  return { environment, envConfig, project, images, mapping, tasks, others };
}

/** A build may report a short id (the classic builder's "Successfully built"): the engine's full one is what containers run. */
async function fullImageId(ctx: RunContext, id: string): Promise<string> {
  if (/^sha256:[0-9a-f]{64}$/.test(id)) return id;
  return (await ctx.engine.images.inspect(id, { signal: ctx.signal })).Id;
}

/**
 * A started release environment: the loaded project, the images its services run, the containers
 * this run started (one-shots that ran are never started again) — what acceptance needs to run
 * against it. Its evidence (every service's logs and inspect) is kept once, before it goes,
 * whoever tears it down.
 */
export class ReleaseEnvironment extends StartedEnvironment {
  readonly environment: string;
  readonly #services: RunServices;
  readonly #ctx: RunContext;
  prepared?: PreparedRelease;
  prebuilt = new Map<string, string>();
  readonly started = new Set<string>();
  #evidence?: Promise<{ verdict: Verdict }>;

  constructor(ctx: RunContext, services: RunServices, environment: string) {
    super(ctx, stageProjectName(services.pipeline.name, environment, ctx.owner.runId), { keep: services.keep });
    this.environment = environment;
    this.#services = services;
    this.#ctx = ctx;
  }

  /** The release images as stages report them. */
  get released(): ReleasedImage[] {
    return (this.prepared?.images ?? []).map((i) => ({ key: i.key, imageId: i.imageId, tags: i.tags, revision: i.revision, ...(i.version ? { version: i.version } : {}) }));
  }

  /**
   * Keeps the environment's evidence, once: every container's logs, health history and inspect —
   * and the reports of `suite` (acceptance) when given. Returns the verdict (reports-missing when a
   * required report is missing and it passed).
   */
  keepEvidence(stage: StageName, verdict: Verdict, suite?: { service: string; container: string }): Promise<{ verdict: Verdict }> {
    this.#evidence ??= keepReportsAndEvidence(this.#ctx, this.#services, {
      stage,
      environment: this.environment,
      envConfig: environmentConfig(this.#services, this.environment),
      project: this.prepared ? this.project : undefined,
      env: this,
      ...(suite ? { suite } : {}),
      verdict,
      inspectAll: true,
    });
    return this.#evidence;
  }

  /** Tells the URL of every published port of the environment (a failed one kept with --keep). */
  async announceUrls(): Promise<void> {
    const { engine, events } = this.#ctx;
    const signal = teardownSignal("evidenceMs");
    const containers = await engine.containers.list({ all: false, filters: projectFilter(this.project), signal }).catch(() => []);
    const inspected = await Promise.all(containers.map((c) => engine.containers.inspect(c.Id, { signal }).catch(() => undefined)));
    const ports = inspected.flatMap((info) => (info ? [{ service: info.Config.Labels?.["com.docker.compose.service"] ?? info.Name.replace(/^\//, ""), ports: info.NetworkSettings.Ports }] : []));
    // Scope `url`: the renderers gather these into the summary, beside how to remove the environment.
    for (const u of publishedUrls(ports, engineHost(engine.endpoint))) events.emit({ type: "environment.url", service: u.service, port: u.port, url: u.url });
  }

  override async [Symbol.asyncDispose](): Promise<void> {
    // Torn down without a stage having kept its evidence (the run ended after release, or was cut short).
    await this.keepEvidence("release", passed()).catch(() => undefined);
    await super[Symbol.asyncDispose]();
  }
}

/**
 * Starts the prepared release environment into `env`: the bootstrap tasks run once each, in order,
 * as one-shot containers (each must exit 0; a failure is the task's, with its code and logs), then
 * every service but the acceptance suite comes up and gets ready, and each container of a service
 * that runs a release image is checked to run exactly that image ID.
 */
export async function startReleaseEnvironment(ctx: RunContext, services: RunServices, prepared: PreparedRelease, env: ReleaseEnvironment): Promise<void> {
  const { project, envConfig, environment } = prepared;
  env.prepared = prepared;
  env.built = [...prepared.others.values(), ...prepared.images.map((i) => ({ service: i.key, imageId: i.imageId, tag: i.tags[0] ?? i.key, status: i.status, freshImages: i.freshImages }))];
  const byKey = new Map(prepared.images.map((i) => [i.key, i.imageId]));
  env.prebuilt = new Map([...[...prepared.others.values()].map((b) => [b.service, b.imageId] as const), ...[...prepared.mapping].map(([service, key]) => [service, byKey.get(key)!] as const)]);
  await services.record.writeText(`config-${environment}.yml`, renderConfig(project));

  const { tasks } = prepared;
  const suite = envConfig.service;
  const upOptions = { lifetime: "ephemeral" as const, images: services.images, prebuilt: env.prebuilt, readyTimeoutMs: envConfig.ready_timeout };
  for (const task of tasks) {
    await runStep(ctx, {
      name: `bootstrap ${task}`,
      status: () => Promise.resolve({ state: "needed", reason: "a bootstrap task runs once per release environment" }),
      run: async () => {
        try {
          const up = await composeUp(ctx, project, { ...upOptions, services: [task], gates: { [task]: "service_completed_successfully" }, startedThisRun: env.started });
          for (const names of up.containers.values()) names.forEach((n) => env.started.add(n));
        } catch (err) {
          throw bootstrapFailure(err, task);
        }
      },
    }, undefined);
  }

  const rest = Object.keys(project.services).filter((s) => s !== suite);
  const up = await composeUp(ctx, project, { ...upOptions, services: rest, gates: releaseGates(project, rest, tasks), startedThisRun: env.started });
  for (const names of up.containers.values()) names.forEach((n) => env.started.add(n));
  await verifyImages(ctx, project, prepared.mapping, byKey, up.containers);
}

/** A bootstrap task that did not exit 0 fails as itself (exit code and logs); anything else is as it was. */
function bootstrapFailure(err: unknown, task: string): unknown {
  if (!(err instanceof DependencyFailedError) || err.service !== task || err.diagnostics?.exitCode === undefined) return err;
  const d = err.diagnostics;
  return new SlipwayError(`Bootstrap task ${task} exited with code ${d.exitCode}\n${formatDiagnostics(d)}`, {
    code: "BOOTSTRAP_FAILED",
    kind: "dependency",
    hint: `Its whole log is in the evidence (logs/${d.name.replace(/^\//, "")}.log); with --keep the environment stays up for \`slipway compose logs\`.`,
    cause: err,
    details: { service: task, exitCode: d.exitCode },
  });
}

/** Every container of a service that runs a release image runs exactly the ID this run built; otherwise Slipway has a bug. */
async function verifyImages(ctx: RunContext, project: Project, mapping: Map<string, string>, byKey: Map<string, string>, containers: Map<string, string[]>): Promise<void> {
  const checks = [...mapping].flatMap(([service, key]) => (containers.get(service) ?? []).map((name) => ({ service, key, name, expected: byKey.get(key)! })));
  const found = await Promise.all(checks.map((c) => ctx.engine.containers.inspect(c.name, { signal: ctx.signal })));
  checks.forEach((c, i) => {
    const image = found[i]!.Image;
    if (image !== c.expected) throw new InternalError(`Service ${c.service} of project ${project.name} runs image ${image}, not ${c.expected} (image ${c.key}) that this run built`);
  });
  if (checks.length === 0) throw new InternalError(`No container of ${[...mapping.keys()].join(", ")} in project ${project.name} to check the release image on`);
}
