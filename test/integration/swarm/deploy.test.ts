/**
 * `slipway deploy` on the test world's real 3-node swarm (Engine 26), through the library call the
 * CLI makes (deployStack): a first deploy converges; a redeploy of the same file touches nothing;
 * an update whose healthcheck fails is rolled back, a non-zero verdict with the task's error and
 * its last lines, and the old spec is what runs; a task the scheduler cannot place is reported
 * with the scheduler's message when its deadline comes. Serial: one stack at a time, removed at
 * the end (even on failure).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadProject } from "../../../src/compose/load/index.ts";
import { applyPlan, observeStack } from "../../../src/deploy/apply.ts";
import { deployStack } from "../../../src/deploy/deploy.ts";
import { planRemoval } from "../../../src/deploy/plan.ts";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { SlipwayError } from "../../../src/errors/index.ts";
import { EventBus } from "../../../src/events/index.ts";
import { ensureSwarm, swarmSkipReason } from "../../support/swarm.ts";
import { slipway } from "../../e2e/support.ts";
import { readdir, readFile } from "node:fs/promises";

const skip = swarmSkipReason();
const TIMEOUT = { timeout: 240_000 };
const stack = `dep-${randomBytes(3).toString("hex")}`;
let engine: Engine;
let dir: string;
let managerHost: string;

const compose = (opts: { version: string; healthy?: boolean; constraint?: string }) => `
services:
  web:
    image: busybox:latest
    init: true
    stop_grace_period: 1s
    command: ["sh", "-c", "echo web $$VERSION up; exec sleep 3600"]
    environment: { VERSION: "${opts.version}" }
    healthcheck:
      test: ["CMD-SHELL", "${opts.healthy === false ? "exit 1" : "true"}"]
      interval: 1s
      retries: 2
      start_period: 1s
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
      update_config: { parallelism: 1, order: stop-first }
${opts.constraint ? `      placement: { constraints: ["${opts.constraint}"] }\n` : ""}`;

async function deploy(yaml: string, extra: { timeoutMs?: number } = {}) {
  await writeFile(path.join(dir, "compose.yaml"), yaml);
  const project = await loadProject({ workingDir: dir, projectName: stack, env: {} });
  const events = new EventBus();
  return deployStack({ engine, events, signal: AbortSignal.timeout(200_000) }, { project, stack, timeoutMs: extra.timeoutMs ?? 120_000, intervalMs: 250, startMs: 20_000 });
}

const webSpec = async () => (await engine.services.list({ filters: { name: [`${stack}_web`] } })).find((s) => s.Spec.Name === `${stack}_web`)!;

describe("slipway deploy on a 3-node swarm", { skip, concurrency: 1 }, () => {
  before(async () => {
    const swarm = await ensureSwarm();
    managerHost = swarm.nodes[0]!.dockerHost;
    engine = await Engine.connect({ endpoint: endpointFromEnv({ DOCKER_HOST: managerHost }) });
    dir = await mkdtemp(path.join(tmpdir(), "slipway-deploy-"));
  });

  after(async () => {
    if (!engine) return;
    try {
      const steps = planRemoval(stack, await observeStack(engine, stack));
      await applyPlan({ engine, events: new EventBus(), signal: AbortSignal.timeout(60_000) }, undefined, steps);
    } finally {
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a first deploy creates the network and the service and converges: 2/2 running, pinned by digest", TIMEOUT, async () => {
    const result = await deploy(compose({ version: "1" }));
    assert.equal(result.outcome, "converged");
    assert.deepEqual(result.plan.steps.map((s) => s.kind), ["network.create", "service.create"]);
    assert.deepEqual(result.services.map((s) => [s.name, s.judgement.outcome, s.judgement.running]), [[`${stack}_web`, "converged", 2]]);
    assert.match((await webSpec()).Spec.TaskTemplate.ContainerSpec?.Image ?? "", /^busybox@sha256:[0-9a-f]{64}$/);
  });

  test("a redeploy of the same file plans nothing and leaves the service's version index as it was", TIMEOUT, async () => {
    const before = (await webSpec()).Version.Index;
    const result = await deploy(compose({ version: "1" }));
    assert.deepEqual(result.plan.steps, []);
    assert.deepEqual(result.plan.unchanged, [`${stack}_web`]);
    assert.equal((await webSpec()).Version.Index, before);
  });

  test("an update whose healthcheck fails is rolled back: exit 11, the task's error and last lines; the old spec runs", TIMEOUT, async () => {
    const failure = await deploy(compose({ version: "2", healthy: false })).then(
      () => assert.fail("a failing update was reported as a success"),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof SlipwayError, String(failure));
    assert.equal(failure.exitCode, 11);
    assert.equal(failure.kind, "deploy-rolled-back");
    assert.match(failure.message, /failed and was rolled back/);
    assert.match(failure.message, /unhealthy|non-zero exit/);
    assert.match(failure.message, /\| web 2 up/, "the failing task's own last lines");
    const web = await webSpec();
    assert.ok(web.Spec.TaskTemplate.ContainerSpec?.Env?.includes("VERSION=1"), "the previous spec is back");
    assert.equal(web.UpdateStatus?.State, "rollback_completed");
  });

  test("through the CLI: --dry-run prints the plan; a deploy prints each service's outcome, labels the service with the deploy and writes its record; --remove takes the stack down", TIMEOUT, async () => {
    const cliStack = `${stack}-cli`;
    const project = await mkdtemp(path.join(tmpdir(), "slipway-deploy-cli-"));
    try {
      await writeFile(path.join(project, "compose.yaml"), compose({ version: "cli" }));
      await writeFile(path.join(project, "slipway.yml"), `environments:\n  test: { compose: compose.yaml, service: web }\ntargets:\n  swarm:\n    stack: ${cliStack}\n    compose: compose.yaml\n    endpoint: ${managerHost}\n    timeout: 2m\n`);
      const run = async (...args: string[]) => {
        const r = slipway(["deploy", "--target", "swarm", ...args], { cwd: project });
        return { code: await r.exit, out: r.stdout(), err: r.stderr() };
      };
      const dry = await run("--dry-run");
      assert.equal(dry.code, 0, dry.err);
      assert.match(dry.out, new RegExp(`1\\. create network ${cliStack}_default \\(overlay\\)\\n\\s+2\\. create service ${cliStack}_web`));
      assert.equal((await observeStack(engine, cliStack)).services.length, 0, "a dry run changes nothing");

      const deployed = await run();
      assert.equal(deployed.code, 0, deployed.err);
      assert.match(deployed.out, new RegExp(`${cliStack}_web: converged \\(2/2 running\\)`));
      const [record] = await Promise.all((await readdir(path.join(project, ".slipway/records/deployments"))).map(async (f) => JSON.parse(await readFile(path.join(project, ".slipway/records/deployments", f), "utf8"))));
      assert.equal(record.outcome, "converged");
      assert.equal(record.stack, cliStack);
      assert.deepEqual(record.services.map((x: { name: string; change: string; outcome: string }) => [x.name, x.change, x.outcome]), [[`${cliStack}_web`, "created", "converged"]]);
      const labels = (await engine.services.list({ filters: { name: [`${cliStack}_web`] } }))[0]!.Spec.Labels ?? {};
      assert.equal(labels["dev.slipway.deploy.run"], record.runId, "the swarm says which deploy set it");

      const removed = await run("--remove");
      assert.equal(removed.code, 0, removed.err);
      assert.equal((await observeStack(engine, cliStack)).services.length, 0);
    } finally {
      const steps = planRemoval(cliStack, await observeStack(engine, cliStack));
      if (steps.length) await applyPlan({ engine, events: new EventBus(), signal: AbortSignal.timeout(60_000) }, undefined, steps);
      await rm(project, { recursive: true, force: true });
    }
  });

  test("start-first: a failing update rolled back while a client on the stack's network asks every 100 ms: not one failed request", TIMEOUT, async () => {
    const webStack = `${stack}-sf`;
    const project = await mkdtemp(path.join(tmpdir(), "slipway-deploy-sf-"));
    const file = (version: string, healthy: boolean) => `
services:
  web:
    image: busybox:latest
    init: true
    stop_grace_period: 1s
    command: ["sh", "-c", "mkdir -p /www && echo ${version} > /www/index.html && exec httpd -f -p 8080 -h /www"]
    healthcheck: { test: ["CMD-SHELL", "${healthy ? "wget -q -O- http://127.0.0.1:8080/ >/dev/null" : "exit 1"}"], interval: 1s, retries: 2, start_period: 1s }
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
      update_config: { parallelism: 1, order: start-first }
networks:
  default: { driver: overlay, attachable: true }
`;
    const events = new EventBus();
    const deployIt = async (yaml: string) => {
      await writeFile(path.join(project, "compose.yaml"), yaml);
      const loaded = await loadProject({ workingDir: project, projectName: webStack, env: {} });
      return deployStack({ engine, events, signal: AbortSignal.timeout(200_000) }, { project: loaded, stack: webStack, timeoutMs: 120_000, intervalMs: 250, startMs: 20_000 });
    };
    let client: string | undefined;
    try {
      assert.equal((await deployIt(file("v1", true))).outcome, "converged");
      // The client: on the stack's own overlay network, at most 10 requests a second for at most 20 s.
      const created = await engine.containers.create(
        {
          Image: "busybox:latest",
          // As a dnsrr client does: the service's name resolved on each request (the tasks' addresses,
          // taken in turn), then one HTTP request. busybox's nslookup and nc: this image's static
          // wget crashes on any address but the loopback.
          Cmd: [
            "sh",
            "-c",
            'ok=0; fail=0; for i in $(seq 180); do set -- $(nslookup web 2>/dev/null | awk "/^Address: [0-9.]+\\$/ {print \\$2}"); ip=none; if [ $# -gt 0 ]; then k=$((i % $# + 1)); eval ip=\\${$k}; fi; if printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 $ip 8080 2>/dev/null | grep -q "200 OK"; then ok=$((ok+1)); else fail=$((fail+1)); echo "failed: $ip"; fi; sleep 0.1; done; echo ok=$ok fail=$fail',
          ],
          HostConfig: { NetworkMode: `${webStack}_default` },
          NetworkingConfig: { EndpointsConfig: { [`${webStack}_default`]: {} } },
          Labels: { "dev.slipway.test": "deploy-start-first" },
        },
        { name: `${webStack}-client` },
      );
      client = created.Id;
      const exited = await engine.containers.wait(client, { condition: "next-exit" });
      await engine.containers.start(client);
      const failure = await deployIt(file("v2", false)).then(
        () => assert.fail("a failing update was reported as a success"),
        (err: unknown) => err,
      );
      assert.ok(failure instanceof SlipwayError && failure.exitCode === 11, String(failure));
      assert.equal((await exited.result).StatusCode, 0);
      const logs: Buffer[] = [];
      for await (const chunk of await engine.containers.logs(client, { stdout: true, stderr: true })) logs.push(chunk);
      const summary = /ok=(\d+) fail=(\d+)/.exec(Buffer.concat(logs).toString("latin1"));
      assert.ok(summary, Buffer.concat(logs).toString("latin1"));
      assert.equal(Number(summary[2]), 0, `failed requests while the update was tried and rolled back: ${summary[0]}`);
      assert.equal(Number(summary[1]), 180);
    } finally {
      if (client) await engine.containers.remove(client, { force: true }).catch(() => undefined);
      const steps = planRemoval(webStack, await observeStack(engine, webStack));
      if (steps.length) await applyPlan({ engine, events: new EventBus(), signal: AbortSignal.timeout(60_000) }, undefined, steps);
      await rm(project, { recursive: true, force: true });
    }
  });

  test("an image the registry does not have: a registry error (exit 6) naming it, before anything changes on the swarm", TIMEOUT, async () => {
    const missingStack = `${stack}-missing`;
    const project = await mkdtemp(path.join(tmpdir(), "slipway-deploy-missing-"));
    try {
      await writeFile(path.join(project, "compose.yaml"), compose({ version: "1" }).replace("busybox:latest", "busybox:slipway-no-such-tag"));
      const loaded = await loadProject({ workingDir: project, projectName: missingStack, env: {} });
      const failure = await deployStack({ engine, events: new EventBus(), signal: AbortSignal.timeout(60_000) }, { project: loaded, stack: missingStack, timeoutMs: 60_000 }).then(
        () => assert.fail("deployed an image that does not exist"),
        (err: unknown) => err,
      );
      assert.ok(failure instanceof SlipwayError, String(failure));
      assert.equal(failure.exitCode, 6);
      assert.match(failure.message, /busybox:slipway-no-such-tag/);
      assert.deepEqual(await observeStack(engine, missingStack).then((o) => [o.services.length, o.networks.filter((n) => n.name.startsWith(missingStack)).length]), [0, 0]);
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });

  test("a task that cannot be placed is reported with the scheduler's message when the deadline comes, non-zero", TIMEOUT, async () => {
    const failure = await deploy(compose({ version: "3", constraint: "node.labels.slipway-nowhere == yes" }), { timeoutMs: 15_000 }).then(
      () => assert.fail("an update that cannot be placed was reported as a success"),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof SlipwayError, String(failure));
    assert.equal(failure.kind, "timeout");
    assert.equal(failure.exitCode, 8);
    assert.match(failure.message, /no suitable node/);
  });
});
