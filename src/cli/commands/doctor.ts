import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import { Command } from "commander";
import { doctorExitCode, runDoctor, type DoctorCheck, type DoctorReport } from "../../doctor/doctor.ts";
import { endpointFromEnv } from "../../engine/index.ts";
import type { CliIo } from "../io.ts";
import type { Style } from "../../ui/style.ts";
import { slipwayVersion } from "../version.ts";

/** The registry named by ./slipway.yml (`registry: host` or `registry: { address: host }`), if any. */
async function registryFromConfig(cwd: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(cwd, "slipway.yml"), "utf8");
  } catch {
    return undefined;
  }
  const doc = parse(text) as { registry?: string | { address?: string; url?: string } } | null;
  const registry = doc?.registry;
  if (typeof registry === "string") return registry;
  return registry?.address ?? registry?.url;
}

const MARK: Record<DoctorCheck["status"], (s: Style) => string> = {
  ok: (s) => s.green("✔"),
  warn: (s) => s.yellow("!"),
  fail: (s) => s.red("✖"),
  skip: (s) => s.dim("-"),
};

export function renderDoctor(report: DoctorReport, style: Style): string {
  const lines = [style.bold(`slipway ${report.client.version}`) + style.dim(` (Engine API ${report.client.apiRange.join("–")})`)];
  for (const check of report.checks) {
    lines.push(`${MARK[check.status](style)} ${check.name.padEnd(12)} ${check.detail}`);
    if (check.hint && check.status !== "ok") lines.push(`  ${style.dim("hint")}: ${check.hint}`);
  }
  return `${lines.join("\n")}\n`;
}

export function doctorCommand(io: CliIo, signal: AbortSignal, setExit: (code: number) => void): Command {
  return new Command("doctor")
    .description("check the Docker engine, API versions, storage, swarm, disk and the registry")
    .option("--json", "print the report as JSON")
    .option("--registry <address>", "also check this registry (default: the one in slipway.yml)")
    .action(async (opts: { json?: boolean; registry?: string }) => {
      const registry = opts.registry ?? (await registryFromConfig(io.cwd));
      const report = await runDoctor({
        endpoint: endpointFromEnv(io.env),
        clientVersion: slipwayVersion(),
        signal,
        ...(registry ? { registry } : {}),
      });
      if (opts.json) {
        io.stdout.write(`${JSON.stringify({ ...report, error: report.error?.toJSON() }, null, 2)}\n`);
      } else {
        io.stdout.write(renderDoctor(report, io.out));
      }
      setExit(doctorExitCode(report));
    });
}
