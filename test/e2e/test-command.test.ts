/**
 * `slipway test` end to end, on the example application, as a CI job runs it: one fixture
 * folder per scenario (test/e2e/<scenario>/slipway.yml). Each asserts the exit code, the verdict
 * kind, the reports, and that nothing with the run's label is left on the engine.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { Engine, endpointFromEnv } from "../../src/engine/index.ts";
import { Label } from "../../src/run/labels.ts";
import { scenario, slipway, until } from "./support.ts";

interface JsonEvent {
  schemaVersion: number;
  type: string;
  [key: string]: unknown;
}

function parseJsonLines(text: string): JsonEvent[] {
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as JsonEvent);
}

async function leftovers(engine: Engine, runId: string): Promise<number> {
  const filters = { label: [`${Label.run}=${runId}`] };
  const [c, n, v] = await Promise.all([engine.containers.list({ all: true, filters }), engine.networks.list({ filters }), engine.volumes.list({ filters })]);
  return c.length + n.length + v.length;
}

async function fresh(dir: string): Promise<void> {
  await rm(path.join(dir, "reports"), { recursive: true, force: true });
}

test("passing tests: exit 0, reports copied, summary printed, nothing left, no escape codes", async () => {
  const dir = scenario("test-passes");
  await fresh(dir);
  const run = slipway(["test"], { cwd: dir, env: { E2E_OPAQUE_VALUE: "opaque-e2e-value-7f3a" } });
  const code = await run.exit;
  const out = run.stdout();
  assert.equal(code, 0, out + run.stderr());
  assert.match(out, /PASSED all tests passed \(exit 0/);
  assert.match(out, /tests: \d+ passed, 0 failed/);
  assert.ok(!out.includes("\u001b["), "NO_COLOR and a pipe: no escape codes");
  const reports = await readdir(path.join(dir, "reports/test"));
  assert.deepEqual(reports.sort(), ["integration.xml", "unit.xml"]);
  const runId = /run (\S+)/.exec(out)![1]!;
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  assert.equal(await leftovers(engine, runId), 0);
  // Evidence of the run, with the secret redacted everywhere.
  const evidence = path.join(dir, ".slipway/runs", runId);
  const logs = await readdir(path.join(evidence, "logs"));
  assert.ok(logs.some((f) => f.includes("-db-1")), logs.join(","));
  const config = await readFile(path.join(evidence, "config-test.yml"), "utf8");
  assert.ok(!config.includes("todo-db-pw"), "the database password is redacted from the evidence");
  const events = await readFile(path.join(evidence, "events.jsonl"), "utf8");
  assert.ok(!events.includes("todo-db-pw"));
  // A secret's value is redacted whatever its variable's name: the migration printed it.
  const migrateLog = logs.find((f) => f.includes("-migrate-1"));
  assert.ok(migrateLog, logs.join(","));
  const printed = await readFile(path.join(evidence, "logs", migrateLog), "utf8");
  assert.match(printed, /migrating with \*\*\*/);
  for (const text of [printed, events, out]) assert.ok(!text.includes("opaque-e2e-value-7f3a"), "the secret's value is nowhere");
});

test("a failing unit test: the test run's own exit code, reports still copied, failure in the summary (--json)", async () => {
  const dir = scenario("test-fails");
  await fresh(dir);
  const run = slipway(["test", "--json"], { cwd: dir });
  const code = await run.exit;
  const events = parseJsonLines(run.stdout());
  assert.ok(events.every((e) => e.schemaVersion === 1));
  const verdict = events.at(-1)!;
  assert.equal(verdict.type, "verdict", "the verdict is the last event");
  assert.equal(verdict["kind"], "tests-failed");
  assert.equal(code, 1);
  assert.equal(verdict["exitCode"], 1);
  const reports = events.find((e) => e.type === "reports")!;
  const junit = reports["junit"] as { failed: number; failures: { name: string; message?: string }[] };
  assert.equal(junit.failed, 1);
  assert.equal(junit.failures[0]!.name, "a deliberately failing test");
  assert.deepEqual((await readdir(path.join(dir, "reports/test"))).sort(), ["integration.xml", "unit.xml"]);
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  assert.equal(await leftovers(engine, String(verdict["runId"])), 0);
});

test("a database that never gets healthy: its own exit code (7), its logs and probe output; the tests never run", async () => {
  const dir = scenario("db-never-healthy");
  const run = slipway(["test", "--json"], { cwd: dir });
  const code = await run.exit;
  const events = parseJsonLines(run.stdout());
  const verdict = events.at(-1)!;
  assert.equal(code, 7, run.stdout() + run.stderr());
  assert.equal(verdict["kind"], "dependency-failed");
  assert.match(String(verdict["message"]), /Dependency db is unhealthy/);
  assert.match(String(verdict["message"]), /probe: database refuses connections/);
  assert.match(String(verdict["message"]), /last log lines of[\s\S]*db: starting \(e2e scenario\)/);
  assert.ok(!events.some((e) => e.type === "container.log" && e["service"] === "test"), "the test service never ran");
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  assert.equal(await leftovers(engine, String(verdict["runId"])), 0);
});

test("the test image's build fails: build-failed (exit 5) with the failing step's output, the database that came up meanwhile torn down", async () => {
  const dir = scenario("build-fails");
  await fresh(dir);
  const run = slipway(["test", "--json"], { cwd: dir });
  const code = await run.exit;
  assert.equal(code, 5, run.stdout() + run.stderr());
  const events = parseJsonLines(run.stdout());
  const verdict = events.at(-1)!;
  assert.equal(verdict.type, "verdict");
  assert.equal(verdict["kind"], "build-failed");
  const message = String(verdict["message"]);
  assert.match(message, /exit code: 2/);
  assert.match(message, /last build output:\n {4}#\d+ \[2\/2\] RUN echo "compiling the app"/, message);
  assert.match(message, /#\d+ src\/todo\.ts\(3,7\): error TS2322: e2e scenario/, "what the step printed is in the verdict");
  assert.doesNotMatch(message, /load metadata/, "only the failed step's lines");
  assert.doesNotMatch(run.stdout() + run.stderr(), /\n\s+at \S+ \(/, "no stack trace");
  const runId = String(events.find((e) => e.type === "run.start")!["runId"]);
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  assert.equal(await leftovers(engine, runId), 0);
});

test("the database killed mid-test: a dependency failure, not the test's own code", async () => {
  const dir = scenario("db-killed");
  const run = slipway(["test", "--json"], { cwd: dir });
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  let runId = "";
  await until(async () => {
    const start = parseJsonLines(run.stdout()).find((e) => e.type === "run.start");
    runId = String(start?.["runId"] ?? "");
    const started = parseJsonLines(run.stdout()).some((e) => e.type === "container.log" && e["line"] === "tests-started");
    return started;
  });
  const [db] = await engine.containers.list({ filters: { label: [`${Label.run}=${runId}`, "com.docker.compose.service=db"] } });
  assert.ok(db, "the database container exists");
  await engine.containers.kill(db.Id);
  const code = await run.exit;
  const verdict = parseJsonLines(run.stdout()).at(-1)!;
  assert.equal(verdict["kind"], "dependency-failed", JSON.stringify(verdict));
  assert.equal(code, 7);
  assert.match(String(verdict["message"]), /db exited with code \d+ while the tests were running/);
  assert.equal(await leftovers(engine, runId), 0);
});

test("--keep after a failure: the environment stays up, the summary says how to remove it, and that removes it", async () => {
  const dir = scenario("test-fails");
  await fresh(dir);
  const run = slipway(["test", "--keep"], { cwd: dir });
  const code = await run.exit;
  const out = run.stdout();
  assert.equal(code, 1, out + run.stderr());
  const runId = /run (\S+)/.exec(out)![1]!;
  assert.match(out, new RegExp(`slipway clean --run ${runId.replace(/[-]/g, "\\-")}`));
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const filters = { label: [`${Label.run}=${runId}`] };
  const kept = await engine.containers.list({ all: true, filters });
  assert.deepEqual(kept.map((c) => c.Labels["com.docker.compose.service"]).sort(), ["db", "migrate", "test"], "the failed environment is kept whole");
  const clean = slipway(["clean", "--run", runId], { cwd: dir });
  assert.equal(await clean.exit, 0, clean.stdout() + clean.stderr());
  assert.equal(await leftovers(engine, runId), 0);
});
