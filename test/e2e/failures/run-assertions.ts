/**
 * What every run must leave behind, whatever ended it (the "Done when"): the verdict is the
 * last line on stdout and in the event log, it carries the run's id (the one `run.start` gave),
 * its exit code is the process's and the one errors/outcomes.ts gives its kind, the evidence
 * folder and the run's record are complete, and no stack trace reached the terminal.
 */
import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Engine } from "../../../src/engine/index.ts";
import { OUTCOMES, type VerdictKind } from "../../../src/errors/outcomes.ts";
import { Label } from "../../../src/run/labels.ts";
import type { CliRun } from "../support.ts";

export interface JsonEvent {
  schemaVersion: number;
  type: string;
  [key: string]: unknown;
}

/** Every complete line of `--json` output (a line still being written is left out). */
export function parseJsonLines(text: string): JsonEvent[] {
  const lines = text.split("\n");
  lines.pop();
  return lines.filter((l) => l.trim()).map((l) => JSON.parse(l) as JsonEvent);
}

/** Containers, networks and volumes with the run's label. */
export async function leftovers(engine: Engine, runId: string): Promise<number> {
  const filters = { label: [`${Label.run}=${runId}`] };
  const [c, n, v] = await Promise.all([engine.containers.list({ all: true, filters }), engine.networks.list({ filters }), engine.volumes.list({ filters })]);
  return c.length + n.length + v.length;
}

/** The documented exit code of a verdict kind (the one table). */
export function outcomeCode(kind: VerdictKind): number {
  const outcome = OUTCOMES.find((o) => o.verdict === kind);
  assert.ok(outcome, `no outcome for ${kind}`);
  return outcome.exitCode;
}

/** A stack frame as node prints it. */
export const STACK_FRAME = /^ {4}at \S/m;

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

export interface EndedRun {
  runId: string;
  verdict: JsonEvent;
  events: JsonEvent[];
  evidence: string;
}

export interface ExpectedEnd {
  /** The fixture folder (where slipway.yml is). */
  dir: string;
  kind: VerdictKind;
  /** The run got as far as loading this environment's compose files (config-<env>.yml). */
  environment?: string;
  /** …and as far as having containers whose logs are kept. */
  logs?: boolean;
}

/** Waits for the CLI to exit and checks the verdict, the evidence and the record; returns them. */
export async function assertRunEnded(run: CliRun, expected: ExpectedEnd): Promise<EndedRun> {
  const code = await run.exit;
  const out = run.stdout();
  const err = run.stderr();
  const context = `exit ${code}\nstdout:\n${out.slice(-4000)}\nstderr:\n${err.slice(-4000)}`;
  assert.ok(out.endsWith("\n"), `stdout ends with a whole line\n${context}`);
  const events = parseJsonLines(out);
  assert.ok(events.every((e) => e.schemaVersion === 1), "every event is schema-versioned");
  const verdict = events.at(-1);
  assert.ok(verdict, context);
  assert.equal(verdict.type, "verdict", `the last stdout line is the verdict\n${context}`);
  assert.equal(events.filter((e) => e.type === "verdict").length, 1, "exactly one verdict");
  assert.equal(verdict["kind"], expected.kind, context);
  assert.equal(code, outcomeCode(expected.kind), `the exit code is the one of ${expected.kind} in OUTCOMES\n${context}`);
  assert.equal(verdict["exitCode"], code, "the verdict's exit code is the process's");

  const starts = events.filter((e) => e.type === "run.start");
  assert.equal(starts.length, 1, "one run.start");
  const runId = String(starts[0]!["runId"] ?? "");
  assert.ok(runId, "run.start has a run id");
  assert.equal(verdict["runId"], runId, "the verdict carries the run's id");

  assert.doesNotMatch(err, STACK_FRAME, "no stack trace on stderr");
  assert.doesNotMatch(out, STACK_FRAME, "no stack trace on stdout");

  const evidence = path.join(expected.dir, ".slipway/runs", runId);
  if (verdict["evidence"] !== undefined) assert.equal(path.resolve(String(verdict["evidence"])), path.resolve(evidence));
  const logged = (await readFile(path.join(evidence, "events.jsonl"), "utf8")).trim().split("\n");
  const lastLogged = JSON.parse(logged.at(-1)!) as JsonEvent;
  assert.equal(lastLogged.type, "verdict", "the verdict is the last line of events.jsonl too");
  assert.equal(lastLogged["kind"], expected.kind);
  assert.equal(lastLogged["runId"], runId);
  const savedVerdict = JSON.parse(await readFile(path.join(evidence, "verdict.json"), "utf8")) as Record<string, unknown>;
  assert.equal(savedVerdict["kind"], expected.kind);
  assert.equal(savedVerdict["exitCode"], code);
  assert.ok(await exists(path.join(evidence, "slipway.json")), "slipway.json in the evidence");
  if (expected.environment) assert.ok(await exists(path.join(evidence, `config-${expected.environment}.yml`)), `config-${expected.environment}.yml in the evidence`);
  if (expected.logs) assert.ok(await exists(path.join(evidence, "logs")), "logs/ in the evidence");

  const record = JSON.parse(await readFile(path.join(expected.dir, ".slipway/records/runs", `${runId}.json`), "utf8")) as { id: string; verdict: { kind: string; exitCode: number } };
  assert.equal(record.id, runId);
  assert.equal(record.verdict.kind, expected.kind, "the run's record has the verdict's kind");
  assert.equal(record.verdict.exitCode, code);
  return { runId, verdict, events, evidence };
}

/**
 * Resolves with the first event of the running CLI's `--json` output that `predicate` accepts;
 * rejects when the CLI exits before printing one. Follows the output as it arrives (no deadline:
 * the first run of a scenario may build the example's images).
 */
export function nextEvent(run: CliRun, predicate: (e: JsonEvent) => boolean): Promise<JsonEvent> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = parseJsonLines(run.stdout()).find(predicate);
      if (found) {
        stop();
        resolve(found);
      }
    };
    const exited = (code: number | null) => {
      check();
      stop();
      reject(new Error(`the CLI exited (${code}) before the awaited event\nstdout:\n${run.stdout().slice(-4000)}\nstderr:\n${run.stderr().slice(-4000)}`));
    };
    const stop = () => {
      run.child.stdout!.off("data", check);
      run.child.off("close", exited);
    };
    run.child.stdout!.on("data", check);
    run.child.on("close", exited);
    check();
  });
}
