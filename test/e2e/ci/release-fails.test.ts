/**
 * `slipway ci` whose migration fails: the release stage fails as the bootstrap task's failure
 * (dependency-failed, exit 7) with the task's own exit code and its output, acceptance is skipped,
 * and nothing of the run is left.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { assertRunEnded, leftovers } from "../failures/run-assertions.ts";
import { slipway } from "../support.ts";
import { exampleCopy } from "./support.ts";

test("a failing migration fails the release stage with its code and logs; acceptance is skipped; nothing is left", async () => {
  await using copy = await exampleCopy("e2e-ci-migration", "failing-migration.override.yml");
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const run = slipway(["ci", "--json"], { cwd: copy.dir });
  const { events, verdict, evidence, runId } = await assertRunEnded(run, { dir: copy.dir, kind: "dependency-failed", environment: "release", logs: true });
  const message = String(verdict["message"]);
  assert.match(message, /^Bootstrap task migrate exited with code 4\n/);
  assert.match(message, /migration 002_add_owner failed: column "owner" already exists/);
  assert.match(String(verdict["hint"]), /logs\/e2e-ci-migration-release-[0-9a-f]+-migrate-1\.log/);

  const stageEnd = (stage: string) => events.find((e) => e.type === "stage.end" && e["stage"] === stage);
  assert.equal(stageEnd("test")?.["ok"], true);
  assert.equal(stageEnd("release")?.["ok"], false);
  assert.equal(stageEnd("acceptance"), undefined, "acceptance never started");
  assert.ok(events.some((e) => e.type === "stage.skip" && e["stage"] === "acceptance" && e["reason"] === "release did not pass"));
  // The app never started: the migration gates it.
  assert.ok(!events.some((e) => e.type === "step.end" && e["step"] === "ready:app"));

  const logs = await readdir(path.join(evidence, "logs"));
  const migrateLog = logs.find((f) => /-release-[0-9a-f]+-migrate-1\.log$/.test(f));
  assert.ok(migrateLog, logs.join(", "));
  assert.match(await readFile(path.join(evidence, "logs", migrateLog), "utf8"), /migration 002_add_owner failed/);
  assert.equal(await leftovers(engine, runId), 0);
});
