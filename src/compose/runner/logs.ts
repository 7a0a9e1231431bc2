/** `logs`: every container of the project (or of some services), line by line, optionally followed. */
import type { Engine } from "../../engine/index.ts";
import { ComposeLabel } from "../../run/labels.ts";
import { demuxStream } from "../../engine/streams/demux.ts";
import { splitLines, type LogLine } from "../../engine/streams/line-splitter.ts";
import { projectFilter } from "./observe.ts";

export interface LogsOptions {
  services?: string[];
  follow?: boolean;
  tail?: number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

export interface ServiceLogLine extends LogLine {
  service: string;
  container: string;
}

export async function composeLogs(engine: Engine, projectName: string, onLine: (line: ServiceLogLine) => void, opts: LogsOptions = {}): Promise<void> {
  const list = await engine.containers.list({ all: true, filters: projectFilter(projectName), signal: opts.signal });
  const selected = list.filter((c) => !opts.services?.length || opts.services.includes(c.Labels[ComposeLabel.service] ?? ""));
  await Promise.all(
    selected.map(async (c) => {
      const container = (c.Names[0] ?? c.Id).replace(/^\//, "");
      const service = c.Labels[ComposeLabel.service] ?? container;
      const info = await engine.containers.inspect(c.Id, { signal: opts.signal });
      const body = await engine.containers.logs(c.Id, {
        follow: opts.follow ?? false,
        ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
        timestamps: opts.timestamps ?? false,
        signal: opts.signal,
      });
      try {
        if (info.Config.Tty) {
          let pending = "";
          for await (const chunk of body) {
            pending += chunk.toString("utf8");
            const lines = pending.split(/\r?\n/);
            pending = lines.pop()!;
            for (const line of lines) onLine({ stream: "stdout", line, service, container });
          }
          if (pending) onLine({ stream: "stdout", line: pending, service, container });
          return;
        }
        for await (const line of splitLines(demuxStream(body, opts.signal ? { signal: opts.signal } : {}))) {
          onLine({ ...line, service, container });
        }
      } catch (err) {
        if (!opts.signal?.aborted) throw err;
      }
    }),
  );
}
