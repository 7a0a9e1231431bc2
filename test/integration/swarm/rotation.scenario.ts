/**
 * Secret rotation on the real swarm: a secret's new content is a new generation the service moves
 * to in the same deploy (and reads: its log says the new value); the generation before it stays
 * (a rollback needs it), older ones are removed; a rollback to the release before the rotation
 * works, and one to a release whose generation is gone is refused before anything changes.
 *
 * A scenario, not a test file: swarm scenarios run serially in test/integration/swarm/swarm.test.ts.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadProject } from "../../../src/compose/load/index.ts";
import { applyPlan, observeStack } from "../../../src/deploy/apply.ts";
import { deployStack } from "../../../src/deploy/deploy.ts";
import { planRemoval } from "../../../src/deploy/plan.ts";
import { listReleases } from "../../../src/deploy/release-record.ts";
import { rollbackStack } from "../../../src/deploy/rollback.ts";
import type { Engine } from "../../../src/engine/index.ts";
import { demuxStream, splitLines } from "../../../src/engine/streams/index.ts";
import { SlipwayError } from "../../../src/errors/index.ts";
import { EventBus } from "../../../src/events/index.ts";

const COMPOSE = `
services:
  web:
    image: busybox:latest
    init: true
    stop_grace_period: 1s
    command: ["sh", "-c", "echo token=$$(cat /run/secrets/token); exec sleep 3600"]
    secrets: [token]
    healthcheck: { test: ["CMD", "true"], interval: 1s, retries: 2, start_period: 1s }
    deploy:
      replicas: 1
      endpoint_mode: dnsrr
secrets:
  token: { file: ./token.txt }
`;

export async function rotationScenario(w: { manager: Engine }): Promise<void> {
  const id = randomBytes(3).toString("hex");
  const stack = `rot-${id}`;
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-rotation-"));
  const events = new EventBus();
  const opts = { timeoutMs: 120_000, intervalMs: 250, startMs: 20_000 };
  const deploy = async (token: string, runId: string) => {
    await writeFile(path.join(dir, "token.txt"), token);
    const project = await loadProject({ workingDir: dir, projectName: stack, env: {} });
    return deployStack({ engine: w.manager, events, signal: AbortSignal.timeout(200_000), meta: { commit: "c".repeat(40), runId, at: new Date().toISOString() } }, { project, stack, ...opts });
  };
  const web = async () => (await w.manager.services.list({ filters: { name: [`${stack}_web`] } })).find((s) => s.Spec.Name === `${stack}_web`)!;
  const mounted = async () => (await web()).Spec.TaskTemplate.ContainerSpec?.Secrets?.map((s) => s.SecretName) ?? [];
  const generations = async () => (await w.manager.secrets.list({ filters: { label: [`com.docker.stack.namespace=${stack}`] } })).map((s) => s.Spec.Name).sort();
  const logs = async () => {
    let text = "";
    for await (const line of splitLines(demuxStream(await w.manager.services.logs((await web()).ID, { stdout: true, stderr: true })))) text += `${line.line}\n`;
    return text;
  };
  /** Polls the service's log (tasks log as they start) until `line` is in it. */
  const logged = async (line: string) => {
    for (let i = 0; i < 100 && !(await logs()).includes(line); i++) await new Promise((r) => setTimeout(r, 200));
    assert.ok((await logs()).includes(line), `the service logged ${line}`);
  };
  try {
    await writeFile(path.join(dir, "compose.yaml"), COMPOSE);
    assert.equal((await deploy("alpha", `${stack}-r1`)).outcome, "converged");
    const [alpha] = await mounted();
    assert.match(alpha!, new RegExp(`^${stack}_token_[0-9a-f]{12}$`));
    await logged("token=alpha");

    // New content: a new generation, which the service mounts and reads; the previous one stays.
    const rotated = await deploy("beta", `${stack}-r2`);
    assert.equal(rotated.outcome, "converged");
    assert.deepEqual(rotated.plan.steps.map((s) => s.kind), ["secret.create", "service.update"]);
    const [beta] = await mounted();
    assert.notEqual(beta, alpha);
    await logged("token=beta");
    assert.deepEqual(await generations(), [alpha, beta].sort());

    // A third: the first generation goes, the one before the current stays.
    assert.equal((await deploy("gamma", `${stack}-r3`)).outcome, "converged");
    const [gamma] = await mounted();
    assert.deepEqual(await generations(), [beta, gamma].sort());

    // Back to the release before the rotation: its generation is there, and the service reads it again.
    const back = await rollbackStack({ engine: w.manager, events, signal: AbortSignal.timeout(200_000) }, { stack, ...opts });
    assert.equal(back.release.runId, `${stack}-r2`);
    assert.equal(back.outcome, "converged");
    assert.deepEqual(await mounted(), [beta]);

    // The first release's generation is gone: refused before anything changes.
    const index = (await web()).Version.Index;
    const refused = await rollbackStack({ engine: w.manager, events, signal: AbortSignal.timeout(200_000) }, { stack, release: `${stack}-r1`, ...opts }).then(() => assert.fail("rolled back to a removed generation"), (e: unknown) => e);
    assert.ok(refused instanceof SlipwayError && refused.exitCode === 3, String(refused));
    assert.match(refused.message, new RegExp(`external secret ${alpha} does not exist`));
    assert.equal((await web()).Version.Index, index);
  } finally {
    const steps = planRemoval(stack, await observeStack(w.manager, stack));
    if (steps.length) await applyPlan({ engine: w.manager, events: new EventBus(), signal: AbortSignal.timeout(60_000) }, undefined, steps);
    for (const r of await listReleases(w.manager, stack).catch(() => [])) await w.manager.configs.remove(r.id).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
