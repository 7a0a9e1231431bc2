/**
 * Whole-stack rollback on the real swarm: releases recorded by deploys in the swarm's own configs,
 * `rollbackStack` back to the previous converged release by default (every service's spec and
 * digest, the release's own labels again), by name, refused when there is nothing before the
 * running one, and refused before touching anything when the release's image is gone from its
 * registry; then through the CLI (`slipway rollback --dry-run`, and a real one recorded with the
 * release it went to).
 *
 * A scenario, not a test file: swarm scenarios run serially in test/integration/swarm/swarm.test.ts.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadProject } from "../../../src/compose/load/index.ts";
import { applyPlan, observeStack } from "../../../src/deploy/apply.ts";
import { deployStack } from "../../../src/deploy/deploy.ts";
import { planRemoval } from "../../../src/deploy/plan.ts";
import { acquireLock } from "../../../src/deploy/lock.ts";
import { listReleases } from "../../../src/deploy/release-record.ts";
import { rollbackStack } from "../../../src/deploy/rollback.ts";
import type { Engine } from "../../../src/engine/index.ts";
import { SlipwayError } from "../../../src/errors/index.ts";
import { EventBus } from "../../../src/events/index.ts";
import { slipway } from "../../e2e/support.ts";
import { BUSYBOX, deleteManifest } from "../engine/harness.ts";

export interface RollbackWorld {
  host: Engine;
  manager: Engine;
  managerHost: string;
  /** The plain registry, as the host and every node reach it. */
  registry: string;
}

const compose = (image: string, version: string) => `
services:
  web:
    image: ${image}
    init: true
    stop_grace_period: 1s
    command: ["sh", "-c", "echo web $$VERSION up; exec sleep 3600"]
    environment: { VERSION: "${version}" }
    healthcheck: { test: ["CMD", "true"], interval: 1s, retries: 2, start_period: 1s }
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
      update_config: { parallelism: 2, order: stop-first }
`;

export async function rollbackScenario(w: RollbackWorld): Promise<void> {
  const id = randomBytes(3).toString("hex");
  const stack = `rb-${id}`;
  const kept = `${w.registry}/e2e-rb-${id}:1`;
  const doomed = `${w.registry}/e2e-rb-gone-${id}:1`;
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-rollback-"));
  const events = new EventBus();
  const signal = () => AbortSignal.timeout(200_000);
  const deploy = async (image: string, version: string, runId: string) => {
    await writeFile(path.join(dir, "compose.yaml"), compose(image, version));
    const project = await loadProject({ workingDir: dir, projectName: stack, env: {} });
    const meta = { commit: `${version}${"0".repeat(39)}`, version: `${version}.0.0`, runId, at: new Date().toISOString() };
    return deployStack({ engine: w.manager, events, signal: signal(), meta }, { project, stack, timeoutMs: 120_000, intervalMs: 250, startMs: 20_000 });
  };
  const rollback = (release?: string) => rollbackStack({ engine: w.manager, events, signal: signal() }, { stack, ...(release ? { release } : {}), timeoutMs: 120_000, intervalMs: 250, startMs: 20_000 });
  const web = async () => (await w.manager.services.list({ filters: { name: [`${stack}_web`] } })).find((s) => s.Spec.Name === `${stack}_web`)!;
  const envVersion = async () => (await web()).Spec.TaskTemplate.ContainerSpec?.Env?.find((e) => e.startsWith("VERSION="));
  try {
    for (const ref of [kept, doomed]) {
      await w.host.images.tag(BUSYBOX, ref);
      await w.host.images.push(ref);
    }

    // Two releases, each recorded in the swarm.
    assert.equal((await deploy(kept, "1", `${stack}-r1`)).outcome, "converged");
    assert.equal((await deploy(kept, "2", `${stack}-r2`)).outcome, "converged");
    assert.deepEqual((await listReleases(w.manager, stack)).map((r) => [r.runId, r.outcome, r.version]), [[`${stack}-r2`, "converged", "2.0.0"], [`${stack}-r1`, "converged", "1.0.0"]]);

    // By default: back to the release before the one running, with that release's labels again.
    const back = await rollback();
    assert.equal(back.outcome, "converged");
    assert.equal(back.release.runId, `${stack}-r1`);
    assert.equal(await envVersion(), "VERSION=1");
    assert.equal((await web()).Spec.Labels?.["dev.slipway.deploy.run"], `${stack}-r1`);
    const running = await w.manager.tasks.list({ filters: { service: [`${stack}_web`], "desired-state": ["running"] } });
    assert.ok(running.every((t) => t.Spec.ContainerSpec?.Env?.includes("VERSION=1")), "every running task runs the release's spec");

    // Nothing converged before r1: refused (exit 2), nothing touched.
    const index = (await web()).Version.Index;
    const none = await rollback().then(() => assert.fail("rolled back with nothing to go to"), (e: unknown) => e);
    assert.ok(none instanceof SlipwayError && none.exitCode === 2, String(none));
    assert.match(none.message, /no converged release before the one running/);
    assert.equal((await web()).Version.Index, index);

    // By name: forward again to r2.
    assert.equal((await rollback(`${stack}-r2`)).release.runId, `${stack}-r2`);
    assert.equal(await envVersion(), "VERSION=2");

    // A release whose image is gone from the registry: refused before anything changes (exit 6).
    assert.equal((await deploy(doomed, "3", `${stack}-r3`)).outcome, "converged");
    assert.equal((await deploy(kept, "4", `${stack}-r4`)).outcome, "converged");
    const digest = (await w.host.images.distribution(doomed)).Descriptor.digest;
    await deleteManifest(w.registry, `e2e-rb-gone-${id}`, digest);
    const before = (await web()).Version.Index;
    const gone = await rollback(`${stack}-r3`).then(() => assert.fail("rolled back to an image that is gone"), (e: unknown) => e);
    assert.ok(gone instanceof SlipwayError, String(gone));
    assert.equal(gone.exitCode, 6);
    assert.match(gone.message, new RegExp(`the image of web, ${doomed.replace(/[.:]/g, (c) => `\\${c}`).replace(/:1$/, "")}@sha256:[0-9a-f]{64}, is gone from its registry`));
    assert.equal((await web()).Version.Index, before, "nothing changed");
    assert.equal(await envVersion(), "VERSION=4");

    // Through the CLI: a dry run names the release and the plan; a real one converges and is recorded with the release it went to.
    await writeFile(path.join(dir, "slipway.yml"), `targets:\n  swarm:\n    stack: ${stack}\n    compose: compose.yaml\n    endpoint: ${w.managerHost}\n    timeout: 2m\n`);
    const cli = async (...args: string[]) => {
      const r = slipway(["rollback", "--target", "swarm", ...args], { cwd: dir });
      return { code: await r.exit, out: r.stdout(), err: r.stderr() };
    };
    // By default it would go to r3, whose image is gone: refused through the CLI too, exit 6, no stack trace.
    const refused = await cli("--dry-run");
    assert.equal(refused.code, 6, refused.out + refused.err);
    assert.match(refused.err, /is gone from its registry/);
    assert.doesNotMatch(refused.err, /\n\s+at /);
    const dry = await cli("--dry-run", `${stack}-r1`);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, new RegExp(`^would roll back ${stack} to run ${stack}-r1 \\(commit 100000000000, 1\\.0\\.0, deployed `));
    assert.match(dry.out, new RegExp(`update service ${stack}_web`));
    assert.equal((await web()).Version.Index, before, "a dry run changes nothing");
    // A rollback takes the stack's lock: held by someone else, it is refused (exit 13), naming them, and changes nothing.
    {
      await using _held = await acquireLock({ engine: w.manager, events, signal: signal() }, { stack, holder: { holder: "someone@elsewhere", pid: 4242, runId: "held-by-test" }, operation: "deploy", message: "a deploy in progress" });
      const locked = await cli(`${stack}-r2`);
      assert.equal(locked.code, 13, locked.out + locked.err);
      assert.match(locked.err, /someone@elsewhere \(pid 4242, run held-by-test\)/);
      assert.equal((await web()).Version.Index, before);
    }
    const real = await cli(`${stack}-r2`);
    assert.equal(real.code, 0, real.out + real.err);
    assert.match(real.out, new RegExp(`^rolled back ${stack} to run ${stack}-r2 `));
    assert.match(real.out, new RegExp(`${stack}_web: converged \\(2/2 running\\)`));
    assert.equal(await envVersion(), "VERSION=2");
    const records = path.join(dir, ".slipway/records/deployments");
    const [record] = await Promise.all((await readdir(records)).map(async (f) => JSON.parse(await readFile(path.join(records, f), "utf8")) as Record<string, unknown>));
    assert.equal(record!["rollbackTo"], `${stack}-r2`);
    assert.equal(record!["outcome"], "converged");

    // The releases view: the swarm's four releases, newest first, r2 running, with the rollback to it.
    const listed = slipway(["releases", "--target", "swarm", "--json"], { cwd: dir });
    assert.equal(await listed.exit, 0, listed.stderr());
    const rows = JSON.parse(listed.stdout()) as { runId: string; running: boolean; version?: string; services: { service: string; image: string }[]; rollbacks: unknown[] }[];
    assert.deepEqual(rows.map((r) => [r.runId, r.running, r.version, r.rollbacks.length]), [[`${stack}-r4`, false, "4.0.0", 0], [`${stack}-r3`, false, "3.0.0", 0], [`${stack}-r2`, true, "2.0.0", 1], [`${stack}-r1`, false, "1.0.0", 0]]);
    assert.match(rows[1]!.services[0]!.image, new RegExp(`^${w.registry.replace(/[.]/g, "\\.")}/e2e-rb-gone-${id}@sha256:[0-9a-f]{64}$`));
    const text = slipway(["releases", "--target", "swarm"], { cwd: dir });
    assert.equal(await text.exit, 0, text.stderr());
    assert.match(text.stdout(), new RegExp(`\\n\\* \\S+  run ${stack}-r2  commit 200000000000  2\\.0\\.0  converged  web=`));
  } finally {
    const steps = planRemoval(stack, await observeStack(w.manager, stack));
    if (steps.length) await applyPlan({ engine: w.manager, events: new EventBus(), signal: AbortSignal.timeout(60_000) }, undefined, steps);
    for (const r of await listReleases(w.manager, stack).catch(() => [])) await w.manager.configs.remove(r.id).catch(() => undefined);
    for (const ref of [kept, doomed]) await w.host.images.remove(ref, { noprune: true }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
