/**
 * Configuration errors that only the run finds (slipway.yml itself is valid): a compose file of the
 * environment that is invalid, and an environment that does not exist. Both end as config-error
 * (3) with a verdict that carries the run's own id — the run had started — and its evidence.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { scenario, slipway } from "../support.ts";
import { assertRunEnded, leftovers } from "./run-assertions.ts";

const invalidCompose = [
  { environment: "test", what: "a service with an unknown key", message: /unknown-key\.override\.yml:\d+:\d+ services\.db\.restart_policy/ },
  { environment: "bad-port", what: "a port that does not exist", message: /bad-port\.override\.yml:\d+:\d+ services\.db\.ports\[0\]/ },
];

for (const { environment, what, message } of invalidCompose) {
  test(`an environment's compose file with ${what}: config-error (3) naming file, line and key`, async () => {
    const dir = scenario("failures/bad-compose");
    const run = slipway(["test", "--json", "--environment", environment], { cwd: dir });
    const { verdict, events, runId } = await assertRunEnded(run, { dir, kind: "config-error" });
    assert.match(String(verdict["message"]), message);
    assert.ok(events.some((e) => e.type === "stage.start" && e["environment"] === environment), "the stage had started");
    assert.ok(!events.some((e) => e.type === "step.start"), "nothing was built or started");
    await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
    assert.equal(await leftovers(engine, runId), 0);
  });
}

for (const option of ["--environment", "--stage"]) {
  test(`${option} nope: config-error (3) listing the environments, the verdict with the run's id`, async () => {
    const dir = scenario("failures/unknown-environment");
    const run = slipway(["test", "--json", option, "nope"], { cwd: dir });
    const { verdict, runId } = await assertRunEnded(run, { dir, kind: "config-error" });
    assert.match(String(verdict["message"]), /no environment "nope"/);
    assert.match(String(verdict["hint"]), /Environments: test\b/);
    await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
    assert.equal(await leftovers(engine, runId), 0);
  });
}
