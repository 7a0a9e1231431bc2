/**
 * Carries out a plan. It decides nothing: each operation says what to do and why; this only
 * does it, in dependency order, honouring the signal, and reports each step as an event.
 */
import { setTimeout as delay } from "node:timers/promises";
import { readSourceFile } from "../file-objects.ts";
import type { Engine } from "../../engine/index.ts";
import { EngineApiError, isConflict, isNotFound } from "../../engine/index.ts";
import { tarFromEntries } from "../../engine/streams/archive.ts";
import type { EventBus } from "../../events/index.ts";
import type { ContainerWatcher } from "../../readiness/container-watcher.ts";
import { teardownSignal } from "../../run/lifetimes.ts";
import { waitReady } from "../../readiness/wait-ready.ts";
import { concurrency } from "./context.ts";
import { runDag } from "./dag.ts";
import type { Operation, Plan } from "./plan.ts";

export interface ExecuteContext {
  engine: Engine;
  signal: AbortSignal;
  events: EventBus;
  /** Subscribed before anything starts, so no exit or health change is missed. */
  watcher?: ContainerWatcher;
  readyTimeoutMs?: number;
  /** Remove anonymous volumes with containers (pipeline environments; `down -v`). */
  removeVolumes?: boolean;
  /**
   * Retries of a network removal the engine refuses for stale endpoints (default 8, ~5 s). The
   * sweeper passes 0: a network the engine will not release must not slow every command down.
   */
  networkRetries?: number;
  /** At most this many operations at once (`--parallel`); unset or -1: no limit. */
  parallel?: number;
  /** Called with each container this plan creates, as soon as it exists. */
  onCreated?: (name: string, id: string) => void;
  /**
   * Awaited before each container starts, with its id: attached `up` attaches to its output
   * here, so that nothing it writes is missed.
   */
  beforeStart?: (op: Extract<Operation, { kind: "container.start" }>, id: string, signal: AbortSignal) => Promise<void>;
}

export interface ExecuteResult {
  /** Container ids by name, for containers this plan created. */
  created: Map<string, string>;
}

async function runOperation(op: Operation, ctx: ExecuteContext, signal: AbortSignal, created: Map<string, string>): Promise<void> {
  const { engine } = ctx;
  switch (op.kind) {
    case "network.create":
      // One request when none exists; concurrent creates of one name in this process share it, and
      // one another process made meanwhile (409) is looked up: that is what we wanted.
      await engine.networks.ensure(op.body, { signal });
      return;
    case "volume.create":
      await engine.volumes.create(op.body, { signal });
      return;
    case "container.remove": {
      if (!op.kill && (op.container.state === "running" || op.container.state === "restarting" || op.container.state === "paused")) {
        await engine.containers.stop(op.container.id, { ...(op.stopTimeout !== undefined ? { timeout: op.stopTimeout } : {}), signal });
      }
      await engine.containers.remove(op.container.id, { force: true, volumes: ctx.removeVolumes ?? false, signal });
      return;
    }
    case "container.create": {
      const { Id } = await engine.containers.create(op.spec.body, { name: op.spec.name, signal, ...(op.spec.platform ? { platform: op.spec.platform } : {}) });
      created.set(op.spec.name, Id);
      ctx.onCreated?.(op.spec.name, Id);
      for (const attachment of op.spec.connectAfterCreate) {
        await engine.networks.connect(attachment.network, Id, attachment.endpoint, { signal });
      }
      for (const copy of op.spec.copies) {
        // At the root, with the whole path in the entry: the engine creates missing parent folders
        // (an image has no /run/secrets), and entries for existing ones would reset their modes.
        const tar = await tarFromEntries([
          {
            name: copy.target.replace(/^\/+/, ""),
            content: "file" in copy.source ? await readSourceFile(copy.source.file, copy.kind, copy.name) : copy.source.content,
            mode: copy.mode,
            ...(copy.uid !== undefined ? { uid: Number(copy.uid) } : {}),
            ...(copy.gid !== undefined ? { gid: Number(copy.gid) } : {}),
          },
        ]);
        await engine.containers.putArchive(Id, "/", tar, { signal });
      }
      for (const warning of op.spec.warnings) ctx.events.emit({ type: "warning", message: warning });
      return;
    }
    case "container.start":
      if (ctx.beforeStart) await ctx.beforeStart(op, created.get(op.name) ?? op.containerId ?? op.name, signal);
      signal.throwIfAborted();
      // Once asked, the engine carries a start through whether or not anyone still listens, and
      // its process writes output before the engine lists it as running. Its answer is awaited
      // even when the run is cancelled, so that what comes next (Ctrl-C's stop) sees the container
      // running rather than "created", and stops it.
      await engine.containers.start(op.name, { signal: teardownSignal("containerMs") });
      return;
    case "container.stop":
      await engine.containers.stop(op.container.id, { ...(op.stopTimeout !== undefined ? { timeout: op.stopTimeout } : {}), signal });
      return;
    case "container.kill":
      try {
        await engine.containers.kill(op.container.id, { signal });
      } catch (err) {
        // Gone, or no longer running (409): stopped is what a kill wants.
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      return;
    case "container.restart":
      await engine.containers.stop(op.name, { ...(op.stopTimeout !== undefined ? { timeout: op.stopTimeout } : {}), signal });
      await engine.containers.start(op.name, { signal });
      return;
    case "service.ready": {
      if (!ctx.watcher) throw new Error("service.ready needs a container watcher");
      await Promise.all(
        op.containers.map((container) =>
          waitReady({
            engine,
            watcher: ctx.watcher!,
            service: op.service,
            container,
            condition: op.condition,
            signal,
            ...(ctx.readyTimeoutMs !== undefined ? { timeoutMs: ctx.readyTimeoutMs } : {}),
          }),
        ),
      );
      return;
    }
    case "network.remove":
      await removeNetwork(ctx, op.networkId, op.name, signal);
      return;
    case "volume.remove":
      await engine.volumes.remove(op.name, { signal });
      return;
  }
}

export async function executePlan(plan: Plan, ctx: ExecuteContext): Promise<ExecuteResult> {
  const created = new Map<string, string>();
  await runDag(
    plan,
    async (op, signal) => {
      const started = performance.now();
      ctx.events.emit({ type: "step.start", step: op.id, cause: op.cause });
      try {
        await runOperation(op, ctx, signal, created);
        ctx.events.emit({ type: "step.end", step: op.id, ok: true, durationMs: performance.now() - started });
      } catch (err) {
        // Cut short by the run or a sibling step giving up: not a failure of its own.
        const cancelled = signal.aborted ? { cancelled: true } : {};
        ctx.events.emit({ type: "step.end", step: op.id, ok: false, durationMs: performance.now() - started, error: err instanceof Error ? err.message.split("\n")[0]! : String(err), ...cancelled });
        throw err;
      }
    },
    ctx.signal,
    concurrency(ctx),
  );
  return { created };
}

/**
 * Removes a network whose containers were just removed. The engine releases endpoints after it
 * answers the container removal, and sometimes keeps a stale one for good (moby/moby#43286), so
 * "has active endpoints" (403, by status) is retried after disconnecting what is still attached;
 * if it persists, it is a warning — the network is left for a later `slipway clean` — never the
 * failure of a `down` whose containers are all gone.
 */
async function removeNetwork(ctx: ExecuteContext, id: string, name: string, signal: AbortSignal): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await ctx.engine.networks.remove(id, { signal });
      return;
    } catch (err) {
      if (!(err instanceof EngineApiError) || err.status !== 403) throw err;
      if (attempt >= (ctx.networkRetries ?? 8)) {
        ctx.events.emit({ type: "warning", message: `network ${name} still has endpoints the engine has not released (moby/moby#43286); it is left for a later \`slipway clean\`` });
        return;
      }
      const info = await ctx.engine.networks.find(id, { signal });
      if (!info) return;
      for (const container of Object.keys(info.Containers ?? {})) {
        await ctx.engine.networks.disconnect(id, container, { force: true, signal }).catch(() => undefined);
      }
      // The back-off ends with the teardown's own signal: a cancelled teardown does not wait it out.
      await delay(Math.min(100 * 2 ** attempt, 1000), undefined, { signal });
    }
  }
}
