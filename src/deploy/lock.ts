/**
 * The deploy lock (issue 14): one deploy, removal or rollback of a stack at a time, held in the
 * swarm itself, so that every machine that can reach a manager sees it and no other store is needed.
 *
 * The lock is a Swarm config named `slipway-lock-<stack>`. Creating it is the atomic step: the
 * managers' raft store keeps names unique, so of two creates one gets 409 Conflict. Its labels say
 * who holds it, for what, since when and until when; its data is the same as JSON (configs are
 * immutable but for their labels, so the data keeps what the holder first wrote).
 *
 * - The holder renews `expires` while it works, with the version index it read, so that a renewal
 *   racing a takeover fails instead of overwriting it.
 * - A lock whose `expires` has passed (a holder killed with SIGKILL, a machine gone) is taken over:
 *   first claimed (a labels update at the version read, which fails if its holder renewed
 *   meanwhile), then removed by its ID — never by name, so a fresh lock someone else just created
 *   is never removed — then created again, which only one taker can win.
 * - Every instant is the swarm's: the manager's clock (`SystemTime` of `GET /info`) is read once,
 *   and its offset from ours applied, so two deploying machines whose clocks disagree still agree
 *   on when a lock expires.
 */
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Engine, SwarmConfig } from "../engine/index.ts";
import { isConflict, isNotFound, isOutOfSequence } from "../engine/index.ts";
import { CancelledError, SlipwayError } from "../errors/index.ts";
import type { EventBus } from "../events/index.ts";
import { formatDuration } from "../yaml/duration.ts";

/** The labels of a lock; the lock is found by its name, never by these. */
export const LockLabel = {
  stack: "dev.slipway.lock.stack",
  /** user@host of the holder. */
  holder: "dev.slipway.lock.holder",
  pid: "dev.slipway.lock.pid",
  run: "dev.slipway.lock.run",
  /** What the holder does: deploy, remove, rollback. */
  operation: "dev.slipway.lock.operation",
  message: "dev.slipway.lock.message",
  /** ISO-8601 instants, in the swarm's clock. */
  started: "dev.slipway.lock.started",
  expires: "dev.slipway.lock.expires",
  /** Set by a taker on an expired lock before it removes it: the run id that claimed it. */
  takenOver: "dev.slipway.lock.taken-over",
} as const;

/** How long a lock lives unless its holder renews it (slipway.yml `targets.T.lock_expiry`). */
export const DEFAULT_LOCK_EXPIRY_MS = 300_000;

/** What Swarm accepts as a config's name (swarmkit's validation, at most 64 characters). */
const CONFIG_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$/;
const MESSAGE_MAX = 200;

export type LockOperation = "deploy" | "remove" | "rollback";

/** Who takes a lock. */
export interface LockHolder {
  /** user@host. */
  holder: string;
  pid: number;
  runId: string;
}

/** A lock as its labels say it. */
export interface LockInfo extends LockHolder {
  stack: string;
  operation: string;
  message: string;
  started: string;
  expires: string;
  /** The run that claimed it once it had expired (it is about to be removed). */
  takenOver?: string;
}

/** A lock read from the swarm: its ID and version index too. */
export interface ObservedLock extends LockInfo {
  id: string;
  version: number;
}

/** The config's name for a stack's lock; a stack whose name Swarm would not take is named by its hash. */
export function lockName(stack: string): string {
  const name = `slipway-lock-${stack}`;
  if (name.length <= 64 && CONFIG_NAME.test(name)) return name;
  return `slipway-lock-${createHash("sha256").update(stack).digest("hex").slice(0, 32)}`;
}

export function encodeLock(info: LockInfo): Record<string, string> {
  return {
    [LockLabel.stack]: info.stack,
    [LockLabel.holder]: info.holder,
    [LockLabel.pid]: String(info.pid),
    [LockLabel.run]: info.runId,
    [LockLabel.operation]: info.operation,
    [LockLabel.message]: info.message.length > MESSAGE_MAX ? `${info.message.slice(0, MESSAGE_MAX - 1)}…` : info.message,
    [LockLabel.started]: info.started,
    [LockLabel.expires]: info.expires,
    ...(info.takenOver ? { [LockLabel.takenOver]: info.takenOver } : {}),
  };
}

/**
 * A lock from its config's labels, the data filling in what the labels lack. A config of that name
 * without them (made by hand) is still a lock — held by someone unknown, never expiring — so that
 * nothing deploys past it until a person removes it.
 */
export function decodeLock(stack: string, labels: Record<string, string> | undefined, data?: string): LockInfo {
  let fromData: Partial<Record<keyof LockInfo, unknown>> = {};
  try {
    const parsed: unknown = data ? JSON.parse(data) : undefined;
    if (parsed && typeof parsed === "object") fromData = parsed as typeof fromData;
  } catch {
    // Not ours: the labels alone say what is known.
  }
  const l = labels ?? {};
  const text = (label: string, key: keyof LockInfo, otherwise: string): string => l[label] ?? (typeof fromData[key] === "string" ? (fromData[key] as string) : otherwise);
  const pid = Number(l[LockLabel.pid] ?? fromData.pid);
  const takenOver = l[LockLabel.takenOver];
  return {
    stack: text(LockLabel.stack, "stack", stack),
    holder: text(LockLabel.holder, "holder", "an unknown holder"),
    pid: Number.isInteger(pid) && pid > 0 ? pid : 0,
    runId: text(LockLabel.run, "runId", ""),
    operation: text(LockLabel.operation, "operation", "unknown"),
    message: text(LockLabel.message, "message", ""),
    started: text(LockLabel.started, "started", ""),
    expires: text(LockLabel.expires, "expires", ""),
    ...(takenOver ? { takenOver } : {}),
  };
}

/** True once a lock's `expires` has passed on the swarm's clock; a lock without a readable expiry never expires. */
export function isExpired(lock: Pick<LockInfo, "expires">, swarmNow: number): boolean {
  const expires = Date.parse(lock.expires);
  return Number.isFinite(expires) && expires <= swarmNow;
}

/** How often a holder renews its lock: three times per expiry, so two failed renewals still keep it. */
export function renewalInterval(expiryMs: number): number {
  return Math.max(200, Math.floor(expiryMs / 3));
}

/** `2m5s`, to the second. */
export function roughDuration(ms: number): string {
  return formatDuration(Math.max(0, Math.round(ms / 1000)) * 1e9);
}

/** "alice@ci-3 (pid 4242, run 20261206-0112-ab12)". */
export function describeHolder(lock: Pick<LockInfo, "holder" | "pid" | "runId">): string {
  const more = [lock.pid ? `pid ${lock.pid}` : "", lock.runId ? `run ${lock.runId}` : ""].filter(Boolean);
  return `${lock.holder}${more.length ? ` (${more.join(", ")})` : ""}`;
}

/**
 * One line for a person: who holds it, doing what, since when and until when.
 * "alice@ci-3 (pid 4242, run …) for a deploy: commit 3f1c2d9 — since 2026-…Z (2m5s ago), until 2026-…Z (in 2m55s)"
 */
export function describeLock(lock: LockInfo, swarmNow: number): string {
  const started = Date.parse(lock.started);
  const expires = Date.parse(lock.expires);
  const since = lock.started ? `since ${lock.started}${Number.isFinite(started) ? ` (${roughDuration(swarmNow - started)} ago)` : ""}` : "";
  const until = !lock.expires
    ? "no expiry (not made by Slipway)"
    : `until ${lock.expires}${Number.isFinite(expires) ? (expires > swarmNow ? ` (in ${roughDuration(expires - swarmNow)})` : ` (expired ${roughDuration(swarmNow - expires)} ago)`) : ""}`;
  const what = lock.operation === "unknown" ? "" : ` for a ${lock.operation}`;
  return `${describeHolder(lock)}${what}${lock.message ? `: ${lock.message}` : ""} — ${[since, until].filter(Boolean).join(", ")}`;
}

/** Deploys of one stack are refused while another holds its lock (exit 13). */
export function lockHeldError(lock: LockInfo, swarmNow: number, opts: { target?: string; waitedMs?: number } = {}): SlipwayError {
  const target = opts.target ? ` --target ${opts.target}` : "";
  const waited = opts.waitedMs !== undefined ? `; still held after waiting ${roughDuration(opts.waitedMs)}` : "";
  return new SlipwayError(`The stack ${lock.stack} is locked by another deploy: ${describeLock(lock, swarmNow)}${waited}`, {
    code: "DEPLOY_LOCKED",
    kind: "deploy-locked",
    hint:
      `Nothing was changed. Run again when it is done, or wait for it (\`--lock-wait 10m\`); \`slipway lock status${target}\` shows it. ` +
      `If you are sure no deploy of ${lock.stack} is running, \`slipway lock release${target} --force\` removes it` +
      (lock.expires ? ` (it expires on its own at ${lock.expires} unless its holder renews it).` : "."),
    details: { stack: lock.stack, holder: lock.holder, pid: lock.pid, runId: lock.runId, started: lock.started, expires: lock.expires },
  });
}

/** The swarm's clock as seen from here: our clock plus the manager's offset, measured once. */
export interface SwarmClock {
  now(): number;
}

/** Reads the manager's `SystemTime` and keeps its offset from ours; an engine that does not say it is taken as agreeing. */
export async function swarmClock(engine: Engine, signal: AbortSignal, localNow: () => number = Date.now): Promise<SwarmClock> {
  const before = localNow();
  const info = (await engine.system.info({ signal })) as { SystemTime?: string };
  const after = localNow();
  const remote = Date.parse(info.SystemTime ?? "");
  const offset = Number.isFinite(remote) ? remote - (before + after) / 2 : 0;
  return { now: () => localNow() + offset };
}

/** The stack's lock as the swarm has it now, or undefined. */
export async function readLock(engine: Engine, stack: string, signal: AbortSignal): Promise<ObservedLock | undefined> {
  const config = await engine.configs.find(lockName(stack), { signal });
  return config ? observed(stack, config) : undefined;
}

function observed(stack: string, config: SwarmConfig): ObservedLock {
  return { ...decodeLock(stack, config.Spec.Labels, config.Spec.Data ? Buffer.from(config.Spec.Data, "base64").toString("utf8") : undefined), id: config.ID, version: config.Version.Index };
}

/** `POST /configs/{id}/update`: only labels may change, and only at the version read (else out of sequence). */
async function updateLabels(engine: Engine, config: { id: string; version: number; name: string }, labels: Record<string, string>, signal: AbortSignal): Promise<void> {
  await engine.http.none("POST", `/configs/${encodeURIComponent(config.id)}/update`, { query: { version: config.version }, json: { Name: config.name, Labels: labels }, signal });
}

/** Removes a lock by its ID (never by name: see the file's comment). Gone already is success. */
export async function removeLock(engine: Engine, lock: Pick<ObservedLock, "id">, signal: AbortSignal): Promise<void> {
  await engine.configs.remove(lock.id, { signal });
}

export interface AcquireLockOptions {
  stack: string;
  holder: LockHolder;
  operation: LockOperation;
  /** Said by `slipway lock status` and by the error a second deploy gets. */
  message: string;
  /** How long the lock lives without a renewal (ms). */
  expiryMs?: number;
  /** How long to wait for a held lock (ms); 0 or absent: fail at once. */
  waitMs?: number;
  /** The slipway.yml target, for the hints. */
  target?: string;
  /** Our clock (tests). */
  localNow?: () => number;
  /** The longest wait between two looks while waiting, in case an engine event is missed (ms). */
  pollMs?: number;
}

/**
 * Takes the stack's lock: at once if it is free or expired, else after waiting up to `waitMs` for
 * it (woken by the config's events, looking again at least every `pollMs`), else a DEPLOY_LOCKED
 * error naming its holder. The lock is renewed until released: `await using lock = await acquireLock(…)`.
 */
export async function acquireLock(ctx: { engine: Engine; events: EventBus; signal: AbortSignal }, opts: AcquireLockOptions): Promise<HeldLock> {
  const { engine, events, signal } = ctx;
  const clock = await swarmClock(engine, signal, opts.localNow);
  // Below a second, a live holder could not renew it in time.
  const expiryMs = Math.max(1000, opts.expiryMs ?? DEFAULT_LOCK_EXPIRY_MS);
  const name = lockName(opts.stack);
  const localNow = opts.localNow ?? Date.now;
  const waitStart = localNow();
  const deadline = waitStart + (opts.waitMs ?? 0);
  let watch: LockWatch | undefined;
  let said = false;
  try {
    for (;;) {
      if (signal.aborted) throw new CancelledError(`Stopped waiting for the lock of ${opts.stack}`, signal.reason);
      const now = clock.now();
      const info: LockInfo = { stack: opts.stack, ...opts.holder, operation: opts.operation, message: opts.message, started: new Date(now).toISOString(), expires: new Date(now + expiryMs).toISOString() };
      try {
        const { ID } = await engine.configs.create({ Name: name, Labels: encodeLock(info), Data: JSON.stringify({ schemaVersion: 1, ...info }) }, { signal });
        return new HeldLock({ engine, events, clock, name, id: ID, info, expiryMs, ...(opts.target ? { target: opts.target } : {}) });
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
      const held = await readLock(engine, opts.stack, signal);
      if (!held) continue; // released between our create and our look: try again
      if (isExpired(held, clock.now())) {
        if (await takeOver(engine, name, held, opts.holder.runId, signal)) {
          events.emit({ type: "warning", message: `the lock of stack ${opts.stack} had expired; taken over from ${describeLock(held, clock.now())}` });
        }
        continue;
      }
      if (localNow() >= deadline) throw lockHeldError(held, clock.now(), { ...(opts.target ? { target: opts.target } : {}), ...(opts.waitMs ? { waitedMs: localNow() - waitStart } : {}) });
      if (!watch) {
        // Watch before looking again, so a release between this look and the wait is not missed.
        watch = new LockWatch(engine, name);
        continue;
      }
      if (!said) {
        said = true;
        events.emit({ type: "log", level: "info", message: `stack ${opts.stack} is locked by ${describeLock(held, clock.now())}; waiting up to ${roughDuration(deadline - waitStart)} for it` });
      }
      const untilExpiry = Date.parse(held.expires) - clock.now();
      await watch.next(Math.max(0, Math.min(deadline - localNow(), Number.isFinite(untilExpiry) ? untilExpiry + 50 : Infinity, opts.pollMs ?? 5_000)), signal);
    }
  } finally {
    watch?.close();
  }
}

/**
 * Claims an expired lock (a labels update at the version read: it fails if its holder renewed it,
 * or another taker claimed it, meanwhile), then removes it by ID. False when someone else moved first.
 */
async function takeOver(engine: Engine, name: string, held: ObservedLock, runId: string, signal: AbortSignal): Promise<boolean> {
  try {
    await updateLabels(engine, { id: held.id, version: held.version, name }, { ...encodeLock(held), [LockLabel.takenOver]: runId }, signal);
  } catch (err) {
    if (isOutOfSequence(err) || isNotFound(err)) return false;
    throw err;
  }
  await removeLock(engine, held, signal);
  return true;
}

/** Wakes a waiter when the lock's config changes (create, update, remove), or when its time is up. */
class LockWatch {
  readonly #controller = new AbortController();
  #changed = false;
  #wake: (() => void) | undefined;

  constructor(engine: Engine, name: string) {
    void (async () => {
      try {
        for await (const _event of await engine.system.events({ filters: { type: ["config"], config: [name] }, signal: this.#controller.signal })) {
          this.#changed = true;
          this.#wake?.();
        }
      } catch {
        // No events (an engine that does not send them): the waiter looks again on its own.
      }
    })();
  }

  async next(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#changed) {
      this.#changed = false;
      return;
    }
    const timer = new AbortController();
    const both = AbortSignal.any([timer.signal, signal]);
    try {
      await Promise.race([sleep(ms, undefined, { signal: both }), new Promise<void>((resolve) => (this.#wake = resolve))]);
    } catch (err) {
      if (signal.aborted) throw new CancelledError("Stopped waiting for the deploy lock", err);
    } finally {
      timer.abort();
      this.#wake = undefined;
      this.#changed = false;
    }
  }

  close(): void {
    this.#controller.abort();
  }
}

/**
 * A lock this process holds: renewed every third of its expiry until released. A renewal that
 * finds the lock gone or claimed by a taker (this process stalled past its expiry) stops, and says
 * so: from then on another deploy may run.
 */
export class HeldLock implements AsyncDisposable {
  readonly info: LockInfo;
  readonly id: string;
  readonly #engine: Engine;
  readonly #events: EventBus;
  readonly #clock: SwarmClock;
  readonly #name: string;
  readonly #expiryMs: number;
  readonly #target: string | undefined;
  readonly #stop = new AbortController();
  readonly #renewing: Promise<void>;
  #lost: string | undefined;
  #released = false;

  constructor(o: { engine: Engine; events: EventBus; clock: SwarmClock; name: string; id: string; info: LockInfo; expiryMs: number; target?: string }) {
    this.#engine = o.engine;
    this.#events = o.events;
    this.#clock = o.clock;
    this.#name = o.name;
    this.id = o.id;
    this.info = o.info;
    this.#expiryMs = o.expiryMs;
    this.#target = o.target;
    this.#renewing = this.#renewLoop();
  }

  /** Why the lock was lost while held, or undefined while it is still ours. */
  get lost(): string | undefined {
    return this.#lost;
  }

  async #renewLoop(): Promise<void> {
    const signal = this.#stop.signal;
    let failing = false;
    while (!signal.aborted && !this.#lost) {
      try {
        await sleep(renewalInterval(this.#expiryMs), undefined, { signal });
      } catch {
        return;
      }
      try {
        await this.#renew(signal);
        failing = false;
      } catch (err) {
        if (signal.aborted) return;
        if (!failing) {
          failing = true;
          this.#events.emit({ type: "warning", message: `could not renew the lock of stack ${this.info.stack} (${err instanceof Error ? err.message.split("\n")[0] : String(err)}); trying again` });
        }
      }
    }
  }

  /** Reads the lock, checks it is still ours, and moves its expiry on at the version read. */
  async #renew(signal: AbortSignal): Promise<void> {
    for (;;) {
      const config = await this.#engine.configs.find(this.id, { signal });
      if (!config) return this.#lose("it was removed (`slipway lock release --force`?)");
      const now = observed(this.info.stack, config);
      if (now.runId !== this.info.runId) return this.#lose(`it is held by ${describeHolder(now)}`);
      if (now.takenOver) return this.#lose(`run ${now.takenOver} took it over once it had expired`);
      try {
        await updateLabels(this.#engine, { id: this.id, version: now.version, name: this.#name }, encodeLock({ ...this.info, expires: new Date(this.#clock.now() + this.#expiryMs).toISOString() }), signal);
        return;
      } catch (err) {
        if (isNotFound(err)) return this.#lose("it was removed (`slipway lock release --force`?)");
        if (!isOutOfSequence(err)) throw err;
        // Changed since read: only a taker writes to it, and the next look says so.
      }
    }
  }

  #lose(why: string): void {
    this.#lost = why;
    this.#events.emit({ type: "warning", message: `lost the deploy lock of stack ${this.info.stack}: ${why}; another deploy of it may run from now on` });
  }

  /** Stops renewing and removes the lock (by its ID: a taker's new lock is never touched). Never throws: a lock left behind expires. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.#stop.abort();
    await this.#renewing;
    try {
      // Its own clock: the run's signal may be aborted already (Ctrl-C).
      await removeLock(this.#engine, this, AbortSignal.timeout(30_000));
    } catch (err) {
      this.#events.emit({
        type: "warning",
        message: `could not release the lock of stack ${this.info.stack} (${err instanceof Error ? err.message.split("\n")[0] : String(err)}): it expires on its own within ${roughDuration(this.#expiryMs)}, or \`slipway lock release${this.#target ? ` --target ${this.#target}` : ""}\` removes it`,
      });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}

/**
 * Why `slipway lock release` must not remove a lock without `--force`, or undefined when it may:
 * an expired lock, or one of ours (the same user@host) whose process is gone, is released freely;
 * someone else's live lock, or one whose process on this machine still runs, needs `--force`.
 */
export function releaseRefusal(lock: LockInfo, me: { holder: string; host: string; isPidAlive(pid: number): boolean }, swarmNow: number): string | undefined {
  if (isExpired(lock, swarmNow)) return undefined;
  if (lock.holder !== me.holder) return `it is held by ${describeHolder(lock)}, not by ${me.holder}`;
  if (lock.pid && lock.holder.endsWith(`@${me.host}`) && me.isPidAlive(lock.pid)) return `its holder, pid ${lock.pid} on this machine, is still running`;
  return undefined;
}

/** What `slipway lock status --json` prints of a lock. */
export function lockJson(lock: ObservedLock | undefined, stack: string, swarmNow: number): Record<string, unknown> {
  if (!lock) return { stack, locked: false, now: new Date(swarmNow).toISOString() };
  const { id, version: _version, ...info } = lock;
  return { stack, locked: true, expired: isExpired(lock, swarmNow), now: new Date(swarmNow).toISOString(), lock: { id, name: lockName(stack), ...info } };
}
