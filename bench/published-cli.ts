/**
 * The CLI as users run it: scripts/bundle-cli.mjs (what `npm run build` makes, dist/bin/slipway.js),
 * bundled into the ignored bench/.out/ for the benchmarks that run `slipway` as a process.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Builds the bundle into bench/.out/<name>/ and returns the path of its entry point. */
export async function buildPublishedCli(name: string): Promise<string> {
  const outdir = path.join(ROOT, "bench/.out", name);
  await promisify(execFile)(process.execPath, [path.join(ROOT, "scripts/bundle-cli.mjs"), "--outdir", outdir], { cwd: ROOT });
  return path.join(outdir, "slipway.js");
}
