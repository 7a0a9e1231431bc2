import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { guessProject, starterConfig, type InitGuess } from "./init.ts";
import { loadPipelineConfig } from "./load-pipeline-config.ts";
import { loadProject } from "../compose/load/index.ts";
import { SlipwayError } from "../errors/index.ts";
import { parseYaml } from "../yaml/parse.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const fixture = (name: string) => path.join(repo, "test/fixtures/init", name);

/** A scratch repository: a copy of `from` (without any slipway.yml), or an empty folder. */
async function scratch(prefix: string, from?: string): Promise<AsyncDisposable & { dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  if (from) {
    await cp(from, dir, { recursive: true, filter: (src) => !/(^|\/)(node_modules|\.slipway|slipway\.yml|reports)$/.test(src) });
  }
  return { dir, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

async function write(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
}

/** Writes what init proposes and loads it as `slipway doctor`'s config check does. */
async function initAndLoad(dir: string): Promise<{ guess: InitGuess; text: string; config: Awaited<ReturnType<typeof loadPipelineConfig>>["config"] }> {
  const guess = await guessProject(dir);
  const text = starterConfig(guess);
  await writeFile(path.join(dir, "slipway.yml"), text);
  const { config } = await loadPipelineConfig({ cwd: dir });
  return { guess, text, config };
}

/** The line of the written file that sets `key: value` (or the list item `- value`) carries a "guessed" comment. */
function assertMarked(text: string, fragment: string): void {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => l.includes(fragment));
  assert.ok(i >= 0, `no line with ${fragment}:\n${text}`);
  const marked = /#.*guessed/.test(lines[i]!) || /^\s*(# )?\s*# guessed/.test(lines[i - 1] ?? "");
  assert.ok(marked, `the line with ${fragment} has no "guessed" comment:\n${lines[i - 1]}\n${lines[i]}`);
}

test("init on seed 001's layout (docker/dev, docker/release, no root Dockerfile): both environments, the image, the stages as comments", async () => {
  await using repoCopy = await scratch("seed-001-", fixture("seed-001"));
  const { guess, text, config } = await initAndLoad(repoCopy.dir);

  assert.deepEqual(config.environments["test"]?.compose, ["docker/dev/docker-compose.yml"]);
  assert.equal(config.environments["test"]?.service, "test");
  assert.deepEqual(config.environments["test"]?.wait, [{ service: "agent", until: "completed" }]);
  assert.deepEqual(config.environments["test"]?.reports.map((r) => [r.path, r.required]), [["/reports", false]]);
  assert.deepEqual(config.environments["release"]?.compose, ["docker/release/docker-compose.yml"]);
  assert.equal(config.environments["release"]?.service, "acceptance");
  assert.deepEqual(config.environments["release"]?.wait, [{ service: "agent", until: "completed" }]);
  assert.deepEqual(config.environments["release"]?.reports.map((r) => r.path), ["/reports/acceptance.xml"]);
  assert.deepEqual(config.images, { app: { build: { context: ".", dockerfile: "docker/release/Dockerfile", args: {} } } });

  // The stages: the builder and the bootstrap task by name are what Slipway could not infer alone.
  assert.deepEqual(config.stages, {
    test: { environment: "test" },
    build: { environment: "test", service: "builder", artifacts: "/wheelhouse", to: "target", env: {}, timeout: 600_000 },
    release: { environment: "release", images: {}, bootstrap: ["migrate"], timeout: 600_000 },
    acceptance: { environment: "release" },
  });
  assert.deepEqual(guess.bootstrap.map((b) => b.value), ["migrate"]);
  assert.doesNotMatch(text, /docs\/config\.md/);

  for (const fragment of ["compose: [docker/dev/docker-compose.yml]", "service: test", "- service: agent", "path: /reports", "compose: [docker/release/docker-compose.yml]", "service: acceptance", "path: /reports/acceptance.xml", "  app:", "service: builder", "artifacts: /wheelhouse", "to: target", "- migrate", "acceptance: release"]) {
    assertMarked(text, fragment);
  }
  // What it proposes is real compose: both environments load as `slipway test` loads them.
  for (const env of Object.values(config.environments)) {
    const project = await loadProject({ workingDir: repoCopy.dir, files: env.compose, env: {} });
    assert.ok(Object.keys(project.services).length > 1);
  }
});

test("init on examples/todobackend proposes what its hand-written slipway.yml says", async () => {
  const example = path.join(repo, "examples/todobackend");
  await using repoCopy = await scratch("todobackend-", example);
  const { text, config } = await initAndLoad(repoCopy.dir);
  const { config: written } = await loadPipelineConfig({ cwd: example });

  for (const env of ["test", "release"]) {
    assert.deepEqual(config.environments[env]?.compose, written.environments[env]?.compose, env);
    assert.equal(config.environments[env]?.service, written.environments[env]?.service, env);
  }
  assert.match(config.name ?? "", /^todobackend-/, "the folder's name");
  assert.deepEqual(config.images["app"]?.build, { ...written.images["app"]!.build, dockerfile: "Dockerfile" });
  // The release image's GIT_SHA comes from a variable: left out, and said so.
  assert.match(text, /build args set from variables left out: GIT_SHA/);
  // No reports path can be read from its files: a comment says so, no path is made up.
  assert.deepEqual(config.environments["test"]?.reports, []);
  assert.match(text, /# reports: none found/);
  assert.deepEqual(config.stages?.release?.bootstrap, ["migrate"]);
  assert.match(text, /^ {6}- migrate .*# guessed: others wait for it to complete/m);
});

test("init on a root-only layout: the test file over its base file, the base file as the release environment", async () => {
  await using repoCopy = await scratch("root-only-", fixture("root-only"));
  const { guess, text, config } = await initAndLoad(repoCopy.dir);
  assert.deepEqual(config.environments["test"]?.compose, ["docker-compose.yml", "docker-compose.test.yml"]);
  assert.equal(config.environments["test"]?.service, "tests");
  assert.deepEqual(config.environments["test"]?.reports.map((r) => r.path), ["/usr/src/app/reports/junit.xml"]);
  assert.deepEqual(config.environments["release"], { compose: ["docker-compose.yml"], wait: [], reports: [], timeout: 600_000, ready_timeout: 180_000, env: {} });
  assert.deepEqual(config.images, { web: { build: { context: ".", dockerfile: "Dockerfile", args: {} } } });
  assert.equal(guess.builder, undefined);
  assert.deepEqual(guess.bootstrap, []);
  assert.doesNotMatch(text, /stages:/, "nothing Slipway would not infer from the environments and images");
  assert.match(text, /No acceptance service was found/);
  for (const env of Object.values(config.environments)) await loadProject({ workingDir: repoCopy.dir, files: env.compose, env: {} });
});

test("init guesses from the files' names, and what it writes validates", async () => {
  await using r = await scratch("My App-");
  await write(r.dir, {
    Dockerfile: "FROM node:20-slim\n",
    "docker-compose.test.yml": "services:\n  db: { image: postgres:15 }\n  unit-tests: { build: . }\n",
    "docker-compose.release.yml": "services:\n  app: { build: . }\n",
  });
  const { guess, config } = await initAndLoad(r.dir);
  assert.deepEqual(guess.test?.compose, ["docker-compose.test.yml"]);
  assert.equal(config.environments["test"]!.service, "unit-tests");
  assert.deepEqual(config.environments["release"]?.compose, ["docker-compose.release.yml"]);
  assert.match(config.name ?? "", /^myapp-/, "the folder's name, as compose normalizes it");
});

test("init in the course's original naming: the release file's `test` is the acceptance service; bootstrap tasks in dependency order", async () => {
  await using r = await scratch("course-");
  await write(r.dir, {
    "docker/dev/docker-compose.yml": "services:\n  test:\n    build: { context: ../.., dockerfile: docker/dev/Dockerfile }\n    command: [python, manage.py, test, --noinput]\n    volumes: [../../reports:/reports]\n",
    "docker/release/docker-compose.yml": [
      "services:",
      "  app: { build: { context: ../.., dockerfile: docker/release/Dockerfile }, ports: ['8000'], depends_on: { seed: { condition: service_completed_successfully } } }",
      "  seed: { build: { context: ../.., dockerfile: docker/release/Dockerfile }, command: manage.py loaddata todos, depends_on: { migrate: { condition: service_completed_successfully } } }",
      "  migrate: { build: { context: ../.., dockerfile: docker/release/Dockerfile }, command: manage.py migrate --noinput }",
      "  collectstatic: { build: { context: ../.., dockerfile: docker/release/Dockerfile }, command: manage.py collectstatic --noinput }",
      "  test: { image: specs, command: --reporter mocha-junit-reporter --reporter-options mochaFile=/reports/acceptance.xml, depends_on: [app] }",
      "",
    ].join("\n"),
  });
  const { guess, config } = await initAndLoad(r.dir);
  assert.equal(config.environments["test"]?.service, "test");
  assert.deepEqual(config.environments["test"]?.reports.map((x) => x.path), ["/reports"]);
  assert.equal(config.environments["release"]?.service, "test");
  assert.deepEqual(config.environments["release"]?.reports.map((x) => x.path), ["/reports/acceptance.xml"]);
  assert.deepEqual(guess.bootstrap.map((b) => b.value), ["migrate", "seed", "collectstatic"]);
  assert.deepEqual(config.stages?.release?.bootstrap, ["migrate", "seed", "collectstatic"]);
  assert.equal(guess.image?.key, "app");
});

test("init looks in the usual places and a few levels down, but not in node_modules, hidden folders or deeper", async () => {
  await using r = await scratch("places-");
  const tests = "services:\n  test: { image: busybox, command: [npm, test] }\n";
  await write(r.dir, {
    "node_modules/pkg/docker-compose.test.yml": tests,
    ".devcontainer/docker-compose.yml": tests,
    "a/b/c/d/docker-compose.test.yml": tests,
  });
  await assert.rejects(guessProject(r.dir), (err: SlipwayError) => err.code === "INIT_NOTHING_TO_GUESS" && /found no compose file/.test(err.message));

  await write(r.dir, { "ci/compose.yaml": tests, "deploy/production/compose.yaml": "services:\n  api: { build: { context: ../.., target: production } }\n  smoke: { image: busybox }\n" });
  const { guess } = await initAndLoad(r.dir);
  assert.deepEqual(guess.test?.compose, ["ci/compose.yaml"]);
  assert.equal(guess.test?.service?.why.includes("npm test"), true);
  assert.deepEqual(guess.release?.compose, ["deploy/production/compose.yaml"]);
  assert.equal(guess.release?.service?.value, "smoke");
  assert.deepEqual(guess.image && [guess.image.key, guess.image.context, guess.image.target], ["api", ".", "production"]);
});

test("init with a builder in a compose file of its own proposes an environment for it", async () => {
  await using r = await scratch("builder-");
  await write(r.dir, {
    "docker/test/compose.yaml": "services:\n  specs: { build: ../.. }\n",
    "docker/build/compose.yaml": "services:\n  builder:\n    build: ../..\n    environment:\n      BUILD_OUTPUT_DIR: /out\n",
  });
  const { guess, text, config } = await initAndLoad(r.dir);
  assert.equal(config.environments["test"]?.service, "specs");
  assert.deepEqual(config.environments["build"]?.compose, ["docker/build/compose.yaml"]);
  assert.deepEqual([guess.builder?.environment, guess.builder?.service.value, guess.builder?.artifacts.value, guess.builder?.to], ["build", "builder", "/out", undefined]);
  assert.deepEqual(config.stages?.build, { environment: "build", service: "builder", artifacts: "/out", to: "target", env: {}, timeout: 600_000 });
  assert.match(text, /^ {4}artifacts: \/out .*# guessed: its BUILD_OUTPUT_DIR/m);
});

test("init with nothing to propose points to `slipway help config`, not to a file the user lacks", async () => {
  await using r = await scratch("empty-");
  await assert.rejects(guessProject(r.dir), (err: SlipwayError) => {
    assert.equal(err.code, "INIT_NOTHING_TO_GUESS");
    assert.equal(err.exitCode, 3);
    assert.match(err.hint ?? "", /`slipway help config`/);
    assert.doesNotMatch(`${err.message} ${err.hint}`, /docs\/config\.md/);
    return true;
  });
  await write(r.dir, { Dockerfile: "FROM scratch\n", "compose.yaml": "services:\n  db: { image: postgres:15 }\n" });
  await assert.rejects(guessProject(r.dir), /compose\.yaml \(no test service, release app or acceptance service\)/);
});

test("init on a broken compose file: a config error (exit 3) with file and line, not a crash", async () => {
  await using r = await scratch("broken-");
  await write(r.dir, { Dockerfile: "FROM node:20-slim\n", "compose.yaml": "services:\n  app: { build: .\n" });
  await assert.rejects(guessProject(r.dir), (err: Error & { exitCode?: number }) => err.exitCode === 3 && /compose\.yaml:\d+:\d+/.test(err.message));

  // Another file it can propose: the broken one is skipped, and the written file says so.
  await write(r.dir, { "docker/dev/compose.yaml": "services:\n  test: { build: ../.. }\n" });
  const { guess, text } = await initAndLoad(r.dir);
  assert.deepEqual(guess.test?.compose, ["docker/dev/compose.yaml"]);
  assert.match(text, /^# Note: skipped compose\.yaml: .*compose\.yaml:3:/m);
});

test("init on a compose file of format 1 (no services:) still guesses, and notes that it must be converted", async () => {
  await using r = await scratch("legacy-");
  await write(r.dir, { "docker/dev/docker-compose.yml": "test:\n  build: ../../\n  environment:\n    TEST_OUTPUT_DIR: /reports\ndb:\n  image: mysql:5.6\n" });
  const { guess, text } = await initAndLoad(r.dir);
  assert.equal(guess.test?.service?.value, "test");
  assert.match(text, /^# Note: docker\/dev\/docker-compose\.yml has no top-level services: \(compose file format 1\)/m);
});

test("what init writes parses with its comments and quotes intact", async () => {
  await using r = await scratch("quotes-");
  await write(r.dir, { "compose.test.yml": "services:\n  test:\n    image: busybox\n    environment:\n      JUNIT_REPORT_PATH: '/out/my reports/unit.xml'\n" });
  const { text, config } = await initAndLoad(r.dir);
  assert.deepEqual(config.environments["test"]?.reports.map((x) => x.path), ["/out/my reports/unit.xml"]);
  assert.ok(parseYaml(text, "slipway.yml"));
  assert.equal(await readFile(path.join(r.dir, "slipway.yml"), "utf8"), text);
});
