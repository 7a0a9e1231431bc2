import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface VersionInfo {
  readonly name: string;
  readonly version: string;
  readonly gitSha: string;
}

export const UNKNOWN = 'unknown';

/**
 * What GET /version reports. The git SHA comes from the GIT_SHA variable when set (the release image
 * sets it from its build argument), else from the VERSION file the release image bakes, else "unknown".
 */
export async function loadVersionInfo(appRoot: string, gitShaFromEnv: string | undefined): Promise<VersionInfo> {
  const pkg = JSON.parse(await readFile(path.join(appRoot, 'package.json'), 'utf8')) as {
    name?: unknown;
    version?: unknown;
  };
  const baked = await readOptional(path.join(appRoot, 'VERSION'));
  return versionInfo(pkg, gitShaFromEnv, baked);
}

/** Pure part of loadVersionInfo, for the unit suite. */
export function versionInfo(
  pkg: { name?: unknown; version?: unknown },
  gitShaFromEnv: string | undefined,
  bakedVersionFile: string | undefined,
): VersionInfo {
  const fromFile = bakedVersionFile?.trim();
  const gitSha = [gitShaFromEnv, fromFile].find((sha) => sha !== undefined && sha !== '' && sha !== UNKNOWN);
  return {
    name: typeof pkg.name === 'string' ? pkg.name : UNKNOWN,
    version: typeof pkg.version === 'string' ? pkg.version : UNKNOWN,
    gitSha: gitSha ?? UNKNOWN,
  };
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
