import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { EngineApiError, type Engine, type EngineEvent, type SwarmConfig } from "../engine/index.ts";
import { SlipwayError } from "../errors/index.ts";
import { EventBus, type SlipwayEvent } from "../events/index.ts";
import {
  LockLabel,
  acquireLock,
  decodeLock,
  describeLock,
  encodeLock,
  isExpired,
  lockHeldError,
  lockJson,
  lockName,
  readLock,
  releaseRefusal,
  renewalInterval,
  roughDuration,
  type LockInfo,
} from "./lock.ts";

const T0 = Date.parse("2026-12-06T01:00:00.000Z");
const lock = (over: Partial<LockInfo> = {}): LockInfo => ({
  stack: "shop",
  holder: "alice@ci-3",
  pid: 4242,
  runId: "20261206-0100-ab12",
  operation: "deploy",
  message: "target production, commit 3f1c2d9 (1.4.2)",
  started: new Date(T0).toISOString(),
  expires: new Date(T0 + 300_000).toISOString(),
  ...over,
});

test("a stack's lock is the config slipway-lock-STACK; a name Swarm would refuse is replaced by the stack's hash", () => {
  assert.equal(lockName("shop"), "slipway-lock-shop");
  assert.equal(lockName("shop_v2.eu-1"), "slipway-lock-shop_v2.eu-1");
  const long = lockName("x".repeat(60));
  assert.match(long, /^slipway-lock-[0-9a-f]{32}$/);
  assert.equal(long, lockName("x".repeat(60)), "the same stack, the same lock");
  assert.notEqual(lockName("shop-"), "slipway-lock-shop-", "a config name must end with a letter or digit");
  assert.match(lockName("shop-"), /^slipway-lock-[0-9a-f]{32}$/);
});

test("the labels say holder, pid, run, operation, message, started and expires, and read back as they were", () => {
  const labels = encodeLock(lock());
  assert.deepEqual(labels, {
    "dev.slipway.lock.stack": "shop",
    "dev.slipway.lock.holder": "alice@ci-3",
    "dev.slipway.lock.pid": "4242",
    "dev.slipway.lock.run": "20261206-0100-ab12",
    "dev.slipway.lock.operation": "deploy",
    "dev.slipway.lock.message": "target production, commit 3f1c2d9 (1.4.2)",
    "dev.slipway.lock.started": "2026-12-06T01:00:00.000Z",
    "dev.slipway.lock.expires": "2026-12-06T01:05:00.000Z",
  });
  assert.deepEqual(decodeLock("shop", labels), lock());
  assert.equal(decodeLock("shop", { ...labels, [LockLabel.takenOver]: "run-b" }).takenOver, "run-b");
  assert.equal(encodeLock(lock({ message: "m".repeat(500) }))[LockLabel.message]!.length, 200, "a long message is cut");
});

test("what the labels lack comes from the data; a config of that name with neither is held by someone unknown and never expires", () => {
  const { expires: _e, ...rest } = encodeLock(lock());
  assert.equal(decodeLock("shop", rest, JSON.stringify({ expires: "2026-12-06T01:05:00.000Z" })).expires, "2026-12-06T01:05:00.000Z");
  const foreign = decodeLock("shop", {}, "not json");
  assert.equal(foreign.holder, "an unknown holder");
  assert.equal(foreign.pid, 0);
  assert.equal(isExpired(foreign, T0 + 10 ** 12), false);
  assert.match(describeLock(foreign, T0), /^an unknown holder — no expiry \(not made by Slipway\)$/);
});

test("a lock expires when its expiry has passed on the swarm's clock, not before", () => {
  assert.equal(isExpired(lock(), T0 + 299_999), false);
  assert.equal(isExpired(lock(), T0 + 300_000), true);
  assert.equal(isExpired(lock({ expires: "soon" }), T0 + 10 ** 12), false, "an unreadable expiry never expires");
});

test("a holder renews three times per expiry, at most five times a second", () => {
  assert.equal(renewalInterval(300_000), 100_000);
  assert.equal(renewalInterval(5_000), 1_666);
  assert.equal(renewalInterval(100), 200);
});

test("a lock said for a person: holder, pid, run, what for, since and until when", () => {
  assert.equal(roughDuration(125_400), "2m5s");
  assert.equal(roughDuration(-5), "0s");
  assert.equal(
    describeLock(lock(), T0 + 125_000),
    "alice@ci-3 (pid 4242, run 20261206-0100-ab12) for a deploy: target production, commit 3f1c2d9 (1.4.2) — since 2026-12-06T01:00:00.000Z (2m5s ago), until 2026-12-06T01:05:00.000Z (in 2m55s)",
  );
  assert.match(describeLock(lock(), T0 + 310_000), /until 2026-12-06T01:05:00\.000Z \(expired 10s ago\)$/);
});

test("a held lock is DEPLOY_LOCKED, exit 13, naming its holder, since and until when, with what to do", () => {
  const err = lockHeldError(lock(), T0 + 60_000, { target: "production" });
  assert.equal(err.code, "DEPLOY_LOCKED");
  assert.equal(err.kind, "deploy-locked");
  assert.equal(err.exitCode, 13);
  assert.match(err.message, /^The stack shop is locked by another deploy: alice@ci-3 \(pid 4242, run 20261206-0100-ab12\) for a deploy: target production/);
  assert.match(err.message, /since 2026-12-06T01:00:00\.000Z \(1m0s ago\), until 2026-12-06T01:05:00\.000Z \(in 4m0s\)$/);
  assert.match(err.hint ?? "", /Nothing was changed/);
  assert.match(err.hint ?? "", /--lock-wait 10m/);
  assert.match(err.hint ?? "", /slipway lock status --target production/);
  assert.match(err.hint ?? "", /slipway lock release --target production --force/);
  assert.match(lockHeldError(lock(), T0, { waitedMs: 120_000 }).message, /; still held after waiting 2m0s$/);
});

test("lock release: an expired lock, or your own whose process is gone, goes freely; someone else's, or a running one, needs --force", () => {
  const me = (alive: boolean) => ({ holder: "alice@ci-3", host: "ci-3", isPidAlive: () => alive });
  assert.equal(releaseRefusal(lock(), me(false), T0), undefined, "my own, its process gone");
  assert.match(releaseRefusal(lock(), me(true), T0) ?? "", /pid 4242 on this machine, is still running/);
  assert.match(releaseRefusal(lock({ holder: "bob@laptop" }), me(false), T0) ?? "", /held by bob@laptop \(pid 4242, run 20261206-0100-ab12\), not by alice@ci-3/);
  assert.equal(releaseRefusal(lock({ holder: "bob@laptop" }), me(false), T0 + 300_000), undefined, "expired");
});

test("lock status --json: locked or not, expired or not, and the swarm's now", () => {
  assert.deepEqual(lockJson(undefined, "shop", T0), { stack: "shop", locked: false, now: "2026-12-06T01:00:00.000Z" });
  const json = lockJson({ ...lock(), id: "abc", version: 7 }, "shop", T0 + 300_000);
  assert.equal(json["expired"], true);
  assert.deepEqual(json["lock"], { id: "abc", name: "slipway-lock-shop", ...lock() });
});

// ---- acquire, renew, take over, release: against an in-memory swarm of configs ---------------------

/** The configs endpoints as a manager serves them: unique names (409), version-checked label updates, events. */
class FakeSwarm {
  readonly configs = new Map<string, SwarmConfig>();
  /** The manager's clock runs this far ahead of ours. */
  offsetMs = 0;
  #index = 1;
  #ids = 0;
  readonly #subscribers = new Set<(e: EngineEvent) => void>();
  /** Called before a labels update is applied (to let another writer in first). */
  beforeUpdate: (() => void) | undefined;
  readonly log: string[] = [];

  now(): number {
    return Date.now() + this.offsetMs;
  }

  byName(name: string): SwarmConfig | undefined {
    return [...this.configs.values()].find((c) => c.Spec.Name === name);
  }

  put(name: string, labels: Record<string, string>): SwarmConfig {
    if (this.byName(name)) throw new EngineApiError({ status: 409, method: "POST", path: "/configs/create", message: `config ${name} already exists` });
    const id = `cfg${++this.#ids}`;
    const config: SwarmConfig = { ID: id, Version: { Index: ++this.#index }, CreatedAt: "", UpdatedAt: "", Spec: { Name: name, Labels: labels, Data: "" } };
    this.configs.set(id, config);
    this.#emit("create", config);
    return config;
  }

  update(id: string, version: number, labels: Record<string, string>): void {
    this.beforeUpdate?.();
    const config = this.configs.get(id);
    if (!config) throw new EngineApiError({ status: 404, method: "POST", path: `/configs/${id}/update`, message: `config ${id} not found` });
    if (config.Version.Index !== version) throw new EngineApiError({ status: 500, method: "POST", path: `/configs/${id}/update`, message: "rpc error: code = Unknown desc = update out of sequence" });
    config.Spec.Labels = labels;
    config.Version.Index = ++this.#index;
    this.#emit("update", config);
  }

  remove(id: string): void {
    const config = this.configs.get(id);
    if (!config) return;
    this.configs.delete(id);
    this.#emit("remove", config);
  }

  #emit(action: string, config: SwarmConfig): void {
    this.log.push(`${action} ${config.ID}`);
    for (const s of this.#subscribers) s({ Type: "config", Action: action, Actor: { ID: config.ID, Attributes: { name: config.Spec.Name } }, time: 0, timeNano: 0 });
  }

  engine(): Engine {
    const swarm = this;
    return {
      system: {
        info: async () => ({ SystemTime: new Date(swarm.now()).toISOString() }),
        events: async (opts: { signal?: AbortSignal }) => ({
          async *[Symbol.asyncIterator]() {
            const queue: EngineEvent[] = [];
            let wake: (() => void) | undefined;
            const subscriber = (e: EngineEvent) => {
              queue.push(e);
              wake?.();
            };
            swarm.#subscribers.add(subscriber);
            opts.signal?.addEventListener("abort", () => wake?.());
            try {
              while (!opts.signal?.aborted) {
                if (queue.length) yield queue.shift()!;
                else await new Promise<void>((resolve) => (wake = resolve));
              }
            } finally {
              swarm.#subscribers.delete(subscriber);
            }
          },
        }),
      },
      configs: {
        create: async (spec: { Name: string; Labels?: Record<string, string> }) => ({ ID: swarm.put(spec.Name, spec.Labels ?? {}).ID }),
        find: async (idOrName: string) => structuredClone(swarm.configs.get(idOrName) ?? swarm.byName(idOrName)),
        remove: async (id: string) => swarm.remove(id),
      },
      http: {
        none: async (_method: string, p: string, opts: { query: { version: number }; json: { Labels: Record<string, string> } }) => swarm.update(/^\/configs\/([^/]+)\/update$/.exec(p)![1]!, opts.query.version, opts.json.Labels),
      },
    } as unknown as Engine;
  }
}

const holder = (name: string) => ({ holder: `${name}@host`, pid: 100, runId: `run-${name}` });
const ctxOf = (swarm: FakeSwarm, seen: SlipwayEvent[] = []) => {
  const events = new EventBus();
  events.on((e) => void seen.push(e));
  return { engine: swarm.engine(), events, signal: AbortSignal.timeout(20_000) };
};
const acquire = (swarm: FakeSwarm, name: string, more: { waitMs?: number; expiryMs?: number; seen?: SlipwayEvent[] } = {}) =>
  acquireLock(ctxOf(swarm, more.seen), { stack: "shop", holder: holder(name), operation: "deploy", message: `${name}'s deploy`, target: "production", ...(more.waitMs ? { waitMs: more.waitMs } : {}), ...(more.expiryMs ? { expiryMs: more.expiryMs } : {}) });

test("of two deploys, the second is refused at once naming the first; once the first releases, the next one takes it", async () => {
  const swarm = new FakeSwarm();
  const first = await acquire(swarm, "alice");
  const refused = await acquire(swarm, "bob").then(() => assert.fail("took a held lock"), (e: unknown) => e);
  assert.ok(refused instanceof SlipwayError && refused.code === "DEPLOY_LOCKED", String(refused));
  assert.match(refused.message, /locked by another deploy: alice@host \(pid 100, run run-alice\) for a deploy: alice's deploy/);
  await first.release();
  assert.equal(swarm.configs.size, 0);
  await using second = await acquire(swarm, "bob");
  assert.equal(swarm.byName("slipway-lock-shop")?.Spec.Labels?.[LockLabel.holder], "bob@host");
  assert.equal(second.lost, undefined);
});

test("expiry is judged on the swarm's clock: a lock ours calls expired is live on a manager whose clock is behind", async () => {
  const swarm = new FakeSwarm();
  swarm.put(lockName("shop"), encodeLock(lock({ expires: new Date(Date.now() - 10_000).toISOString() })));
  swarm.offsetMs = -60_000;
  await assert.rejects(acquire(swarm, "bob"), /locked by another deploy: alice@ci-3/);
  swarm.offsetMs = 0;
  const seen: SlipwayEvent[] = [];
  await using _taken = await acquire(swarm, "bob", { seen });
  assert.ok(seen.some((e) => e.type === "warning" && /had expired; taken over from alice@ci-3/.test(e.message)));
  assert.deepEqual(swarm.log, ["create cfg1", "update cfg1", "remove cfg1", "create cfg2"], "claimed at its version, removed by ID, created again");
});

test("a takeover loses to a holder that renewed after the lock was read: the claim is out of sequence, and the lock stays", async () => {
  const swarm = new FakeSwarm();
  const stale = swarm.put(lockName("shop"), encodeLock(lock({ expires: new Date(Date.now() - 1).toISOString() })));
  // The holder renews between the taker's look and its claim.
  swarm.beforeUpdate = () => {
    swarm.beforeUpdate = undefined;
    swarm.update(stale.ID, stale.Version.Index, encodeLock(lock({ expires: new Date(Date.now() + 60_000).toISOString() })));
  };
  await assert.rejects(acquire(swarm, "bob"), /locked by another deploy: alice@ci-3/);
  assert.ok(swarm.configs.has(stale.ID), "the renewed lock was not removed");
});

test("a holder renews its lock while it works, and its release removes only its own lock, never the one a taker made", async () => {
  const swarm = new FakeSwarm();
  const seen: SlipwayEvent[] = [];
  const held = await acquire(swarm, "alice", { expiryMs: 1_000, seen });
  const first = swarm.configs.get(held.id)!.Spec.Labels![LockLabel.expires]!;
  for (let i = 0; swarm.configs.get(held.id)!.Spec.Labels![LockLabel.expires] === first; i++) await sleep(50);
  assert.ok(Date.parse(swarm.configs.get(held.id)!.Spec.Labels![LockLabel.expires]!) > Date.parse(first));
  // Stalled past its expiry, it was taken over: its next renewal finds the claim and says so.
  const config = swarm.configs.get(held.id)!;
  swarm.update(held.id, config.Version.Index, { ...config.Spec.Labels!, [LockLabel.takenOver]: "run-bob" });
  swarm.remove(held.id);
  const taker = swarm.put(lockName("shop"), encodeLock(lock({ holder: "bob@host", runId: "run-bob" })));
  while (!held.lost) await sleep(50);
  assert.match(held.lost, /removed/);
  assert.ok(seen.some((e) => e.type === "warning" && /lost the deploy lock of stack shop/.test(e.message)));
  await held.release();
  assert.ok(swarm.configs.has(taker.ID), "the taker's lock stays");
});

test("with a wait, the second deploy waits for the first one's release (woken by the config's events) and then takes it", async () => {
  const swarm = new FakeSwarm();
  const first = await acquire(swarm, "alice");
  const seen: SlipwayEvent[] = [];
  const waiting = acquire(swarm, "bob", { waitMs: 60_000, seen });
  while (!seen.some((e) => e.type === "log" && /stack shop is locked by alice@host .* waiting up to 1m0s for it/.test(e.message))) await sleep(20);
  await first.release();
  await using second = await waiting;
  assert.equal(second.info.holder, "bob@host");
  assert.deepEqual(
    swarm.log.map((l) => l.split(" ")[0]),
    ["create", "remove", "create"],
  );
});

test("a wait that runs out is DEPLOY_LOCKED, saying how long it waited", async () => {
  const swarm = new FakeSwarm();
  await using _first = await acquire(swarm, "alice");
  await assert.rejects(acquire(swarm, "bob", { waitMs: 300 }), (e: unknown) => e instanceof SlipwayError && e.exitCode === 13 && /still held after waiting \d+s$/.test(e.message));
});

test("readLock: the lock as the swarm has it, with its ID and version", async () => {
  const swarm = new FakeSwarm();
  assert.equal(await readLock(swarm.engine(), "shop", AbortSignal.timeout(1000)), undefined);
  const c = swarm.put(lockName("shop"), encodeLock(lock()));
  assert.deepEqual(await readLock(swarm.engine(), "shop", AbortSignal.timeout(1000)), { ...lock(), id: c.ID, version: c.Version.Index });
});
