// Runs the test stage of the slipway.yml in this folder (or a parent) through Slipway's library, as
// `slipway test` does: the events come to this script, Ctrl-C cancels, the verdict is the exit code.
//   cd examples/todobackend && node ../library/run-tests.mjs
import { loadPipeline, runPipeline, SlipwayError } from "slipway";

// The first Ctrl-C cancels: no new work starts, what the run created is torn down, and the verdict
// is `cancelled` (exit 130). The handler is gone then, so a second Ctrl-C ends node at once.
const controller = new AbortController();
process.once("SIGINT", () => controller.abort());

try {
  const pipeline = await loadPipeline();
  const result = await runPipeline(pipeline, {
    stages: ["test"],
    signal: controller.signal,
    onEvent(event) {
      if (event.type === "run.start") console.log(`run ${event.runId}: ${event.command}`);
      if (event.type === "step.end") {
        const status = event.ok ? "ok" : event.cancelled ? "cancelled" : "FAILED";
        console.log(`${status} ${event.step} (${(event.durationMs / 1000).toFixed(1)} s)${event.error ? `: ${event.error}` : ""}`);
      }
      if (event.type === "verdict") console.log(`verdict ${event.kind} (exit ${event.exitCode}): ${event.message}`);
    },
  });
  process.exitCode = result.verdict.exitCode;
} catch (err) {
  // The run could not start (a bad slipway.yml, no engine): the error says what to change.
  if (!(err instanceof SlipwayError)) throw err;
  console.error(`${err.message}${err.hint ? `\n${err.hint}` : ""}`);
  process.exitCode = err.exitCode;
}
