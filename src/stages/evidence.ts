/**
 * A stage's environment as evidence, before it is torn down: every container's logs and health
 * history, and the full inspect of those that failed (exited non-zero, unhealthy or dead), all
 * written through the run record (so redacted).
 */
import path from "node:path";
import { projectFilter } from "../compose/runner/observe.ts";
import type { Engine } from "../engine/index.ts";
import type { RunRecord } from "../history/run-record.ts";
import { readLogLines } from "../readiness/diagnostics.ts";

/** `kept` is called for each container as soon as its evidence is written (e.g. to remove it at once), with its labels. */
export async function collectContainerEvidence(
  engine: Engine,
  record: RunRecord,
  project: string,
  signal?: AbortSignal,
  kept?: (id: string, labels: Record<string, string>) => void | Promise<void>,
): Promise<void> {
  const containers = await engine.containers.list({ all: true, filters: projectFilter(project), signal });
  await Promise.all(
    containers.map(async (c) => {
      const name = (c.Names[0] ?? c.Id).replace(/^\//, "");
      try {
        const info = await engine.containers.inspect(c.Id, { signal });
        const lines = await readLogLines(engine, c.Id, { tty: !!info.Config.Tty, ...(signal ? { signal } : {}) });
        await record.writeText(path.join("logs", `${name}.log`), lines.join("\n") + (lines.length ? "\n" : ""));
        if (info.State.Health) await record.writeJson(`health-${name}.json`, info.State.Health);
        const failed = info.State.Status === "dead" || info.State.Health?.Status === "unhealthy" || (!info.State.Running && info.State.ExitCode !== 0);
        if (failed) await record.writeJson(`inspect-${name}.json`, info);
      } catch {
        // Evidence is best effort: a container may vanish while we look.
      }
      await kept?.(c.Id, c.Labels);
    }),
  );
}
