/**
 * API version negotiation. We speak every version from MIN_API_VERSION (Engine 20.10, Debian's
 * docker.io on these machines) to MAX_API_VERSION (the newest in ../shared/reference), and use the
 * lower of our maximum and the engine's `Api-Version` — pinning a version newer than the daemon's
 * gets HTTP 400, which is one of dockerode's failures (issue 2).
 */
export const MIN_API_VERSION = "1.41";
export const MAX_API_VERSION = "1.56";

export function compareApiVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split(".").map(Number);
  const [bMajor = 0, bMinor = 0] = b.split(".").map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

/** The version to use, or `undefined` when the engine is older than we support. */
export function negotiateApiVersion(engineVersion: string | undefined): string | undefined {
  // Engines before 1.25 sent no Api-Version header; they are all too old for us.
  if (!engineVersion || !/^\d+\.\d+$/.test(engineVersion)) return undefined;
  if (compareApiVersions(engineVersion, MIN_API_VERSION) < 0) return undefined;
  return compareApiVersions(engineVersion, MAX_API_VERSION) < 0 ? engineVersion : MAX_API_VERSION;
}

export function apiAtLeast(current: string, wanted: string): boolean {
  return compareApiVersions(current, wanted) >= 0;
}
