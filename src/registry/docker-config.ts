/**
 * The docker CLI's config file, found, read and written as the CLI does it: `$DOCKER_CONFIG/config.json`,
 * else `$HOME/.docker/config.json`; a missing file is an empty config; `auths` keys are matched
 * through docker's ConvertToHostname (`https://host/v1/` is `host`); writes keep every key Slipway
 * does not manage, the file's mode (0600 for a new file) and a symlinked file's link, and go
 * through a temporary file and a rename so that a reader never sees half a file.
 *
 * Nothing here prints or logs a value of an entry: errors name the file and the key only.
 */
import { randomBytes } from "node:crypto";
import { chmod, chown, mkdir, open, readFile, realpath, rename, stat, unlink } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { SlipwayError } from "../errors/index.ts";
import { DOCKER_HUB_KEY, convertToHostname } from "./reference.ts";

/** One entry of `auths`, as the docker CLI writes it (`auth` is base64 of `user:password`). */
export interface AuthEntry {
  auth?: string;
  identitytoken?: string;
  /** Read when there is no `auth`, as the CLI does; never written. */
  username?: string;
  password?: string;
  [key: string]: unknown;
}

/** The parts of config.json Slipway reads or writes; every other key is kept as it was. */
export interface DockerConfigData {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

export interface DockerConfig {
  /** Absolute path of config.json; it may not exist yet. */
  file: string;
  exists: boolean;
  data: DockerConfigData;
}

export interface DockerConfigLocation {
  /** The environment to read `DOCKER_CONFIG` and `HOME` from (the CLI passes its own). */
  env: Record<string, string | undefined>;
  /** A config folder that wins over `DOCKER_CONFIG` (the docker CLI's `--config`). */
  configDir?: string;
}

/** The config folder: `configDir`, else `$DOCKER_CONFIG`, else `$HOME/.docker`. */
export function dockerConfigDir(loc: DockerConfigLocation): string {
  if (loc.configDir) return path.resolve(loc.configDir);
  if (loc.env["DOCKER_CONFIG"]) return path.resolve(loc.env["DOCKER_CONFIG"]);
  return path.join(loc.env["HOME"] || homedir(), ".docker");
}

export function dockerConfigFile(loc: DockerConfigLocation): string {
  return path.join(dockerConfigDir(loc), "config.json");
}

const FIX_HINT = "Fix or remove the file (it is the docker CLI's config; `docker login` rewrites it), or point DOCKER_CONFIG at another folder.";
const WRITE_HINT = "Check the permissions of the file and its folder, or point DOCKER_CONFIG at a folder you can write.";

function configError(file: string, message: string, cause?: unknown, hint = FIX_HINT): SlipwayError {
  return new SlipwayError(`${file}: ${message}`, {
    code: hint === WRITE_HINT ? "DOCKER_CONFIG_UNWRITABLE" : "DOCKER_CONFIG_INVALID",
    kind: "config",
    hint,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * JSON.parse's message without the piece of the file V8 quotes in some of them (`Unexpected token
 * 'x', "{"auths": x…" is not valid JSON`): that piece may be a credential.
 */
function parseProblem(err: unknown, text: string): string {
  const message = err instanceof Error ? err.message : String(err);
  const at = /^(.*?) in JSON at position (\d+)/.exec(message);
  if (at) {
    const before = text.slice(0, Number(at[2]));
    const line = before.split("\n").length;
    return `${at[1]} (line ${line}, column ${before.length - before.lastIndexOf("\n")})`;
  }
  return message.includes('"') ? "unexpected content" : message;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function validate(file: string, data: unknown): DockerConfigData {
  if (!isObject(data)) throw configError(file, "is not a JSON object");
  const { auths, credsStore, credHelpers } = data;
  if (auths !== undefined && auths !== null) {
    if (!isObject(auths)) throw configError(file, "`auths` is not an object");
    for (const [key, entry] of Object.entries(auths)) {
      if (!isObject(entry)) throw configError(file, `\`auths\` entry ${JSON.stringify(key)} is not an object`);
      for (const field of ["auth", "identitytoken", "username", "password"]) {
        if (entry[field] !== undefined && typeof entry[field] !== "string") throw configError(file, `\`${field}\` of \`auths\` entry ${JSON.stringify(key)} is not a string`);
      }
    }
  }
  if (credsStore !== undefined && typeof credsStore !== "string") throw configError(file, "`credsStore` is not a string");
  if (credHelpers !== undefined && credHelpers !== null) {
    if (!isObject(credHelpers)) throw configError(file, "`credHelpers` is not an object");
    for (const [key, helper] of Object.entries(credHelpers)) {
      if (typeof helper !== "string") throw configError(file, `\`credHelpers\` entry ${JSON.stringify(key)} is not a string`);
    }
  }
  return data as DockerConfigData;
}

/** Reads config.json; a missing (or empty) file is an empty config, invalid JSON a config error naming the file. */
export async function readDockerConfig(loc: DockerConfigLocation): Promise<DockerConfig> {
  const file = dockerConfigFile(loc);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { file, exists: false, data: {} };
    throw configError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err);
  }
  if (text.trim() === "") return { file, exists: true, data: {} };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw configError(file, `is not valid JSON: ${parseProblem(err, text)}`);
  }
  return { file, exists: true, data: validate(file, data) };
}

/** The `credHelpers` helper named for exactly this key (the CLI matches it exactly), or `credsStore`, with the config key that named it. */
export function configuredHelper(config: DockerConfig, key: string): { helper: string; configKey: string } | undefined {
  const own = config.data.credHelpers?.[key];
  if (own) return { helper: own, configKey: `credHelpers[${JSON.stringify(key)}]` };
  if (config.data.credsStore) return { helper: config.data.credsStore, configKey: "credsStore" };
  return undefined;
}

/**
 * The `auths` entry the docker CLI would use for `key`: the exact key first, then (except for Docker
 * Hub's URL key) any key that names the same host with a scheme or path (`https://host`, `http://host/v1/`).
 */
export function findAuthEntry(config: DockerConfig, key: string): { key: string; entry: AuthEntry } | undefined {
  const auths = config.data.auths ?? {};
  const exact = auths[key];
  if (exact) return { key, entry: exact };
  if (key === DOCKER_HUB_KEY) return undefined;
  for (const [k, entry] of Object.entries(auths)) if (convertToHostname(k) === key) return { key: k, entry };
  return undefined;
}

/** Every `auths` key that names `key`'s registry (what a logout removes). */
export function authKeysFor(config: DockerConfig, key: string): string[] {
  return Object.keys(config.data.auths ?? {}).filter((k) => k === key || (key !== DOCKER_HUB_KEY && convertToHostname(k) === key));
}

/** What an entry holds: `auth` decoded (or `username`/`password`), and `identitytoken`. */
export function decodeAuthEntry(config: DockerConfig, key: string, entry: AuthEntry): { username?: string; password?: string; identityToken?: string } {
  const out: { username?: string; password?: string; identityToken?: string } = {};
  if (entry.auth) {
    const { username, password } = decodeAuth(entry.auth, () => configError(config.file, `\`auth\` of \`auths\` entry ${JSON.stringify(key)} is not base64 of user:password`));
    out.username = username;
    out.password = password;
  } else {
    if (entry.username) out.username = entry.username;
    if (entry.password) out.password = entry.password;
  }
  if (entry.identitytoken) out.identityToken = entry.identitytoken;
  return out;
}

/** docker's decodeAuth: base64 of `user:password`, the user not empty, NULs trimmed from the password. */
export function decodeAuth(auth: string, invalid: () => Error): { username: string; password: string } {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(auth)) throw invalid();
  const decoded = Buffer.from(auth, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) throw invalid();
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1).replace(/^\0+|\0+$/g, "") };
}

export function encodeAuth(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, "utf8").toString("base64");
}

/** The config with `auths[key]` set to `entry` (replacing what was there, as `docker login` does). */
export function withAuthEntry(data: DockerConfigData, key: string, entry: AuthEntry): DockerConfigData {
  const auths = { ...(data.auths ?? {}), [key]: entry };
  return "auths" in data ? { ...data, auths } : { auths, ...data };
}

/** The config without the `auths` entries named. */
export function withoutAuthEntries(data: DockerConfigData, keys: string[]): DockerConfigData {
  if (!data.auths) return data;
  return { ...data, auths: Object.fromEntries(Object.entries(data.auths).filter(([k]) => !keys.includes(k))) };
}

/**
 * Writes `data` to the config's file: the folder made (0700) when missing, a symlinked file written
 * through its link, the file's mode (and, for root, owner) kept, 0600 for a new file; written to a
 * temporary file beside it, synced and renamed over it.
 */
export async function writeDockerConfig(config: DockerConfig, data: DockerConfigData): Promise<void> {
  const unwritable = (err: unknown) => configError(config.file, `cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err, WRITE_HINT);
  // A folder in the way that is a file (EEXIST, ENOTDIR) is the user's to fix, not a crash.
  await mkdir(path.dirname(config.file), { recursive: true, mode: 0o700 }).catch((err: unknown) => {
    throw unwritable(err);
  });
  let target = config.file;
  let mode = 0o600;
  let owner: { uid: number; gid: number } | undefined;
  try {
    target = await realpath(config.file);
    const st = await stat(target);
    mode = st.mode & 0o777;
    owner = { uid: st.uid, gid: st.gid };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw unwritable(err);
  }
  // The docker CLI writes tab-indented JSON: keep diffs of the file small for people who keep it.
  const text = JSON.stringify(data, null, "\t");
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const handle = await open(temp, "wx", mode);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The umask may have narrowed the mode `open` asked for.
    await chmod(temp, mode);
    if (owner && process.getuid?.() === 0 && (owner.uid !== 0 || owner.gid !== 0)) await chown(temp, owner.uid, owner.gid);
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw unwritable(err);
  }
}
