/**
 * The test world's registries, as the engine tests need them, with a skip reason when the world
 * lacks one. Provisional: reads testworld's state directly until test/support/world.ts exists.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

export interface WorldRegistries {
  /** host:port of the Docker Hub mirror (the engine's registry-mirrors). */
  mirror?: string;
  /** host:port of the registry without auth. */
  plain?: string;
  auth?: { address: string; username: string; password: string };
  skipReason: string;
}

function stateDir(): string {
  const env = process.env;
  if (env["SLIPWAY_TESTWORLD_STATE"]) return env["SLIPWAY_TESTWORLD_STATE"];
  if (process.getuid?.() === 0) return "/var/lib/slipway-testworld";
  return path.join(env["XDG_STATE_HOME"] || path.join(homedir(), ".local", "state"), "slipway-testworld");
}

export function worldRegistries(): WorldRegistries {
  const dir = stateDir();
  let password: string | undefined;
  try {
    password = readFileSync(path.join(dir, "etc", "auth-password"), "utf8").trim();
  } catch {
    password = undefined;
  }
  const managed = password !== undefined;
  return {
    ...(managed ? { mirror: "127.0.0.1:5001", plain: "127.0.0.1:5003" } : {}),
    ...(password ? { auth: { address: "127.0.0.1:5002", username: "testuser", password } } : {}),
    skipReason: `the test world's registries are not set up (no ${path.join(dir, "etc", "auth-password")}); run testworld/setup.sh`,
  };
}

/** Deletes a pushed manifest through the registry API, so test pushes do not pile up. */
export async function deleteManifest(
  registry: string,
  name: string,
  digest: string,
  auth?: { username: string; password: string },
): Promise<void> {
  const headers: Record<string, string> = {};
  if (auth) headers["authorization"] = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
  const response = await fetch(`http://${registry}/v2/${name}/manifests/${digest}`, { method: "DELETE", headers });
  await response.arrayBuffer();
  if (response.status !== 202 && response.status !== 404) throw new Error(`DELETE manifest ${name}@${digest}: HTTP ${response.status}`);
}
