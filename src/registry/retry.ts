/**
 * When a registry request is tried again, and after how long. A registry behind a load balancer
 * answers 502/503 while it rolls, 429 when it rate-limits, and drops keep-alive connections the
 * client still thinks are open: all of these pass when tried again a moment later. A 4xx never
 * does (the request itself is wrong, or the credentials), and neither does a stalled registry:
 * trying again would only multiply the time the user waits for the same silence.
 *
 * The schedule is exponential with jitter (0.25 s, 0.5 s, 1 s… each ±20 %), so that many clients
 * refused at once do not come back at once; a `Retry-After` the registry sends is honoured when
 * it asks for longer.
 */
import { setTimeout as delay } from "node:timers/promises";
import { CancelledError } from "../errors/index.ts";

export interface BackoffOptions {
  /** The delay before the first retry. */
  baseMs: number;
  factor: number;
  /** ± this fraction of each delay, at random. */
  jitter: number;
  /** No single wait is longer, whatever the schedule or a Retry-After says. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, factor: 2, jitter: 0.2, maxMs: 30_000 };

/** The wait before retry number `retry` (1 = the second attempt). `random` returns [0, 1). */
export function backoffDelay(retry: number, random: () => number = Math.random, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  const nominal = opts.baseMs * opts.factor ** (retry - 1);
  const jittered = nominal * (1 + opts.jitter * (2 * random() - 1));
  return Math.round(Math.min(opts.maxMs, Math.max(0, jittered)));
}

/** Every wait of a run of `attempts` attempts that all fail: attempts - 1 of them. */
export function backoffSchedule(attempts: number, random: () => number = Math.random, opts: BackoffOptions = DEFAULT_BACKOFF): number[] {
  return Array.from({ length: Math.max(0, attempts - 1) }, (_, i) => backoffDelay(i + 1, random, opts));
}

/**
 * `Retry-After` as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when
 * absent or unreadable. A date in the past is 0.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The outcome of one attempt: a value, or what it threw. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Try again (after at least `retryAfterMs`, when the server said so), or undefined: this outcome is final. */
export type RetryAdvice = { reason: string; retryAfterMs?: number | undefined } | undefined;

export interface RetryPolicy {
  /** Attempts in all, the first included (1: never retry). */
  attempts: number;
  backoff?: Partial<BackoffOptions>;
  signal?: AbortSignal | undefined;
  random?: () => number;
  /** Called before each wait, for tracing. */
  onRetry?: (info: { attempt: number; reason: string; waitMs: number }) => void;
}

export interface Retried<T> {
  value: T;
  /** How many attempts it took (1: no retry). */
  attempts: number;
}

/**
 * Runs `attempt` until `advise` has no advice for its outcome or the attempts are spent, waiting
 * the backoff between. The last outcome is returned (or thrown) as it is: the caller turns a
 * final 503 or dropped connection into its own error, saying how many attempts were made.
 */
export async function withRetries<T>(policy: RetryPolicy, attempt: (n: number) => Promise<T>, advise: (outcome: Settled<T>) => RetryAdvice): Promise<Retried<T>> {
  const backoff = { ...DEFAULT_BACKOFF, ...policy.backoff };
  const attempts = Math.max(1, Math.floor(policy.attempts));
  for (let n = 1; ; n++) {
    if (policy.signal?.aborted) throw new CancelledError("Registry request cancelled", policy.signal.reason);
    let outcome: Settled<T>;
    try {
      outcome = { ok: true, value: await attempt(n) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    const advice = n < attempts ? advise(outcome) : undefined;
    if (!advice) {
      if (outcome.ok) return { value: outcome.value, attempts: n };
      throw outcome.error;
    }
    const waitMs = Math.min(backoff.maxMs, Math.max(backoffDelay(n, policy.random, backoff), advice.retryAfterMs ?? 0));
    policy.onRetry?.({ attempt: n, reason: advice.reason, waitMs });
    await sleep(waitMs, policy.signal);
  }
}

async function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    throw new CancelledError("Registry request cancelled", err);
  }
}
