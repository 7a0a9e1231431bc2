/**
 * A real RunContext for integration tests: a real engine, a unique run id, and disposal that
 * removes everything the test's run created (by its run label) before closing the engine.
 */
import { Engine, builderFromEnv, endpointFromEnv, type Builder } from "../../src/engine/index.ts";
import { EventBus, type SlipwayEvent } from "../../src/events/index.ts";
import { newRunId } from "../../src/run/identity.ts";
import { createRunContext, type RunContext } from "../../src/run/context.ts";
import { teardownRun } from "../../src/cleanup/teardown-run.ts";

export interface TestContext extends RunContext, AsyncDisposable {
  /** Every event emitted, for assertions. */
  seen: SlipwayEvent[];
}

export async function testContext(opts: { signal?: AbortSignal; builder?: Builder } = {}): Promise<TestContext> {
  const engine = await Engine.connect({ endpoint: endpointFromEnv(process.env), builder: opts.builder ?? builderFromEnv(process.env) });
  const events = new EventBus();
  const seen: SlipwayEvent[] = [];
  events.on((e) => seen.push(e));
  const ctx = createRunContext({ engine, events, runId: `test-${newRunId()}`, ...(opts.signal ? { signal: opts.signal } : {}) });
  const owner = ctx.owner;
  return {
    ...ctx,
    seen,
    async [Symbol.asyncDispose]() {
      try {
        await teardownRun(engine, events, owner.runId, { timeout: 1 });
      } finally {
        await engine.close();
      }
    },
  };
}

/** A unique compose project name per test, so tests run in parallel safely. */
export function uniqueProject(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}
