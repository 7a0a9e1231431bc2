/**
 * Runs a container's own healthcheck command through exec. The engine runs the first probe only
 * after a full `interval` (1 s at best, 30 s by default); running the same command ourselves
 * while the service starts detects readiness as soon as it is true. Only a command the engine
 * itself would run decides readiness, so nothing is declared ready that its healthcheck fails.
 */
import type { Engine } from "../engine/index.ts";
import type { HealthConfig } from "../engine/types.ts";

/** The exec argv for a healthcheck `Test`, or undefined when there is nothing to run. */
export function probeCommand(test: string[] | undefined): string[] | undefined {
  if (!test || test.length === 0) return undefined;
  const [kind, ...rest] = test;
  if (kind === "CMD") return rest.length ? rest : undefined;
  if (kind === "CMD-SHELL") return rest.length ? ["/bin/sh", "-c", rest.join(" ")] : undefined;
  return undefined; // NONE, or inherit ([]): no probe
}

const DEFAULT_TIMEOUT_NS = 30_000_000_000;

/** One probe: true when the command exits 0 within the healthcheck's timeout. */
export async function probeOnce(engine: Engine, container: string, health: HealthConfig, signal: AbortSignal): Promise<boolean> {
  const cmd = probeCommand(health.Test);
  if (!cmd) return false;
  const timeoutMs = Math.max(1, Math.round((health.Timeout || DEFAULT_TIMEOUT_NS) / 1e6));
  const probeSignal = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  try {
    const exec = await engine.execs.create(container, { Cmd: cmd, AttachStdout: true, AttachStderr: true }, { signal: probeSignal });
    const output = await engine.execs.start(exec.Id, { signal: probeSignal });
    for await (const _chunk of output) {
      // drain: the stream ends when the command exits
    }
    const result = await engine.execs.inspect(exec.Id, { signal: probeSignal });
    return !result.Running && result.ExitCode === 0;
  } catch {
    return false;
  }
}
