import { Command } from "commander";
import { doctorExitCode, runDoctor, type DoctorCheck, type DoctorReport } from "../../doctor/doctor.ts";
import { builderFromEnv, endpointFromEnv } from "../../engine/index.ts";
import { findPipelineConfig, loadPipelineConfig } from "../../config/load-pipeline-config.ts";
import { SlipwayError } from "../../errors/index.ts";
import type { CliIo } from "../io.ts";
import type { Style } from "../../ui/style.ts";
import { slipwayVersion } from "../../run/version.ts";

/**
 * The registry named by slipway.yml, if there is one; an invalid slipway.yml is reported as a
 * failing check of its own rather than stopping the other checks.
 */
async function pipelineRegistry(cwd: string): Promise<{ registry?: string; check?: DoctorCheck; error?: SlipwayError }> {
  if (!(await findPipelineConfig(cwd))) return {};
  try {
    const { config, file } = await loadPipelineConfig({ cwd });
    return { ...(config.registry ? { registry: config.registry.address } : {}), check: { name: "config", status: "ok", detail: `${file} is valid` } };
  } catch (err) {
    if (!(err instanceof SlipwayError)) throw err;
    return { check: { name: "config", status: "fail", detail: err.message, ...(err.hint ? { hint: err.hint } : {}) }, error: err };
  }
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
      const pipeline = await pipelineRegistry(io.cwd);
      const registry = opts.registry ?? pipeline.registry;
      const report = await runDoctor({
        endpoint: endpointFromEnv(io.env),
        builder: builderFromEnv(io.env),
        clientVersion: slipwayVersion(),
        signal,
        ...(registry ? { registry } : {}),
      });
      if (pipeline.check) report.checks.push(pipeline.check);
      if (pipeline.error) report.error ??= pipeline.error;
      if (opts.json) {
        io.stdout.write(`${JSON.stringify({ ...report, error: report.error?.toJSON() }, null, 2)}\n`);
      } else {
        io.stdout.write(renderDoctor(report, io.out));
      }
      setExit(doctorExitCode(report));
    });
}
