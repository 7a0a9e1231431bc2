/**
 * Builds the RunContext for a command: engine from the environment, events to the renderer chosen
 * here, once. Every Slipway start sweeps what dead or expired runs left behind (crash safety
 * without a privileged reaper).
 */
import { releaseRunImages } from "../cleanup/prune.ts";
import { hostFacts } from "../cleanup/owner.ts";
import { sweepAbandonedRuns } from "../cleanup/sweep.ts";
import { Engine, builderFromEnv, endpointFromEnv, type TraceRecord } from "../engine/index.ts";
import { EventBus, type Listener } from "../events/index.ts";
import { teardownSignal } from "../run/lifetimes.ts";
import { createRunContext, type RunContext } from "../run/context.ts";
import { jsonRenderer } from "../ui/json-renderer.ts";
import { detectCi, pipelineRenderer, quietRenderer } from "../ui/pipeline-renderer.ts";
import { plainRenderer } from "../ui/plain-renderer.ts";
import type { CliIo } from "./io.ts";

/** plain: a compose command's step lines; pipeline: a stage's output, live on a terminal; pipeline-log: the same as lines (`--output plain`). */
export type OutputMode = "plain" | "json" | "quiet" | "pipeline" | "pipeline-log";

export function renderer(io: CliIo, mode: OutputMode): Listener | undefined {
  const writeErr = (s: string) => void io.stderr.write(s);
  const verbose = !!io.env["SLIPWAY_VERBOSE"];
  switch (mode) {
    case "json":
      return jsonRenderer((s) => void io.stdout.write(s));
    case "quiet":
      return quietRenderer((s) => void io.stdout.write(s));
    case "pipeline":
    case "pipeline-log": {
      const ci = detectCi(io.env);
      const live = mode === "pipeline" && !!io.stdout.isTTY && !ci && !io.env["CI"];
      return pipelineRenderer({ write: (s) => void io.stdout.write(s), style: io.out, live, ci, verbose });
    }
    case "plain":
      return plainRenderer(writeErr, io.err, { verbose });
  }
}

export async function openRunContext(io: CliIo, signal: AbortSignal, mode: OutputMode = "plain", runId?: string): Promise<RunContext & AsyncDisposable> {
  const events = new EventBus();
  const listener = renderer(io, mode);
  if (listener) events.on(listener);
  // SLIPWAY_TRACE=1: every engine request on stderr, with when it ended (ms since start-up) and
  // how long it took. Method, path and status only: never headers or bodies.
  const trace = io.env["SLIPWAY_TRACE"]
    ? (t: TraceRecord) => void io.stderr.write(`trace ${performance.now().toFixed(0).padStart(6)} ms  ${t.method} ${t.path} → ${t.status} (${t.ms.toFixed(1)} ms)\n`)
    : undefined;
  const engine = await Engine.connect({ endpoint: endpointFromEnv(io.env), signal, builder: builderFromEnv(io.env), ...(trace ? { trace } : {}) });
  const ctx = createRunContext({ engine, signal, events, ...(runId ? { runId } : {}) });
  // The sweep runs beside the command (it only touches runs whose owner is gone, never this one)
  // and is awaited before the process ends, so a command does not wait for others' leftovers.
  // Its removals are not this run's events (they have their own bus), and what it swept is said
  // only while the run is still going: the verdict stays the run's last event.
  let ended = false;
  events.on((e) => void (e.type === "verdict" && (ended = true)));
  const sweeping = sweepAbandonedRuns(engine, new EventBus(), hostFacts(ctx.owner), { signal: teardownSignal("sweepMs") })
    .then((swept) => {
      if (swept.length && !ended) events.emit({ type: "log", level: "info", message: `swept ${swept.length} abandoned run(s): ${swept.map((s) => `${s.runId} (${s.reason})`).join(", ")}` });
    })
    .catch(() => undefined);
  return {
    ...ctx,
    async [Symbol.asyncDispose]() {
      // A command that built images outside a pipeline run (`slipway base build`) holds them until
      // it ends, and the images its builds displaced (`--force`) go then too.
      await releaseRunImages(engine, ctx.owner.runId, { keep: 0, host: hostFacts(ctx.owner), signal: teardownSignal("runMs") }).catch(() => 0);
      await sweeping;
      await engine.close();
    },
  };
}
