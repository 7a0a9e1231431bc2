/**
 * The "agent" readiness gate (slipway.yml `wait: [{ service: agent, until: completed }]`): a
 * one-shot that probes the database's port and exits 0 once it answers. The tests start only after
 * it completed; its exit 0 is its success, never a dependency that died (also when the compose file
 * has the tests depend on it). An agent that exits 1 fails the run as a dependency failure (7) with
 * its exit code and output in the verdict, and the tests never run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { scenario, slipway } from "../support.ts";
import { assertRunEnded, leftovers, type JsonEvent } from "../failures/run-assertions.ts";

const indexOf = (events: JsonEvent[], predicate: (e: JsonEvent) => boolean): number => events.findIndex(predicate);
const testOutput = (e: JsonEvent) => e.type === "container.log" && e["service"] === "test";

async function agentLog(evidence: string): Promise<string> {
  const logs = await readdir(path.join(evidence, "logs"));
  const file = logs.find((f) => f.includes("-agent-1"));
  assert.ok(file, `the agent's log is in the evidence: ${logs.join(", ")}`);
  return readFile(path.join(evidence, "logs", file), "utf8");
}

for (const environment of ["test", "depends-on"]) {
  test(`an agent that exits 0 once the database answers (${environment === "test" ? "a wait: gate only" : "also a depends_on of the tests"}): the tests run after it and pass (exit 0)`, async () => {
    const dir = scenario("agent-gate/agent-ready");
    await rm(path.join(dir, "reports"), { recursive: true, force: true });
    const run = slipway(["test", "--json", "--environment", environment], { cwd: dir });
    const { events, evidence, runId } = await assertRunEnded(run, { dir, kind: "passed", environment, logs: true });

    const agentDone = indexOf(events, (e) => e.type === "step.end" && e["step"] === "ready:agent");
    assert.ok(agentDone >= 0, "the run waited for the agent");
    assert.equal(events[agentDone]!["ok"], true);
    const testsStarted = indexOf(events, testOutput);
    assert.ok(testsStarted > agentDone, "the tests started after the agent completed");
    assert.match(await agentLog(evidence), /agent: db answers on db:5432/);
    const reports = events.find((e) => e.type === "reports");
    assert.equal((reports?.["junit"] as { failed: number } | undefined)?.failed, 0, JSON.stringify(reports));
    assert.match(await readFile(path.join(evidence, `config-${environment}.yml`), "utf8"), /^ {2}agent:/m, "the saved config is the one that ran");

    await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
    assert.equal(await leftovers(engine, runId), 0);
  });
}

test("an agent that exits 1 (db not reachable): dependency-failed (7) with its exit code and output; the tests never run", async () => {
  const dir = scenario("agent-gate/agent-fails");
  await rm(path.join(dir, "reports"), { recursive: true, force: true });
  const run = slipway(["test", "--json"], { cwd: dir });
  const { events, verdict, evidence, runId } = await assertRunEnded(run, { dir, kind: "dependency-failed", environment: "test", logs: true });

  const message = String(verdict["message"]);
  assert.match(message, /^Dependency agent exited with code 1\b/, message);
  assert.match(message, /agent: db not reachable at db:5433/, "the agent's output is in the verdict");
  assert.ok(!events.some(testOutput), "the test service never ran");
  assert.ok(!events.some((e) => e.type === "reports"), "no reports: no test container ran");
  const agentDone = events.find((e) => e.type === "step.end" && e["step"] === "ready:agent");
  assert.equal(agentDone?.["ok"], false, "the agent's gate failed");
  assert.match(await agentLog(evidence), /agent: db not reachable at db:5433/);

  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  assert.equal(await leftovers(engine, runId), 0);
});
