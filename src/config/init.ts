/**
 * `slipway init`: a commented starter slipway.yml, guessed from the compose files a repository
 * already has, where repositories keep them (the root, docker/<env>/, deploy/, ci/, a few levels
 * down). It proposes only what it found (a test environment, a release environment, the release
 * image, the builder, the release's bootstrap tasks, the acceptance tests), says on every guessed
 * line why, and writes only keys the schema accepts (what it writes is loaded back in the tests).
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { SlipwayError } from "../errors/index.ts";
import { normalizeProjectName } from "../compose/load/index.ts";
import { ConfigFileError } from "../yaml/issues.ts";
import type { YNode } from "../yaml/node.ts";
import { parseYaml } from "../yaml/parse.ts";

/** A value init inferred, and why: the reason is the comment written next to it. */
export interface Guessed<T> {
  value: T;
  why: string;
}

export interface EnvironmentGuess {
  /** Compose files relative to the repository root, merged in order. */
  compose: string[];
  composeWhy: string;
  service?: Guessed<string>;
  /** One-shots (probe agents) that must exit 0 before `service` runs and that it does not depend on. */
  wait: Guessed<string>[];
  /** Absolute paths in `service`'s container. */
  reports: Guessed<string>[];
}

export interface ImageGuess {
  key: string;
  context: string;
  dockerfile?: string;
  target?: string;
  args: Record<string, string>;
  why: string;
}

export interface BuilderGuess {
  /** The environment whose compose files define the builder. */
  environment: string;
  service: Guessed<string>;
  artifacts: Guessed<string>;
  /** Host folder relative to the repository root; undefined leaves the stage's default. */
  to?: Guessed<string>;
}

export interface InitGuess {
  name: string;
  test?: EnvironmentGuess;
  release?: EnvironmentGuess;
  /** An environment that only holds the builder, when its compose file is neither test nor release. */
  build?: EnvironmentGuess;
  image?: ImageGuess;
  builder?: BuilderGuess;
  /** One-shots of the release environment, in the order they run. */
  bootstrap: Guessed<string>[];
  /** Every compose file looked at, and what it was taken for (or why not). */
  looked: { file: string; role: string }[];
  /** Things the user should know that are no guess (legacy compose files, files skipped). */
  notes: string[];
}

/** Dependencies, VCS data and Slipway's own evidence are never searched (nor any hidden folder). */
const SKIPPED_DIRS = new Set(["node_modules", "__pycache__"]);
/** Folders below the root searched: `infra/docker/dev/compose.yml` is found, deeper is not. */
export const SEARCH_DEPTH = 3;
/** Enough for any repository's top levels; a monorepo's thousands of packages are not walked. */
const MAX_DIRS = 2000;

const COMPOSE_NAME = /^(docker-)?compose([.-][\w.-]+)?\.ya?ml$/i;
const OVERRIDE_NAME = /[.-]override\.ya?ml$/i;
const DOCKERFILE_NAME = /^(Dockerfile([.-][\w.-]+)?|[\w.-]+\.[Dd]ockerfile)$/;
const DEFAULT_COMPOSE = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

const TEST_TOKENS = new Set(["test", "tests", "testing", "dev", "develop", "development", "ci", "spec", "specs", "check"]);
const RELEASE_TOKENS = new Set(["release", "releases", "prod", "production", "staging", "deploy", "deployment", "live", "acceptance", "e2e"]);
/** Folders that hold copies of other projects, not this repository's own environments. */
const ELSEWHERE_TOKENS = new Set(["fixtures", "fixture", "examples", "example", "samples", "sample", "testdata", "vendor", "third_party"]);

const TEST_SERVICE = /^(tests?|specs?|unit|unit[-_]?tests?|integration[-_]?tests?|tester|tests?[-_][\w-]+|[\w-]+[-_]tests?)$/i;
const ACCEPTANCE_SERVICE = /^((acceptance|e2e|smoke|functional|system)([-_]?tests?)?|(tests?|specs?)[-_](acceptance|e2e|smoke))$/i;
const TEST_COMMAND =
  /\b(pytest|py\.test|nosetests|tox|jest|mocha|vitest|karma|rspec|phpunit|go test|cargo test|mvn( \S+)* (test|verify)|gradlew?( \S+)* test|(npm|yarn|pnpm)( run)? test|manage\.py test|rake (test|spec)|node --test|unittest|dotnet test|mix test|ctest)\b|\btest\.sh\b|\brun[-_]tests?\b/i;
const AGENT_SERVICE = /^(agent|probe|wait|wait[-_]?for[\w-]*|[\w-]+[-_]agent)$/i;
const AGENT_ENV = /^(PROBE_|WAIT_HOSTS|WAIT_FOR)/;
const BUILDER_SERVICE = /^(builder|build|[\w-]+[-_]builder|build[-_][\w-]+)$/i;
const ARTIFACT_FOLDERS = new Set(["target", "wheelhouse", "dist", "artifacts"]);
const BOOTSTRAP_SERVICE = /^(migrate|migrations?|db[-_]?migrate|collectstatic|static|seed|db[-_]?seed|init[-_]?db|bootstrap)$/i;
const BOOTSTRAP_COMMAND = /\b(migrate|collectstatic|db:migrate|db:seed|alembic upgrade|flyway|liquibase)\b/;
const APP_SERVICE = /^(app|web|api|server|backend|application|service|site)$/i;
const PROXY_SERVICE = /nginx|proxy|caddy|traefik|haproxy|apache/i;
const RELEASE_TARGET = /release|prod|production|runtime|final|dist/i;

interface Volume {
  source?: string;
  target: string;
  raw: string;
}

interface Service {
  name: string;
  /** Context relative to the repository root; dockerfile relative to the context (as compose has it). */
  build?: { context: string; dockerfile?: string; target?: string; args: Record<string, string> };
  image?: string;
  /** Entrypoint and command as written, joined with spaces. */
  command: string;
  environment: Map<string, string>;
  volumes: Volume[];
  /** What it depends on (depends_on, links, volumes_from), by condition. */
  dependsOn: Map<string, string>;
  ports: boolean;
  healthcheck: boolean;
}

interface ComposeFile {
  /** Relative to the repository root, with `/`. */
  file: string;
  services: Service[];
  /** Compose file format 1: services at the top level, no `services:`. */
  legacy: boolean;
}

export async function guessProject(dir: string): Promise<InitGuess> {
  const found = await findFiles(dir);
  const files: ComposeFile[] = [];
  const notes: string[] = [];
  let firstError: ConfigFileError | undefined;
  for (const file of found.compose) {
    const abs = path.join(dir, file);
    try {
      files.push(readCompose(file, parseYaml(await readFile(abs, "utf8"), file)));
    } catch (err) {
      // Parsed as the loader parses (a broken file is a config error with its position, exit 3);
      // it stops init only when nothing else can be proposed.
      if (!(err instanceof ConfigFileError)) throw err;
      firstError ??= err;
      notes.push(`skipped ${file}: ${err.message.split("\n")[0]}`);
    }
  }
  const guess = guessFrom(normalizeProjectName(path.basename(path.resolve(dir))) || "app", files, found.dockerfiles);
  if (!guess.test && !guess.release) {
    if (firstError) throw firstError;
    throw nothingFound(dir, guess.looked);
  }
  guess.notes.unshift(...notes);
  return guess;
}

function nothingFound(dir: string, looked: InitGuess["looked"]): SlipwayError {
  const where = `looked in the root, docker/*/, deploy/, ci/ and up to ${SEARCH_DEPTH} folders down, skipping node_modules and hidden folders`;
  const message =
    looked.length === 0
      ? `slipway init found no compose file in ${dir} (${where})`
      : `slipway init found no test service, release app or acceptance service in the compose files of ${dir}: ${looked.map((l) => `${l.file} (${l.role})`).join("; ")}`;
  return new SlipwayError(message, {
    code: "INIT_NOTHING_TO_GUESS",
    kind: "config",
    hint: "Add a compose file with the service that runs your tests, or write slipway.yml by hand: `slipway help config` prints every key.",
  });
}

/** Breadth first, so that files nearer the root come first; names sorted, so the result is stable. */
async function findFiles(root: string): Promise<{ compose: string[]; dockerfiles: string[] }> {
  const compose: string[] = [];
  const dockerfiles: string[] = [];
  const queue = [{ rel: "", depth: 0 }];
  for (let visited = 0; queue.length > 0 && visited < MAX_DIRS; visited++) {
    const { rel, depth } = queue.shift()!;
    let entries;
    try {
      entries = await readdir(path.join(root, rel), { withFileTypes: true });
    } catch {
      continue; // unreadable folders are not ours to judge
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (depth < SEARCH_DEPTH && !e.name.startsWith(".") && !SKIPPED_DIRS.has(e.name)) queue.push({ rel: p, depth: depth + 1 });
      } else if (e.isFile() || e.isSymbolicLink()) {
        if (COMPOSE_NAME.test(e.name) && !OVERRIDE_NAME.test(e.name)) compose.push(p);
        else if (DOCKERFILE_NAME.test(e.name)) dockerfiles.push(p);
      }
    }
  }
  return { compose, dockerfiles };
}

// ---- reading compose files, tolerantly: a guess needs a few facts, not a validated model ----

function plain(n: YNode | undefined): unknown {
  if (!n) return undefined;
  if (n.kind === "scalar") return n.value;
  if (n.kind === "seq") return n.items.map(plain);
  return Object.fromEntries(n.entries.map((e) => [e.key, plain(e.value)]));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined);
const words = (v: unknown): string => (Array.isArray(v) ? v.map(str).filter((s) => s !== undefined).join(" ") : (str(v) ?? ""));

/** A value as it reads with no variable set (`${X:-default}` is its default); undefined when a variable has none. */
export function literal(value: string): string | undefined {
  let unresolved = false;
  const out = value.replace(/\$\$|\$\{([^}]*)\}|\$([A-Za-z_]\w*)/g, (m, braced: string | undefined, bare: string | undefined) => {
    if (m === "$$") return "$";
    const withDefault = braced === undefined ? null : /^\w+:?-(.*)$/s.exec(braced);
    if (bare !== undefined || !withDefault) {
      unresolved = true;
      return "";
    }
    return withDefault[1]!;
  });
  return unresolved ? undefined : out;
}

function mapOrList(v: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (isRecord(v)) for (const [k, val] of Object.entries(v)) out.set(k, str(val) ?? "");
  else if (Array.isArray(v)) {
    for (const item of v) {
      const s = str(item);
      if (s === undefined) continue;
      const eq = s.indexOf("=");
      out.set(eq < 0 ? s : s.slice(0, eq), eq < 0 ? "" : s.slice(eq + 1));
    }
  }
  return out;
}

function readVolumes(v: unknown): Volume[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((item): Volume[] => {
    if (typeof item === "string") {
      const parts = item.split(":");
      if (parts.length === 1) return [{ target: parts[0]!, raw: item }];
      return [{ source: parts[0]!, target: parts[1]!, raw: item }];
    }
    if (isRecord(item) && typeof item["target"] === "string") {
      const source = str(item["source"]);
      return [{ ...(source ? { source } : {}), target: item["target"], raw: `${source ?? ""}:${item["target"]}` }];
    }
    return [];
  });
}

function readDependencies(svc: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  const dependsOn = svc["depends_on"];
  if (Array.isArray(dependsOn)) for (const d of dependsOn) if (typeof d === "string") out.set(d, "service_started");
  if (isRecord(dependsOn)) {
    for (const [d, spec] of Object.entries(dependsOn)) out.set(d, (isRecord(spec) ? str(spec["condition"]) : undefined) ?? "service_started");
  }
  for (const key of ["links", "volumes_from"]) {
    const list = svc[key];
    if (!Array.isArray(list)) continue;
    for (const l of list) {
      const s = str(l);
      if (s && !s.startsWith("container:") && !out.has(s.split(":")[0]!)) out.set(s.split(":")[0]!, "service_started");
    }
  }
  return out;
}

function readBuild(v: unknown, composeDir: string): Service["build"] {
  const spec = typeof v === "string" ? { context: v } : isRecord(v) ? v : undefined;
  if (!spec) return undefined;
  const context = str(spec["context"]) ?? ".";
  // A remote context (git URL) is not a folder of this repository.
  if (/^[a-z]+:\/\/|^git@|\.git(#|$)/.test(context)) return undefined;
  const dockerfile = str(spec["dockerfile"]);
  const target = str(spec["target"]);
  return {
    context: path.posix.join(composeDir || ".", literal(context) ?? context).replace(/(.)\/+$/, "$1"),
    ...(dockerfile ? { dockerfile } : {}),
    ...(target ? { target } : {}),
    args: Object.fromEntries(mapOrList(spec["args"])),
  };
}

function readService(name: string, v: unknown, composeDir: string): Service {
  const svc = isRecord(v) ? v : {};
  const build = readBuild(svc["build"], composeDir);
  const image = str(svc["image"]);
  const health = svc["healthcheck"];
  const healthTest = isRecord(health) ? words(health["test"]) : "";
  const ports = svc["ports"];
  return {
    name,
    ...(build ? { build } : {}),
    ...(image ? { image } : {}),
    command: `${words(svc["entrypoint"])} ${words(svc["command"])}`.trim(),
    environment: mapOrList(svc["environment"]),
    volumes: readVolumes(svc["volumes"]),
    dependsOn: readDependencies(svc),
    ports: Array.isArray(ports) && ports.length > 0,
    healthcheck: isRecord(health) && health["disable"] !== true && healthTest !== "NONE",
  };
}

const LEGACY_TOP_LEVEL = new Set(["version", "networks", "volumes", "secrets", "configs", "name", "include"]);

function readCompose(file: string, root: YNode & { kind: "map" }): ComposeFile {
  const dir = path.posix.dirname(file) === "." ? "" : path.posix.dirname(file);
  const services = root.entries.find((e) => e.key === "services")?.value;
  if (services?.kind === "map") {
    return { file, legacy: false, services: services.entries.map((e) => readService(e.key, plain(e.value), dir)) };
  }
  // Format 1 (services at the top level): still guessed from, with a note that it must be converted.
  const legacy = root.entries.filter((e) => !LEGACY_TOP_LEVEL.has(e.key) && !e.key.startsWith("x-") && e.value.kind === "map");
  return { file, legacy: legacy.length > 0, services: legacy.map((e) => readService(e.key, plain(e.value), dir)) };
}

// ---- guessing ----

function pathTokens(file: string): string[] {
  return file.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
}

function hintOf(file: string): { test?: string; release?: string; elsewhere: boolean } {
  const tokens = pathTokens(file);
  const test = tokens.find((t) => TEST_TOKENS.has(t));
  const release = tokens.find((t) => RELEASE_TOKENS.has(t));
  return { ...(test ? { test } : {}), ...(release ? { release } : {}), elsewhere: tokens.some((t) => ELSEWHERE_TOKENS.has(t)) };
}

/** Root, docker/**, deploy/**, ci/** come first; folders holding other projects' files last. */
function placeScore(file: string): number {
  const top = file.includes("/") ? file.split("/")[0]! : "";
  const usual = top === "" || ["docker", "deploy", "ci", "compose"].includes(top.toLowerCase());
  return (usual ? 1 : 0) - (hintOf(file).elsewhere ? 5 : 0) - file.split("/").length * 0.1;
}

const short = (s: string, max = 60): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

const isAgent = (s: Service): boolean => AGENT_SERVICE.test(s.name) || [...s.environment.keys()].some((k) => AGENT_ENV.test(k));
const isVolumeContainer = (s: Service): boolean => /^(\/bin\/)?true$/.test(s.command);
const completedDependency = (services: Service[], name: string): boolean =>
  services.some((s) => s.dependsOn.get(name) === "service_completed_successfully");

function testServiceOf(services: Service[], releaseNamed: boolean): Guessed<string> | undefined {
  if (releaseNamed) return undefined; // a `test` service of a release environment runs the acceptance tests
  const candidates = services.filter((s) => !ACCEPTANCE_SERVICE.test(s.name) && !isAgent(s) && !BUILDER_SERVICE.test(s.name));
  const byName = candidates.filter((s) => TEST_SERVICE.test(s.name)).sort((a, b) => rankTestName(a.name) - rankTestName(b.name))[0];
  if (byName) return { value: byName.name, why: `named ${byName.name}${byName.command ? `; runs ${short(byName.command, 40)}` : ""}` };
  const byCommand = candidates.find((s) => TEST_COMMAND.test(s.command));
  if (byCommand) return { value: byCommand.name, why: `its command runs tests: ${short(byCommand.command, 40)}` };
  return undefined;
}

function rankTestName(name: string): number {
  const i = ["test", "tests", "specs", "spec", "unit"].indexOf(name.toLowerCase());
  return i < 0 ? 10 : i;
}

function acceptanceOf(services: Service[], releaseNamed: boolean): Guessed<string> | undefined {
  const named = services.find((s) => ACCEPTANCE_SERVICE.test(s.name));
  if (named) return { value: named.name, why: `named ${named.name} (the acceptance tests)` };
  if (!releaseNamed) return undefined;
  const test = services.filter((s) => TEST_SERVICE.test(s.name)).sort((a, b) => rankTestName(a.name) - rankTestName(b.name))[0];
  return test ? { value: test.name, why: `named ${test.name} in a release environment (the acceptance tests)` } : undefined;
}

function bootstrapOf(services: Service[]): Service[] {
  const oneShots = services.filter((s) => {
    if (isAgent(s) || ACCEPTANCE_SERVICE.test(s.name) || TEST_SERVICE.test(s.name) || BUILDER_SERVICE.test(s.name) || s.ports) return false;
    return completedDependency(services, s.name) || BOOTSTRAP_SERVICE.test(s.name) || (!isVolumeContainer(s) && BOOTSTRAP_COMMAND.test(s.command) && !!s.build);
  });
  // Dependencies first: a seed runs after the migration it depends on.
  const names = new Set(oneShots.map((s) => s.name));
  const order: Service[] = [];
  const seen = new Set<string>();
  const visit = (s: Service): void => {
    if (seen.has(s.name)) return;
    seen.add(s.name);
    for (const dep of s.dependsOn.keys()) {
      const d = oneShots.find((o) => o.name === dep);
      if (d && names.has(dep)) visit(d);
    }
    order.push(s);
  };
  oneShots.forEach(visit);
  return order;
}

function appOf(services: Service[], excluded: Set<string>): { service: Service; score: number; why: string } | undefined {
  const scored = services
    .filter((s) => s.build && !excluded.has(s.name) && !isAgent(s) && !isVolumeContainer(s) && !BUILDER_SERVICE.test(s.name))
    .filter((s) => !TEST_SERVICE.test(s.name) && !ACCEPTANCE_SERVICE.test(s.name) && !completedDependency(services, s.name))
    .map((s) => {
      const why: string[] = [];
      let score = 0;
      const add = (points: number, reason?: string): void => {
        score += points;
        if (reason) why.push(reason);
      };
      if (s.build?.target && RELEASE_TARGET.test(s.build.target)) add(4, `built from target ${s.build.target}`);
      if (APP_SERVICE.test(s.name)) add(3, `named ${s.name}`);
      if (s.ports && s.healthcheck) add(2, "ports and a healthcheck");
      else if (s.healthcheck) add(1, "a healthcheck");
      else if (s.ports) add(1);
      if (s.build?.dockerfile && RELEASE_TARGET.test(s.build.dockerfile)) add(1, `built from ${s.build.dockerfile}`);
      if (PROXY_SERVICE.test(s.name)) add(-3);
      return { service: s, score, why: why.join(", ") || "the service built here" };
    })
    .sort((a, b) => b.score - a.score);
  return scored[0];
}

/** A service's reports folder or files, from its volumes, variables and command. */
function reportsOf(s: Service): Guessed<string>[] {
  const found: Guessed<string>[] = [];
  const add = (p: string | undefined, why: string): void => {
    if (p && p.startsWith("/") && !found.some((f) => f.value === p)) found.push({ value: p.replace(/\/+$/, "") || "/", why });
  };
  for (const v of s.volumes) if (/reports?\b/i.test(v.target)) add(literal(v.target), `volume ${v.raw}`);
  for (const [key, value] of s.environment) {
    if (/(_OUTPUT_DIR|OUTPUT_DIR$|REPORT|JUNIT|XUNIT)/i.test(key)) add(literal(value), `${key}=${value}`);
  }
  const command = literal(s.command) ?? s.command;
  for (const m of command.matchAll(/(?<![\w])(?:output|mochaFile|outputFile|outputDirectory|junitxml|junit-xml|junit_xml)[= ]([^\s,"']+)/gi)) {
    if (!m[1]!.startsWith("/dev/")) add(m[1], short(m[0], 50));
  }
  for (const m of command.matchAll(/(?:^|[\s=:])(\/[\w./-]*\breports?\b[\w./-]*)/gi)) add(m[1], `in its command: ${short(m[1]!, 40)}`);
  // A folder already copied covers the files in it.
  return found.filter((f) => !found.some((o) => o !== f && f.value.startsWith(`${o.value}/`)));
}

function waitsOf(services: Service[], serviceName: string): Guessed<string>[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const closure = new Set<string>();
  const visit = (n: string): void => {
    if (closure.has(n)) return;
    closure.add(n);
    for (const d of byName.get(n)?.dependsOn.keys() ?? []) visit(d);
  };
  visit(serviceName);
  return services
    .filter((s) => isAgent(s) && !closure.has(s.name))
    .map((s) => {
      const probe = [...s.environment.keys()].find((k) => AGENT_ENV.test(k));
      return { value: s.name, why: `probe one-shot${probe ? ` (${probe})` : ""}, not a dependency of ${serviceName}` };
    });
}

function builderOf(services: Service[], composeFile: string): Omit<BuilderGuess, "environment"> | undefined {
  const composeDir = path.posix.dirname(composeFile);
  for (const s of services.filter((x) => BUILDER_SERVICE.test(x.name))) {
    const volume = s.volumes.find((v) => ARTIFACT_FOLDERS.has(path.posix.basename(v.target)) || (v.source && ARTIFACT_FOLDERS.has(path.posix.basename(v.source))));
    if (volume) {
      const hostFolder = volume.source && /^\.\.?(\/|$)/.test(volume.source) ? path.posix.normalize(path.posix.join(composeDir, volume.source)) : undefined;
      return {
        service: { value: s.name, why: `named ${s.name}, volume ${volume.raw}` },
        artifacts: { value: volume.target, why: `where its volume ${volume.raw} points` },
        ...(hostFolder && !hostFolder.startsWith("..") ? { to: { value: hostFolder, why: "the host side of that volume" } } : {}),
      };
    }
    const output = [...s.environment].find(([k, v]) => /OUTPUT_DIR$/i.test(k) && literal(v)?.startsWith("/"));
    if (output) {
      return {
        service: { value: s.name, why: `named ${s.name}, ${output[0]}=${output[1]}` },
        artifacts: { value: literal(output[1])!, why: `its ${output[0]}` },
      };
    }
  }
  return undefined;
}

/** A file that only adds to a base file (`docker-compose.test.yml` over `docker-compose.yml`) is used with it. */
function withBase(f: ComposeFile, all: ComposeFile[]): { compose: string[]; services: Service[] } {
  const defined = new Set(f.services.map((s) => s.name));
  const missing = f.services.flatMap((s) => [...s.dependsOn.keys()]).filter((d) => !defined.has(d));
  const dir = path.posix.dirname(f.file);
  const base = missing.length === 0 ? undefined : all.find((b) => b !== f && path.posix.dirname(b.file) === dir && DEFAULT_COMPOSE.includes(path.posix.basename(b.file)) && missing.every((m) => b.services.some((s) => s.name === m)));
  if (!base) return { compose: [f.file], services: f.services };
  const merged = new Map(base.services.map((s) => [s.name, s]));
  for (const s of f.services) {
    const under = merged.get(s.name);
    merged.set(s.name, under ? { ...under, ...s, environment: new Map([...under.environment, ...s.environment]), dependsOn: new Map([...under.dependsOn, ...s.dependsOn]) } : s);
  }
  return { compose: [base.file, f.file], services: [...merged.values()] };
}

function imageKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_.-]+/g, "-").replace(/^[^a-z0-9]+/, "") || "app";
}

function guessFrom(name: string, files: ComposeFile[], dockerfiles: string[]): InitGuess {
  const looked = new Map<string, string>(files.map((f) => [f.file, f.services.length === 0 ? "no services" : "no test service, release app or acceptance service"]));
  const notes = files.filter((f) => f.legacy).map((f) => `${f.file} has no top-level services: (compose file format 1), which Slipway does not load: put its services under services:`);

  type Candidate = { file: ComposeFile; score: number; why: string };
  const testCandidates: (Candidate & { service: Guessed<string> })[] = [];
  const releaseCandidates: (Candidate & { app?: ReturnType<typeof appOf>; acceptance?: Guessed<string> })[] = [];
  for (const f of files) {
    const hint = hintOf(f.file);
    const releaseNamed = !!hint.release && !hint.test;
    const service = testServiceOf(f.services, releaseNamed);
    if (service) {
      const score = 3 + (hint.test ? 3 : 0) - (hint.release ? 4 : 0) + placeScore(f.file);
      testCandidates.push({ file: f, score, service, why: hint.test ? `"${hint.test}" in its path, service ${service.value}` : `service ${service.value}` });
    }
    if (hint.test && !hint.release) continue;
    const acceptance = acceptanceOf(f.services, releaseNamed);
    const app = appOf(f.services, new Set(bootstrapOf(f.services).map((s) => s.name)));
    const releaseApp = app && (app.service.build?.target && RELEASE_TARGET.test(app.service.build.target) ? true : app.service.ports && app.service.healthcheck);
    if (releaseNamed ? app || acceptance : acceptance || releaseApp) {
      const score = (releaseNamed ? 4 : 0) + (acceptance ? 2 : 0) + (releaseApp ? 2 : 0) + placeScore(f.file);
      const why = releaseNamed ? `"${hint.release}" in its path` : acceptance ? `acceptance service ${acceptance.value}` : `app ${app!.service.name}: ${app!.why}`;
      releaseCandidates.push({ file: f, score, why, ...(app ? { app } : {}), ...(acceptance ? { acceptance } : {}) });
    }
  }
  const best = <T extends Candidate>(list: T[]): T | undefined => [...list].sort((a, b) => b.score - a.score)[0];
  const testPick = best(testCandidates);
  const releasePick = best(releaseCandidates.filter((c) => c.file !== testPick?.file || c.acceptance));
  // What a file is used for; a file used twice (a base file that is also the release) says both.
  const used = new Set<string>();
  const use = (file: string, role: string): void => {
    looked.set(file, used.has(file) ? `${looked.get(file)}; ${role}` : role);
    used.add(file);
  };
  for (const c of testCandidates) if (c !== testPick) looked.set(c.file.file, `has a test service (${c.service.value}); ${testPick!.file.file} looked likelier`);
  for (const c of releaseCandidates) if (c !== releasePick && c.file !== testPick?.file) looked.set(c.file.file, `looks like a release environment; ${releasePick?.file.file} looked likelier`);

  const guess: InitGuess = { name, bootstrap: [], looked: [], notes };
  let testServices: Service[] = [];
  if (testPick) {
    const { compose, services } = withBase(testPick.file, files);
    testServices = services;
    guess.test = {
      compose,
      composeWhy: compose.length > 1 ? `${testPick.why}; over its base file ${compose[0]}` : testPick.why,
      service: testPick.service,
      wait: waitsOf(services, testPick.service.value),
      reports: reportsOf(services.find((s) => s.name === testPick.service.value)!),
    };
    for (const c of compose) use(c, c === testPick.file.file ? `test environment, service ${testPick.service.value}` : "base of the test environment");
  }
  let releaseServices: Service[] = [];
  if (releasePick) {
    const { compose, services } = withBase(releasePick.file, files);
    releaseServices = services;
    const acceptance = releasePick.acceptance;
    guess.release = {
      compose,
      composeWhy: releasePick.why,
      ...(acceptance ? { service: acceptance } : {}),
      wait: acceptance ? waitsOf(services, acceptance.value) : [],
      reports: acceptance ? reportsOf(services.find((s) => s.name === acceptance.value)!) : [],
    };
    guess.bootstrap = bootstrapOf(services).map((s) => ({ value: s.name, why: `${completedDependency(services, s.name) ? "others wait for it to complete" : "a one-shot"}${s.command ? `: ${short(s.command, 40)}` : ""}` }));
    const app = releasePick.app;
    if (app?.service.build) {
      const b = app.service.build;
      const args = Object.fromEntries(Object.entries(b.args).filter(([, v]) => literal(v) === v));
      const dropped = Object.keys(b.args).filter((k) => !(k in args));
      guess.image = {
        key: imageKey(app.service.name),
        context: b.context,
        ...(b.dockerfile ? { dockerfile: b.dockerfile } : {}),
        ...(b.target ? { target: b.target } : {}),
        args,
        why: `service ${app.service.name} of ${releasePick.file.file}: ${app.why}${dropped.length ? `; build args set from variables left out: ${dropped.join(", ")}` : ""}`,
      };
    }
    use(releasePick.file.file, `release environment${app ? `, app ${app.service.name}` : ""}${acceptance ? `, acceptance ${acceptance.value}` : ""}`);
  }
  if (!guess.image) {
    const releaseFolder = dockerfiles.find((d) => d.includes("/") && hintOf(path.posix.dirname(d)).release && !hintOf(d).elsewhere);
    const dockerfile = dockerfiles.find((d) => d === "Dockerfile") ?? dockerfiles.find((d) => !d.includes("/")) ?? releaseFolder;
    if (dockerfile) {
      guess.image = {
        key: "app",
        context: ".",
        ...(dockerfile !== "Dockerfile" ? { dockerfile } : {}),
        args: {},
        why: dockerfile.includes("/") ? `${dockerfile}, built from the repository root (the context is a guess too)` : `the ${dockerfile} at the root`,
      };
    }
  }

  // The builder: in the test environment's files (seed 001's docker/dev), else the release's, else its own.
  const inTest = guess.test && builderOf(testServices, guess.test.compose.at(-1)!);
  const inRelease = !inTest && guess.release ? builderOf(releaseServices, guess.release.compose.at(-1)!) : undefined;
  if (inTest) guess.builder = { environment: "test", ...inTest };
  else if (inRelease) guess.builder = { environment: "release", ...inRelease };
  else {
    for (const f of [...files].sort((a, b) => placeScore(b.file) - placeScore(a.file))) {
      const own = builderOf(f.services, f.file);
      if (!own) continue;
      guess.builder = { environment: "build", ...own };
      guess.build = { compose: [f.file], composeWhy: `defines the builder ${own.service.value}`, wait: [], reports: [] };
      use(f.file, `build environment, builder ${own.service.value}`);
      break;
    }
  }
  guess.looked = [...looked].map(([file, role]) => ({ file, role }));
  return guess;
}

// ---- writing ----

const RESERVED = /^(true|false|yes|no|on|off|null|y|n)$/i;

/** A YAML scalar: plain when that reads back as the same string, else double-quoted (JSON is YAML). */
function scalar(s: string): string {
  return /^[\w./][\w./@+-]*$/.test(s) && !RESERVED.test(s) && !/^\.(inf|nan)$/i.test(s) && Number.isNaN(Number(s)) ? s : JSON.stringify(s);
}

/** A comment's text on one line. */
const oneLine = (s: string): string => s.replace(/\s+/g, " ").trim();

interface Row {
  text: string;
  note?: string;
}

/** Rows with their notes aligned in one column; a note too long for the line goes on its own line above. */
function render(rows: Row[]): string {
  const width = Math.min(48, Math.max(0, ...rows.filter((r) => r.note).map((r) => r.text.length)) + 2);
  return rows
    .map((r) => {
      if (!r.note) return r.text.trimEnd();
      const note = oneLine(r.note);
      const pad = Math.max(2, width - r.text.length);
      if (r.text.length + pad + note.length + 2 <= 110) return `${r.text}${" ".repeat(pad)}# ${note}`;
      const [, indent, rest] = /^((?:# )?\s*)(.*)$/.exec(r.text)!;
      return `${indent}# ${note}\n${indent}${rest}`;
    })
    .join("\n");
}

const guessed = (why: string): string => `guessed: ${why}`;

function environmentRows(key: string, env: EnvironmentGuess, intro: string[]): Row[] {
  const rows: Row[] = intro.map((t) => ({ text: `  # ${t}` }));
  rows.push({ text: `  ${key}:` });
  rows.push({ text: `    compose: [${env.compose.map(scalar).join(", ")}]`, note: guessed(env.composeWhy) });
  if (env.service) rows.push({ text: `    service: ${scalar(env.service.value)}`, note: guessed(env.service.why) });
  if (env.wait.length > 0) {
    rows.push({ text: "    wait:" });
    for (const w of env.wait) {
      rows.push({ text: `      - service: ${scalar(w.value)}`, note: guessed(w.why) });
      rows.push({ text: "        until: completed", note: "it must exit 0 first" });
    }
  }
  if (env.service) {
    if (env.reports.length > 0) {
      rows.push({ text: "    reports:" });
      for (const r of env.reports) {
        rows.push({ text: `      - path: ${scalar(r.value)}`, note: guessed(`from ${r.why}`) });
        rows.push({ text: "        required: false", note: "true once the tests are known to write JUnit XML there" });
      }
    } else {
      rows.push({ text: "    # reports: none found (no reports volume, *_REPORT*/JUNIT*/*_OUTPUT_DIR variable, /reports path)." });
      rows.push({ text: "    # Name where the tests write JUnit XML in the container, e.g.  reports: [/app/reports]" });
    }
  }
  return rows;
}

/**
 * `stages:`, when init found something for the later stages. Written in full (test included):
 * a `stages:` key replaces the stages Slipway would infer from the environments and images.
 */
function stageRows(g: InitGuess): Row[] {
  const releaseStage = !!(g.release && g.image);
  if (!g.builder && !(releaseStage && (g.bootstrap.length > 0 || g.release?.service))) {
    return g.release && g.bootstrap.length > 0
      ? [{ text: `# Bootstrap tasks of the release environment (guessed): ${g.bootstrap.map((b) => b.value).join(", ")}; the release stage needs \`images:\` first.` }]
      : [];
  }
  const rows: Row[] = [
    { text: "# The workflow's stages, in order (`slipway ci` runs them). Without `stages:` Slipway infers test," },
    { text: "# release and acceptance from the environments and images; written out for what it cannot infer." },
    { text: "stages:" },
  ];
  if (g.test) rows.push({ text: "  test: test" });
  if (g.builder) {
    const b = g.builder;
    rows.push({ text: "  build:" });
    rows.push({ text: `    environment: ${scalar(b.environment)}`, note: `guessed: its compose files define ${b.service.value}` });
    rows.push({ text: `    service: ${scalar(b.service.value)}`, note: guessed(b.service.why) });
    rows.push({ text: `    artifacts: ${scalar(b.artifacts.value)}`, note: guessed(b.artifacts.why) });
    if (b.to) rows.push({ text: `    to: ${scalar(b.to.value)}`, note: guessed(b.to.why) });
  }
  if (releaseStage) {
    rows.push({ text: "  release:" }, { text: "    environment: release" });
    if (g.bootstrap.length > 0) {
      rows.push({ text: "    bootstrap:", note: "one-shots run in this order before the app is declared ready" });
      for (const t of g.bootstrap) rows.push({ text: `      - ${scalar(t.value)}`, note: guessed(t.why) });
    }
    if (g.release?.service) rows.push({ text: "  acceptance: release", note: `guessed: runs ${g.release.service.value} against the release environment` });
  }
  return rows;
}

export function starterConfig(g: InitGuess): string {
  const rows: Row[] = [
    { text: "# Slipway pipeline: `slipway help config` prints every key." },
    { text: "# Written by `slipway init` from the compose files it found here. Every line it guessed says" },
    { text: "# \"guessed\" and why: check them, then run `slipway doctor` (it checks this file) and `slipway test`." },
  ];
  if (g.looked.length > 0) {
    rows.push({ text: "#" }, { text: "# Compose files looked at:" });
    const shown = g.looked.slice(0, 12);
    const width = Math.max(...shown.map((l) => l.file.length)) + 2;
    for (const l of shown) rows.push({ text: `#   ${l.file.padEnd(width)}${oneLine(l.role)}` });
    if (g.looked.length > shown.length) rows.push({ text: `#   …and ${g.looked.length - shown.length} more` });
  }
  for (const n of g.notes) rows.push({ text: `# Note: ${oneLine(n)}` });
  rows.push({ text: "" }, { text: "# Prefix of the unique compose project names of each run (two runs never collide)." }, { text: `name: ${scalar(g.name)}` });
  rows.push({ text: "" }, { text: "environments:" });
  const envs: Row[][] = [];
  if (g.test) {
    envs.push(environmentRows("test", g.test, [
      "`slipway test`: builds this environment's images, brings it up under a unique project name, waits",
      "for the service's dependencies, runs it, copies its reports out (also when it fails), tears",
      "everything down. The service's exit code is the verdict.",
    ]));
  }
  if (g.release) {
    envs.push(environmentRows("release", g.release, g.release.service
      ? ["The release environment: the release image with what it needs, and the acceptance tests", "(`slipway test --environment release` runs them today)."]
      : ["The release environment: the release image with what it needs. No acceptance service was found", "(one named acceptance, e2e or smoke); name it with `service:` once there is one."]));
  }
  if (g.build) envs.push(environmentRows("build", g.build, ["The environment of the builder (the build stage below)."]));
  envs.forEach((e, i) => rows.push(...(i > 0 ? [{ text: "" }] : []), ...e));
  if (g.image) {
    rows.push({ text: "" }, { text: "# Images the pipeline builds and publishes (the release image)." }, { text: "images:" });
    rows.push({ text: `  ${g.image.key}:`, note: guessed(g.image.why) });
    rows.push({ text: "    build:" }, { text: `      context: ${scalar(g.image.context)}` });
    if (g.image.dockerfile) rows.push({ text: `      dockerfile: ${scalar(g.image.dockerfile)}` });
    if (g.image.target) rows.push({ text: `      target: ${scalar(g.image.target)}` });
    const args = Object.entries(g.image.args);
    if (args.length > 0) {
      rows.push({ text: "      args:" });
      for (const [k, v] of args) rows.push({ text: `        ${scalar(k)}: ${JSON.stringify(v)}` });
    }
  }
  const stages = stageRows(g);
  if (stages.length > 0) rows.push({ text: "" }, ...stages);
  rows.push(
    { text: "" },
    { text: "# Where images that passed are published; `slipway doctor` checks it answers." },
    { text: "# registry: registry.example.com" },
    { text: "" },
    { text: "history:" },
    { text: "  keep: 20", note: "runs kept under .slipway/runs/" },
  );
  return `${render(rows)}\n`;
}
