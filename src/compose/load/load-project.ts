/**
 * The compose loading pipeline: discover → parse (positions) → interpolate → include/extends
 * → merge → validate (Slipway's schema) → normalize → profiles → consistency. Pure apart from
 * reading files: the environment is an input, never process.env.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Project } from "../model/project.ts";
import { checkConsistency, locate } from "./consistency.ts";
import { discoverComposeFiles, DEFAULT_FILE_NAMES } from "./discover.ts";
import { loadEnvFiles, readTextIfExists } from "./environment.ts";
import { resolveExtends } from "./extends.ts";
import { importIncluded, includeRequests } from "./include.ts";
import { interpolateString, interpolateTree, InterpolationError } from "./interpolate.ts";
import { fail, IssueList, type ConfigIssue } from "../../yaml/issues.ts";
import { mergeFiles, stripMergeTags } from "./merge.ts";
import { get, type MapNode, type Pos } from "../../yaml/node.ts";
import { normalizeProject } from "./normalize-project.ts";
import { parseYaml } from "../../yaml/parse.ts";
import { applyProfiles, profilesFromEnv } from "./profiles.ts";
import { resolveProjectName } from "./project-name.ts";
import { readStr } from "./read.ts";
import { composeFileSchema } from "./schema/compose-schema.ts";
import { validate } from "./schema/validate.ts";
import { dropUnusedResources } from "./unused-resources.ts";

export interface LoadProjectOptions {
  /** The directory the command runs in; relative `files` and discovery start here. */
  workingDir: string;
  /** `-f` files in merge order (`-` is the standard input); when absent, COMPOSE_FILE or discovery decides. */
  files?: string[];
  /** The text of `-f -`: read by the caller (only cli/ reads the process's streams), once. */
  stdin?: () => Promise<string>;
  /** `--project-directory`; defaults to the directory of the first compose file. */
  projectDir?: string;
  /** `-p`. */
  projectName?: string;
  /** `--env-file`, repeatable; when absent, `.env` in the project directory is read if present. */
  envFiles?: string[];
  /** `--profile`; when absent, COMPOSE_PROFILES. */
  profiles?: string[];
  /** Services named on the command line: enabled even when their profiles are not. */
  services?: string[];
  /** The caller's environment (cli/ passes process.env); it wins over env files. */
  env: Record<string, string>;
  /** Non-fatal findings: unset variables, obsolete keys. */
  onWarning?: (warning: ConfigIssue) => void;
  /**
   * Given where each key of the merged files was written (the deepest key of the path that
   * exists), for consumers that report on the project later (the deploy's warnings and checks).
   */
  onLocate?: (locate: (keys: readonly string[]) => Pos) => void;
}

export async function loadProject(opts: LoadProjectOptions): Promise<Project> {
  const workingDir = path.resolve(opts.workingDir);
  const shellEnv = opts.env;
  const home = shellEnv["HOME"] ?? shellEnv["USERPROFILE"];
  // COMPOSE_FILE etc. may come from the .env next to where we start (compose-go's GetWorkingDir).
  const firstExplicit = opts.files?.[0];
  const preEnvDir = opts.projectDir
    ? path.resolve(workingDir, opts.projectDir)
    : firstExplicit
      ? path.dirname(path.resolve(workingDir, firstExplicit))
      : workingDir;
  const preEnv = loadEnvFiles({ shellEnv, envFiles: opts.envFiles, dotEnvDir: preEnvDir, baseDir: workingDir });
  const found = await discoverComposeFiles(workingDir, opts.files, preEnv);
  if (found.source === "none") {
    fail(undefined, "", `no compose file found in ${workingDir} or its parent directories`, `Create ${DEFAULT_FILE_NAMES[0]}, or pass one with -f.`);
  }
  const files = found.files;
  // `-f -` is a file named "-" in the working directory (compose-go's ConfigFile "-"): relative
  // paths in it resolve from there, and the config_files label says "-".
  const stdinPath = opts.files?.includes("-") ? path.resolve(workingDir, "-") : undefined;
  const read = (abs: string): Promise<string> => (abs === stdinPath && opts.stdin ? opts.stdin() : readComposeFile(abs));
  const projectDir = opts.projectDir ? path.resolve(workingDir, opts.projectDir) : path.dirname(files[0] ?? workingDir);
  const fileEnv = projectDir === preEnvDir ? preEnv : loadEnvFiles({ shellEnv, envFiles: opts.envFiles, dotEnvDir: projectDir, baseDir: workingDir });

  const issues = new IssueList();
  const display = (abs: string): string => {
    const rel = path.relative(workingDir, abs);
    return rel.startsWith("..") || path.isAbsolute(rel) ? abs : rel;
  };
  const warn = (w: ConfigIssue): void => opts.onWarning?.(w);

  // The name comes first: compose-go resolves it (interpolating `name:` alone), then makes it
  // the COMPOSE_PROJECT_NAME every other value interpolates with (loader.go, projectName).
  // Each file is parsed once: the trees read for the name are interpolated next (which mutates them).
  const parsed = new Map<string, MapNode>();
  const fromFile = await readNameFromFiles(files, fileEnv, issues, display, parsed, read);
  issues.throwIfAny();
  const name = resolveProjectName({ flag: opts.projectName, env: fileEnv["COMPOSE_PROJECT_NAME"], fromFile, projectDir });
  if (!name.ok) fail(undefined, "", name.message, "Use lowercase letters, digits, '_' and '-' (e.g. -p my-app).");
  const env: Record<string, string> = { ...fileEnv, COMPOSE_PROJECT_NAME: name.name };
  const loader = new TreeLoader({ issues, home, display, warn, parsed, read });

  const trees: MapNode[] = [];
  for (const f of files) trees.push(await loader.loadWithIncludes(f, env, { ...shellEnv, COMPOSE_PROJECT_NAME: name.name }, []));
  issues.throwIfAny();
  let merged = trees[0] as MapNode;
  for (const t of trees.slice(1)) merged = mergeFiles(merged, t);
  const tree = stripMergeTags(merged) as MapNode;

  validate(composeFileSchema, tree, "", {
    issues,
    warn: (n, p, message) => warn({ file: n.pos.file, line: n.pos.line, column: n.pos.column, path: p, message }),
  });
  issues.throwIfAny();

  const project = normalizeProject(tree, {
    name: name.name,
    projectDir,
    configFiles: files.map((f) => (f === stdinPath ? "-" : f)),
    home,
    lookup: (v) => env[v],
    environment: env,
    readFile: readTextIfExists,
    issues,
  });
  issues.throwIfAny();
  applyProfiles(project, opts.profiles ?? profilesFromEnv(env["COMPOSE_PROFILES"]), opts.services);
  for (const s of opts.services ?? []) {
    if (!(s in project.services)) issues.add(undefined, "", `no such service: ${JSON.stringify(s)}`);
  }
  checkConsistency(project, tree, issues);
  issues.throwIfAny();
  dropUnusedResources(project);
  opts.onLocate?.((keys) => locate(tree, keys));
  return project;
}

/** The top-level `name:` of the files (the last one that sets it wins), interpolated. */
async function readNameFromFiles(
  files: readonly string[],
  env: Record<string, string>,
  issues: IssueList,
  display: (abs: string) => string,
  parsed: Map<string, MapNode>,
  read: (abs: string) => Promise<string>,
): Promise<string | undefined> {
  let found: { value: string; pos: Pos } | undefined;
  for (const f of files) {
    const tree = parsed.get(f) ?? parseYaml(await read(f), display(f));
    parsed.set(f, tree);
    const entry = tree.entries.find((e) => e.key === "name");
    if (entry?.value.kind === "scalar" && typeof entry.value.value === "string" && entry.value.value !== "") found = { value: entry.value.value, pos: entry.value.pos };
  }
  if (!found) return undefined;
  try {
    return interpolateString(found.value, (v) => env[v]);
  } catch (e) {
    if (!(e instanceof InterpolationError)) throw e;
    issues.add(found.pos, "name", e.message, e.hint);
    return undefined;
  }
}

async function readComposeFile(abs: string): Promise<string> {
  try {
    return await readFile(abs, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(undefined, "", `cannot read compose file ${abs}${code === "ENOENT" ? ": no such file" : `: ${String(e)}`}`, "Check the -f / COMPOSE_FILE paths.");
  }
}

interface TreeLoaderDeps {
  issues: IssueList;
  home: string | undefined;
  display: (abs: string) => string;
  warn: (w: ConfigIssue) => void;
  /** Trees parsed already and not yet interpolated, taken at most once each. */
  parsed: Map<string, MapNode>;
  /** A compose file's text (the standard input for `-f -`). */
  read: (abs: string) => Promise<string>;
}

/** Loads one file to a tree: parse, interpolate, then resolve its includes and extends. */
class TreeLoader {
  constructor(private readonly deps: TreeLoaderDeps) {}

  private async parseAndInterpolate(abs: string, env: Record<string, string>): Promise<MapNode> {
    const pending = this.deps.parsed.get(abs);
    this.deps.parsed.delete(abs);
    const tree = pending ?? parseYaml(await this.deps.read(abs), this.deps.display(abs));
    interpolateTree(tree, {
      lookup: (v) => env[v],
      issues: this.deps.issues,
      onUnset: (name, pos, p) =>
        this.deps.warn({ file: pos.file, line: pos.line, column: pos.column, path: p, message: `the ${name} variable is not set; defaulting to a blank string` }),
    });
    return tree;
  }

  async loadWithIncludes(abs: string, env: Record<string, string>, shellEnv: Record<string, string>, stack: string[]): Promise<MapNode> {
    if (stack.includes(abs)) fail(undefined, "", `include cycle: ${[...stack, abs].map(this.deps.display).join(" -> ")}`);
    const tree = await this.parseAndInterpolate(abs, env);
    for (const req of includeRequests(tree, abs, this.deps.issues)) {
      const incEnv = loadEnvFiles({ shellEnv, envFiles: req.envFiles, dotEnvDir: req.projectDir, baseDir: path.dirname(abs) });
      let included: MapNode | undefined;
      for (const f of req.files) {
        const t = await this.loadWithIncludes(f, incEnv, shellEnv, [...stack, abs]);
        included = included ? mergeFiles(included, t) : t;
      }
      if (included) importIncluded(tree, stripMergeTags(included) as MapNode, req, this.deps.home, this.deps.issues);
    }
    // Extended files are read synchronously inside resolveExtends; preload the ones referenced.
    const others = new Map<string, MapNode>();
    for (const f of extendedFiles(tree, abs)) others.set(f, await this.parseAndInterpolate(f, env));
    const preload = async (t: MapNode, from: string): Promise<void> => {
      for (const f of extendedFiles(t, from)) {
        if (others.has(f)) continue;
        others.set(f, await this.parseAndInterpolate(f, env));
        await preload(others.get(f) as MapNode, f);
      }
    };
    for (const [f, t] of [...others]) await preload(t, f);
    resolveExtends(tree, abs, {
      loadFile: (f) => {
        const t = others.get(f);
        if (!t) fail(undefined, "", `cannot read extended file ${f}`);
        return t;
      },
      home: this.deps.home,
      issues: this.deps.issues,
    });
    return tree;
  }
}

/** Files named by `extends.file` in a tree, absolute. */
function extendedFiles(tree: MapNode, fileAbs: string): string[] {
  const services = get(tree, "services");
  if (services?.kind !== "map") return [];
  const out: string[] = [];
  for (const e of services.entries) {
    const ext = e.value.kind === "map" ? get(e.value, "extends") : undefined;
    const file = ext?.kind === "map" ? readStr(ext, "file") : undefined;
    if (file !== undefined) out.push(path.resolve(path.dirname(fileAbs), file));
  }
  return [...new Set(out)];
}
