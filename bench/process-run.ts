/**
 * Peers run as processes: every output line with the time it reached our pipe, the exit code and the
 * wall time, and (with --logs) one file per run to read what a peer did. Shared by the benchmarks that
 * time whole commands (bench/test-stage.ts, bench/ci.ts).
 */
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";

/** Anything slower than this is broken, not slow. */
const RUN_TIMEOUT_MS = 600_000;

export interface Line {
  /** ms since the process was spawned. */
  at: number;
  stream: "stdout" | "stderr";
  text: string;
}

export interface ProcessResult {
  exitCode: number;
  wallMs: number;
  /** Date.now() when spawned, to place event times (ms since the epoch) on the run's clock. */
  spawnedAt: number;
  lines: Line[];
}

export function runProcess(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = RUN_TIMEOUT_MS): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const spawnedAt = Date.now();
    const t0 = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const lines: Line[] = [];
    const reader = (stream: "stdout" | "stderr") => {
      let rest = "";
      return (chunk: Buffer) => {
        const at = performance.now() - t0;
        const parts = (rest + chunk.toString("utf8")).split("\n");
        rest = parts.pop()!;
        for (const text of parts) lines.push({ at, stream, text });
      };
    };
    child.stdout.on("data", reader("stdout"));
    child.stderr.on("data", reader("stderr"));
    const timer = setTimeout(() => child.kill("SIGINT"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? (signal ? 128 : 1), wallMs: performance.now() - t0, spawnedAt, lines });
    });
  });
}

/** A command's stdout, trimmed; a non-zero exit is an error. */
export async function capture(command: string, args: string[], cwd: string): Promise<string> {
  const r = await runProcess(command, args, cwd);
  if (r.exitCode !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.exitCode}: ${tail(r)}`);
  return r.lines.filter((l) => l.stream === "stdout").map((l) => l.text).join("\n").trim();
}

/** The last lines of a run's output, for an error message. */
export function tail(result: ProcessResult, count = 40): string {
  return result.lines.slice(-count).map((l) => l.text).join("\n");
}

/** Keeps every run's output in a folder (one file per run), or nothing without a folder. */
export class RunLogs {
  constructor(private readonly dir: string | undefined) {}

  async keep(name: string, result: ProcessResult): Promise<void> {
    if (!this.dir) return;
    await mkdir(this.dir, { recursive: true });
    const text = result.lines.map((l) => `${(l.at / 1000).toFixed(3).padStart(8)} ${l.stream === "stderr" ? "E" : " "} ${l.text}`).join("\n");
    await writeFile(path.join(this.dir, `${name}.log`), text + "\n");
  }
}
