/**
 * Registry credentials, found as the docker CLI finds them, plus slipway.yml's variables:
 *
 *   1. slipway.yml's `registry.username_env` / `password_env`, when both variables are set;
 *   2. the helper `credHelpers` names for this registry;
 *   3. the `credsStore` helper;
 *   4. `auths` in config.json (`auth`: base64 of user:password, or `identitytoken`);
 *   5. none: the registry is reached anonymously.
 *
 * `login` stores where `docker login` would (the registry's helper, else `credsStore`, else
 * `auths`), and `logout` erases from there, so the docker CLI and Slipway share one login.
 * A credential's values are never printed, logged or stored by Slipway elsewhere: a
 * RegistryCredential carries `source` for messages, and that is all that may be shown.
 */
import { SlipwayError } from "../errors/index.ts";
import type { RegistryAuth } from "../engine/types.ts";
import { CredentialHelper } from "./credential-helper.ts";
import {
  authKeysFor,
  configuredHelper,
  decodeAuthEntry,
  encodeAuth,
  findAuthEntry,
  readDockerConfig,
  withAuthEntry,
  withoutAuthEntries,
  writeDockerConfig,
  type DockerConfig,
  type DockerConfigLocation,
} from "./docker-config.ts";
import { registryKey } from "./reference.ts";
import type { RegistryCredential } from "./types.ts";

export interface CredentialOptions extends DockerConfigLocation {
  /** slipway.yml's `registry.username_env`: the variable holding the user name. */
  usernameEnv?: string;
  /** slipway.yml's `registry.password_env`: the variable holding the password or token. */
  passwordEnv?: string;
  signal?: AbortSignal;
  /** How long a credential helper may take (default 30 s). */
  helperTimeoutMs?: number;
}

export const NO_CREDENTIAL: RegistryCredential = Object.freeze({ source: "none" });

/** Where `login` put a credential. */
export interface LoginResult {
  /** The key it is filed under (`host[:port]`, or Docker Hub's `https://index.docker.io/v1/`). */
  key: string;
  /** config.json's path: its `auths` holds the entry (a helper's login leaves an empty entry there, as docker's does). */
  file: string;
  /** The helper program that holds the secret, when one does; else it is in `file`. */
  helper?: string;
  /** For messages: `/home/me/.docker/config.json` or `credential helper docker-credential-pass`. */
  storedIn: string;
}

export interface LogoutResult {
  key: string;
  file: string;
  /** Where something was removed, for messages; empty when there was no login to remove. */
  removed: string[];
}

function helper(config: DockerConfig, named: { helper: string; configKey: string }, opts: CredentialOptions): CredentialHelper {
  return new CredentialHelper(named.helper, {
    env: opts.env,
    namedBy: `${named.configKey} in ${config.file}`,
    ...(opts.helperTimeoutMs !== undefined ? { timeoutMs: opts.helperTimeoutMs } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

/** The helper `docker login` and `docker logout` use for `key`: its own in `credHelpers`, else `credsStore`. */
function helperFor(config: DockerConfig, key: string, opts: CredentialOptions): CredentialHelper | undefined {
  const named = configuredHelper(config, key);
  return named ? helper(config, named, opts) : undefined;
}

/**
 * slipway.yml's variables: both set is a credential; one set and the other not (or not named)
 * is a config error saying which; neither set leaves the docker config to decide.
 */
function fromEnvironment(opts: CredentialOptions): RegistryCredential | undefined {
  const { usernameEnv, passwordEnv, env } = opts;
  if (!usernameEnv && !passwordEnv) return undefined;
  const username = usernameEnv ? env[usernameEnv] : undefined;
  const password = passwordEnv ? env[passwordEnv] : undefined;
  if (username && password) return { username, password, source: `environment ${usernameEnv} / ${passwordEnv}` };
  if (!username && !password) return undefined;
  const missing = !usernameEnv
    ? "registry.password_env is set but registry.username_env is not in slipway.yml"
    : !passwordEnv
      ? "registry.username_env is set but registry.password_env is not in slipway.yml"
      : username
        ? `${passwordEnv} (registry.password_env) is not set, while ${usernameEnv} is`
        : `${usernameEnv} (registry.username_env) is not set, while ${passwordEnv} is`;
  throw new SlipwayError(`Registry credentials are incomplete: ${missing}`, {
    code: "REGISTRY_CREDENTIALS_INCOMPLETE",
    kind: "config",
    hint: "Set both variables (or neither, to use `slipway login` / `docker login`), and name both in slipway.yml's `registry`.",
  });
}

/**
 * The credential for slipway.yml's `registry:` (its address, and the variables it names), each
 * secret in it handed to `addSecret` so that it is redacted wherever it could appear.
 */
export async function configuredCredential(registry: { address: string; username_env?: string | undefined; password_env?: string | undefined }, env: Record<string, string | undefined>, addSecret?: (secret: string) => void): Promise<RegistryCredential> {
  const credential = await findCredential(registry.address, {
    env,
    ...(registry.username_env ? { usernameEnv: registry.username_env } : {}),
    ...(registry.password_env ? { passwordEnv: registry.password_env } : {}),
  });
  for (const secret of [credential.password, credential.identityToken]) if (secret) addSecret?.(secret);
  return credential;
}

/** The credential for `registry` (host[:port], or any name of Docker Hub), and where it came from. */
export async function findCredential(registry: string, opts: CredentialOptions): Promise<RegistryCredential> {
  const fromEnv = fromEnvironment(opts);
  if (fromEnv) return fromEnv;

  const key = registryKey(registry);
  const config = await readDockerConfig(opts);
  const own = config.data.credHelpers?.[key];
  const store = config.data.credsStore;
  const named = [
    ...(own ? [{ helper: own, configKey: `credHelpers[${JSON.stringify(key)}]` }] : []),
    ...(store && store !== own ? [{ helper: store, configKey: "credsStore" }] : []),
  ];
  for (const n of named) {
    const h = helper(config, n, opts);
    const found = await h.get(key);
    if (found) return { ...found, source: `credential helper ${h.program} (${n.configKey} in ${config.file})` };
  }

  const entry = findAuthEntry(config, key);
  if (entry) {
    const found = decodeAuthEntry(config, entry.key, entry.entry);
    if (found.identityToken || (found.username && found.password)) {
      return { ...found, source: `docker config ${config.file} (auths ${JSON.stringify(entry.key)})` };
    }
  }
  return { ...NO_CREDENTIAL };
}

/**
 * Stores a credential as `docker login` does: in the registry's helper (`credHelpers`, else
 * `credsStore`), which leaves an empty `auths` entry in config.json, else as `auth` in `auths`.
 * The caller has checked the credential against the registry first.
 */
export async function login(registry: string, cred: { username: string; password: string }, opts: DockerConfigLocation & Pick<CredentialOptions, "signal" | "helperTimeoutMs">): Promise<LoginResult> {
  if (!cred.username || !cred.password) throw new TypeError("login needs a user name and a password");
  const key = registryKey(registry);
  const config = await readDockerConfig(opts);
  const h = helperFor(config, key, opts);
  if (h) {
    await h.store(key, { username: cred.username, password: cred.password });
    await writeDockerConfig(config, withAuthEntry(config.data, key, {}));
    return { key, file: config.file, helper: h.program, storedIn: `credential helper ${h.program}` };
  }
  await writeDockerConfig(config, withAuthEntry(config.data, key, { auth: encodeAuth(cred.username, cred.password) }));
  return { key, file: config.file, storedIn: config.file };
}

/**
 * Removes a login as `docker logout` does: from the helper that holds it and from config.json's
 * `auths`, under the key and the older forms of it (`https://host`, `http://host`, `host/v1/`…)
 * the CLI also looks for.
 */
export async function logout(registry: string, opts: DockerConfigLocation & Pick<CredentialOptions, "signal" | "helperTimeoutMs">): Promise<LogoutResult> {
  const key = registryKey(registry);
  const config = await readDockerConfig(opts);
  const inFile = authKeysFor(config, key);
  const removed: string[] = [];
  // The helper is asked about the key and the forms of it the file has, not every form there could
  // be (as the CLI does): each call may be a passphrase prompt.
  for (const k of new Set([key, ...inFile])) {
    const h = helperFor(config, k, opts);
    if (h && (await h.erase(k))) removed.push(`credential helper ${h.program} (${k})`);
  }
  if (inFile.length > 0) {
    await writeDockerConfig(config, withoutAuthEntries(config.data, inFile));
    removed.push(`${config.file} (auths ${inFile.map((k) => JSON.stringify(k)).join(", ")})`);
  }
  return { key, file: config.file, removed };
}

/**
 * The engine's X-Registry-Auth for a credential: an identity token with the server address, or a
 * user and password with it; nothing for none (the engine then pulls anonymously).
 */
export function engineAuth(cred: RegistryCredential, registry: string): RegistryAuth {
  const serveraddress = registryKey(registry);
  if (cred.identityToken) return { identitytoken: cred.identityToken, serveraddress };
  if (cred.username !== undefined && cred.password !== undefined) return { username: cred.username, password: cred.password, serveraddress };
  return {};
}
