/**
 * `slipway install docker-plugin | docker-compose`: opt-in shims so that Makefiles and scripts
 * written for docker compose run Slipway unchanged.
 *
 * - `docker-plugin` writes `docker-compose` into the docker CLI's plugin folder
 *   (`$DOCKER_CONFIG/cli-plugins`, default `~/.docker/cli-plugins`, which docker searches before
 *   the system folders): `docker compose …` then runs Slipway (docker-cli-plugin.ts answers docker).
 * - `docker-compose` writes a `docker-compose` program (default into `~/.local/bin`) for
 *   docker-compose v1 style command lines: `docker-compose …` runs `slipway compose …`
 *   (docker-compose-v1.ts keeps v1's meaning where it differs, e.g. `ps` lists stopped containers).
 *
 * Each shim is a short sh script that runs the published bundle (the package's `bin`) with the
 * node running this command, and carries a marker line: only a file with the marker is Slipway's
 * own. Anything else in the way is kept unless `--force`, and then set aside beside it and put
 * back by `--remove`.
 */
import { constants } from "node:fs";
import { access, chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Argument, Command } from "commander";
import { SlipwayError } from "../../errors/index.ts";
import type { CliIo } from "../io.ts";

export const SHIM_TARGETS = ["docker-plugin", "docker-compose"] as const;
export type ShimTarget = (typeof SHIM_TARGETS)[number];

/** The line that marks a file as Slipway's own shim. */
export const SHIM_MARKER = "# slipway-shim:";
/** Where a foreign file replaced with --force is kept, beside the shim. */
export const SET_ASIDE_SUFFIX = ".before-slipway";

const quote = (s: string) => `'${s.replaceAll("'", `'"'"'`)}'`;

/** The shim's text: pure, so tests can read what gets installed. */
export function shimScript(target: ShimTarget, node: string, bin: string): string {
  const [what, entry] =
    target === "docker-plugin"
      ? ["docker compose … runs Slipway (a docker CLI plugin)", "docker-cli-plugin"]
      : ["docker-compose … runs slipway compose … (with v1's meaning where Makefiles rely on it)", "docker-compose"];
  return [
    "#!/bin/sh",
    `${SHIM_MARKER} ${target}`,
    `# ${what}. Installed by \`slipway install ${target}\`; remove with \`slipway install --remove ${target}\`.`,
    `exec ${quote(node)} ${quote(bin)} ${entry} "$@"`,
    "",
  ].join("\n");
}

/** Where a target's shim goes: `--dir`, else the docker CLI's plugin folder, else ~/.local/bin. */
export function shimPath(target: ShimTarget, env: Record<string, string | undefined>, dir?: string): string {
  const home = env["HOME"] || homedir();
  const folder = dir ?? (target === "docker-plugin" ? path.join(env["DOCKER_CONFIG"] || path.join(home, ".docker"), "cli-plugins") : path.join(home, ".local", "bin"));
  return path.resolve(folder, "docker-compose");
}

/** The published bundle (package.json's `bin`), found from this module wherever it runs from (sources, bundle or its chunks). */
export async function publishedBin(from = path.dirname(fileURLToPath(import.meta.url))): Promise<string> {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = await readFile(path.join(dir, "package.json"), "utf8").then((t) => JSON.parse(t) as { name?: string; bin?: Record<string, string> }, () => undefined);
    if (pkg?.name === "slipway" && pkg.bin?.["slipway"]) {
      const bin = path.join(dir, pkg.bin["slipway"]);
      if (await exists(bin)) return bin;
      throw new SlipwayError(`the published CLI ${bin} does not exist`, { code: "INSTALL_NO_BUNDLE", kind: "config", hint: `Build it first: \`npm run build\` in ${dir}.` });
    }
    if (path.dirname(dir) === dir) throw new SlipwayError("cannot find Slipway's package.json above its own files", { code: "INSTALL_NO_PACKAGE", kind: "internal" });
  }
}

const exists = (p: string) => access(p, constants.F_OK).then(() => true, () => false);
const isShim = async (p: string) => (await readFile(p, "utf8").catch(() => "")).split("\n").some((l) => l.startsWith(SHIM_MARKER));

export interface InstallResult {
  path: string;
  /** A foreign file moved aside (--force). */
  setAside?: string;
}

export async function installShim(file: string, script: string, force: boolean): Promise<InstallResult> {
  const result: InstallResult = { path: file };
  if ((await exists(file)) && !(await isShim(file))) {
    if (!force) {
      throw new SlipwayError(`${file} exists and is not Slipway's`, {
        code: "INSTALL_FOREIGN_FILE",
        kind: "config",
        hint: `Pass --force to replace it: it is kept as ${file}${SET_ASIDE_SUFFIX}, and \`slipway install --remove\` puts it back.`,
      });
    }
    if (await exists(file + SET_ASIDE_SUFFIX)) {
      throw new SlipwayError(`${file + SET_ASIDE_SUFFIX} exists already: the file it keeps would be lost`, { code: "INSTALL_FOREIGN_FILE", kind: "config", hint: "Move one of them away first." });
    }
    await rename(file, file + SET_ASIDE_SUFFIX);
    result.setAside = file + SET_ASIDE_SUFFIX;
  }
  await mkdir(path.dirname(file), { recursive: true });
  // Written beside it and renamed: a docker or make running meanwhile never sees half a script.
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, script);
  await chmod(temp, 0o755);
  await rename(temp, file);
  return result;
}

export interface RemoveResult {
  path: string;
  removed: boolean;
  /** The foreign file put back. */
  restored?: string;
}

export async function removeShim(file: string): Promise<RemoveResult> {
  if (!(await exists(file))) return { path: file, removed: false };
  if (!(await isShim(file))) {
    throw new SlipwayError(`${file} is not Slipway's: not removed`, { code: "INSTALL_FOREIGN_FILE", kind: "config", hint: "Remove it yourself if you mean to." });
  }
  await rm(file);
  if (await exists(file + SET_ASIDE_SUFFIX)) {
    await rename(file + SET_ASIDE_SUFFIX, file);
    return { path: file, removed: true, restored: file };
  }
  return { path: file, removed: true };
}

/** The first `docker-compose` on PATH, if it is not `file`: it would run instead of the shim. */
function shadowedBy(file: string, env: Record<string, string | undefined>): Promise<string | undefined> {
  const dirs = (env["PATH"] ?? "").split(path.delimiter).filter(Boolean);
  return (async () => {
    for (const d of dirs) {
      const candidate = path.resolve(d, "docker-compose");
      if (candidate === file) return undefined;
      if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
    }
    return undefined;
  })();
}

export function installCommand(io: CliIo): Command {
  return new Command("install")
    .description("make `docker compose` (docker-plugin) or `docker-compose` (docker-compose) run Slipway, for Makefiles written for them")
    .addArgument(new Argument("<target>", "docker-plugin: a docker CLI plugin; docker-compose: a docker-compose program").choices(SHIM_TARGETS))
    .option("--dir <dir>", "install into this folder (docker-plugin: $DOCKER_CONFIG/cli-plugins; docker-compose: ~/.local/bin)")
    .option("--force", "replace a docker-compose that is not Slipway's (kept aside; --remove puts it back)")
    .option("--remove", "remove Slipway's shim (and put back what --force replaced)")
    .action(async (target: ShimTarget, o: { dir?: string; force?: boolean; remove?: boolean }) => {
      if (process.platform === "win32") {
        throw new SlipwayError("slipway install writes sh scripts: not on Windows", { code: "INSTALL_PLATFORM", kind: "usage", hint: "Run `slipway compose …` instead of `docker compose …`." });
      }
      const file = shimPath(target, io.env, o.dir && path.resolve(io.cwd, o.dir));
      if (o.remove) {
        const r = await removeShim(file);
        io.stdout.write(!r.removed ? `nothing to remove: ${file} does not exist\n` : `removed ${file}${r.restored ? ` (put back the docker-compose it replaced)` : ""}\n`);
        return;
      }
      const r = await installShim(file, shimScript(target, process.execPath, await publishedBin()), !!o.force);
      const lines = [`installed ${file}${r.setAside ? ` (the one it replaced is kept as ${r.setAside})` : ""}`];
      if (target === "docker-plugin") {
        lines.push("`docker compose …` now runs Slipway; check with `docker compose version`.");
      } else {
        lines.push("`docker-compose …` now runs `slipway compose …`.");
        const first = await shadowedBy(file, io.env);
        if (first) lines.push(`note: ${first} comes first on PATH: put ${path.dirname(file)} before it.`);
        else if (!(io.env["PATH"] ?? "").split(path.delimiter).some((d) => path.resolve(d) === path.dirname(file))) lines.push(`note: ${path.dirname(file)} is not on PATH.`);
      }
      lines.push(`Undo: slipway install --remove ${target}${o.dir ? ` --dir ${o.dir}` : ""}`);
      io.stdout.write(`${lines.join("\n")}\n`);
    });
}
