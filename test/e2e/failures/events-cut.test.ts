/**
 * The engine's event stream breaks mid-test, and the database dies while it is down: the CLI
 * reaches the engine through a proxy that cuts the `GET /events` streams and refuses new ones
 * until the database has been killed. The run must still see the database's exit (the watcher
 * resubscribes and catches up) and end as a dependency failure (7) that says so — not a timeout,
 * not the engine's failure, not a pass.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { Label } from "../../../src/run/labels.ts";
import { scenario, slipway, until } from "../support.ts";
import { engineProxy, proxySkipReason } from "./engine-proxy.ts";
import { assertRunEnded, leftovers, nextEvent } from "./run-assertions.ts";

const dir = scenario("failures/events-cut");
const upstream = endpointFromEnv(process.env);

test("the event stream cut mid-test and the database killed while it is down: dependency-failed (7), db exited", { skip: proxySkipReason(upstream) }, async () => {
  await using engine = await Engine.connect({ endpoint: upstream });
  await using proxy = await engineProxy(upstream);
  const run = slipway(["test", "--json"], { cwd: dir, env: { DOCKER_HOST: proxy.dockerHost } });
  const runId = String((await nextEvent(run, (e) => e.type === "run.start"))["runId"]);
  await nextEvent(run, (e) => e.type === "container.log" && e["service"] === "test" && e["line"] === "tests-started");

  proxy.refuseEvents();
  assert.ok(proxy.cutEvents() >= 1, "the run follows the engine's events");
  // The run tried to resubscribe and was turned away: from here on it learns nothing by events.
  await until(async () => proxy.refused >= 1);
  const [db] = await engine.containers.list({ filters: { label: [`${Label.run}=${runId}`, "com.docker.compose.service=db"] } });
  assert.ok(db, "the database container is running");
  await engine.containers.kill(db.Id);
  const refusedWhileDown = proxy.refused;
  proxy.allowEvents();

  const ended = await assertRunEnded(run, { dir, kind: "dependency-failed", environment: "test", logs: true });
  const message = String(ended.verdict["message"]);
  assert.match(message, /^Dependency db exited with code \d+ while the tests were running/, message);
  assert.doesNotMatch(message, /timed out|timeout|can no longer be watched/i);
  assert.ok(proxy.subscriptions > refusedWhileDown + 1, "the run subscribed again once the engine let it");
  assert.ok(!ended.events.some((e) => e.type === "container.log" && e["service"] === "test" && /== integration tests/.test(String(e["line"]))), "the tests were stopped, not run to the end");
  assert.equal(await leftovers(engine, runId), 0);
});
