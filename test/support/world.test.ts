import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadWorld, loadWorldSync, WorldUnavailableError, type WorldFile } from "./world.ts";

const base: WorldFile = {
  schemaVersion: 1,
  createdAt: "2026-11-23T00:00:00.000Z",
  dockerHost: "unix:///var/run/docker.sock",
  managed: false,
  engine: { version: "20.10.24", apiVersion: "1.41", arch: "x86_64" },
  mirror: null,
  registries: { plain: { address: "127.0.0.1:5003" }, auth: null },
  images: ["busybox:latest", "postgres:15"],
  composeV2: "/usr/local/lib/docker/cli-plugins/docker-compose",
  composeV1: null,
  unavailable: { "auth-registry": "no htpasswd on this host", "compose-v1": "no docker-compose 1.x" },
  fixturesHash: "0123456789abcdef",
  stateDir: "/tmp/state",
  cacheDir: "/tmp/cache",
};

async function withWorld(file: WorldFile | undefined, env: Record<string, string>, fn: (env: NodeJS.ProcessEnv) => Promise<void>) {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-world-"));
  try {
    const worldPath = path.join(dir, "world.json");
    if (file) await writeFile(worldPath, JSON.stringify(file));
    await fn({ SLIPWAY_WORLD: worldPath, ...env });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("skipReason gives setup's recorded reason, or undefined for what the world has", () =>
  withWorld(base, {}, async (env) => {
    const world = await loadWorld(env);
    assert.equal(world.skipReason("engine", "plain-registry", "image:postgres:15", "compose-v2"), undefined);
    assert.equal(world.skipReason("plain-registry", "auth-registry"), "no htpasswd on this host");
    assert.equal(world.skipReason("compose-v1"), "no docker-compose 1.x");
    assert.match(world.skipReason("mirror") ?? "", /mirror/);
    assert.match(world.skipReason("managed-engine") ?? "", /user's own/);
    assert.match(world.skipReason("image:redis:7") ?? "", /no fixture image redis:7/);
  }));

test("require returns the details, or throws with the reason", () =>
  withWorld(base, {}, async (env) => {
    const world = loadWorldSync(env);
    assert.deepEqual(world.require("plain-registry"), { address: "127.0.0.1:5003" });
    assert.deepEqual(world.require("compose-v2"), { path: "/usr/local/lib/docker/cli-plugins/docker-compose" });
    assert.deepEqual(world.require("image:busybox:latest"), { name: "busybox:latest" });
    assert.throws(() => world.require("auth-registry"), (err: unknown) => err instanceof WorldUnavailableError && /no htpasswd/.test(err.message));
  }));

test("no world.json: everything is skipped, with the command that makes one", () =>
  withWorld(undefined, {}, async (env) => {
    const world = await loadWorld(env);
    assert.equal(world.file, undefined);
    assert.match(world.skipReason("engine") ?? "", /run: bash testworld\/setup\.sh/);
  }));

test("strict mode (CI): a missing capability throws instead of skipping", () =>
  withWorld(base, { SLIPWAY_WORLD_STRICT: "1" }, async (env) => {
    const world = await loadWorld(env);
    assert.equal(world.skipReason("plain-registry"), undefined);
    assert.throws(() => world.skipReason("auth-registry"), WorldUnavailableError);
  }));
