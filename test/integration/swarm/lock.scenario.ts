/**
 * The deploy lock (issue 14) on the test world's swarm, through the published CLI: scenarios that
 * test/integration/swarm/swarm.test.ts runs one after another (every swarm scenario is in that one
 * file, so none runs beside a node being stopped). Each takes the swarm (ensureSwarm) and the
 * test's signal, names its stack uniquely, and removes its stack and lock whatever happens.
 *
 * The deploys here hold a gate: their service's healthcheck passes only once the scenario touches
 * /tmp/ok in its task's container (on the task's node), so a first deploy cannot end before the
 * scenario has seen what the second one did. Order is asserted — by exit order, by the swarm's own
 * event stream, by labels and records — never speed; the test's signal is the only time bound.
 *
 *   test("…", { timeout: 240_000 }, (t) => twoConcurrentDeploys(swarm, t.signal));
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { applyPlan, observeStack } from "../../../src/deploy/apply.ts";
import { DEFAULT_LOCK_EXPIRY_MS, acquireLock, isExpired, lockName, readLock, removeLock, swarmClock, type ObservedLock } from "../../../src/deploy/lock.ts";
import { planRemoval } from "../../../src/deploy/plan.ts";
import { Engine, endpointFromEnv, isNotFound, type EngineEvent, type Service } from "../../../src/engine/index.ts";
import { EventBus } from "../../../src/events/index.ts";
import { slipway, type CliRun } from "../../e2e/support.ts";
import type { SwarmNode, SwarmWorld } from "../../support/swarm.ts";
import { execIn } from "../engine/harness.ts";

export interface LockScenarioOptions {
  /** The manager the CLI deploys through and the scenario looks at (default: the first node). */
  manager?: SwarmNode;
}

/** The service of a deploy: gated (healthy once the scenario says so) or healthy at once. */
const compose = (version: string, gated: boolean) => `
services:
  web:
    image: busybox:latest
    init: true
    stop_grace_period: 1s
    command: ["sh", "-c", "echo web $$VERSION up; exec sleep 3600"]
    environment: { VERSION: "${version}" }
    healthcheck:
      test: ["CMD-SHELL", "${gated ? "test -f /tmp/ok" : "true"}"]
      interval: 1s
      retries: 2
      start_period: ${gated ? "60s" : "1s"}
    deploy:
      replicas: 1
      endpoint_mode: dnsrr
      update_config: { parallelism: 1, order: stop-first }
`;

interface Fixture {
  stack: string;
  service: string;
  dir: string;
  manager: Engine;
  /** Writes compose.yaml. */
  file(version: string, gated: boolean): Promise<void>;
  deploy(...args: string[]): CliRun;
  cli(...args: string[]): Promise<{ code: number; out: string; err: string }>;
  /** Touches /tmp/ok in every running task of the service, again as tasks come, until `until` settles. */
  openGate(until: Promise<unknown>): Promise<void>;
  /** The service as the swarm has it. */
  web(): Promise<Service | undefined>;
  lock(): Promise<ObservedLock | undefined>;
  records(): Promise<{ runId: string; at: string; outcome: string }[]>;
  /** Polls until `probe` answers; the scenario's signal is the only bound. */
  until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T>;
}

/** Runs `body` with a fresh stack and project folder, and removes the stack, its lock and every CLI still running afterwards. */
async function withFixture(swarm: SwarmWorld, signal: AbortSignal, name: string, opts: LockScenarioOptions, lockExpiry: string | undefined, body: (f: Fixture) => Promise<void>): Promise<void> {
  const node = opts.manager ?? swarm.nodes[0]!;
  const stack = `lock-${randomBytes(3).toString("hex")}-${name}`;
  const dir = await mkdtemp(path.join(tmpdir(), `slipway-${stack}-`));
  const engines = new Map<string, Engine>();
  const engineFor = async (n: SwarmNode) => {
    let e = engines.get(n.nodeId);
    if (!e) engines.set(n.nodeId, (e = await Engine.connect({ endpoint: endpointFromEnv({ DOCKER_HOST: n.dockerHost }), signal })));
    return e;
  };
  const runs: CliRun[] = [];
  try {
    const manager = await engineFor(node);
    await writeFile(path.join(dir, "slipway.yml"), `targets:\n  swarm:\n    stack: ${stack}\n    compose: compose.yaml\n    endpoint: ${node.dockerHost}\n    timeout: 3m\n${lockExpiry ? `    lock_expiry: ${lockExpiry}\n` : ""}`);
    const until = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
      for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        try {
          await sleep(200, undefined, { signal });
        } catch {
          throw new Error(`stopped waiting for ${what}`);
        }
      }
    };
    const service = `${stack}_web`;
    const deploy = (...args: string[]) => {
      const run = slipway(["deploy", "--target", "swarm", ...args], { cwd: dir });
      runs.push(run);
      return run;
    };
    await body({
      stack,
      service,
      dir,
      manager,
      file: (version, gated) => writeFile(path.join(dir, "compose.yaml"), compose(version, gated)),
      deploy,
      async cli(...args) {
        const run = slipway(args, { cwd: dir });
        runs.push(run);
        return { code: await run.exit, out: run.stdout(), err: run.stderr() };
      },
      async openGate(done) {
        let settled = false;
        void done.finally(() => (settled = true)).catch(() => undefined);
        const touched = new Set<string>();
        while (!settled) {
          // The service's tasks; none while the deploy has not created it yet (a 404 then).
          const tasks = await manager.tasks.list({ filters: { service, "desired-state": "running" }, signal }).catch((err: unknown) => {
            if (isNotFound(err)) return [];
            throw err;
          });
          for (const task of tasks) {
            const container = task.Status.ContainerStatus?.ContainerID;
            const host = swarm.nodes.find((n) => n.nodeId === task.NodeID);
            // A task stays `starting` until its healthcheck passes: its container runs already.
            if (!container || !host || !["starting", "running"].includes(task.Status.State) || touched.has(container)) continue;
            const r = await execIn(await engineFor(host), container, ["touch", "/tmp/ok"]).catch(() => undefined);
            if (r?.exitCode === 0) touched.add(container);
          }
          await Promise.race([sleep(200, undefined, { signal }), done.catch(() => undefined)]);
        }
      },
      web: async () => (await manager.services.list({ filters: { name: [service] }, signal })).find((s) => s.Spec.Name === service),
      lock: () => readLock(manager, stack, signal),
      async records() {
        const folder = path.join(dir, ".slipway/records/deployments");
        const files = await readdir(folder).catch(() => [] as string[]);
        const all = await Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(folder, f), "utf8")) as { runId: string; at: string; outcome: string }));
        return all.sort((a, b) => a.at.localeCompare(b.at));
      },
      until,
    });
  } finally {
    for (const run of runs) {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL");
      await run.exit;
    }
    const cleanup = AbortSignal.timeout(90_000);
    const manager = engines.get(node.nodeId);
    try {
      if (manager) {
        const held = await readLock(manager, stack, cleanup);
        if (held) await removeLock(manager, held, cleanup);
        const steps = planRemoval(stack, await observeStack(manager, stack, cleanup));
        if (steps.length) await applyPlan({ engine: manager, events: new EventBus(), signal: cleanup }, undefined, steps);
      }
    } finally {
      for (const e of engines.values()) await e.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
}

const holderPid = (run: CliRun) => run.child.pid!;

/**
 * Two `slipway deploy` of one stack started at once: exactly one proceeds and converges (exit 0);
 * the other exits 13 (DEPLOY_LOCKED) naming the holder — its pid and run — and the hint, before
 * the first one ends (the first cannot end until the scenario opens its gate, which it does only
 * once the second has exited), and it changed nothing: one deployment record, the service created
 * once and never updated, its labels the winner's; no lock is left.
 */
export async function twoConcurrentDeploys(swarm: SwarmWorld, signal: AbortSignal, opts: LockScenarioOptions = {}): Promise<void> {
  await withFixture(swarm, signal, "two", opts, undefined, async (f) => {
    await f.file("1", true);
    const runs = { a: f.deploy(), b: f.deploy() };
    const order: string[] = [];
    for (const [name, run] of Object.entries(runs)) void run.exit.then(() => order.push(name));
    const first = await Promise.race([runs.a.exit.then(() => "a" as const), runs.b.exit.then(() => "b" as const)]);
    const loser = runs[first];
    const winner = runs[first === "a" ? "b" : "a"];
    assert.equal(await loser.exit, 13, `the first to end is the refused one:\n${loser.stderr()}`);
    assert.equal(winner.child.exitCode, null, "the winner still runs: it holds its gate");
    await f.openGate(winner.exit);
    assert.equal(await winner.exit, 0, winner.stderr());
    assert.equal(order[0], first);

    const records = await f.records();
    assert.equal(records.length, 1, "only the deploy that proceeded wrote a record");
    const [record] = records;
    assert.equal(record!.outcome, "converged");
    const err = loser.stderr();
    assert.match(err, new RegExp(`The stack ${f.stack} is locked by another deploy: \\S+ \\(pid ${holderPid(winner)}, run ${record!.runId}\\) for a deploy: target swarm`));
    assert.match(err, /since \S+Z \(\d+\S* ago\), until \S+Z \(in \S+\)/);
    assert.match(err, /--lock-wait/);
    assert.match(err, /slipway lock release --target swarm --force/);
    const web = await f.web();
    assert.ok(web, "the winner created the service");
    assert.equal(web.Spec.Labels?.["dev.slipway.deploy.run"], record!.runId);
    assert.equal(web.PreviousSpec, undefined, "created once, never updated");
    assert.equal(await f.lock(), undefined, "the winner released its lock");
  });
}

/**
 * With `--lock-wait 2m`, a second deploy started while the first holds the lock says it waits,
 * and deploys once the first released: both exit 0. The order is the swarm's own: in the
 * manager's event stream the second's service update comes after the first's lock was removed and
 * the second's created, and before the second's was removed; the first's create of the service
 * lies inside its own lock. The service ends with the second's spec and run label.
 */
export async function lockWaitThenProceeds(swarm: SwarmWorld, signal: AbortSignal, opts: LockScenarioOptions = {}): Promise<void> {
  await withFixture(swarm, signal, "wait", opts, undefined, async (f) => {
    const watching = new AbortController();
    const seen: EngineEvent[] = [];
    const events = await f.manager.system.events({ filters: { type: ["config", "service"] }, signal: AbortSignal.any([watching.signal, signal]) });
    const collecting = (async () => {
      for await (const e of events) if (e.Actor.Attributes["name"] === lockName(f.stack) || e.Actor.Attributes["name"] === f.service) seen.push(e);
    })();
    try {
      await f.file("a", true);
      const a = f.deploy();
      const held = await f.until("the first deploy's lock", async () => ((await f.lock())?.pid === holderPid(a) ? true : undefined));
      assert.ok(held);
      await f.file("b", false);
      const b = f.deploy("--lock-wait", "2m");
      await f.until("the second deploy to say it waits", async () => (/waiting up to 2m0s for it/.test(b.stderr()) ? true : undefined));
      assert.match(b.stderr(), new RegExp(`stack ${f.stack} is locked by \\S+ \\(pid ${holderPid(a)}, run \\S+\\) for a deploy`));
      assert.equal(b.child.exitCode, null);
      await f.openGate(a.exit);
      assert.equal(await a.exit, 0, a.stderr());
      assert.equal(await b.exit, 0, b.stderr());

      const records = await f.records();
      assert.deepEqual(records.map((r) => r.outcome), ["converged", "converged"]);
      const web = await f.web();
      assert.ok(web, "the service is there");
      assert.ok(web.Spec.TaskTemplate.ContainerSpec?.Env?.includes("VERSION=b"), "the second deploy's spec runs");
      assert.equal(web.Spec.Labels?.["dev.slipway.deploy.run"], records[1]!.runId);
      assert.equal(await f.lock(), undefined);

      // The swarm's order of things. Wait for the last event the stream must carry (the second lock's removal).
      await f.until("the second lock's removal in the event stream", async () => (seen.filter((e) => e.Type === "config" && e.Action === "remove").length >= 2 ? true : undefined));
      const line = seen.map((e) => `${e.Type} ${e.Action}${e.Type === "config" ? ` ${e.Actor.ID}` : ""}`).filter((l) => !l.startsWith("config update"));
      const locks = line.filter((l) => l.startsWith("config create")).map((l) => l.split(" ")[2]!);
      assert.equal(locks.length, 2, line.join("\n"));
      const at = (l: string) => line.indexOf(l);
      const [first, second] = locks as [string, string];
      assert.ok(at(`config create ${first}`) < at("service create") && at("service create") < at(`config remove ${first}`), `the first deploy created the service under its lock:\n${line.join("\n")}`);
      assert.ok(at(`config remove ${first}`) < at(`config create ${second}`), line.join("\n"));
      const updates = line.map((l, i) => (l === "service update" ? i : -1)).filter((i) => i >= 0);
      assert.ok(updates.length > 0, line.join("\n"));
      assert.ok(updates.every((i) => i > at(`config create ${second}`) && i < at(`config remove ${second}`)), `the second deploy updated the service only under its own lock, taken after the first's was removed:\n${line.join("\n")}`);
    } finally {
      watching.abort();
      await collecting.catch(() => undefined);
    }
  });
}

/**
 * A deploy killed with SIGKILL mid-rollout (its service created, its task not yet healthy) leaves
 * its lock; `slipway lock status` (and `--json`) names its holder, pid and run. Once the lock has
 * expired (the target's `lock_expiry: 5s`; it stays until someone takes it), a new deploy without
 * `--lock-wait` takes it over, says so, and converges. Then `slipway lock release`: a lock left by
 * one's own killed deploy is released without `--force`; someone else's live lock is refused
 * (exit 13, naming them) and removed with `--force`, which its holder notices.
 */
export async function killedDeployLockExpires(swarm: SwarmWorld, signal: AbortSignal, opts: LockScenarioOptions = {}): Promise<void> {
  await withFixture(swarm, signal, "kill", opts, "5s", async (f) => {
    await f.file("a", true);
    const a = f.deploy();
    await f.until("the deploy's lock and its service", async () => ((await f.lock())?.pid === holderPid(a) && (await f.web()) ? true : undefined));
    a.child.kill("SIGKILL");
    assert.equal(await a.exit, 137);
    const left = await f.lock();
    assert.ok(left && left.pid === holderPid(a), "the killed deploy's lock is left");

    const status = await f.cli("lock", "status", "--target", "swarm");
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, new RegExp(`^stack ${f.stack}: (locked|expired \\(the next deploy takes it over\\)): \\S+ \\(pid ${holderPid(a)}, run ${left.runId}\\) for a deploy: target swarm`));
    const json = await f.cli("lock", "status", "--target", "swarm", "--json");
    assert.equal(json.code, 0, json.err);
    const parsed = JSON.parse(json.out) as { locked: boolean; lock: { pid: number; runId: string; holder: string; expires: string } };
    assert.equal(parsed.locked, true);
    assert.deepEqual([parsed.lock.pid, parsed.lock.runId, parsed.lock.holder], [holderPid(a), left.runId, left.holder]);

    // It expires on the swarm's clock, and stays there until a deploy takes it over.
    const clock = await swarmClock(f.manager, signal);
    const expired = await f.until("the lock's expiry", async () => {
      const l = await f.lock();
      assert.ok(l && l.id === left.id, "an expired lock stays until someone takes it");
      return isExpired(l, clock.now()) ? l : undefined;
    });
    assert.ok(Date.parse(expired.expires) - Date.parse(expired.started) < DEFAULT_LOCK_EXPIRY_MS, "the target's lock_expiry, not the default");
    await f.file("b", false);
    const b = f.deploy();
    assert.equal(await b.exit, 0, b.stderr());
    assert.match(b.stderr(), new RegExp(`the lock of stack ${f.stack} had expired; taken over from \\S+ \\(pid ${holderPid(a)}, run ${left.runId}\\)`));
    assert.ok((await f.web())?.Spec.TaskTemplate.ContainerSpec?.Env?.includes("VERSION=b"));
    assert.equal(await f.lock(), undefined, "the deploy that took it over released it");

    // One's own lock, whose deploy was killed, is released without --force.
    await f.file("c", true);
    const c = f.deploy();
    await f.until("the third deploy's lock", async () => ((await f.lock())?.pid === holderPid(c) ? true : undefined));
    c.child.kill("SIGKILL");
    await c.exit;
    const own = await f.cli("lock", "release", "--target", "swarm");
    assert.equal(own.code, 0, own.err);
    assert.match(own.out, new RegExp(`^stack ${f.stack}: released the lock of \\S+ \\(pid ${holderPid(c)},`));
    assert.equal(await f.lock(), undefined);

    // Someone else's live lock: refused without --force, removed with it; its holder notices.
    await using foreign = await acquireLock(
      { engine: f.manager, events: new EventBus(), signal },
      { stack: f.stack, holder: { holder: "someone@elsewhere", pid: 1, runId: "20261206-0000-other" }, operation: "deploy", message: "someone else's deploy", expiryMs: 5_000 },
    );
    const refused = await f.cli("lock", "release", "--target", "swarm");
    assert.equal(refused.code, 13, refused.err);
    assert.match(refused.err, /was not released: it is held by someone@elsewhere \(pid 1, run 20261206-0000-other\)/);
    assert.match(refused.err, /--force/);
    assert.equal((await f.lock())?.id, foreign.id);
    const forced = await f.cli("lock", "release", "--target", "swarm", "--force");
    assert.equal(forced.code, 0, forced.err);
    assert.match(forced.out, /released the lock of someone@elsewhere/);
    assert.equal(await f.lock(), undefined);
    await f.until("the holder to notice it lost its lock", async () => (foreign.lost ? true : undefined));
    assert.match(foreign.lost!, /removed/);
    const none = await f.cli("lock", "status", "--target", "swarm");
    assert.equal(none.out, `stack ${f.stack}: not locked\n`);
  });
}
