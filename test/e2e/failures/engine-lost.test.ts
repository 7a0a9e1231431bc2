/**
 * The engine goes away mid-run: the CLI reaches the engine through a proxy that the test closes,
 * every connection with it (dockerd gone), once the tests are running, or just as the request
 * that starts the test container arrives (a request in flight, not only streams, breaks). The run
 * must end as the engine's failure (exit 4) that says the connection was lost mid-run — not as a
 * bug (exit 70) with a stack trace, nor as an engine that could not be reached at all. What the run
 * could not tear down is removed by `slipway clean` afterwards.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { scenario, slipway } from "../support.ts";
import { engineProxy, proxySkipReason } from "./engine-proxy.ts";
import { assertRunEnded, leftovers, nextEvent, type EndedRun } from "./run-assertions.ts";

const dir = scenario("failures/engine-lost");
const upstream = endpointFromEnv(process.env);

test("the engine lost mid-test: engine-error (4) saying the connection was lost, the verdict last; clean removes what was left", { skip: proxySkipReason(upstream) }, async () => {
  await using engine = await Engine.connect({ endpoint: upstream });
  await using proxy = await engineProxy(upstream);
  const run = slipway(["test", "--json"], { cwd: dir, env: { DOCKER_HOST: proxy.dockerHost } });
  const start = await nextEvent(run, (e) => e.type === "run.start");
  const runId = String(start["runId"]);
  await nextEvent(run, (e) => e.type === "container.log" && e["service"] === "test" && e["line"] === "tests-started");
  assert.ok((await leftovers(engine, runId)) > 0, "the run has its environment up");

  await proxy.kill();
  const ended = await assertRunEnded(run, { dir, kind: "engine-error", environment: "test" });
  assert.equal(ended.runId, runId);
  assertLostMidRun(ended, run.stderr());
  // The tests were running when the engine went: no test result is claimed.
  assert.ok(!ended.events.some((e) => e.type === "reports"), "no reports could be copied from a lost engine");
  await cleanUp(engine, runId);
});

test("the engine lost while the test container is being started: engine-error (4), lost mid-run, not 'cannot connect'", { skip: proxySkipReason(upstream) }, async () => {
  await using engine = await Engine.connect({ endpoint: upstream });
  await using proxy = await engineProxy(upstream);
  // The one-off test container is the one container the run attaches to before starting it.
  const attached = new Set<string>();
  proxy.killOnRequest((head) => {
    const request = /^POST \S*\/containers\/([^/?\s]+)\/(attach|start)[?\s]/.exec(head);
    if (!request) return false;
    if (request[2] === "attach") attached.add(request[1]!);
    return request[2] === "start" && attached.has(request[1]!);
  });
  const run = slipway(["test", "--json"], { cwd: dir, env: { DOCKER_HOST: proxy.dockerHost } });
  const ended = await assertRunEnded(run, { dir, kind: "engine-error", environment: "test" });
  assert.equal(attached.size, 1, "the engine went as the test container was being started");
  assertLostMidRun(ended, run.stderr());
  assert.ok(!ended.events.some((e) => e.type === "container.log" && e["service"] === "test"), "the tests never ran");
  await cleanUp(engine, ended.runId);
});

function assertLostMidRun(ended: EndedRun, stderr: string): void {
  const message = String(ended.verdict["message"]);
  assert.match(message, /^The connection to the Docker engine was lost mid-run/, message);
  assert.doesNotMatch(`${message} ${String(ended.verdict["hint"] ?? "")}`, /bug|Cannot connect/i);
  assert.doesNotMatch(stderr, /This is a bug/);
  // Its teardown could not reach the engine: said so, not "removed 0 containers".
  const cleanup = ended.events.find((e) => e.type === "cleanup");
  assert.match(String(cleanup?.["incomplete"]), /next Slipway command sweeps/, JSON.stringify(cleanup));
}

/**
 * The engine is back (here: it never left): what the run could not remove goes with `clean`
 * (unless another Slipway on this engine swept the dead run's leftovers first).
 */
async function cleanUp(engine: Engine, runId: string): Promise<void> {
  const clean = slipway(["clean", "--run", runId], { cwd: dir });
  assert.equal(await clean.exit, 0, clean.stdout() + clean.stderr());
  assert.equal(await leftovers(engine, runId), 0);
}
