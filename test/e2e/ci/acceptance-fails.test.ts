/**
 * `slipway ci` whose acceptance suite fails: the acceptance container's own exit code is the
 * verdict's, its reports are kept in reports/release/, and the run leaves nothing — unless --keep,
 * which leaves the release environment up and tells the URL of every published port.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { assertRunEnded, leftovers } from "../failures/run-assertions.ts";
import { slipway } from "../support.ts";
import { exampleCopy } from "./support.ts";

test("a failing acceptance test: the acceptance container's own exit code, its reports kept, nothing left", async () => {
  await using copy = await exampleCopy("e2e-ci-acceptance", "failing-acceptance.override.yml");
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const run = slipway(["ci", "--json"], { cwd: copy.dir });
  const { events, verdict, runId } = await assertRunEnded(run, { dir: copy.dir, kind: "tests-failed", environment: "release", logs: true });
  // node's test runner exits 1 on a failing test: the container's own code.
  assert.equal(verdict["exitCode"], 1);
  assert.equal(verdict["message"], "acceptance exited with code 1");
  assert.equal(events.find((e) => e.type === "stage.end" && e["stage"] === "release")?.["ok"], true);
  assert.equal(events.find((e) => e.type === "stage.end" && e["stage"] === "acceptance")?.["ok"], false);
  const reports = events.find((e) => e.type === "reports" && e["stage"] === "acceptance") as { dir: string; junit: { failed: number; failures: { name: string }[] } } | undefined;
  assert.equal(reports?.dir, path.join(copy.dir, "reports/release"));
  assert.equal(reports?.junit.failed, 1);
  assert.match(await readFile(path.join(copy.dir, "reports/release/acceptance.xml"), "utf8"), /a deliberately failing acceptance test/);
  assert.ok(!events.some((e) => e.type === "environment.url"), "no URLs without --keep");
  assert.equal(await leftovers(engine, runId), 0);
});

test("--keep: the failed release environment stays up, with the URL of every published port; slipway clean removes it", async () => {
  await using copy = await exampleCopy("e2e-ci-keep", "failing-acceptance.override.yml");
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const run = slipway(["ci", "--json", "--keep"], { cwd: copy.dir });
  const { events, runId } = await assertRunEnded(run, { dir: copy.dir, kind: "tests-failed", environment: "release", logs: true });
  try {
    const urls = events.filter((e) => e.type === "environment.url").map((e) => `${String(e["service"])} ${String(e["port"])} → ${String(e["url"])}`);
    assert.equal(urls.length, 1, urls.join("\n"));
    const url = /^nginx 80\/tcp → (http:\/\/127\.0\.0\.1:\d+)$/.exec(urls[0]!)?.[1];
    assert.ok(url, urls[0]);
    // The kept environment answers there (the engine of the test world is local).
    const health = await fetch(`${url}/nginx-health`);
    assert.equal(health.status, 200);
    assert.match(String(events.findLast((e) => e.type === "cleanup")?.["kept"]), new RegExp(`slipway clean --run ${runId}`));
    assert.ok((await leftovers(engine, runId)) > 0, "the environment is kept");
  } finally {
    const clean = slipway(["clean", "--run", runId], { cwd: copy.dir });
    assert.equal(await clean.exit, 0, clean.stderr());
  }
  assert.equal(await leftovers(engine, runId), 0);
});
