/**
 * docker compose v2 is the behavioural reference for compose files: on every compose fixture in
 * the repository, `slipway compose config` (renderConfig of loadProject) must print the same
 * document as `docker compose config`, compared structurally (parsed YAML, deep equality).
 *
 * Fixtures are discovered by walking the folders below, so a new fixture is covered as soon as
 * it exists. Each compose file runs as `-f FILE -p parity` and as `-f FILE` (the project name
 * from `name:`, COMPOSE_PROJECT_NAME or the folder); a folder with an override file also runs
 * without `-f` (discovery, then the override merged over the base file).
 *
 * A fixture folder named `invalid-*` holds a file both must reject; any other file must load in
 * both. A difference may only stay when ALLOWED names it (fixture, path and reason) and
 * docs/compose-differences.md gives the same reason; an entry that no longer matches anything
 * fails the run, so fixed differences leave the list.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual, promisify } from "node:util";
import { parse } from "yaml";
import { ConfigFileError, DEFAULT_FILE_NAMES, loadProject, OVERRIDE_FILE_NAMES, renderConfig } from "../../../src/compose/load/index.ts";
import { loadWorldSync } from "../../support/world.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const world = loadWorldSync();
const skip = world.skipReason("compose-v2");

/** Where compose fixtures live: every child folder of these holds one application. */
const FIXTURE_FOLDERS = ["test/fixtures/compose", "test/fixtures/compose-config", "src/compose/load/fixtures", "test/e2e", "examples"];

/**
 * The environment both tools run with, and nothing else: no COMPOSE_* or DOCKER_* leaks in from
 * the machine. SHELL_WINS checks that the shell beats `.env` (fixture environment/).
 */
const ENV: Record<string, string> = { HOME: "/home/parity", SHELL_WINS: "from-shell" };

/** A compose file's extra files (`docker-compose.test.yml`, `compose.ci.yaml`) are fixtures too. */
const NAMED_VARIANT = /^(docker-)?compose\.[\w-]+\.ya?ml$/;

interface Allowed {
  /** The fixture's compose file, relative to the repository; undefined for every fixture. */
  fixture?: string;
  /** The variant's label (see variantsOf); undefined for every variant. */
  variant?: string;
  /** Dotted path in the printed document; `*` matches one key, `**` any rest. `<load>` is a load failure. */
  path: string;
  /** Why Slipway differs here. The same text must appear in docs/compose-differences.md. */
  reason: string;
}

/** Differences from `docker compose config` that are deliberate. Keep in step with the docs. */
const ALLOWED: readonly Allowed[] = [
  {
    fixture: "test/fixtures/compose-config/environment/compose.yaml",
    path: "services.app.environment.RELEASE_DATE",
    reason:
      "An unquoted date such as 2024-01-02 is a YAML timestamp to go-yaml, and compose 2.26.1 passes on Go's text of it, 2024-01-02 00:00:00 +0000 UTC. Slipway keeps the value as written.",
  },
  {
    fixture: "test/fixtures/compose-config/secrets-configs/compose.yaml",
    path: "services.app.secrets.3.mode",
    reason:
      'A quoted mode such as "0440" is read as the decimal number 440 by compose 2.26.1. Slipway reads it as octal (0440, printed 288), as compose-go does since compose-spec/compose-go#738.',
  },
  {
    fixture: "test/fixtures/compose-config/volume-typos/compose.yaml",
    path: "<load>",
    reason:
      "Slipway refuses a volume mode it does not know (r0 for ro), which docker compose silently ignores, mounting the volume read-write.",
  },
];

interface Fixture {
  /** Relative to the repository, e.g. test/fixtures/compose-config/ports/compose.yaml. */
  id: string;
  dir: string;
  file: string;
  /** Whether an override file sits next to it (then discovery merges it). */
  hasOverride: boolean;
  /** In an `invalid-*` folder: both tools must reject it. */
  invalid: boolean;
}

interface Variant {
  label: string;
  /** Arguments of docker compose before `config`. */
  composeArgs: string[];
  files?: string[];
  projectName?: string;
}

function discoverFixtures(root = repo): Fixture[] {
  const out: Fixture[] = [];
  for (const folder of FIXTURE_FOLDERS) {
    const base = path.join(root, folder);
    if (!existsSync(base)) continue;
    for (const child of readdirSync(base).sort()) {
      const dir = path.join(base, child);
      if (!statSync(dir).isDirectory()) continue;
      const names = readdirSync(dir);
      const main = DEFAULT_FILE_NAMES.find((n) => names.includes(n));
      const hasOverride = OVERRIDE_FILE_NAMES.some((n) => names.includes(n));
      const files = [...(main ? [main] : []), ...names.filter((n) => NAMED_VARIANT.test(n) && !(OVERRIDE_FILE_NAMES as readonly string[]).includes(n)).sort()];
      for (const name of files) {
        const file = path.join(dir, name);
        out.push({ id: path.relative(root, file), dir, file, hasOverride: hasOverride && name === main, invalid: child.startsWith("invalid-") });
      }
    }
  }
  return out;
}

function variantsOf(f: Fixture): Variant[] {
  const name = path.basename(f.file);
  const out: Variant[] = [
    { label: "-f -p parity", composeArgs: ["-f", name, "-p", "parity"], files: [name], projectName: "parity" },
    { label: "-f, project name from the files", composeArgs: ["-f", name], files: [name] },
  ];
  if (f.hasOverride) out.push({ label: "discovery with override", composeArgs: ["-p", "parity"], projectName: "parity" });
  return out;
}

interface Difference {
  path: string[];
  docker: unknown;
  slipway: unknown;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Where two parsed documents differ, as deep as both sides still have the same shape. */
function differences(docker: unknown, slipway: unknown, at: string[] = [], out: Difference[] = []): Difference[] {
  if (isDeepStrictEqual(docker, slipway)) return out;
  if (isMap(docker) && isMap(slipway)) {
    for (const k of [...new Set([...Object.keys(docker), ...Object.keys(slipway)])].sort()) differences(docker[k], slipway[k], [...at, k], out);
  } else if (Array.isArray(docker) && Array.isArray(slipway) && docker.length === slipway.length) {
    docker.forEach((d, i) => differences(d, slipway[i], [...at, String(i)], out));
  } else out.push({ path: at, docker, slipway });
  return out;
}

function pathMatches(pattern: string, p: readonly string[]): boolean {
  const parts = pattern.split(".");
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === "**") return true;
    if (i >= p.length || (parts[i] !== "*" && parts[i] !== p[i])) return false;
  }
  return parts.length === p.length;
}

interface Outcome {
  fixture: Fixture;
  variant: Variant;
  /** Differences not allowed. */
  unexplained: Difference[];
  /** Allowlist entries that matched something. */
  used: Set<Allowed>;
  /** Both rejected the file: right for an `invalid-*` fixture, a failure for any other. */
  bothRejected?: { docker: string; slipway: string };
}

const execFileAsync = promisify(execFile);

async function dockerConfig(compose: string, f: Fixture, v: Variant): Promise<{ ok: true; doc: unknown } | { ok: false; message: string }> {
  try {
    const { stdout } = await execFileAsync(compose, [...v.composeArgs, "config"], { cwd: f.dir, env: ENV, timeout: 60_000, maxBuffer: 16 << 20 });
    return { ok: true, doc: parse(stdout) };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { ok: false, message: (err.stderr || err.message).trim() };
  }
}

async function slipwayConfig(f: Fixture, v: Variant): Promise<{ ok: true; doc: unknown } | { ok: false; message: string }> {
  try {
    const project = await loadProject({ workingDir: f.dir, ...(v.files ? { files: v.files } : {}), ...(v.projectName ? { projectName: v.projectName } : {}), env: { ...ENV } });
    return { ok: true, doc: parse(renderConfig(project)) };
  } catch (e) {
    // Only a refusal with a message counts as "rejected"; a crash (TypeError…) fails the test.
    if (!(e instanceof ConfigFileError)) throw e;
    return { ok: false, message: e.message };
  }
}

async function compare(compose: string, fixture: Fixture, variant: Variant): Promise<Outcome> {
  const [docker, slipway] = await Promise.all([dockerConfig(compose, fixture, variant), slipwayConfig(fixture, variant)]);
  let diffs: Difference[];
  if (!docker.ok && !slipway.ok) return { fixture, variant, unexplained: [], used: new Set(), bothRejected: { docker: docker.message, slipway: slipway.message } };
  if (!docker.ok || !slipway.ok) {
    diffs = [{ path: ["<load>"], docker: docker.ok ? "loaded" : docker.message, slipway: slipway.ok ? "loaded" : slipway.message }];
  } else diffs = differences(docker.doc, slipway.doc);
  const used = new Set<Allowed>();
  const unexplained = diffs.filter((d) => {
    const entry = ALLOWED.find((a) => (a.fixture === undefined || a.fixture === fixture.id) && (a.variant === undefined || a.variant === variant.label) && pathMatches(a.path, d.path));
    if (entry) used.add(entry);
    return entry === undefined;
  });
  return { fixture, variant, unexplained, used };
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  });
  await Promise.all(runners);
  return results;
}

function describeDifferences(o: Outcome): string {
  const show = (v: unknown): string => (v === undefined ? "(absent)" : JSON.stringify(v));
  return [
    `${o.fixture.id} (${o.variant.label}): Slipway's config differs from docker compose config:`,
    ...o.unexplained.map((d) => `  ${d.path.join(".") || "(document)"}\n    docker compose: ${show(d.docker)}\n    slipway:        ${show(d.slipway)}`),
    "Fix the loader/renderer, or (only if the difference is deliberate) add an ALLOWED entry and document it in docs/compose-differences.md.",
  ].join("\n");
}

const fixtures = discoverFixtures();

describe("fixture discovery", () => {
  it("finds compose fixtures in every fixture folder", () => {
    for (const folder of FIXTURE_FOLDERS) {
      assert.ok(
        fixtures.some((f) => f.id.startsWith(`${folder}/`)),
        `no compose fixture found under ${folder}/ (moved? update FIXTURE_FOLDERS)`,
      );
    }
    assert.ok(fixtures.some((f) => f.id === "examples/todobackend/docker-compose.test.yml"));
    assert.ok(fixtures.some((f) => f.hasOverride), "the override-file fixture is not discovered");
  });
  it("every allowed difference is explained in docs/compose-differences.md", () => {
    const doc = readFileSync(path.join(repo, "docs/compose-differences.md"), "utf8").replace(/\s+/g, " ");
    for (const a of ALLOWED) {
      assert.ok(doc.includes(a.reason.replace(/\s+/g, " ")), `docs/compose-differences.md does not give the reason for ${a.fixture ?? "*"} ${a.path}: ${a.reason}`);
    }
  });
});

describe("slipway compose config matches docker compose config", { skip }, () => {
  const cases = fixtures.flatMap((fixture) => variantsOf(fixture).map((variant) => ({ fixture, variant })));
  const outcomes = new Map<string, Outcome>();
  const key = (f: Fixture, v: Variant): string => `${f.id} (${v.label})`;

  before(async () => {
    const compose = world.require("compose-v2").path;
    const results = await pool(cases, 8, ({ fixture, variant }) => compare(compose, fixture, variant));
    for (const r of results) outcomes.set(key(r.fixture, r.variant), r);
  });

  for (const { fixture, variant } of cases) {
    it(key(fixture, variant), (t) => {
      const o = outcomes.get(key(fixture, variant));
      assert.ok(o, "not compared");
      if (fixture.invalid) {
        assert.ok(o.bothRejected, `${fixture.id} is in an invalid-* folder, but ${o.unexplained.length ? "only one tool rejects it" : "both load it"}`);
        t.diagnostic(`docker compose: ${o.bothRejected.docker}`);
        t.diagnostic(`slipway: ${o.bothRejected.slipway}`);
        return;
      }
      assert.ok(!o.bothRejected, `both reject ${fixture.id}; fix the fixture (or name its folder invalid-*):\n  docker compose: ${o.bothRejected?.docker}\n  slipway: ${o.bothRejected?.slipway}`);
      assert.equal(o.unexplained.length, 0, describeDifferences(o));
    });
  }

  it("every ALLOWED entry still matches a difference (remove it once fixed)", () => {
    const used = new Set([...outcomes.values()].flatMap((o) => [...o.used]));
    const stale = ALLOWED.filter((a) => !used.has(a));
    assert.deepEqual(stale, [], "allowlist entries that match no difference any more");
  });
});
