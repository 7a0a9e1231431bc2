/**
 * Readiness of compose's depends_on conditions, from engine events (not sleeps, and never by
 * reaching published ports from the host: Slipway may run in a CI container or against a remote
 * engine). `service_healthy` also races the container's own healthcheck command run through exec.
 */
import { setMaxListeners } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import { CancelledError, SlipwayError } from "../errors/index.ts";
import type { Engine } from "../engine/index.ts";
import type { ContainerWatcher, ContainerEventState, WatcherStatus } from "./container-watcher.ts";
import { collectDiagnostics } from "./diagnostics.ts";
import { DependencyFailedError } from "./dependency-error.ts";
import { probeOnce, probeCommand } from "./exec-probe.ts";

export type ReadyCondition = "service_started" | "service_healthy" | "service_completed_successfully";

export interface WaitReadyOptions {
  engine: Engine;
  watcher: ContainerWatcher;
  service: string;
  container: string;
  condition: ReadyCondition;
  signal: AbortSignal;
  timeoutMs?: number;
  /** Race the engine's healthcheck with our own exec probes (default on). */
  probe?: boolean;
  /** Delay between our own probes. */
  probeIntervalMs?: number;
}

/** Resolves after `ms`, or at once when `signal` aborts; leaves no listener behind either way. */
const sleep = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }).catch(() => undefined);

export async function waitReady(opts: WaitReadyOptions): Promise<void> {
  const { engine, watcher, container, service, condition } = opts;
  if (condition === "service_started") return;
  const local = new AbortController();
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const signal = AbortSignal.any([opts.signal, local.signal, AbortSignal.timeout(timeoutMs)]);
  setMaxListeners(0, signal);
  let unfollow = () => {};
  let unwatch = () => {};
  try {
    return await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        local.abort();
        if (err) reject(err);
        else resolve();
      };
      const fail = (what: string) => {
        void collectDiagnostics(engine, container).then((d) => finish(new DependencyFailedError(service, what, d)));
      };
      signal.addEventListener("abort", () => {
        if (opts.signal.aborted) finish(new CancelledError(`waiting for ${service} cancelled`));
        else if (!local.signal.aborted) {
          void collectDiagnostics(engine, container).then((d) =>
            finish(
              new SlipwayError(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${service} to be ${condition === "service_healthy" ? "healthy" : "completed"}`, {
                code: "READY_TIMEOUT",
                kind: "timeout",
                hint: "Raise the timeout, or check the service's healthcheck and logs.",
                details: { service, diagnostics: d },
              }),
            ),
          );
        }
      }, { once: true });

      const onState = (state: ContainerEventState) => {
        if (condition === "service_completed_successfully") {
          if (state.kind === "exited") {
            if (state.exitCode === 0) finish();
            else fail(`exited with code ${state.exitCode}; it must complete successfully`);
          }
          return;
        }
        if (state.kind === "exited") fail(`exited with code ${state.exitCode} while waiting for it to be healthy`);
        else if (state.kind === "health" && state.status === "healthy") finish();
        else if (state.kind === "health" && state.status === "unhealthy") fail("is unhealthy");
      };
      // A watcher that lost its stream and caught up again has delivered what it missed through
      // `follow`; one that gave up will deliver nothing more, so the container's state now is
      // the last word (an exit is still reported as such), else the wait fails as the engine's.
      const onWatcherStatus = (status: WatcherStatus) => {
        if (status.kind !== "broken") return;
        void (async () => {
          try {
            const now = await engine.containers.inspect(container, { signal });
            const health = now.State.Health?.Status;
            if (!now.State.Running && now.State.Status === "exited") return onState({ kind: "exited", exitCode: now.State.ExitCode });
            if (condition === "service_healthy" && (health === "healthy" || health === "unhealthy")) return onState({ kind: "health", status: health });
          } catch {
            // The engine is unreachable too: the watcher's error below says so.
          }
          finish(new SlipwayError(`Stopped waiting for ${service}: ${status.error.message}`, {
            code: status.error.code,
            kind: status.error.kind,
            ...(status.error.hint ? { hint: status.error.hint } : {}),
            cause: status.error,
            details: { service },
          }));
        })();
      };
      // The container's id (names are reused by recreated containers), its state before our
      // subscription, and the healthcheck to probe with.
      void (async () => {
        try {
          const info = await engine.containers.inspect(container, { signal });
          if (settled) return;
          unfollow = watcher.follow(info.Id, onState);
          unwatch = watcher.onStatus(onWatcherStatus);
          if (settled) return;
          if (condition === "service_completed_successfully") {
            if (!info.State.Running && info.State.Status === "exited") onState({ kind: "exited", exitCode: info.State.ExitCode });
            return;
          }
          const health = info.Config.Healthcheck;
          if (!probeCommand(health?.Test)) {
            finish(new DependencyFailedError(service, "has no healthcheck, so it can never become healthy", undefined, `Add a healthcheck to ${service}, or depend on it with condition: service_started.`));
            return;
          }
          if (info.State.Health?.Status === "healthy") return finish();
          if (info.State.Health?.Status === "unhealthy") return fail("is unhealthy");
          if (!info.State.Running && info.State.Status === "exited") return onState({ kind: "exited", exitCode: info.State.ExitCode });
          if (opts.probe === false) return;
          while (!signal.aborted) {
            if (await probeOnce(engine, container, health!, signal)) return finish();
            await sleep(opts.probeIntervalMs ?? 50, signal);
          }
        } catch (err) {
          if (!signal.aborted) finish(err as Error);
        }
      })();
    });
  } finally {
    unfollow();
    unwatch();
  }
}
