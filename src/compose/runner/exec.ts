/** `exec`: a command in a running container of a service; returns the command's exit code. */
import { SlipwayError } from "../../errors/index.ts";
import type { Engine } from "../../engine/index.ts";
import { demuxStream, type StreamName } from "../../engine/streams/demux.ts";
import { ComposeLabel } from "../../run/labels.ts";

export interface ExecOptions {
  index?: number;
  user?: string;
  workingDir?: string;
  env?: Record<string, string>;
  signal?: AbortSignal;
  onOutput?: (stream: StreamName, data: Buffer) => void;
}

export async function composeExec(engine: Engine, projectName: string, service: string, command: string[], opts: ExecOptions = {}): Promise<number> {
  // Found by compose's labels, as compose does: a container_name is honoured, and a project
  // docker compose made is found too.
  const index = opts.index ?? 1;
  const [info] = await engine.containers.list({
    filters: {
      label: [`${ComposeLabel.project}=${projectName}`, `${ComposeLabel.service}=${service}`, `${ComposeLabel.containerNumber}=${index}`, `${ComposeLabel.oneoff}=False`],
      status: ["running"],
    },
    signal: opts.signal,
  });
  if (!info) {
    throw new SlipwayError(`Service ${service} has no running container number ${index} in project ${projectName}`, {
      code: "NOT_RUNNING",
      kind: "config",
      hint: `Start it with \`slipway compose up -d ${service}\`.`,
    });
  }
  const exec = await engine.execs.create(
    info.Id,
    {
      Cmd: command,
      AttachStdout: true,
      AttachStderr: true,
      ...(opts.user ? { User: opts.user } : {}),
      ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
      ...(opts.env ? { Env: Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) } : {}),
    },
    { signal: opts.signal },
  );
  const output = await engine.execs.start(exec.Id, { signal: opts.signal });
  for await (const frame of demuxStream(output, opts.signal ? { signal: opts.signal } : {})) opts.onOutput?.(frame.stream, frame.data);
  const result = await engine.execs.inspect(exec.Id, { signal: opts.signal });
  return result.ExitCode ?? 0;
}
