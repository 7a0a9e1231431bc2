/** Runs the CLI as a user does: a separate process, from a scenario's fixture folder. */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const bin = path.join(repoRoot, "bin/slipway-dev.mjs");

export interface CliRun {
  child: ChildProcess;
  exit: Promise<number>;
  stdout(): string;
  stderr(): string;
}

/** Runs the CLI from its sources, or `opts.bin` (e.g. the published bundle). */
export function slipway(args: string[], opts: { cwd: string; env?: Record<string, string>; bin?: string }): CliRun {
  const child = spawn(process.execPath, [opts.bin ?? bin, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exit = new Promise<number>((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal === "SIGKILL" ? 137 : 128))));
  return { child, exit, stdout: () => out, stderr: () => err };
}

/** Polls engine state (never a blind sleep) until `predicate` holds. */
export async function until(predicate: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const scenario = (name: string) => path.join(repoRoot, "test/e2e", name);
