/**
 * `slipway doctor`: is this machine ready to run pipelines? Each check is independent and
 * reports what it saw; the report decides the exit code (engine problems first).
 */
import { statfs } from "node:fs/promises";
import { ExitCode, SlipwayError, isSlipwayError } from "../errors/index.ts";
import { Engine, describeEndpoint, type Builder, type EngineEndpoint, type SystemInfo, MIN_API_VERSION, MAX_API_VERSION } from "../engine/index.ts";
// The engine client's own undici pieces, imported statically. A lazy `import("undici")` here came
// out of the esbuild bundle (code splitting) as a chunk that exports only `default`, so its named
// `request` was undefined in the published CLI while it worked from the sources
// (https://github.com/evanw/esbuild/issues/3245); these pieces also spare loading undici's index.
import { Agent, request } from "../engine/undici-core.ts";

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  hint?: string;
}

export interface DoctorReport {
  checks: DoctorCheck[];
  client: { version: string; apiRange: [string, string] };
  endpoint: string;
  engine?: {
    version: string;
    apiVersion: string;
    negotiatedApiVersion: string;
    os: string;
    arch: string;
    storageDriver: string;
    dataRoot: string;
    swarm: string;
    mirrors: string[];
    freeDiskBytes?: number;
  };
  registry?: { address: string; reachable: boolean; status?: number };
  /** The first failing check's error, which decides the exit code. */
  error?: SlipwayError;
}

export interface DoctorOptions {
  endpoint: EngineEndpoint;
  clientVersion: string;
  /** A registry named by slipway.yml, e.g. `registry.example.com` or `127.0.0.1:5000`. */
  registry?: string;
  signal?: AbortSignal;
  /** Per-check network timeout. */
  timeoutMs?: number;
  /** The builder asked for (DOCKER_BUILDKIT), else the engine's. */
  builder?: Builder | undefined;
}

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const endpoint = describeEndpoint(opts.endpoint);
  const report: DoctorReport = {
    checks: [],
    client: { version: opts.clientVersion, apiRange: [MIN_API_VERSION, MAX_API_VERSION] },
    endpoint,
  };
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 10_000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;

  let engine: Engine | undefined;
  try {
    engine = await Engine.connect({ endpoint: opts.endpoint, signal, builder: opts.builder });
    report.checks.push({ name: "engine", status: "ok", detail: `reachable at ${endpoint} (${opts.endpoint.source})` });
  } catch (err) {
    const error = isSlipwayError(err)
      ? err
      : new SlipwayError(`Cannot reach the Docker engine at ${endpoint}`, { code: "ENGINE_UNREACHABLE", kind: "engine", cause: err });
    if (error.code === "ENGINE_TOO_OLD") {
      // It answered: the engine is there, its API version is what fails.
      report.checks.push({ name: "engine", status: "ok", detail: `reachable at ${endpoint} (${opts.endpoint.source})` });
      report.checks.push({ name: "api", status: "fail", detail: error.message, ...(error.hint ? { hint: error.hint } : {}) });
    } else {
      report.checks.push({ name: "engine", status: "fail", detail: error.message, ...(error.hint ? { hint: error.hint } : {}) });
    }
    report.error = error;
  }

  if (engine) {
    try {
      const [version, info] = await Promise.all([engine.system.version({ signal }), engine.system.info({ signal })]);
      report.engine = {
        version: version.Version,
        apiVersion: engine.engineApiVersion,
        negotiatedApiVersion: engine.apiVersion,
        os: `${info.OperatingSystem} (${version.Os}/${version.Arch})`,
        arch: version.Arch,
        storageDriver: info.Driver,
        dataRoot: info.DockerRootDir,
        swarm: info.Swarm.LocalNodeState || "inactive",
        mirrors: info.RegistryConfig?.Mirrors ?? [],
      };
      report.checks.push({
        name: "api",
        status: "ok",
        detail: `engine ${version.Version} speaks API ${engine.engineApiVersion}; using ${engine.apiVersion} (client supports ${MIN_API_VERSION}–${MAX_API_VERSION})`,
      });
      report.checks.push({
        name: "builder",
        status: "ok",
        detail: engine.builder === "buildkit" ? "builds with the engine's BuildKit (through the API, no buildx needed)" : "builds with the engine's classic builder",
      });
      report.checks.push(storageCheck(info.Driver, info.DockerRootDir));
      report.checks.push(swarmCheck(info.Swarm.LocalNodeState));
      await checkDisk(report, opts.endpoint, info.DockerRootDir);
    } catch (err) {
      const error = isSlipwayError(err) ? err : new SlipwayError(String(err), { code: "ENGINE_FAILED", kind: "engine", cause: err });
      report.checks.push({ name: "engine-info", status: "fail", detail: error.message });
      report.error ??= error;
    } finally {
      await engine.close();
    }
  }

  if (opts.registry) await checkRegistry(report, opts.registry, signal);
  return report;
}

/**
 * Storage drivers that work badly or not at all for pipelines: vfs has no copy-on-write, the others
 * are deprecated and gone from current engines (https://docs.docker.com/engine/deprecated/).
 */
const POOR_STORAGE_DRIVERS: Record<string, string> = {
  vfs: "has no copy-on-write: every layer is a full copy, so builds are slow and fill the disk",
  aufs: "is deprecated and removed in Docker 24",
  overlay: "(legacy) is deprecated and removed in Docker 24",
  devicemapper: "is deprecated and removed in Docker 25",
};

export function storageCheck(driver: string, dataRoot: string): DoctorCheck {
  const detail = `storage driver ${driver}, data root ${dataRoot}`;
  const poor = POOR_STORAGE_DRIVERS[driver];
  if (!poor) return { name: "storage", status: "ok", detail };
  return {
    name: "storage",
    status: "warn",
    detail: `${detail}: ${driver} ${poor}`,
    hint: "Switch the engine to overlay2 (`storage-driver` in daemon.json); images must be pulled or built again after.",
  };
}

/** Swarm is optional; a node in error or locked is an engine problem worth knowing before a deploy. */
export function swarmCheck(state: SystemInfo["Swarm"]["LocalNodeState"]): DoctorCheck {
  const swarm = state || "inactive";
  if (swarm === "locked") {
    return { name: "swarm", status: "warn", detail: "swarm locked: the manager's keys are encrypted and not loaded", hint: "Run `docker swarm unlock` with the unlock key." };
  }
  if (swarm === "error") {
    return { name: "swarm", status: "warn", detail: "swarm error: this node is in an error state", hint: "`docker info` shows the swarm error; leave and join again, or `docker swarm init --force-new-cluster` on a manager." };
  }
  return { name: "swarm", status: "ok", detail: `swarm ${swarm}` };
}

const LOW_DISK_BYTES = 2 * 1024 ** 3;

export function diskCheck(freeBytes: number, dataRoot: string): DoctorCheck {
  const detail = `${(freeBytes / 1024 ** 3).toFixed(1)} GiB free on ${dataRoot}`;
  if (freeBytes < LOW_DISK_BYTES) {
    return { name: "disk", status: "warn", detail, hint: "Free space: `slipway clean`, `docker system prune`." };
  }
  return { name: "disk", status: "ok", detail };
}

async function checkDisk(report: DoctorReport, endpoint: EngineEndpoint, dataRoot: string): Promise<void> {
  // Only a local engine's data root is on a filesystem we can see.
  if (endpoint.kind !== "unix") {
    report.checks.push({ name: "disk", status: "skip", detail: "engine is remote; its free disk is not visible from here" });
    return;
  }
  try {
    const stats = await statfs(dataRoot);
    const free = stats.bavail * stats.bsize;
    report.engine!.freeDiskBytes = free;
    report.checks.push(diskCheck(free, dataRoot));
  } catch {
    report.checks.push({ name: "disk", status: "skip", detail: `${dataRoot} is not visible from here (engine in a VM or container?)` });
  }
}

/** Registries answer `GET /v2/` with 200, or 401 when they want credentials: both mean reachable. */
export function registryBaseUrls(address: string): string[] {
  const host = address.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  if (/^https?:\/\//.test(address)) return [`${address.replace(/\/+$/, "").replace(/(\/v2)?$/, "")}/v2/`];
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
  // Like the engine: HTTPS first; plain HTTP only for loopback (insecure) registries.
  return loopback ? [`https://${host}/v2/`, `http://${host}/v2/`] : [`https://${host}/v2/`];
}

async function checkRegistry(report: DoctorReport, address: string, signal: AbortSignal): Promise<void> {
  let lastError = "";
  const agent = new Agent();
  try {
    for (const url of registryBaseUrls(address)) {
      try {
        const { origin, pathname } = new URL(url);
        const response = await request(agent, { origin, path: pathname, method: "GET", signal });
        await response.body.dump();
        if (response.statusCode === 200 || response.statusCode === 401) {
          report.registry = { address, reachable: true, status: response.statusCode };
          report.checks.push({
            name: "registry",
            status: "ok",
            detail: `${address} answers at ${url}${response.statusCode === 401 ? " (credentials required)" : ""}`,
          });
          return;
        }
        lastError = `${url} answered HTTP ${response.statusCode}`;
      } catch (err) {
        lastError = `${url}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  } finally {
    await agent.close().catch(() => undefined);
  }
  report.registry = { address, reachable: false };
  const error = new SlipwayError(`Registry ${address} is not reachable (${lastError})`, {
    code: "REGISTRY_UNREACHABLE",
    kind: "registry",
    hint: "Check the registry address in slipway.yml and that the registry is up.",
  });
  report.checks.push({ name: "registry", status: "fail", detail: error.message, hint: error.hint! });
  report.error ??= error;
}

export function doctorExitCode(report: DoctorReport): number {
  return report.error ? report.error.exitCode : ExitCode.ok;
}
