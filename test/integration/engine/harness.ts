/**
 * What the engine integration tests share: a connection to the real engine, a run id that labels
 * everything a test file creates, unique names, and resources that remove themselves
 * (`await using`). Each test file is its own process under node:test, so RUN_ID is per file.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { after, before } from "node:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Engine, endpointFromEnv, type ContainerCreateBody } from "../../../src/engine/index.ts";
import { demuxStream, splitLines, type LogLine } from "../../../src/engine/streams/index.ts";

export const RUN_LABEL = "dev.slipway.run";
export const TEST_LABEL = "dev.slipway.test";

/** One id per test file process: everything it creates carries it, and the file's `after` sweeps by it. */
export const RUN_ID = `engine-it-${randomBytes(4).toString("hex")}`;

export const BUSYBOX = "busybox:latest";

export function testLabels(extra: Record<string, string> = {}): Record<string, string> {
  return { [RUN_LABEL]: RUN_ID, [TEST_LABEL]: "1", ...extra };
}

/** The filter selecting what this file created. */
export function runFilters(): Record<string, string[]> {
  return { label: [`${RUN_LABEL}=${RUN_ID}`] };
}

export function uniqueName(prefix: string): string {
  return `slipway-it-${prefix}-${randomBytes(4).toString("hex")}`;
}

export function connect(env: Record<string, string | undefined> = process.env): Promise<Engine> {
  return Engine.connect({ endpoint: endpointFromEnv(env) });
}

export interface TempContainer extends AsyncDisposable {
  id: string;
  name: string;
}

/** Creates a labelled busybox container (unless `body.Image` says otherwise) that force-removes itself on dispose. */
export async function tempContainer(engine: Engine, body: Partial<ContainerCreateBody>, prefix = "ctr"): Promise<TempContainer> {
  const name = uniqueName(prefix);
  const created = await engine.containers.create(
    { Image: BUSYBOX, ...body, Labels: testLabels(body.Labels ?? {}) },
    { name },
  );
  return {
    id: created.Id,
    name,
    async [Symbol.asyncDispose]() {
      await engine.containers.remove(created.Id, { force: true, volumes: true });
    },
  };
}

export interface TempDir extends AsyncDisposable {
  path: string;
}

export async function tempDir(prefix = "slipway-it-"): Promise<TempDir> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return {
    path: dir,
    async [Symbol.asyncDispose]() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Registers the exit wait, starts, and returns the exit code: the order STYLE.md asks for. */
export async function runToExit(engine: Engine, id: string): Promise<number> {
  const registered = await engine.containers.wait(id, { condition: "next-exit" });
  await engine.containers.start(id);
  return (await registered.result).StatusCode;
}

/** Every line of a multiplexed body, per stream, in arrival order. */
export async function readLines(body: AsyncIterable<Uint8Array>): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of splitLines(demuxStream(body))) lines.push(line);
  return lines;
}

/** Runs `cmd` in a running container; resolves with its demultiplexed output and exit code. */
export async function execIn(engine: Engine, container: string, cmd: string[]): Promise<{ stdout: string; stderr: string; exitCode: number | null }> {
  const exec = await engine.execs.create(container, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const body = await engine.execs.start(exec.Id);
  const out: Record<string, Buffer[]> = { stdout: [], stderr: [] };
  for await (const frame of demuxStream(body)) out[frame.stream]?.push(Buffer.from(frame.data));
  const inspected = await engine.execs.inspect(exec.Id);
  return {
    stdout: Buffer.concat(out["stdout"] ?? []).toString("utf8"),
    stderr: Buffer.concat(out["stderr"] ?? []).toString("utf8"),
    exitCode: inspected.ExitCode,
  };
}

/**
 * The file-level safety net, for `after()`: removes whatever this file's run label still selects
 * (a test that failed between create and its `await using`). Tests clean up themselves; this
 * only guarantees `docker ps -a --filter label=dev.slipway.test=1` stays empty after a crash.
 */
export async function sweepRun(engine: Engine): Promise<void> {
  const filters = runFilters();
  for (const c of await engine.containers.list({ all: true, filters })) {
    await engine.containers.remove(c.Id, { force: true, volumes: true });
  }
  for (const n of await engine.networks.list({ filters })) await engine.networks.remove(n.Id);
  for (const v of await engine.volumes.list({ filters })) await engine.volumes.remove(v.Name, { force: true });
}

/**
 * A test file's engine: connected before its tests; after them, whatever the file's run label still
 * selects is swept and the connection closed. `set` receives the engine (`useEngine((e) => (engine = e))`).
 */
export function useEngine(set: (engine: Engine) => void): void {
  let engine: Engine | undefined;
  before(async () => {
    engine = await connect();
    set(engine);
  });
  after(async () => {
    if (!engine) return;
    await sweepRun(engine);
    await engine.close();
  });
}

/** The error `promise` rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail("expected a rejection"),
    (e: unknown) => e,
  );
}

/** A loopback TCP port nothing listens on (bound, then released). */
export async function unusedTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address !== null && typeof address === "object");
  return address.port;
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

/**
 * Deletes a pushed manifest through the registry API, so test pushes do not pile up. Only ever
 * call it on a repository unique to the test: a digest names the content, and the same content
 * pushed under another repository or tag by a parallel test would lose its tag too.
 */
export async function deleteManifest(registry: string, repository: string, digest: string, auth?: { username: string; password: string }): Promise<void> {
  const headers: Record<string, string> = auth ? { authorization: basicAuth(auth.username, auth.password) } : {};
  const response = await fetch(`http://${registry}/v2/${repository}/manifests/${digest}`, { method: "DELETE", headers });
  await response.arrayBuffer();
  if (response.status !== 202 && response.status !== 404) throw new Error(`DELETE ${registry}/${repository}@${digest}: HTTP ${response.status}`);
}

/** Resolves after `ms`; for bounding how long something may take, never for waiting on state. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
