/**
 * Connecting: the API version is negotiated from `GET /_ping` and used on every request after it;
 * an endpoint nobody answers on fails at its first attempt (no retries) with EngineUnreachableError.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "undici";
import {
  Engine,
  EngineApiError,
  EngineUnreachableError,
  MAX_API_VERSION,
  compareApiVersions,
  endpointFromEnv,
  type TraceRecord,
} from "../../../src/engine/index.ts";
import { loadWorldSync } from "../../support/world.ts";
import { connect, unusedTcpPort } from "./harness.ts";

const world = loadWorldSync();

/** The engine's own Api-Version header, read without our client. */
async function rawEngineApiVersion(): Promise<string> {
  const endpoint = endpointFromEnv(process.env);
  assert.equal(endpoint.kind, "unix", "these checks read the engine over its unix socket");
  const client = new Client("http://docker", { socketPath: endpoint.kind === "unix" ? endpoint.socketPath : "" });
  try {
    const response = await client.request({ method: "GET", path: "/_ping" });
    await response.body.dump();
    return String(response.headers["api-version"]);
  } finally {
    await client.close();
  }
}

test("version negotiation: the lower of ours and the engine's, 1.41 on this world's Engine 20.10", async () => {
  await using engine = await connect();
  const engineVersion = await rawEngineApiVersion();
  const expected = compareApiVersions(engineVersion, MAX_API_VERSION) < 0 ? engineVersion : MAX_API_VERSION;
  assert.equal(engine.apiVersion, expected);
  assert.equal(engine.engineApiVersion, engineVersion);
  const version = await engine.system.version();
  assert.equal(version.ApiVersion, engineVersion);
  // The world records the engine it set up: Engine 20.10 here, so 1.41.
  if (world.file) {
    assert.equal(engine.engineApiVersion, world.file.engine.apiVersion);
    if (world.file.engine.version.startsWith("20.10.")) assert.equal(engine.apiVersion, "1.41");
  }
  assert.equal(engine.supports("1.41"), true);
  assert.equal(engine.supports("1.99"), false);
});

test("requests after connect carry the negotiated version, and they work", async () => {
  const records: TraceRecord[] = [];
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env), trace: (r) => records.push(r) });
  assert.equal(engine.http.path("/info"), `/v${engine.apiVersion}/info`);
  const info = await engine.system.info();
  assert.ok(info.ID.length > 0);
  assert.ok(records.some((r) => r.path === "/info" && r.status === 200), JSON.stringify(records));
  // The same request pinned to a version newer than the engine's is refused: why we negotiate.
  const tooNew = await engine.http.json("GET", "/v1.99/info", { versioned: false }).then(
    () => assert.fail("an API version newer than the engine's was accepted"),
    (e: unknown) => e,
  );
  assert.ok(tooNew instanceof EngineApiError, String(tooNew));
  assert.equal(tooNew.status, 400);
  assert.equal(tooNew.reason, "bad-request");
});


async function assertUnreachable(dockerHost: string): Promise<void> {
  const records: TraceRecord[] = [];
  const err = await Engine.connect({ endpoint: endpointFromEnv({ ...process.env, DOCKER_HOST: dockerHost }), trace: (r) => records.push(r) }).then(
    async (engine) => {
      await engine.close();
      return assert.fail(`connected to ${dockerHost}`);
    },
    (e: unknown) => e,
  );
  assert.ok(err instanceof EngineUnreachableError, String(err));
  assert.equal(err.code, "ENGINE_UNREACHABLE");
  assert.equal(err.kind, "engine");
  assert.match(err.hint ?? "", /DOCKER_HOST/);
  // Fast means no retry loop: the first failed ping is the answer (counted, not timed).
  assert.deepEqual(records.map((r) => `${r.method} ${r.path} ${r.status}`), ["GET /_ping error"]);
}

test("an unreachable DOCKER_HOST (unix socket that does not exist) rejects at the first attempt with EngineUnreachableError", async () => {
  await assertUnreachable(`unix://${path.join(tmpdir(), `slipway-no-engine-${randomBytes(4).toString("hex")}.sock`)}`);
});

test("an unreachable DOCKER_HOST (tcp, closed port) rejects at the first attempt with EngineUnreachableError", async () => {
  await assertUnreachable(`tcp://127.0.0.1:${await unusedTcpPort()}`);
});

test("an aborted connect rejects with CancelledError, not as unreachable", async () => {
  const err = await Engine.connect({ endpoint: endpointFromEnv(process.env), signal: AbortSignal.abort() }).then(
    async (engine) => {
      await engine.close();
      return assert.fail("connected despite the aborted signal");
    },
    (e: unknown) => e,
  );
  assert.equal((err as { code?: string }).code, "CANCELLED", String(err));
});
