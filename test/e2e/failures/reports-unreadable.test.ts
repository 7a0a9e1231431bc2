/**
 * A test service that exits 0 but leaves required JUnit reports that cannot be read (one empty,
 * one not XML): the run fails with reports-missing (9), and the `reports` event lists both files
 * under `unreadable`, with their reasons — never "0 tests, passed".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import path from "node:path";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { scenario, slipway } from "../support.ts";
import { assertRunEnded, leftovers } from "./run-assertions.ts";

const dir = scenario("failures/reports-unreadable");

test("unreadable required reports (0-byte, not XML) after exit 0: reports-missing (9), each file under unreadable", async () => {
  await rm(path.join(dir, "reports"), { recursive: true, force: true });
  const run = slipway(["test", "--json"], { cwd: dir });
  const ended = await assertRunEnded(run, { dir, kind: "reports-missing", environment: "test", logs: true });
  assert.ok(ended.events.some((e) => e.type === "container.log" && e["service"] === "test" && e["line"] === "reports written"), "the test service ran to its end");

  const reports = ended.events.filter((e) => e.type === "reports");
  assert.equal(reports.length, 1);
  const unreadable = (reports[0]!["unreadable"] ?? []) as { file: string; reason: string; required: boolean }[];
  assert.deepEqual(unreadable.map((u) => path.basename(u.file)).sort(), ["integration.xml", "unit.xml"], JSON.stringify(reports[0]));
  assert.ok(unreadable.every((u) => u.required && u.reason), JSON.stringify(unreadable));
  assert.equal(reports[0]!["junit"], undefined, "no JUnit summary when no JUnit file was read");

  const message = String(ended.verdict["message"]);
  assert.match(message, /unreadable/);
  assert.match(message, /unit\.xml/);
  assert.match(message, /integration\.xml/);
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  assert.equal(await leftovers(engine, ended.runId), 0);
});
