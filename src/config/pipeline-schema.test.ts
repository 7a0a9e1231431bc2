import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadPipelineConfig } from "./load-pipeline-config.ts";
import { ConfigFileError } from "../yaml/issues.ts";
import { renderPipelineDocs } from "./docs.ts";
import { pipelineStages } from "./stages.ts";

async function withConfig(yaml: string, files: Record<string, string> = { "docker-compose.test.yml": "services: {}\n" }) {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-cfg-"));
  await writeFile(path.join(dir, "slipway.yml"), yaml);
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  return { dir, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

test("a minimal file gets its defaults", async () => {
  await using t = await withConfig("environments:\n  test:\n    compose: docker-compose.test.yml\n    service: test\n    reports: [/app/reports]\n");
  const { config, name } = await loadPipelineConfig({ cwd: t.dir });
  assert.equal(name, path.basename(t.dir).toLowerCase().replace(/[^a-z0-9_-]/g, ""));
  const env = config.environments["test"]!;
  assert.deepEqual(env.compose, ["docker-compose.test.yml"]);
  assert.deepEqual(env.reports, [{ path: "/app/reports", junit: true, required: true }]);
  assert.equal(env.timeout, 600_000);
  assert.deepEqual(config.history, { keep: 20 });
  assert.deepEqual(config.images, {});
});

test("registry shorthand and durations", async () => {
  await using t = await withConfig("registry: 127.0.0.1:5003\nenvironments:\n  test: { compose: [docker-compose.test.yml], service: t, timeout: 90s }\n");
  const { config } = await loadPipelineConfig({ cwd: t.dir });
  assert.deepEqual(config.registry, { address: "127.0.0.1:5003" });
  assert.equal(config.environments["test"]!.timeout, 90_000);
});

test("errors name file:line:column and key path, with did-you-mean, several at once", async () => {
  await using t = await withConfig("environments:\n  test:\n    compose: [docker-compose.test.yml]\n    servce: test\n    timeout: soon\nhistory: { keep: 0 }\n");
  await assert.rejects(loadPipelineConfig({ cwd: t.dir }), (err) => {
    assert.ok(err instanceof ConfigFileError);
    assert.equal(err.exitCode, 3);
    assert.match(err.message, /slipway\.yml:4:5 environments\.test\.servce: unknown key in environment; did you mean "service"\?/);
    assert.match(err.message, /slipway\.yml:5:14 environments\.test\.timeout: expected a duration/);
    assert.match(err.message, /history\.keep: expected an integer ≥ 1, got 0/);
    return true;
  });
});

test("a missing compose file and a relative report path are reported", async () => {
  await using t = await withConfig("environments:\n  test:\n    compose: nope.yml\n    reports: [reports]\n");
  await assert.rejects(loadPipelineConfig({ cwd: t.dir }), /compose file nope\.yml not found[\s\S]*must be absolute/);
});

test("no slipway.yml: a clear error with the next step", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-none-"));
  try {
    await assert.rejects(loadPipelineConfig({ cwd: dir }), (err) => err instanceof Error && /No slipway\.yml/.test(err.message) && /slipway init/.test((err as { hint?: string }).hint ?? ""));
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("docs/config.md is generated from the schema and up to date (npm run docs)", async () => {
  const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../docs/config.md");
  assert.equal(await readFile(docs, "utf8"), renderPipelineDocs());
});

test("wait: a name, a list of names, or gates with until (ready or completed)", async () => {
  await using one = await withConfig("environments:\n  test: { compose: [docker-compose.test.yml], service: t, wait: db }\n");
  assert.deepEqual((await loadPipelineConfig({ cwd: one.dir })).config.environments["test"]!.wait, [{ service: "db", until: "ready" }]);
  await using many = await withConfig("environments:\n  test:\n    compose: [docker-compose.test.yml]\n    service: t\n    wait: [db, { service: agent, until: completed }]\n");
  assert.deepEqual((await loadPipelineConfig({ cwd: many.dir })).config.environments["test"]!.wait, [
    { service: "db", until: "ready" },
    { service: "agent", until: "completed" },
  ]);
  await using none = await withConfig("environments:\n  test: { compose: [docker-compose.test.yml], service: t }\n");
  assert.deepEqual((await loadPipelineConfig({ cwd: none.dir })).config.environments["test"]!.wait, []);
  await using bad = await withConfig("environments:\n  test:\n    compose: [docker-compose.test.yml]\n    service: t\n    wait: [{ service: agent, until: exited }]\n");
  await assert.rejects(loadPipelineConfig({ cwd: bad.dir }), (err) => err instanceof ConfigFileError && /slipway\.yml:5:\d+ environments\.test\.wait\[0\]\.until/.test(err.message));
});

test("stages: inferred from environments and images when absent; each stage's environment must exist", async () => {
  const files = { "docker-compose.test.yml": "services: {}\n", "docker-compose.release.yml": "services: {}\n" };
  await using inferred = await withConfig("images: { app: { build: { target: release } } }\nenvironments:\n  test: { compose: [docker-compose.test.yml], service: test }\n  release: { compose: [docker-compose.release.yml], service: acceptance }\n", files);
  assert.deepEqual(Object.keys(pipelineStages((await loadPipelineConfig({ cwd: inferred.dir })).config)), ["test", "release", "acceptance"]);
  await using testOnly = await withConfig("environments:\n  test: { compose: [docker-compose.test.yml], service: test }\n", files);
  assert.deepEqual(Object.keys(pipelineStages((await loadPipelineConfig({ cwd: testOnly.dir })).config)), ["test"]);
  await using written = await withConfig(
    "images: { app: { build: { target: release } } }\nenvironments:\n  test: { compose: [docker-compose.test.yml], service: test }\n  rel: { compose: [docker-compose.release.yml], service: acceptance }\nstages:\n  test: test\n  build: { environment: test, service: builder, artifacts: /wheelhouse }\n  release: { environment: rel, bootstrap: [migrate, collectstatic] }\n  acceptance: rel\n",
    files,
  );
  const stages = pipelineStages((await loadPipelineConfig({ cwd: written.dir })).config);
  assert.deepEqual(stages.build, { environment: "test", service: "builder", artifacts: "/wheelhouse", to: "target", env: {}, timeout: 600_000 });
  assert.deepEqual(stages.release, { environment: "rel", images: {}, bootstrap: ["migrate", "collectstatic"], timeout: 600_000 });
  assert.deepEqual(stages.acceptance, { environment: "rel" });
  await using wrong = await withConfig("environments:\n  test: { compose: [docker-compose.test.yml], service: test }\nstages:\n  test: tset\n  acceptance: release\n", files);
  await assert.rejects(loadPipelineConfig({ cwd: wrong.dir }), (err) => err instanceof ConfigFileError && /stages\.test\.environment: no environment "tset"/.test(err.message) && /stages\.acceptance\.environment/.test(err.message));
});

test("targets: a stack, its compose files and the deploy's settings with their defaults; a missing compose file is named", async () => {
  await using t = await withConfig(
    "environments:\n  test: { compose: docker-compose.test.yml, service: t }\ntargets:\n  production:\n    stack: shop\n    compose: [compose.yaml, compose.prod.yaml]\n    endpoint: ssh://deploy@manager\n    timeout: 5m\n",
    { "docker-compose.test.yml": "services: {}\n", "compose.yaml": "services: {}\n", "compose.prod.yaml": "services: {}\n" },
  );
  const { config } = await loadPipelineConfig({ cwd: t.dir });
  assert.deepEqual(config.targets["production"], {
    stack: "shop",
    compose: ["compose.yaml", "compose.prod.yaml"],
    profiles: [],
    endpoint: "ssh://deploy@manager",
    prune: false,
    timeout: 300_000,
    allow_failure_action_continue: false,
  });
  await using missing = await withConfig("environments:\n  test: { compose: docker-compose.test.yml, service: t }\ntargets:\n  staging: { stack: Shop!, compose: nope.yaml }\n");
  await assert.rejects(loadPipelineConfig({ cwd: missing.dir }), (err) => {
    assert.ok(err instanceof ConfigFileError);
    assert.match(err.message, /targets\.staging\.stack/);
    return true;
  });
});

test("stages.deploy: a target's name or a list is short for { targets }, never inferred; a target slipway.yml does not have is named with its line", async () => {
  const files = { "docker-compose.test.yml": "services: {}\n", "compose.yaml": "services: {}\n" };
  const base = "environments:\n  test: { compose: docker-compose.test.yml, service: t }\ntargets:\n  staging: { stack: shop, compose: compose.yaml }\n  production: { stack: shop, compose: compose.yaml }\n";
  await using none = await withConfig(base, files);
  assert.equal(pipelineStages((await loadPipelineConfig({ cwd: none.dir })).config).deploy, undefined, "targets alone add no deploy stage");
  await using one = await withConfig(`${base}stages:\n  test: test\n  deploy: staging\n`, files);
  assert.deepEqual(pipelineStages((await loadPipelineConfig({ cwd: one.dir })).config).deploy, { targets: ["staging"] });
  await using two = await withConfig(`${base}stages:\n  test: test\n  deploy: [staging, production]\n`, files);
  assert.deepEqual(pipelineStages((await loadPipelineConfig({ cwd: two.dir })).config).deploy, { targets: ["staging", "production"] });
  await using full = await withConfig(`${base}stages:\n  test: test\n  deploy: { targets: production }\n`, files);
  assert.deepEqual(pipelineStages((await loadPipelineConfig({ cwd: full.dir })).config).deploy, { targets: ["production"] });
  await using wrong = await withConfig(`${base}stages:\n  test: test\n  deploy: [staging, prod]\n`, files);
  await assert.rejects(loadPipelineConfig({ cwd: wrong.dir }), (err) => {
    assert.ok(err instanceof ConfigFileError);
    assert.match(err.message, /slipway\.yml:6:\d+/);
    assert.match(err.message, /stages\.deploy\.targets: no target "prod" in targets/);
    assert.match(JSON.stringify(err.issues), /Targets: staging, production/);
    return true;
  });
});
