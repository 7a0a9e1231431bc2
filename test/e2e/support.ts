/**
 * Runs the CLI as a user does: the published bundle (dist/bin/slipway.js, the package's `bin`,
 * built by `npm run build`; scripts/test.sh builds it before these tests), in a separate process,
 * from a scenario's fixture folder.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const publishedBin = path.join(repoRoot, "dist/bin/slipway.js");

export interface CliRun {
  child: ChildProcess;
  exit: Promise<number>;
  stdout(): string;
  stderr(): string;
}

/** Runs the published CLI, or `opts.bin` (e.g. a copy of it elsewhere). */
export function slipway(args: string[], opts: { cwd: string; env?: Record<string, string>; bin?: string; /** Piped to its standard input, then closed (else it reads /dev/null). */ input?: string }): CliRun {
  const bin = opts.bin ?? publishedBin;
  if (!existsSync(bin)) throw new Error(`${path.relative(repoRoot, bin)} does not exist: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (opts.input !== undefined) child.stdin!.end(opts.input);
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

/** A loopback TCP port nothing listens on (bound by the OS, then released). */
export async function unusedTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address !== "object") throw new Error("no port");
  return address.port;
}
