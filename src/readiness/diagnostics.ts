/** What a user needs when a dependency fails: its last log lines and its health-probe output. */
import type { Engine } from "../engine/index.ts";
import type { HealthcheckResult } from "../engine/types.ts";
import { demuxStream } from "../engine/streams/demux.ts";
import { splitLines } from "../engine/streams/line-splitter.ts";

export interface ContainerDiagnostics {
  name: string;
  status?: string;
  exitCode?: number;
  health?: string;
  logTail: string[];
  probes: HealthcheckResult[];
}

export async function readLogLines(engine: Engine, id: string, opts: { tail?: number; tty?: boolean; signal?: AbortSignal } = {}): Promise<string[]> {
  const body = await engine.containers.logs(id, { tail: opts.tail ?? "all", signal: opts.signal });
  const lines: string[] = [];
  if (opts.tty) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString("utf8");
    return text.split(/\r?\n/).filter((l, i, all) => l !== "" || i < all.length - 1);
  }
  for await (const line of splitLines(demuxStream(body, opts.signal ? { signal: opts.signal } : {}))) lines.push(line.line);
  return lines;
}

export async function collectDiagnostics(engine: Engine, nameOrId: string, tail = 30): Promise<ContainerDiagnostics> {
  const diagnostics: ContainerDiagnostics = { name: nameOrId, logTail: [], probes: [] };
  try {
    const info = await engine.containers.inspect(nameOrId);
    diagnostics.status = info.State.Status;
    if (!info.State.Running) diagnostics.exitCode = info.State.ExitCode;
    if (info.State.Health) {
      diagnostics.health = info.State.Health.Status;
      diagnostics.probes = (info.State.Health.Log ?? []).slice(-5);
    }
    diagnostics.logTail = await readLogLines(engine, info.Id, { tail, tty: !!info.Config.Tty });
  } catch {
    // Diagnostics are best effort: the container may be gone already.
  }
  return diagnostics;
}

export function formatDiagnostics(d: ContainerDiagnostics): string {
  const parts: string[] = [];
  if (d.probes.length) {
    parts.push(`  last health probes of ${d.name}:`);
    for (const p of d.probes) parts.push(`    exit ${p.ExitCode}: ${p.Output.trim().split("\n").slice(-3).join(" | ") || "(no output)"}`);
  }
  if (d.logTail.length) {
    parts.push(`  last log lines of ${d.name}:`);
    for (const line of d.logTail) parts.push(`    ${line}`);
  } else {
    parts.push(`  ${d.name} has written no log output yet`);
  }
  return parts.join("\n");
}
