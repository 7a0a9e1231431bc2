/** Builds the RunContext for a command: engine from the environment, events to the chosen renderer. */
import { Engine, endpointFromEnv } from "../engine/index.ts";
import { EventBus } from "../events/index.ts";
import { currentOwner, newRunId } from "../pipeline/run-identity.ts";
import type { RunContext } from "../pipeline/run-context.ts";
import { jsonRenderer } from "../ui/json-renderer.ts";
import { plainRenderer } from "../ui/plain-renderer.ts";
import type { CliIo } from "./io.ts";
import { slipwayVersion } from "./version.ts";

export type OutputMode = "plain" | "json" | "quiet";

export async function createRunContext(io: CliIo, signal: AbortSignal, mode: OutputMode = "plain"): Promise<RunContext & AsyncDisposable> {
  const events = new EventBus();
  const writeErr = (s: string) => void io.stderr.write(s);
  if (mode === "json") events.on(jsonRenderer((s) => void io.stdout.write(s)));
  else if (mode === "plain") events.on(plainRenderer(writeErr, io.err, { verbose: !!io.env["SLIPWAY_VERBOSE"] }));
  const engine = await Engine.connect({ endpoint: endpointFromEnv(io.env), signal });
  const owner = currentOwner(newRunId());
  return {
    signal,
    events,
    engine,
    clock: { now: () => Date.now() },
    owner,
    version: slipwayVersion(),
    async [Symbol.asyncDispose]() {
      await engine.close();
    },
  };
}
