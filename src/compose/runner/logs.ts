/**
 * `logs`: the output of every container of a project (or of some services), as it arrives, to a
 * receiver per container. The receiver gets raw bytes per stream (frames as the engine cut them),
 * not lines: splitting and prefixing are the receiver's, so that nothing here allocates per line
 * (`logs -f` of busy services is throughput-bound). `pumpOutput` is shared with attached `up`.
 */
import type { Engine } from "../../engine/index.ts";
import { Demuxer, type StreamName } from "../../engine/streams/demux.ts";
import { SlipwayError } from "../../errors/index.ts";
import { ComposeLabel } from "../../run/labels.ts";
import { projectFilter } from "./observe.ts";

/** Where one container's output goes. */
export interface ContainerOutput {
  /**
   * Bytes the container wrote on `stream`. `data` may be a view of a network buffer: use it (copy
   * what must outlive the call) before returning.
   */
  write(stream: StreamName, data: Buffer): void;
  /** A promise while the receiver is full (backpressure): no more is read until it settles. */
  drained(): Promise<void> | undefined;
  /** The stream ended (the container stopped, or the logs were all read). */
  end(): void;
}

export interface LoggedContainer {
  id: string;
  /** The container's name, e.g. `demo-web-1`. */
  name: string;
  service: string;
  /** Replica number (com.docker.compose.container-number). */
  index: number;
}

export interface LogsOptions {
  services?: string[];
  /** Only this replica of each service (`--index`). */
  index?: number;
  follow?: boolean;
  tail?: number | "all";
  /** `--since` / `--until` as the docker CLI takes them (a timestamp, a Unix time, or a duration back from now). */
  since?: string;
  until?: string;
  timestamps?: boolean;
  signal?: AbortSignal;
  /** The clock durations count back from (tests pass their own). */
  now?: () => number;
  /**
   * Following: a container that was running when followed has stopped, with its exit code, after
   * its last lines (compose prints `web-1 exited with code 0`).
   */
  onExit?: (container: LoggedContainer, exitCode: number) => void;
}

/** The project's containers to read, in name order (one-off `run` containers are left out, as compose does). */
export async function logContainers(engine: Engine, projectName: string, opts: Pick<LogsOptions, "services" | "index" | "signal"> = {}): Promise<LoggedContainer[]> {
  const list = await engine.containers.list({ all: true, filters: projectFilter(projectName), signal: opts.signal });
  return list
    .filter((c) => (c.Labels[ComposeLabel.oneoff] ?? "False").toLowerCase() !== "true")
    .map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? c.Id).replace(/^\//, ""),
      service: c.Labels[ComposeLabel.service] ?? "",
      index: Number(c.Labels[ComposeLabel.containerNumber] ?? "1"),
    }))
    .filter((c) => (!opts.services?.length || opts.services.includes(c.service)) && (opts.index === undefined || c.index === opts.index))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Reads the logs of `containers` at once, each to its own receiver; resolves when every stream
 * has ended (with `follow`, when every container has stopped) or the signal aborts.
 */
export async function composeLogs(engine: Engine, containers: LoggedContainer[], output: (container: LoggedContainer) => ContainerOutput, opts: LogsOptions = {}): Promise<void> {
  const now = opts.now ?? Date.now;
  const since = opts.since !== undefined ? engineTime(opts.since, now(), "--since") : undefined;
  const until = opts.until !== undefined ? engineTime(opts.until, now(), "--until") : undefined;
  await Promise.all(
    containers.map(async (c) => {
      // Both at once: whether it has a TTY (raw output, not frames) only matters once bytes arrive.
      const [info, body] = await Promise.all([
        engine.containers.inspect(c.id, { signal: opts.signal }),
        engine.containers.logs(c.id, {
          follow: opts.follow ?? false,
          ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
          ...(since !== undefined ? { since } : {}),
          ...(until !== undefined ? { until } : {}),
          timestamps: opts.timestamps ?? false,
          signal: opts.signal,
        }),
      ]);
      await pumpOutput(body, info.Config.Tty === true, output(c), opts.signal);
      // The stream of a running container ends when it stops (unless --until ended it first).
      if (opts.follow && opts.onExit && info.State.Running && until === undefined && !opts.signal?.aborted) {
        const { result } = await engine.containers.wait(c.id, { condition: "not-running", ...(opts.signal ? { signal: opts.signal } : {}) });
        opts.onExit(c, (await result).StatusCode);
      }
    }),
  ).catch((err: unknown) => {
    if (!opts.signal?.aborted) throw err;
  });
}

/**
 * Moves a container's attach or logs body to its receiver: frames demultiplexed (raw bytes for a
 * TTY container), one network chunk at a time, waiting while the receiver is full. Ends the
 * receiver however the body ends; an abort of `signal` ends it quietly.
 */
export async function pumpOutput(body: AsyncIterable<Buffer>, tty: boolean, out: ContainerOutput, signal?: AbortSignal): Promise<void> {
  const demuxer = tty ? undefined : new Demuxer((frame) => out.write(frame.stream, frame.data));
  try {
    for await (const chunk of body) {
      if (demuxer) demuxer.push(chunk);
      else out.write("stdout", chunk);
      const full = out.drained();
      if (full) await full;
    }
    demuxer?.end();
  } catch (err) {
    // The request's signal ends the body with an error: that is the end we asked for.
    if (!signal?.aborted) throw err;
  } finally {
    out.end();
  }
}

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const DURATION = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;
const UNIX = /^\d+(\.\d{1,9})?$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * A `--since`/`--until` value as the Engine API takes it (`seconds.nanoseconds` since the Unix
 * epoch), read as the docker CLI reads it (moby's api/types/time GetTimestamp): a Go duration
 * (`42m`, `1h30m`) counts back from `nowMs`; a Unix time passes as is; an RFC 3339 date or time
 * without a zone is local time.
 */
export function engineTime(value: string, nowMs: number, flag = "time"): string {
  const text = value.trim();
  if (UNIX.test(text)) return text.includes(".") ? text : `${text}.000000000`;
  if (DURATION.test(text) && text !== "0") {
    let ns = 0;
    for (const [, amount, unit] of text.matchAll(DURATION_PART)) ns += Number(amount) * UNIT_NS[unit!]!;
    if (text.startsWith("-")) ns = -ns;
    return nanosText(BigInt(Math.round(nowMs)) * 1_000_000n - BigInt(Math.round(ns)));
  }
  const m = DATE_TIME.exec(text);
  if (m) {
    const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone] = m;
    const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${zone ?? ""}`;
    const ms = Date.parse(iso);
    if (!Number.isNaN(ms)) {
      const fraction = frac.slice(1).padEnd(9, "0");
      return `${Math.floor(ms / 1000)}.${fraction || "000000000"}`;
    }
  }
  throw new SlipwayError(`${flag} ${value}: not a timestamp (2013-01-02T13:23:37Z), a Unix time or a duration (42m)`, {
    code: "BAD_TIMESTAMP",
    kind: "usage",
    hint: "Give an RFC 3339 date or time, a Unix time in seconds, or a duration back from now such as 10m or 1h30m.",
  });
}

function nanosText(ns: bigint): string {
  const negative = ns < 0n;
  const abs = negative ? -ns : ns;
  return `${negative ? "-" : ""}${abs / 1_000_000_000n}.${String(abs % 1_000_000_000n).padStart(9, "0")}`;
}
