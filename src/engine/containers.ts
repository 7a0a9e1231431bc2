/** Container endpoints. Removing something already gone is success. */
import type { Duplex, Readable } from "node:stream";
import { isConflict, isNotFound, isNotModified } from "./engine-error.ts";
import type { EngineHttp } from "./http.ts";
import type {
  ContainerCreateBody,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerSummary,
  ContainerTop,
  ContainerWaitResponse,
} from "./types.ts";

export type Filters = Record<string, string[]>;
interface Signal {
  signal?: AbortSignal | undefined;
}

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
  isDirectory: boolean;
}

export type WaitCondition = "not-running" | "next-exit" | "removed";

/**
 * A wait the engine has registered. `result` settles when the condition is met.
 * Registered before start, it cannot miss the exit code of an auto-removed container.
 */
export interface RegisteredWait {
  result: Promise<ContainerWaitResponse>;
}

export interface LogsOptions extends Signal {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** Unix seconds, or `seconds.nanoseconds` as the docker CLI sends it. */
  since?: number | string;
  until?: number | string;
  tail?: number | "all";
  timestamps?: boolean;
}

export class Containers {
  readonly #http: EngineHttp;
  constructor(http: EngineHttp) {
    this.#http = http;
  }

  create(body: ContainerCreateBody, opts: Signal & { name?: string; platform?: string } = {}): Promise<ContainerCreateResponse> {
    return this.#http.json("POST", "/containers/create", {
      query: { name: opts.name, platform: opts.platform },
      json: body,
      signal: opts.signal,
    });
  }

  /** Starting a running container is success (304 Not Modified). */
  async start(id: string, opts: Signal = {}): Promise<void> {
    try {
      await this.#http.none("POST", `/containers/${encodeURIComponent(id)}/start`, { signal: opts.signal });
    } catch (err) {
      if (!isNotModified(err)) throw err;
    }
  }

  /** Resolves once the engine has registered the wait (response headers arrive). */
  async wait(id: string, opts: Signal & { condition?: WaitCondition } = {}): Promise<RegisteredWait> {
    const response = await this.#http.stream("POST", `/containers/${encodeURIComponent(id)}/wait`, {
      query: { condition: opts.condition ?? "not-running" },
      signal: opts.signal,
    });
    const result = (async () => {
      const text = await response.body.text();
      return JSON.parse(text) as ContainerWaitResponse;
    })();
    // The caller may attach handlers later; never let a rejection go unhandled meanwhile.
    result.catch(() => undefined);
    return { result };
  }

  inspect(id: string, opts: Signal = {}): Promise<ContainerInspect> {
    return this.#http.json("GET", `/containers/${encodeURIComponent(id)}/json`, { signal: opts.signal });
  }

  /** Inspect, or `undefined` when the container does not exist. */
  async find(id: string, opts: Signal = {}): Promise<ContainerInspect | undefined> {
    try {
      return await this.inspect(id, opts);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** The container's processes, as `ps` shows them in it (`psArgs`: ps options, default `-ef`). */
  top(id: string, opts: Signal & { psArgs?: string } = {}): Promise<ContainerTop> {
    return this.#http.json("GET", `/containers/${encodeURIComponent(id)}/top`, { query: { ps_args: opts.psArgs }, signal: opts.signal });
  }

  list(opts: Signal & { all?: boolean; filters?: Filters } = {}): Promise<ContainerSummary[]> {
    return this.#http.json("GET", "/containers/json", {
      query: { all: opts.all ?? true, filters: opts.filters },
      signal: opts.signal,
    });
  }

  /** Stopping a stopped container is success. `timeout` is in seconds. */
  async stop(id: string, opts: Signal & { timeout?: number; signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.#http.none("POST", `/containers/${encodeURIComponent(id)}/stop`, {
        query: { t: opts.timeout },
        signal: opts.signal,
      });
    } catch (err) {
      if (!isNotModified(err) && !isNotFound(err)) throw err;
    }
  }

  async kill(id: string, opts: Signal & { killSignal?: string } = {}): Promise<void> {
    await this.#http.none("POST", `/containers/${encodeURIComponent(id)}/kill`, {
      query: { signal: opts.killSignal },
      signal: opts.signal,
    });
  }

  /** Stops (after `timeout` seconds, killed) and starts again; a stopped container is started. */
  async restart(id: string, opts: Signal & { timeout?: number } = {}): Promise<void> {
    await this.#http.none("POST", `/containers/${encodeURIComponent(id)}/restart`, { query: { t: opts.timeout }, signal: opts.signal });
  }

  async pause(id: string, opts: Signal = {}): Promise<void> {
    await this.#http.none("POST", `/containers/${encodeURIComponent(id)}/pause`, { signal: opts.signal });
  }

  async unpause(id: string, opts: Signal = {}): Promise<void> {
    await this.#http.none("POST", `/containers/${encodeURIComponent(id)}/unpause`, { signal: opts.signal });
  }

  /** Removing a container that is already gone is success. */
  async remove(id: string, opts: Signal & { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    try {
      await this.#http.none("DELETE", `/containers/${encodeURIComponent(id)}`, {
        query: { force: opts.force ?? false, v: opts.volumes ?? false },
        signal: opts.signal,
      });
    } catch (err) {
      // 404: already gone. With force, a 409 can only mean a removal already in progress.
      if (isNotFound(err) || (opts.force && isConflict(err))) return;
      throw err;
    }
  }

  /** The raw (multiplexed unless TTY) log stream. */
  async logs(id: string, opts: LogsOptions = {}): Promise<Readable & AsyncIterable<Buffer>> {
    const response = await this.#http.stream("GET", `/containers/${encodeURIComponent(id)}/logs`, {
      query: {
        follow: opts.follow ?? false,
        stdout: opts.stdout ?? true,
        stderr: opts.stderr ?? true,
        since: opts.since,
        until: opts.until,
        tail: opts.tail,
        timestamps: opts.timestamps ?? false,
      },
      signal: opts.signal,
    });
    return response.body;
  }

  /** A tar stream of `path` in the container (its top-level entry is the basename of `path`). */
  async getArchive(id: string, path: string, opts: Signal = {}): Promise<Readable & AsyncIterable<Buffer>> {
    const response = await this.#http.stream("GET", `/containers/${encodeURIComponent(id)}/archive`, {
      query: { path },
      signal: opts.signal,
    });
    return response.body;
  }

  /**
   * `path` as a tar stream with what it is, in one request (the engine sends the stat in a header
   * of the archive's answer too), or undefined when nothing is there.
   */
  async readArchive(id: string, path: string, opts: Signal = {}): Promise<{ stat: PathStat; tar: Readable & AsyncIterable<Buffer> } | undefined> {
    try {
      const response = await this.#http.stream("GET", `/containers/${encodeURIComponent(id)}/archive`, { query: { path }, signal: opts.signal });
      let stat: PathStat | undefined;
      try {
        stat = pathStat(response.headers);
      } catch (err) {
        await response.body.dump();
        throw err;
      }
      if (!stat) {
        await response.body.dump();
        return undefined;
      }
      return { stat, tar: response.body };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * What `path` is in the container (HEAD /containers/{id}/archive), without its content; undefined
   * when nothing is there. The last component is not followed: a symlink is reported as one.
   */
  async statPath(id: string, path: string, opts: Signal = {}): Promise<PathStat | undefined> {
    try {
      const response = await this.#http.stream("HEAD", `/containers/${encodeURIComponent(id)}/archive`, { query: { path }, signal: opts.signal });
      await response.body.dump();
      return pathStat(response.headers);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Extracts a tar stream into `path` (a directory that must exist) in the container.
   * `copyUIDGID`: files belong to the container's user (`docker cp -a`); `noOverwriteDirNonDir`:
   * refuse to replace a directory with a file or the reverse (as `docker cp` asks).
   */
  async putArchive(id: string, path: string, tar: Readable | Buffer, opts: Signal & { copyUIDGID?: boolean; noOverwriteDirNonDir?: boolean } = {}): Promise<void> {
    await this.#http.none("PUT", `/containers/${encodeURIComponent(id)}/archive`, {
      query: { path, ...(opts.copyUIDGID ? { copyUIDGID: true } : {}), ...(opts.noOverwriteDirNonDir ? { noOverwriteDirNonDir: true } : {}) },
      body: tar,
      headers: { "content-type": "application/x-tar" },
      signal: opts.signal,
    });
  }

  /**
   * Attaches to the container's output (stdout and stderr, multiplexed unless TTY). Call it
   * before start to see everything the container writes; the stream ends when it exits.
   */
  async attach(id: string, opts: Signal & { logs?: boolean } = {}): Promise<Readable & AsyncIterable<Buffer>> {
    const response = await this.#http.stream("POST", `/containers/${encodeURIComponent(id)}/attach`, {
      query: { stream: true, stdout: true, stderr: true, logs: opts.logs ?? false },
      signal: opts.signal,
    });
    return response.body;
  }

  /**
   * Attaches to the container's input and output on one two-way connection (the engine switches
   * it to raw TCP): output multiplexed unless the container has a TTY; ending the writable side
   * closes its stdin (when created with OpenStdin and StdinOnce). Register it before the start.
   */
  attachInteractive(id: string, opts: Signal = {}): Promise<Duplex> {
    return this.#http.upgrade("POST", `/containers/${encodeURIComponent(id)}/attach`, { protocol: "tcp", query: { stream: true, stdin: true, stdout: true, stderr: true }, signal: opts.signal });
  }

  /** The container's terminal size (a TTY container), in characters. */
  async resize(id: string, size: { rows: number; cols: number }, opts: Signal = {}): Promise<void> {
    await this.#http.none("POST", `/containers/${encodeURIComponent(id)}/resize`, { query: { h: size.rows, w: size.cols }, signal: opts.signal });
  }

  async rename(id: string, name: string, opts: Signal = {}): Promise<void> {
    await this.#http.none("POST", `/containers/${encodeURIComponent(id)}/rename`, { query: { name }, signal: opts.signal });
  }
}

/** The engine's X-Docker-Container-Path-Stat header (base64 JSON); Go's os.FileMode keeps the directory flag in bit 31. */
function pathStat(headers: Record<string, string | string[] | undefined>): PathStat | undefined {
  const header = headers["x-docker-container-path-stat"];
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const stat = JSON.parse(Buffer.from(value, "base64").toString("utf8")) as { name: string; size: number; mode: number; mtime: string; linkTarget: string };
  return { ...stat, isDirectory: (stat.mode & 0x80000000) !== 0 };
}
