/**
 * Ctrl-C and crashes, end to end. SIGINT mid-run: the run drains, tears down, exits 130, and
 * nothing with its label is left. SIGKILL mid-run (nothing can clean up): the next `slipway`
 * invocation sweeps what the dead run left.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { Label } from "../../../src/run/labels.ts";
import { scenario, slipway, until } from "../support.ts";

const dir = scenario("interrupted");

async function resources(engine: Engine, runId: string): Promise<number> {
  const filters = { label: [`${Label.run}=${runId}`] };
  const [c, n, v] = await Promise.all([engine.containers.list({ all: true, filters }), engine.networks.list({ filters }), engine.volumes.list({ filters })]);
  return c.length + n.length + v.length;
}

/** Starts `slipway test --json` and resolves once the tests are running, with the run id. */
async function startAndWaitForTests(): Promise<{ run: ReturnType<typeof slipway>; runId: string }> {
  const run = slipway(["test", "--json"], { cwd: dir });
  let runId = "";
  await until(async () => {
    const events = run.stdout().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    runId = String(events.find((e) => e["type"] === "run.start")?.["runId"] ?? "");
    return events.some((e) => e["type"] === "container.log" && e["line"] === "tests-started");
  });
  return { run, runId };
}

test("SIGINT mid-run: exit 130 and zero resources left with the run's label", async () => {
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const { run, runId } = await startAndWaitForTests();
  assert.ok((await resources(engine, runId)) > 0, "the run has resources while it runs");
  run.child.kill("SIGINT");
  assert.equal(await run.exit, 130, run.stderr());
  const verdict = JSON.parse(run.stdout().trim().split("\n").at(-1)!) as Record<string, unknown>;
  assert.equal(verdict["type"], "verdict");
  assert.equal(verdict["kind"], "cancelled");
  assert.equal(await resources(engine, runId), 0);
});

test("SIGKILL mid-run: the next slipway invocation sweeps what it left", async () => {
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const { run, runId } = await startAndWaitForTests();
  run.child.kill("SIGKILL");
  await run.exit;
  // Any other slipway started on this engine meanwhile (parallel test files do) may sweep the
  // dead run first; whichever invocation comes next, the run's resources must end up gone.
  const listing = slipway(["clean", "--dry-run", "--json"], { cwd: dir });
  assert.equal(await listing.exit, 0, listing.stderr());
  if ((await resources(engine, runId)) > 0) {
    // `clean --dry-run` sees it as abandoned, with the reason, and leaves it alone…
    const listed = JSON.parse(listing.stdout()) as { runs: { runId: string; reason: string }[] };
    assert.match(listed.runs.find((r) => r.runId === runId)?.reason ?? "", /owner \(pid \d+\) is gone/);
  }
  // …and the next invocation that works with the engine sweeps it before anything else.
  const next = slipway(["compose", "-p", "e2e-sweep-probe", "ps"], { cwd: dir });
  assert.equal(await next.exit, 0, next.stderr());
  assert.equal(await resources(engine, runId), 0);
});
