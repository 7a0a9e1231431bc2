/**
 * The library entry (`import … from "slipway"`) as its users run it. docs/library.md's example
 * (examples/library/run-tests.mjs) runs with plain node against the built package (dist/index.js,
 * built by scripts/test.sh before these tests), and its verdict is held to the CLI's on the same
 * example. Then, from the sources: a run cancelled by its AbortSignal, and a run with a context
 * and a record store of the caller's own.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  Engine,
  createRunContext,
  endpointFromEnv,
  loadPipeline,
  runPipeline,
  type RecordKind,
  type RecordKinds,
  type RecordStore,
  type SlipwayEvent,
} from "../../../src/index.ts";
import { Label } from "../../../src/run/labels.ts";
import { repoRoot, scenario, slipway } from "../support.ts";

const example = path.join(repoRoot, "examples/library/run-tests.mjs");

async function leftovers(engine: Engine, runId: string): Promise<number> {
  const filters = { label: [`${Label.run}=${runId}`] };
  const [c, n, v] = await Promise.all([engine.containers.list({ all: true, filters }), engine.networks.list({ filters }), engine.volumes.list({ filters })]);
  return c.length + n.length + v.length;
}

/** A copy of examples/todobackend: its reports and records stay out of the repository and away from other runs. */
async function copyOfTodobackend(): Promise<{ dir: string; [Symbol.asyncDispose](): Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), "slipway-library-"));
  const dir = path.join(root, "todobackend");
  await cp(path.join(repoRoot, "examples/todobackend"), dir, { recursive: true, filter: (src) => !/(node_modules|\.slipway|reports)$/.test(src) });
  return { dir, [Symbol.asyncDispose]: () => rm(root, { recursive: true, force: true }) };
}

/**
 * The example as a user runs it: plain node (no tsx, no loader options), importing the built
 * package. `onLine` sees each line of its stdout as it comes, with the child (to signal it).
 */
function runExample(cwd: string, onLine?: (line: string, child: ChildProcess) => void): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!existsSync(path.join(repoRoot, "dist/index.js"))) throw new Error("dist/index.js does not exist: run `npm run build` first (npm test does)");
  const { NODE_OPTIONS: _, ...env } = process.env;
  const child = spawn(process.execPath, [example], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    const seen = stdout.split("\n").length - 1;
    stdout += d;
    for (const line of stdout.split("\n").slice(seen, -1)) onLine?.(line, child);
  });
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

// Each line the example prints for the events it receives; anything else on stdout would have come
// from the library itself.
const RUN_LINE = /^run (\S+): test$/;
const STEP_LINE = /^(?:ok|FAILED|cancelled) \S.* \(\d+\.\d s\)(?:: .*)?$/;
const VERDICT_LINE = /^verdict (\S+) \(exit (\d+)\): (.*)$/;

test("the library example (plain node, the built package) gets the events and the verdict the CLI gives on the same example, and prints nothing itself", async () => {
  await using copy = await copyOfTodobackend();

  // One after the other: both write the example's reports/test/.
  const lib = await runExample(copy.dir);
  const cli = slipway(["test", "--json"], { cwd: copy.dir });
  const cliCode = await cli.exit;

  const lines = lib.stdout.trimEnd().split("\n");
  const strays = lines.filter((l) => !RUN_LINE.test(l) && !STEP_LINE.test(l) && !VERDICT_LINE.test(l));
  assert.deepEqual(strays, [], `only the example's own lines on stdout (no progress, no summary):\n${lib.stdout}`);
  assert.equal(lib.stderr, "", "nothing on stderr");
  const runId = RUN_LINE.exec(lines[0]!)?.[1];
  assert.ok(runId, `run.start is the first event:\n${lib.stdout}`);
  assert.ok(lines.slice(1, -1).length > 0 && lines.slice(1, -1).every((l) => STEP_LINE.test(l)), `step ends between run.start and the verdict:\n${lib.stdout}`);
  const [, kind, exitCode, message] = VERDICT_LINE.exec(lines.at(-1)!) ?? [];
  assert.ok(kind, `the verdict is the last event:\n${lib.stdout}`);
  const libVerdict = { kind, exitCode: Number(exitCode), message };

  const events = cli.stdout().trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  const last = events.at(-1)!;
  assert.equal(last["type"], "verdict", cli.stdout() + cli.stderr());
  const cliVerdict = { kind: last["kind"], exitCode: last["exitCode"], message: last["message"] };

  assert.deepEqual(libVerdict, cliVerdict, "the library's verdict is the CLI's");
  assert.deepEqual(libVerdict, { kind: "passed", exitCode: 0, message: "all tests passed" });
  assert.equal(lib.code, 0, "the example exits with the verdict's code");
  assert.equal(cliCode, 0);
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  assert.equal(await leftovers(engine, runId), 0, "nothing of the example's run is left");
});

test("runPipeline with its AbortSignal aborted mid-run: verdict cancelled (130), the verdict last, nothing left", async () => {
  const pipeline = await loadPipeline({ cwd: scenario("library") });
  const controller = new AbortController();
  const events: SlipwayEvent[] = [];
  const result = await runPipeline(pipeline, {
    signal: controller.signal,
    onEvent(event) {
      events.push(event);
      // A container of the environment is running: cancel now, with something to tear down.
      if (event.type === "step.end" && event.ok && event.step.startsWith("start:")) controller.abort();
    },
  });
  assert.ok(controller.signal.aborted, `a container started before the verdict:\n${events.map((e) => e.type).join("\n")}`);
  assert.equal(result.verdict.kind, "cancelled", result.verdict.message);
  assert.equal(result.verdict.exitCode, 130);
  assert.equal(events[0]?.type, "run.start");
  const verdict = events.at(-1);
  assert.equal(verdict?.type, "verdict");
  assert.deepEqual(verdict.type === "verdict" && { kind: verdict.kind, exitCode: verdict.exitCode, runId: verdict.runId }, { kind: "cancelled", exitCode: 130, runId: result.runId });
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  assert.equal(await leftovers(engine, result.runId), 0);
});

test("the library example on Ctrl-C: teardown, verdict cancelled, exit 130, nothing left", async () => {
  let interrupted = false;
  const lib = await runExample(scenario("library"), (line, child) => {
    // A container of the environment is running: Ctrl-C now, with something to tear down.
    if (!interrupted && /^ok start:/.test(line)) interrupted = child.kill("SIGINT");
  });
  assert.ok(interrupted, `a container started before the verdict:\n${lib.stdout}${lib.stderr}`);
  const lines = lib.stdout.trimEnd().split("\n");
  assert.match(lines.at(-1)!, /^verdict cancelled \(exit 130\): /, lib.stdout + lib.stderr);
  assert.equal(lib.code, 130);
  const runId = RUN_LINE.exec(lines[0]!)?.[1];
  assert.ok(runId, lib.stdout);
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  assert.equal(await leftovers(engine, runId), 0);
});

test("runPipeline with an AbortSignal aborted before it starts: verdict cancelled (130), the verdict its last event", async () => {
  const pipeline = await loadPipeline({ cwd: scenario("library") });
  const seen: string[] = [];
  const result = await runPipeline(pipeline, { signal: AbortSignal.abort(), onEvent: (e) => seen.push(e.type) });
  assert.equal(result.verdict.kind, "cancelled");
  assert.equal(result.verdict.exitCode, 130);
  assert.deepEqual(seen, ["run.start", "verdict"]);
});

/** A record store of the caller's own, in memory. */
class MemoryRecordStore implements RecordStore {
  readonly records = new Map<RecordKind, Map<string, unknown>>();

  async put<K extends RecordKind>(kind: K, entry: RecordKinds[K]): Promise<void> {
    const records = this.records.get(kind) ?? new Map<string, unknown>();
    records.set(entry.id, entry);
    this.records.set(kind, records);
  }

  async get<K extends RecordKind>(kind: K, id: string): Promise<RecordKinds[K] | undefined> {
    return this.records.get(kind)?.get(id) as RecordKinds[K] | undefined;
  }

  async list<K extends RecordKind>(kind: K, opts: { limit?: number } = {}): Promise<RecordKinds[K][]> {
    const all = [...(this.records.get(kind)?.values() ?? [])] as RecordKinds[K][];
    return all.reverse().slice(0, opts.limit);
  }

  async prune(): Promise<string[]> {
    return [];
  }
}

test("a run context and a record store of the caller's own: its run id, its event bus, the run recorded there", async () => {
  const pipeline = await loadPipeline({ cwd: scenario("library") });
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const runId = `lib-${Date.now().toString(36)}`;
  const ctx = createRunContext({ engine, runId });
  const types: string[] = [];
  ctx.events.on((event) => types.push(event.type));
  const store = new MemoryRecordStore();

  const result = await runPipeline(pipeline, { context: ctx, store });

  assert.equal(result.runId, runId);
  assert.equal(result.verdict.kind, "passed", result.verdict.message);
  assert.equal(types[0], "run.start");
  assert.equal(types.at(-1), "verdict");
  const entry = await store.get("runs", runId);
  assert.deepEqual(entry?.verdict, { kind: "passed", exitCode: 0, message: "all tests passed" });
  assert.deepEqual(entry?.stages.map((s) => s.name), ["test"]);
  assert.equal(await leftovers(engine, runId), 0);
});
