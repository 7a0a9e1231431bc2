/**
 * A process the benches measure from the outside: its wall time, output, and — when `timed` —
 * what /usr/bin/time says of it (peak RSS, user and system CPU), so that peers in any language
 * are measured alike. Bounded in time: a process still running after `timeoutMs` gets SIGINT.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { bundleWithCodeCache } from "../scripts/bundle.mjs";

export interface TimedResult {
  exitCode: number;
  wallMs: number;
  stdout: string;
  stderr: string;
  /** From /usr/bin/time: peak RSS (bytes), user and system CPU (s). */
  maxRss?: number;
  cpuUser?: number;
  cpuSys?: number;
}

export function runTimed(command: string, args: string[], env: NodeJS.ProcessEnv, opts: { timed?: boolean; timeoutMs: number }): Promise<TimedResult> {
  const timed = opts.timed ?? false;
  return new Promise((resolve, reject) => {
    const timeFile = timed ? path.join(tmpdir(), `slipway-bench-time-${process.pid}-${randomBytes(4).toString("hex")}`) : "";
    const [cmd, argv] = timed ? ["/usr/bin/time", ["-o", timeFile, "-f", "%M %U %S", command, ...args]] : [command, args];
    const t0 = performance.now();
    const proc = spawn(cmd as string, argv as string[], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    proc.stderr.on("data", (c: Buffer) => (stderr = (stderr + c.toString("utf8")).slice(-20_000)));
    const timer = setTimeout(() => proc.kill("SIGINT"), opts.timeoutMs);
    proc.on("error", reject);
    proc.on("close", (code, signal) => {
      const wallMs = performance.now() - t0;
      clearTimeout(timer);
      const result: TimedResult = { exitCode: code ?? (signal ? 128 : 1), wallMs, stdout, stderr };
      if (!timed) return resolve(result);
      readFile(timeFile, "utf8")
        .then((text) => {
          // The last line: a failing command makes time write "Command exited with non-zero status" first.
          const [rssKb, user, sys] = text.trim().split("\n").pop()!.split(" ").map(Number);
          resolve({ ...result, maxRss: rssKb! * 1024, cpuUser: user!, cpuSys: sys! });
        }, () => resolve(result))
        .finally(() => void rm(timeFile, { force: true }));
    });
  });
}

/**
 * A bench file (its `import.meta.url`), bundled the way scripts/bundle-cli.mjs bundles the CLI
 * (one CommonJS bundle started by the CLI's loader, with V8's code cache), for its child
 * processes: they start as the CLI does. Returns the loader to run.
 */
export async function bundleChild(selfUrl: string, name: string): Promise<string> {
  const self = fileURLToPath(selfUrl);
  const { loader } = await bundleWithCodeCache({ entry: self, outdir: path.join(path.dirname(self), `.out/${name}`), name, loader: `${name}.mjs`, external: ["esbuild"] });
  return loader;
}

/** The label on everything a bench builds; its value names the bench. */
export const BENCH_LABEL = "dev.slipway.bench";

/** Removes the images a bench built (labelled `BENCH_LABEL=bench`), with the docker CLI. */
export async function removeBenchImages(bench: string, timeoutMs = 120_000): Promise<void> {
  const listed = await runTimed("docker", ["images", "-q", "--filter", `label=${BENCH_LABEL}=${bench}`], {}, { timeoutMs });
  const ids = listed.stdout.split("\n").filter(Boolean);
  if (ids.length) await runTimed("docker", ["rmi", "-f", ...new Set(ids)], {}, { timeoutMs });
}
