/**
 * `slipway compose logs`: the services' output through the log multiplexer (log-lines.ts), every
 * line on stdout as compose prints it, `web-1  | ` before each unless --no-log-prefix, coloured
 * per container unless --no-color, --ansi never, NO_COLOR or no terminal.
 */
import { InvalidArgumentError, type Command } from "commander";
import { composeLogs, logContainers } from "../../compose/runner/logs.ts";
import { checkServices } from "../../compose/runner/up.ts";
import { LogLines, displayName } from "./log-lines.ts";
import type { ComposeDeps } from "./shared.ts";

interface LogsFlags {
  follow?: boolean;
  tail?: number | "all";
  since?: string;
  until?: string;
  timestamps?: boolean;
  index?: number;
  color?: boolean;
  logPrefix?: boolean;
}

/** `-n`: a number of lines, or `all` (compose's default). */
export function parseTail(value: string): number | "all" {
  if (value === "all") return "all";
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("a number of lines, or all");
  return Number(value);
}

function replica(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError("a replica number (1, 2, …)");
  return Number(value);
}

export function registerLogs(compose: Command, d: ComposeDeps): void {
  compose
    .command("logs")
    .description("show the services' output, prefixed and coloured per container")
    .argument("[services...]")
    .option("-f, --follow", "follow: keep printing until the containers stop")
    .option("-n, --tail <lines>", "lines from the end of each container's log, or all", parseTail)
    .option("--since <time>", "only lines since a time (2013-01-02T13:23:37Z, a Unix time) or for a while (42m)")
    .option("--until <time>", "only lines before a time (2013-01-02T13:23:37Z, a Unix time) or a while ago (42m)")
    .option("-t, --timestamps", "show the engine's timestamps")
    .option("--index <n>", "only this replica of each service", replica)
    .option("--no-color", "monochrome output")
    .option("--no-log-prefix", "no container name before each line")
    .action(async (services: string[], o: LogsFlags, cmd: Command) => {
      const g = d.globals(cmd);
      // `logs -p X` works without a file, for a project made elsewhere.
      const project = g.projectName && !g.file ? undefined : await d.load(g);
      if (project) checkServices(project, services);
      const name = g.projectName ?? project!.name;
      await using ctx = await d.context(g);
      const io = d.io;
      const containers = await logContainers(ctx.engine, name, { services, signal: d.signal, ...(o.index !== undefined ? { index: o.index } : {}) });
      const lines = new LogLines({ stdout: io.stdout, stderr: io.stderr, colour: io.out.enabled && o.color !== false, prefix: o.logPrefix !== false, splitStderr: false });
      // Registered in name order, so that colours and widths do not depend on which answers first.
      for (const c of containers) lines.container(displayName(c.name, name));
      try {
        await composeLogs(ctx.engine, containers, (c) => lines.container(displayName(c.name, name)), {
          signal: d.signal,
          ...(o.follow ? { follow: true } : {}),
          ...(o.tail !== undefined ? { tail: o.tail } : {}),
          ...(o.since !== undefined ? { since: o.since } : {}),
          ...(o.until !== undefined ? { until: o.until } : {}),
          ...(o.timestamps ? { timestamps: true } : {}),
          onExit: (c, code) => lines.status(displayName(c.name, name), `exited with code ${code}`),
        });
      } finally {
        await lines.close();
      }
    });
}
