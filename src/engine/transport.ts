/**
 * One undici Agent per engine endpoint. Each request takes a pooled keep-alive connection, so a
 * long `wait` or `events` stream holds one connection while other calls use others.
 *
 * ssh:// runs `docker system dial-stdio` on the remote host, one ssh process per pooled
 * connection. OpenSSH connection sharing (ControlMaster) makes every connection after the
 * first reuse the first one's session, so there is one handshake per engine, not per request
 * (dockerode opens a new ssh connection per request: 87 ms each, measured in issue 2).
 */
import { spawn } from "node:child_process";
import { Duplex } from "node:stream";
import { tmpdir } from "node:os";
import path from "node:path";
import { Agent, type Connector, type Dispatcher } from "./undici-core.ts";
import type { EngineEndpoint } from "./endpoint.ts";

export interface Transport {
  dispatcher: Dispatcher;
  /** The origin used in request URLs (the host part is ignored for unix/ssh sockets). */
  origin: string;
  close(): Promise<void>;
}

/** Wraps a child's stdin/stdout as one duplex "socket" for undici. */
class ChildProcessSocket extends Duplex {
  readonly #child: ReturnType<typeof spawn>;
  #stderr = "";

  constructor(command: string, args: string[]) {
    super();
    this.#child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    const { stdin, stdout, stderr } = this.#child;
    stdout!.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) stdout!.pause();
    });
    stdout!.on("end", () => this.push(null));
    stderr!.on("data", (chunk: Buffer) => {
      // Keep the tail only: it is for the error message when the connection fails.
      this.#stderr = (this.#stderr + chunk.toString("utf8")).slice(-2000);
    });
    stdin!.on("error", (err) => this.destroy(err));
    this.#child.on("error", (err) => this.destroy(err));
    this.#child.on("exit", (code) => {
      if (code && code !== 0 && !this.destroyed) {
        this.destroy(new Error(`ssh exited with code ${code}: ${this.#stderr.trim() || "no output"}`));
      }
    });
  }

  override _read(): void {
    this.#child.stdout!.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#child.stdin!.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#child.stdin!.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#child.kill();
    callback(error);
  }

  // undici calls these on net.Socket; a pipe has nothing to do.
  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

export function sshArgs(endpoint: Extract<EngineEndpoint, { kind: "ssh" }>, controlPath: string): string[] {
  const args = [
    "-o", "ConnectTimeout=30",
    "-o", "ControlMaster=auto",
    "-o", `ControlPath=${controlPath}`,
    "-o", "ControlPersist=60",
    "-T",
  ];
  if (endpoint.user) args.push("-l", endpoint.user);
  if (endpoint.port) args.push("-p", String(endpoint.port));
  args.push("--", endpoint.host, "docker");
  if (endpoint.socketPath) args.push(`--host=unix://${endpoint.socketPath}`);
  args.push("system", "dial-stdio");
  return args;
}

const agentOptions = {
  keepAliveTimeout: 30_000,
  // Streams (logs -f, events, wait) may be silent for hours: no body/headers timeouts.
  bodyTimeout: 0,
  headersTimeout: 0,
  pipelining: 1,
} as const;

export function createTransport(endpoint: EngineEndpoint): Transport {
  let agent: Agent;
  let origin = "http://docker";
  switch (endpoint.kind) {
    case "unix":
      agent = new Agent({ ...agentOptions, connect: { socketPath: endpoint.socketPath } });
      break;
    case "npipe":
      agent = new Agent({ ...agentOptions, connect: { socketPath: endpoint.pipePath } });
      break;
    case "tcp": {
      const tls = endpoint.tls;
      const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
      origin = `${tls ? "https" : "http"}://${host}:${endpoint.port}`;
      agent = new Agent({
        ...agentOptions,
        connect: tls
          ? {
              rejectUnauthorized: tls.verify,
              ...(tls.ca ? { ca: tls.ca } : {}),
              ...(tls.cert ? { cert: tls.cert } : {}),
              ...(tls.key ? { key: tls.key } : {}),
            }
          : {},
      });
      break;
    }
    case "ssh": {
      const controlPath = path.join(tmpdir(), `slipway-ssh-${process.pid}-%C`);
      const args = sshArgs(endpoint, controlPath);
      const connect: Connector = (_options, callback) => {
        try {
          const socket = new ChildProcessSocket("ssh", args);
          // undici expects the callback after the socket is usable; a pipe is usable at once.
          queueMicrotask(() => callback(null, socket as unknown as import("node:net").Socket));
        } catch (err) {
          callback(err as Error, null);
        }
      };
      agent = new Agent({ ...agentOptions, connect });
      break;
    }
  }
  return {
    dispatcher: agent,
    origin,
    close: () => closeAgent(agent),
  };
}

/** How long requests still in flight get to end when the engine client closes. */
export const CLOSE_GRACE_MS = 2000;

/**
 * Closes the connections once the requests in flight have ended, for at most CLOSE_GRACE_MS; what
 * is still in flight then is cut. A request the engine never answers (a wait that was never
 * going to end) must not keep a finished command, or a test file, alive forever: it did (a CI
 * run's test file hung for 13 minutes after its test had timed out).
 */
async function closeAgent(agent: Agent): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), CLOSE_GRACE_MS);
    timer.unref();
  });
  const closing = agent.close();
  closing.catch(() => undefined);
  const ended = await Promise.race([closing.then(() => "closed" as const), grace]);
  clearTimeout(timer);
  if (ended === "late") await agent.destroy().catch(() => undefined);
}
