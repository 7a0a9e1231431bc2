/**
 * The build stage (seed 001's builder, its "wheelhouse"): run a builder service of an environment,
 * which writes the artifacts (packages, wheels, jars) into a folder of its container, and copy
 * them out through the archive API into a host folder (`target/`) that the release image's build
 * context uses. The artifacts' inputs are the builder's image id (which hashes its context) and
 * its command, environment and mounts: when those are unchanged and the artifacts are still in
 * place as they were copied, the step says "unchanged" and they are reused.
 *
 * What was copied, and from which inputs, is recorded under `.slipway/artifacts/`, never in the
 * artifacts folder itself, so that the record does not end up in the release image.
 */
import { StageClock } from "./stage-clock.ts";
import { createHash } from "node:crypto";
import { lstat, mkdir, readdir, readFile, readlink, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { loadProject, renderConfig } from "../compose/load/index.ts";
import type { Project, Service } from "../compose/model/index.ts";
import { imageRef } from "../compose/runner/images-phase.ts";
import { withDependencies } from "../compose/runner/graph.ts";
import { composeRun } from "../compose/runner/run.ts";
import { checkServices } from "../compose/runner/up.ts";
import type { BuildStageConfig } from "../config/pipeline-schema.ts";
import { extractArchive } from "../engine/streams/archive.ts";
import { SlipwayError, isSlipwayError } from "../errors/index.ts";
import type { PullPolicy } from "../images/image-resolver.ts";
import { readLogLines } from "../readiness/diagnostics.ts";
import type { RunContext } from "../run/context.ts";
import { Label } from "../run/labels.ts";
import { teardownSignal } from "../run/lifetimes.ts";
import { passed, verdictForFailure, verdictOf, type Verdict } from "../run/verdict.ts";
import { buildServiceImages, outputExclusions, pipelineLabels, type BuiltImage } from "./build-images-step.ts";
import { buildHashedImage } from "./release-image-step.ts";
import { StartedEnvironment } from "./environment.ts";
import { collectContainerEvidence } from "./evidence.ts";
import type { RunServices, Stage, StageOutcome } from "./stage.ts";
import { runStep, type Step, type StepStatus } from "./step.ts";
import { stageProjectName } from "./test-stage.ts";

/** How many of the builder's last output lines a failure's message carries. */
const FAILURE_OUTPUT_LINES = 20;

export interface ArtifactFile {
  /** Relative to the artifacts folder, with `/` separators. */
  path: string;
  sha256: string;
  size: number;
}

/** What `.slipway/artifacts/<folder hash>.json` keeps of the last copy into one artifacts folder. */
export interface ArtifactsRecord {
  version: 1;
  /** The hash of the builder's inputs (artifactsKey). */
  key: string;
  /** The artifacts folder, relative to slipway.yml. */
  dir: string;
  files: ArtifactFile[];
  /** The builder's image id, for a reader of the record. */
  image: string;
  runId: string;
  at: string;
}

/** The stage's outputs, for the stages after it (`outputs.artifacts`). */
export interface BuiltArtifacts {
  /** Absolute path of the artifacts folder. */
  dir: string;
  /** Relative to `dir`. */
  files: string[];
  status: "built" | "unchanged";
}

export interface BuildStageResult extends StageOutcome {
  verdict: Verdict;
  project: string;
  built: BuiltImage[];
  outputs?: { artifacts: BuiltArtifacts };
  /** The builder's own exit code, when it ran to the end. */
  builderExitCode?: number;
}

/** A mount as it counts for the artifacts: a bind mount by its contents, the others by what they are. */
export interface MountInput {
  type: string;
  target: string;
  /** A named volume's key; a bind mount's host path is not an input, its contents are. */
  source?: string;
  /** A bind mount's contents (treeDigest). */
  contents?: string;
  read_only: boolean;
}

/** Everything the artifacts are made from, besides what the image id already covers. */
export interface BuilderInputs {
  imageId: string;
  /** null: the image's own (covered by its id). */
  command: string[] | null;
  entrypoint: string[] | null;
  environment: Record<string, string | null>;
  user?: string;
  workingDir?: string;
  /** The folder of the container the artifacts are copied from. */
  artifacts: string;
  mounts: MountInput[];
  volumesFrom: string[];
}

/** The builder's inputs for one run: the compose service with slipway.yml's overrides (`command`, `env`). Pure. */
export function builderInputs(service: Service, config: Pick<BuildStageConfig, "command" | "env" | "artifacts">, imageId: string, bindContents: ReadonlyMap<string, string>): BuilderInputs {
  return {
    imageId,
    command: config.command ?? service.command,
    entrypoint: service.entrypoint,
    environment: { ...service.environment, ...config.env },
    ...(service.user !== undefined ? { user: service.user } : {}),
    ...(service.working_dir !== undefined ? { workingDir: service.working_dir } : {}),
    artifacts: path.posix.normalize(config.artifacts),
    mounts: service.volumes.map((v) => ({
      type: v.type,
      target: v.target,
      read_only: v.read_only,
      ...(v.type === "volume" && v.source !== undefined ? { source: v.source } : {}),
      ...(v.type === "bind" && v.source !== undefined ? { contents: bindContents.get(v.source) ?? "" } : {}),
    })),
    volumesFrom: service.volumes_from,
  };
}

/** The hash of the builder's inputs: the same inputs give the same key, whatever the order of their maps. Pure. */
export function artifactsKey(inputs: BuilderInputs): string {
  const canonical = {
    ...inputs,
    environment: Object.entries(inputs.environment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    mounts: [...inputs.mounts].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0)),
  };
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}

/**
 * Whether the artifacts folder still holds what the builder made from these inputs: the record's
 * key is the inputs' and the folder has exactly the recorded files, each with its recorded hash.
 * `onDisk` is undefined when the folder does not exist. Pure.
 */
export function artifactsStatus(record: ArtifactsRecord | undefined, key: string, onDisk: ArtifactFile[] | undefined, dirName: string): StepStatus<ArtifactFile[]> {
  if (!record) return { state: "needed", reason: "no artifacts recorded yet" };
  if (record.key !== key) return { state: "needed", reason: "the builder's image, command, environment or mounts changed" };
  if (!onDisk) return { state: "needed", reason: `${dirName}/ is gone` };
  const found = new Map(onDisk.map((f) => [f.path, f]));
  for (const want of record.files) {
    const have = found.get(want.path);
    if (!have) return { state: "needed", reason: `${dirName}/${want.path} is gone` };
    if (have.sha256 !== want.sha256) return { state: "needed", reason: `${dirName}/${want.path} changed since it was copied` };
  }
  const recorded = new Set(record.files.map((f) => f.path));
  const extra = onDisk.find((f) => !recorded.has(f.path));
  if (extra) return { state: "needed", reason: `${dirName}/${extra.path} is not one of the artifacts` };
  const n = record.files.length;
  return { state: "unchanged", reason: `the builder's inputs are the same and ${dirName}/ holds the ${n} artifact${n === 1 ? "" : "s"} it copied`, result: record.files };
}

/**
 * The artifacts folder of slipway.yml's `to`, checked: it is emptied before each copy, so it must be
 * a folder of its own inside the repository, not the repository itself nor Slipway's `.slipway/`.
 */
export function artifactsFolder(pipelineDir: string, to: string): string {
  const dir = path.resolve(pipelineDir, to);
  const rel = path.relative(pipelineDir, dir);
  const bad = rel === "" || rel.startsWith("..") || path.isAbsolute(rel) || rel.split(path.sep)[0] === ".slipway";
  if (bad) {
    throw new SlipwayError(`stages.build.to (${to}) must be a folder inside the repository, other than the repository itself and .slipway/: it is emptied before every copy`, {
      code: "BUILD_TO_INVALID",
      kind: "config",
      hint: "Use a folder of its own, like `to: target`.",
    });
  }
  return dir;
}

/** Where the record of one artifacts folder is kept. */
export function artifactsRecordPath(pipelineDir: string, dir: string): string {
  const rel = path.relative(pipelineDir, dir).split(path.sep).join("/");
  return path.join(pipelineDir, ".slipway", "artifacts", `${createHash("sha256").update(rel).digest("hex").slice(0, 16)}.json`);
}

/** The files under `dir` with their hashes (a symlink by its target), sorted; undefined when `dir` does not exist. */
export async function artifactFiles(dir: string): Promise<ArtifactFile[] | undefined> {
  const out: ArtifactFile[] = [];
  const walk = async (rel: string): Promise<boolean> => {
    let entries;
    try {
      entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    } catch (err) {
      if (rel === "" && ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR")) return false;
      throw err;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const abs = path.join(dir, r);
      if (e.isDirectory()) await walk(r);
      else if (e.isSymbolicLink()) {
        const target = await readlink(abs);
        out.push({ path: r, sha256: createHash("sha256").update(`symlink\0${target}`).digest("hex"), size: 0 });
      } else if (e.isFile()) {
        const content = await readFile(abs);
        out.push({ path: r, sha256: createHash("sha256").update(content).digest("hex"), size: content.length });
      }
    }
    return true;
  };
  if (!(await walk(""))) return undefined;
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The contents of a bind mount's host path (names, modes, contents; a missing path hashes as
 * such), leaving out `exclude` (the artifacts folder and `.slipway/` when the mount holds them:
 * they change with every run and are not the builder's inputs).
 */
export async function treeDigest(root: string, exclude: readonly string[]): Promise<string> {
  const hash = createHash("sha256");
  const visit = async (abs: string, rel: string): Promise<void> => {
    if (exclude.includes(abs)) return;
    let stat;
    try {
      stat = await lstat(abs);
    } catch {
      hash.update(`\0${rel}\0missing`);
      return;
    }
    hash.update(`\0${rel}\0${stat.mode & 0o7777}\0`);
    if (stat.isSymbolicLink()) hash.update(`l${await readlink(abs)}`);
    else if (stat.isFile()) hash.update("f").update(await readFile(abs));
    else if (stat.isDirectory()) {
      hash.update("d");
      for (const name of (await readdir(abs)).sort()) await visit(path.join(abs, name), rel ? `${rel}/${name}` : name);
    } else hash.update("o"); // a socket, a device: only that it is there
  };
  await visit(root, "");
  return hash.digest("hex");
}

/** The build stage of slipway.yml's `stages.build`. */
export function buildStage(config: BuildStageConfig): Stage {
  return { name: "build", run: (ctx, services) => runBuildStage(ctx, services, config) };
}

/** The builder exited non-zero, or left no artifacts: the stage's build-failed verdict. */
class BuilderFailedError extends SlipwayError {
  constructor(message: string, hint: string) {
    super(message, { code: "BUILDER_FAILED", kind: "build", hint });
  }
}

interface ArtifactsStepInput {
  key: string;
  /** Runs the builder and copies its artifacts out; returns what was copied. */
  build(): Promise<ArtifactFile[]>;
}

/** "build artifacts": unchanged when the record and the folder say so, otherwise the builder runs. */
class BuildArtifactsStep implements Step<ArtifactsStepInput, ArtifactFile[]> {
  readonly name = "build artifacts";
  readonly #dir: string;
  readonly #recordPath: string;
  readonly #dirName: string;

  constructor(dir: string, recordPath: string, dirName: string) {
    this.#dir = dir;
    this.#recordPath = recordPath;
    this.#dirName = dirName;
  }

  async status(_ctx: RunContext, input: ArtifactsStepInput): Promise<StepStatus<ArtifactFile[]>> {
    const record = await readRecord(this.#recordPath);
    // Hashing the files is only worth it when the inputs are the same.
    const onDisk = record?.key === input.key ? await artifactFiles(this.#dir) : undefined;
    return artifactsStatus(record, input.key, onDisk, this.#dirName);
  }

  run(_ctx: RunContext, input: ArtifactsStepInput): Promise<ArtifactFile[]> {
    return input.build();
  }
}

async function readRecord(file: string): Promise<ArtifactsRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(file, "utf8")) as Partial<ArtifactsRecord>;
    return record.version === 1 && typeof record.key === "string" && Array.isArray(record.files) ? (record as ArtifactsRecord) : undefined;
  } catch {
    return undefined; // none, or unreadable: the artifacts are built again
  }
}

async function writeRecord(file: string, record: ArtifactsRecord): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, JSON.stringify(record, null, 2) + "\n");
  await rename(temp, file);
}

function configError(message: string, code: string, hint: string): SlipwayError {
  return new SlipwayError(message, { code, kind: "config", hint });
}

export async function runBuildStage(ctx: RunContext, services: RunServices, config: BuildStageConfig): Promise<BuildStageResult> {
  if (config.image) return runTargetBuilder(ctx, services, config, config.image);
  const { pipeline, record, redactor, images } = services;
  const environment = config.environment!;
  const envConfig = pipeline.config.environments[environment];
  if (!envConfig) {
    const known = Object.keys(pipeline.config.environments).join(", ");
    throw configError(`slipway.yml has no environment "${environment}"`, "NO_SUCH_ENVIRONMENT", `Environments: ${known || "none"}.`);
  }
  const dir = artifactsFolder(pipeline.dir, config.to);
  const dirName = path.relative(pipeline.dir, dir).split(path.sep).join("/");
  const recordPath = artifactsRecordPath(pipeline.dir, dir);
  const builder = config.service!;
  const projectName = stageProjectName(pipeline.name, environment, ctx.owner.runId);
  const started = ctx.clock.now();
  ctx.events.emit({ type: "stage.start", stage: "build", environment, project: projectName });
  await using env = new StartedEnvironment(ctx, projectName, { keep: services.keep });

  using clock = new StageClock(ctx, config.timeout);
  const { signal, ctx: stageCtx } = clock;
  const result: BuildStageResult = { verdict: passed("artifacts built"), project: projectName, built: [] };
  let project: Project | undefined;
  // A bug: its verdict is made by the pipeline runner, after the evidence is collected here.
  let bug: { error: unknown } | undefined;
  try {
    project = await loadProject({
      workingDir: pipeline.dir,
      files: envConfig.compose.map((f) => path.resolve(pipeline.dir, f)),
      projectName,
      env: services.env,
    });
    checkServices(project, [builder]);
    for (const s of Object.values(project.services)) redactor.addEnvironment(s.environment);
    redactor.addEnvironment(project.environment);
    redactor.addEnvironment(config.env);
    await record.writeText(`config-${environment}.yml`, renderConfig(project));

    const needed = withDependencies(project, [builder]);
    // The artifacts folder is left out of the builder's own context: the artifacts are its output, not its input.
    const built = await buildServiceImages(stageCtx, project, needed, images, (name) => `${pipeline.name}-${environment}-${name}:slipway`.toLowerCase(), { dir: pipeline.dir, pipeline: pipeline.name, artifacts: config.to });
    result.built = [...built.values()];
    env.built = result.built;
    const prebuilt = new Map([...built.values()].map((b) => [b.service, b.imageId]));
    const service = project.services[builder]!;
    // A builder from a plain image: that image's id is the input (and what runs).
    let imageId = prebuilt.get(builder);
    if (!imageId) {
      imageId = await images.ensure(imageRef(project, service), (service.pull_policy ?? "missing") as PullPolicy, signal);
      prebuilt.set(builder, imageId);
    }
    const binds = service.volumes.filter((v) => v.type === "bind" && v.source !== undefined).map((v) => v.source!);
    const exclude = [dir, path.join(pipeline.dir, ".slipway")];
    const bindContents = new Map(await Promise.all(binds.map(async (source) => [source, await treeDigest(source, exclude)] as const)));
    const key = artifactsKey(builderInputs(service, config, imageId, bindContents));

    const runProject = project;
    const build = async (): Promise<ArtifactFile[]> => {
      // Whatever happens now, the folder no longer holds what the record says.
      await rm(recordPath, { force: true });
      const run = await composeRun(stageCtx, runProject, builder, {
        lifetime: "ephemeral",
        images,
        prebuilt,
        readyTimeoutMs: envConfig.ready_timeout,
        environment: config.env,
        ...(config.command ? { command: config.command } : {}),
        onOutput: (stream, data) => {
          for (const line of data.toString("utf8").split(/\r?\n/)) {
            if (line) ctx.events.emit({ type: "container.log", service: builder, container: builder, stream: stream === "stderr" ? "stderr" : "stdout", line: redactor.redact(line) });
          }
        },
      });
      result.builderExitCode = run.exitCode;
      if (run.exitCode !== 0) {
        const info = await ctx.engine.containers.inspect(run.id, { signal }).catch(() => undefined);
        const lines = await readLogLines(ctx.engine, run.id, { tail: FAILURE_OUTPUT_LINES, tty: !!info?.Config.Tty, signal }).catch(() => [] as string[]);
        const output = lines.length ? `\nlast output of ${builder}:\n${lines.map((l) => `    ${redactor.redact(l)}`).join("\n")}` : `\n${builder} printed nothing`;
        throw new BuilderFailedError(`Builder ${builder} exited with code ${run.exitCode}${output}`, `Its whole output is in the evidence (logs/). Run it by hand with: slipway compose ${envConfig.compose.map((f) => `-f ${f}`).join(" ")} run ${builder}`);
      }
      return copyArtifacts(ctx, run.id, config.artifacts, dir, dirName, builder, signal);
    };
    Object.assign(result, await artifactsOutcome(stageCtx, { dir, dirName, recordPath, key, imageId, build }));
  } catch (err) {
    const failed = failureOutcome(ctx, clock.expired, config.timeout, err);
    result.verdict = failed.verdict;
    bug = failed.bug;
  } finally {
    clock.stop();
  }

  // Evidence on any outcome, before teardown; each container is released once its logs are kept.
  const release = env.release;
  const kept = release
    ? (id: string, labels: Record<string, string>) => {
        if (labels[Label.run] === ctx.owner.runId) release(id);
      }
    : undefined;
  if (project) await collectContainerEvidence(ctx.engine, record, projectName, teardownSignal("evidenceMs"), kept).catch(() => undefined);
  env.passed = result.verdict.kind === "passed";
  ctx.events.emit({ type: "stage.end", stage: "build", environment, ok: env.passed, durationMs: ctx.clock.now() - started });
  if (bug) throw bug.error;
  return result;
}

/** The artifacts step (unchanged, or the builder runs), its record, and the stage's verdict. */
async function artifactsOutcome(
  ctx: RunContext,
  a: { dir: string; dirName: string; recordPath: string; key: string; imageId: string; build: () => Promise<ArtifactFile[]> },
): Promise<Pick<BuildStageResult, "verdict" | "outputs">> {
  const { result: files, skipped } = await runStep(ctx, new BuildArtifactsStep(a.dir, a.recordPath, a.dirName), { key: a.key, build: a.build });
  if (!skipped) {
    await writeRecord(a.recordPath, { version: 1, key: a.key, dir: a.dirName, files, image: a.imageId, runId: ctx.owner.runId, at: new Date(ctx.clock.now()).toISOString() });
  }
  const artifacts: BuiltArtifacts = { dir: a.dir, files: files.map((f) => f.path), status: skipped ? "unchanged" : "built" };
  const n = files.length;
  return { verdict: passed(`${n} artifact${n === 1 ? "" : "s"} in ${a.dirName}/${skipped ? " (unchanged)" : ""}`), outputs: { artifacts } };
}

/** A failed build stage's verdict: its timeout, the builder's failure, or the error's; a bug is handed back to be thrown after the evidence. */
function failureOutcome(ctx: RunContext, expired: boolean, timeout: number, err: unknown): { verdict: Verdict; bug?: { error: unknown } } {
  if (expired) return { verdict: verdictOf("timeout", `Stage build took longer than its timeout (${Math.round(timeout / 1000)} s)`, "Raise stages.build.timeout in slipway.yml, or find what hangs in the evidence.") };
  if (err instanceof BuilderFailedError) return { verdict: verdictOf("build-failed", err.message, err.hint) };
  return { verdict: verdictForFailure(err, ctx.signal.aborted), ...(!isSlipwayError(err) && !ctx.signal.aborted ? { bug: { error: err } } : {}) };
}

/**
 * The builder as a Dockerfile target (`stages.build.image`): built as the release image is (bases
 * pulled fresh, "unchanged" when its context hash is), its artifacts being what its build wrote
 * into `artifacts`; they are copied out of a container made from the image, which never starts
 * (and carries the run's labels, so a crash leaves nothing a sweep would not remove).
 */
async function runTargetBuilder(ctx: RunContext, services: RunServices, config: BuildStageConfig, image: NonNullable<BuildStageConfig["image"]>): Promise<BuildStageResult> {
  const { pipeline } = services;
  const dir = artifactsFolder(pipeline.dir, config.to);
  const dirName = path.relative(pipeline.dir, dir).split(path.sep).join("/");
  const recordPath = artifactsRecordPath(pipeline.dir, dir);
  const builder = image.target ? `target ${image.target}` : "the builder image";
  const started = ctx.clock.now();
  ctx.events.emit({ type: "stage.start", stage: "build" });
  using clock = new StageClock(ctx, config.timeout);
  const { signal, ctx: stageCtx } = clock;
  const result: BuildStageResult = { verdict: passed("artifacts built"), project: "", built: [] };
  let bug: { error: unknown } | undefined;
  try {
    const context = path.resolve(pipeline.dir, image.context);
    const tag = `${pipeline.name}-builder:slipway`.toLowerCase();
    const { result: built } = await buildHashedImage(stageCtx, services.images, {
      subject: `builder ${image.target ?? image.dockerfile}`,
      context,
      dockerfile: image.dockerfile,
      // The artifacts folder is the builder's output, not its input.
      exclude: outputExclusions(context, { dir: pipeline.dir, artifacts: config.to }),
      tags: [tag],
      args: image.args,
      labels: pipelineLabels(pipeline.name),
      ...(image.target ? { target: image.target } : {}),
    });
    const imageId = built.id;
    const key = artifactsKey({ imageId, command: null, entrypoint: null, environment: {}, artifacts: config.artifacts, mounts: [], volumesFrom: [] });
    const build = async (): Promise<ArtifactFile[]> => {
      await rm(recordPath, { force: true });
      // Never started: a command is set only because the engine refuses a container without one.
      const { Id: container } = await ctx.engine.containers.create({ Image: imageId, Cmd: ["true"], Labels: ctx.labels("ephemeral") }, { signal });
      try {
        return await copyArtifacts(ctx, container, config.artifacts, dir, dirName, builder, signal);
      } finally {
        await ctx.engine.containers.remove(container, { force: true, volumes: true }).catch(() => undefined);
      }
    };
    Object.assign(result, await artifactsOutcome(stageCtx, { dir, dirName, recordPath, key, imageId, build }));
  } catch (err) {
    const failed = failureOutcome(ctx, clock.expired, config.timeout, err);
    result.verdict = failed.verdict;
    bug = failed.bug;
  } finally {
    clock.stop();
  }
  ctx.events.emit({ type: "stage.end", stage: "build", ok: result.verdict.kind === "passed", durationMs: ctx.clock.now() - started });
  if (bug) throw bug.error;
  return result;
}

/**
 * The builder's artifacts folder, copied out through the archive API into `dir` (emptied first),
 * with the archive extraction's safety rules (no links or names leading outside). An archive the
 * builder's files make unsafe, or an empty folder, is the builder's failure.
 */
async function copyArtifacts(ctx: RunContext, container: string, from: string, dir: string, dirName: string, builder: string, signal: AbortSignal): Promise<ArtifactFile[]> {
  const archive = await ctx.engine.containers.readArchive(container, from, { signal });
  if (!archive) {
    throw new BuilderFailedError(`Builder ${builder} exited 0 but left nothing at ${from}`, `Make ${builder} write its artifacts into ${from}, or set stages.build.artifacts to the folder it writes them to.`);
  }
  if (!archive.stat.isDirectory) {
    archive.tar.destroy();
    throw new BuilderFailedError(`Builder ${builder}'s ${from} is a file, not a folder`, `stages.build.artifacts names the folder whose files are the artifacts.`);
  }
  await rm(dir, { recursive: true, force: true });
  try {
    // The archive of a folder holds the folder itself: strip it, so its files land in `dir`.
    await extractArchive(archive.tar, dir, { stripComponents: 1, what: `artifacts from ${builder}:${from}`, signal });
  } catch (err) {
    if (isSlipwayError(err) && (err.code === "ARCHIVE_UNSAFE" || err.code === "ARCHIVE_INVALID")) {
      throw new BuilderFailedError(`Builder ${builder}'s artifacts could not be copied out of ${from}: ${err.message}`, err.hint ?? "Change the builder so that its artifacts folder holds plain files.");
    }
    throw err;
  }
  const files = (await artifactFiles(dir)) ?? [];
  if (files.length === 0) {
    throw new BuilderFailedError(`Builder ${builder} exited 0 but its artifacts folder ${from} is empty: nothing to copy into ${dirName}/`, `Make ${builder} write its artifacts into ${from}, or set stages.build.artifacts to the folder it writes them to.`);
  }
  return files;
}
