/**
 * Where the engine is: resolved from DOCKER_HOST, DOCKER_TLS_VERIFY/DOCKER_CERT_PATH, DOCKER_CONTEXT
 * and the docker CLI's current context, in the docker CLI's order of precedence
 * (docker/cli `resolveContextName`: DOCKER_HOST beats DOCKER_CONTEXT beats config's currentContext).
 * Pure: file access goes through the injected `FileReader` so resolution is unit-tested.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { SlipwayError } from "../errors/index.ts";

export interface TlsMaterial {
  /** Verify the server certificate against `ca` (DOCKER_TLS_VERIFY). */
  verify: boolean;
  ca?: string;
  cert?: string;
  key?: string;
}

export type EngineEndpoint =
  | { kind: "unix"; socketPath: string; source: string }
  | { kind: "npipe"; pipePath: string; source: string }
  | { kind: "tcp"; host: string; port: number; tls?: TlsMaterial; source: string }
  | { kind: "ssh"; host: string; user?: string; port?: number; socketPath?: string; source: string };

export interface FileReader {
  readText(file: string): string | undefined;
}

export interface ResolveOptions {
  env: Record<string, string | undefined>;
  homeDir: string;
  files: FileReader;
  platform?: NodeJS.Platform;
}

export const DEFAULT_UNIX_SOCKET = "/var/run/docker.sock";

export function describeEndpoint(e: EngineEndpoint): string {
  switch (e.kind) {
    case "unix":
      return `unix://${e.socketPath}`;
    case "npipe":
      return `npipe://${e.pipePath}`;
    case "tcp":
      return `${e.tls ? "https" : "tcp"}://${e.host}:${e.port}`;
    case "ssh":
      return `ssh://${e.user ? `${e.user}@` : ""}${e.host}${e.port ? `:${e.port}` : ""}${e.socketPath ?? ""}`;
  }
}

function configError(message: string, hint: string): SlipwayError {
  return new SlipwayError(message, { code: "ENGINE_ENDPOINT_INVALID", kind: "engine", hint });
}

/** Parse a docker host URL (`unix:///path`, `tcp://h:p`, `ssh://u@h:p/path`, `npipe://`). */
export function parseDockerHost(
  value: string,
  tls: TlsMaterial | undefined,
  source: string,
): EngineEndpoint {
  const raw = value.trim();
  if (raw.startsWith("unix://")) {
    const socketPath = raw.slice("unix://".length);
    if (!socketPath) throw configError(`${source}: "${value}" has no socket path`, "Use unix:///var/run/docker.sock.");
    return { kind: "unix", socketPath, source };
  }
  if (raw.startsWith("npipe://")) return { kind: "npipe", pipePath: raw.slice("npipe://".length), source };
  // A bare path is accepted by docker as a unix socket.
  if (raw.startsWith("/")) return { kind: "unix", socketPath: raw, source };
  let url: URL;
  try {
    url = new URL(raw.includes("://") ? raw : `tcp://${raw}`);
  } catch {
    throw configError(
      `${source}: "${value}" is not a valid Docker host`,
      "Use unix:///var/run/docker.sock, tcp://HOST:2376 or ssh://USER@HOST.",
    );
  }
  switch (url.protocol) {
    case "tcp:":
    case "http:":
    case "https:": {
      const useTls = tls ?? (url.protocol === "https:" ? { verify: true } : undefined);
      const port = url.port ? Number(url.port) : useTls ? 2376 : 2375;
      const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
      if (!host) throw configError(`${source}: "${value}" has no host`, "Use tcp://HOST:PORT.");
      return useTls ? { kind: "tcp", host, port, tls: useTls, source } : { kind: "tcp", host, port, source };
    }
    case "ssh:": {
      const endpoint: EngineEndpoint = { kind: "ssh", host: url.hostname, source };
      if (url.username) endpoint.user = decodeURIComponent(url.username);
      if (url.port) endpoint.port = Number(url.port);
      if (url.pathname && url.pathname !== "/") endpoint.socketPath = url.pathname;
      if (!endpoint.host) throw configError(`${source}: "${value}" has no host`, "Use ssh://USER@HOST.");
      return endpoint;
    }
    default:
      throw configError(
        `${source}: unsupported protocol "${url.protocol.replace(/:$/, "")}" in "${value}"`,
        "Use unix://, tcp:// or ssh://.",
      );
  }
}

/** TLS from DOCKER_TLS_VERIFY / DOCKER_TLS / DOCKER_CERT_PATH, as the docker CLI reads them. */
export function tlsFromEnv(opts: ResolveOptions): TlsMaterial | undefined {
  const { env, files } = opts;
  // The docker CLI treats any non-empty DOCKER_TLS_VERIFY as "verify" (even "0" or "false").
  const verify = !!env["DOCKER_TLS_VERIFY"];
  const tls = verify || !!env["DOCKER_TLS"];
  if (!tls) return undefined;
  const certPath = env["DOCKER_CERT_PATH"] || path.join(opts.homeDir, ".docker");
  const material: TlsMaterial = { verify };
  const ca = files.readText(path.join(certPath, "ca.pem"));
  const cert = files.readText(path.join(certPath, "cert.pem"));
  const key = files.readText(path.join(certPath, "key.pem"));
  if (ca !== undefined) material.ca = ca;
  if (cert !== undefined) material.cert = cert;
  if (key !== undefined) material.key = key;
  if (verify && ca === undefined) {
    throw configError(
      `DOCKER_TLS_VERIFY is set but ${path.join(certPath, "ca.pem")} cannot be read`,
      "Set DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem, or unset DOCKER_TLS_VERIFY.",
    );
  }
  return material;
}

interface ContextMeta {
  Name?: string;
  Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } };
}

function readJson<T>(files: FileReader, file: string): T | undefined {
  const text = files.readText(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw configError(`${file} is not valid JSON`, "Fix or remove the file.");
  }
}

function contextEndpoint(name: string, opts: ResolveOptions): EngineEndpoint {
  const dockerDir = opts.env["DOCKER_CONFIG"] || path.join(opts.homeDir, ".docker");
  // The docker CLI stores a context under the sha256 of its name.
  const id = createHash("sha256").update(name).digest("hex");
  const meta = readJson<ContextMeta>(opts.files, path.join(dockerDir, "contexts", "meta", id, "meta.json"));
  const host = meta?.Endpoints?.docker?.Host;
  if (!host) {
    throw configError(
      `docker context "${name}" does not exist or has no docker endpoint`,
      "Run `docker context ls` to see the contexts, or unset DOCKER_CONTEXT.",
    );
  }
  const tlsDir = path.join(dockerDir, "contexts", "tls", id, "docker");
  const ca = opts.files.readText(path.join(tlsDir, "ca.pem"));
  const cert = opts.files.readText(path.join(tlsDir, "cert.pem"));
  const key = opts.files.readText(path.join(tlsDir, "key.pem"));
  let tls: TlsMaterial | undefined;
  if (ca !== undefined || cert !== undefined) {
    tls = { verify: !meta?.Endpoints?.docker?.SkipTLSVerify };
    if (ca !== undefined) tls.ca = ca;
    if (cert !== undefined) tls.cert = cert;
    if (key !== undefined) tls.key = key;
  }
  return parseDockerHost(host, tls, `docker context "${name}"`);
}

/**
 * The environment that points the engine client at a deploy target's `endpoint`: a URL
 * (`unix://`, `tcp://`, `ssh://`) becomes DOCKER_HOST (TLS from DOCKER_TLS_VERIFY and
 * DOCKER_CERT_PATH, as the docker CLI takes them); anything else is a docker context's name
 * (DOCKER_CONTEXT, and no DOCKER_HOST to win over it). Undefined: the environment as it is.
 */
export function targetEnv(env: Record<string, string | undefined>, endpoint: string | undefined): Record<string, string | undefined> {
  if (!endpoint) return env;
  if (endpoint.includes("://")) return { ...env, DOCKER_HOST: endpoint };
  const { DOCKER_HOST: _host, ...rest } = env;
  return { ...rest, DOCKER_CONTEXT: endpoint };
}

/** Resolve the engine endpoint the way the docker CLI does. */
export function resolveEndpoint(opts: ResolveOptions): EngineEndpoint {
  const { env } = opts;
  const dockerHost = env["DOCKER_HOST"];
  if (dockerHost) return parseDockerHost(dockerHost, tlsFromEnv(opts), "DOCKER_HOST");

  let contextName = env["DOCKER_CONTEXT"];
  let source = "DOCKER_CONTEXT";
  if (!contextName) {
    const dockerDir = env["DOCKER_CONFIG"] || path.join(opts.homeDir, ".docker");
    const config = readJson<{ currentContext?: string }>(opts.files, path.join(dockerDir, "config.json"));
    contextName = config?.currentContext;
    source = "docker config currentContext";
  }
  if (contextName && contextName !== "default") {
    const endpoint = contextEndpoint(contextName, opts);
    return { ...endpoint, source: `${source} (${contextName})` };
  }
  if ((opts.platform ?? process.platform) === "win32") {
    return { kind: "npipe", pipePath: "//./pipe/docker_engine", source: "default" };
  }
  return { kind: "unix", socketPath: DEFAULT_UNIX_SOCKET, source: "default" };
}
