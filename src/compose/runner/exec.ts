/**
 * `exec`: a command in a running container of a service; returns the command's exit code. The
 * container is chosen as compose v2 chooses it (`serviceContainers`), so a project docker compose
 * made is found too, and a `run -d` one-off serves when the service has no container of its own.
 */
import { setTimeout as delay } from "node:timers/promises";
import { SlipwayError } from "../../errors/index.ts";
import type { Engine } from "../../engine/index.ts";
import type { ContainerSummary } from "../../engine/types.ts";
import { demuxStream, type StreamName } from "../../engine/streams/demux.ts";
import { ComposeLabel } from "../../run/labels.ts";
import { runSession, type InteractiveIo } from "./interactive.ts";

export interface ExecOptions {
  /** `--index`: that replica; else the first (a one-off only when there is no other). */
  index?: number;
  user?: string;
  workingDir?: string;
  env?: Record<string, string>;
  privileged?: boolean;
  /** `-d`: start it and return 0 at once, without its output. */
  detach?: boolean;
  signal?: AbortSignal;
  onOutput?: (stream: StreamName, data: Buffer) => void;
  /** `-i` (compose's default): this input is the command's stdin. */
  interactive?: InteractiveIo;
  /** A pseudo-terminal for the command (only with `interactive`): its output comes raw, on stdout. */
  tty?: boolean;
}

export interface ServiceContainersQuery {
  /** Only the replica of this number (`--index`). */
  index?: number;
  /** One-off (`run`) containers too, after the service's own. */
  oneoff: boolean;
  /** Stopped containers too (`cp` works on them; `exec` needs a running one). */
  stopped: boolean;
  signal?: AbortSignal | undefined;
}

const number = (c: ContainerSummary) => Number(c.Labels[ComposeLabel.containerNumber] ?? 0);
const isOneoff = (c: ContainerSummary) => c.Labels[ComposeLabel.oneoff] === "True";

/**
 * A service's containers by compose's labels, in compose v2's order: by replica number, one-offs
 * last. Throws compose's "is not running" (as a config error, exit 3) when there is none.
 */
export async function serviceContainers(engine: Engine, projectName: string, service: string, q: ServiceContainersQuery): Promise<ContainerSummary[]> {
  const label = [`${ComposeLabel.project}=${projectName}`, `${ComposeLabel.service}=${service}`];
  if (q.index !== undefined) label.push(`${ComposeLabel.containerNumber}=${q.index}`);
  if (!q.oneoff) label.push(`${ComposeLabel.oneoff}=False`);
  const found = await engine.containers.list({ all: q.stopped, filters: { label }, signal: q.signal });
  if (found.length === 0) {
    throw new SlipwayError(`Service ${service} ${q.index !== undefined ? `has no ${q.stopped ? "" : "running "}container number ${q.index}` : `has no ${q.stopped ? "" : "running "}container`} in project ${projectName}`, {
      code: "NOT_RUNNING",
      kind: "config",
      hint: `Start it with \`slipway compose up -d ${service}\`${q.index !== undefined ? `, or scale it to ${q.index} or more containers` : ""}.`,
    });
  }
  return found.sort((a, b) => (isOneoff(a) === isOneoff(b) ? number(a) - number(b) : isOneoff(a) ? 1 : -1));
}

export async function composeExec(engine: Engine, projectName: string, service: string, command: string[], opts: ExecOptions = {}): Promise<number> {
  // compose v2 takes --index 0 (its default) as "the first".
  const index = opts.index ? opts.index : undefined;
  const interactive = opts.detach ? undefined : opts.interactive;
  const tty = !!interactive && !!opts.tty;
  const [info] = await serviceContainers(engine, projectName, service, { ...(index !== undefined ? { index } : {}), oneoff: true, stopped: false, signal: opts.signal });
  const exec = await engine.execs.create(
    info!.Id,
    {
      Cmd: command,
      AttachStdout: !opts.detach,
      AttachStderr: !opts.detach,
      ...(interactive ? { AttachStdin: true } : {}),
      Tty: interactive ? tty : false,
      ...(opts.user ? { User: opts.user } : {}),
      ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
      ...(opts.privileged ? { Privileged: true } : {}),
      ...(opts.env && Object.keys(opts.env).length ? { Env: Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) } : {}),
    },
    { signal: opts.signal },
  );
  if (opts.detach) {
    await engine.execs.startDetached(exec.Id, { signal: opts.signal });
    return 0;
  }
  if (interactive) {
    const socket = await engine.execs.startInteractive(exec.Id, { tty, signal: opts.signal });
    await runSession(socket, interactive, {
      tty,
      ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
      resize: (size) => engine.execs.resize(exec.Id, size),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return execExitCode(engine, exec.Id, opts.signal);
  }
  const output = await engine.execs.start(exec.Id, { signal: opts.signal });
  for await (const frame of demuxStream(output, opts.signal ? { signal: opts.signal } : {})) opts.onOutput?.(frame.stream, frame.data);
  return execExitCode(engine, exec.Id, opts.signal);
}

/**
 * The exit code once the engine has recorded it: the output stream can end a moment before the
 * exec is marked finished (its code is null until then).
 */
async function execExitCode(engine: Engine, id: string, signal: AbortSignal | undefined): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const result = await engine.execs.inspect(id, { signal });
    if (!result.Running && result.ExitCode !== null) return result.ExitCode;
    if (attempt >= 200) throw new SlipwayError(`The engine did not record the exit code of exec ${id.slice(0, 12)}`, { code: "EXEC_NO_EXIT_CODE", kind: "engine" });
    await delay(Math.min(5 * (attempt + 1), 50), undefined, signal ? { signal } : {});
  }
}
