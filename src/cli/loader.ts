/**
 * The published CLI's entry (dist/bin/slipway.js): starts the bundle (slipway.cjs beside it) with
 * V8's code cache. Compiling the 2 MB bundle was the largest part of every command's start-up
 * (52 ms of `slipway --version`'s 139 ms of CPU; measured 2026-12-05); with the cache, V8 reads
 * the compiled code instead (a `compose ps`: 0.25–0.29 s → 0.17–0.19 s).
 *
 * The cache is V8's own format, checked by V8 against this source, this node and these flags:
 * anything else is rejected and the bundle compiled as usual. It is written once per bundle,
 * node version and architecture, at the end of the first command (so it holds the functions that
 * command compiled too), to `$XDG_CACHE_HOME/slipway/code-cache/` (else `~/.cache/…`); a folder
 * that cannot be written is no error. A cache that help or the version wrote is replaced once, by
 * the first command that is neither. `SLIPWAY_CODE_CACHE=0` turns it off.
 *
 * Built by scripts/bundle-cli.mjs, which defines the bundle's hash; never imported by sources.
 */
import "./process-tuning.ts";
import { isAscii } from "node:buffer";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Script } from "node:vm";

/** The bundle's file name beside this loader (slipway.cjs) and its sha256, set by the bundler (scripts/bundle.mjs). */
declare const __SLIPWAY_BUNDLE_FILE__: string;
declare const __SLIPWAY_BUNDLE_HASH__: string;

const bundle = path.join(path.dirname(fileURLToPath(import.meta.url)), __SLIPWAY_BUNDLE_FILE__);
const prefix = `${path.basename(__SLIPWAY_BUNDLE_FILE__, ".cjs")}-`;
// The bundler writes ASCII (scripts/bundle.mjs, asciiOnly): read as Latin-1, the same text in a
// one-byte string, half the size of the two-byte string a UTF-8 decode makes, and faster to make.
const bytes = readFileSync(bundle);
const source = bytes.toString(isAscii(bytes) ? "latin1" : "utf8");

function cacheFolder(): string | undefined {
  if (process.env["SLIPWAY_CODE_CACHE"] === "0") return undefined;
  const base = process.env["XDG_CACHE_HOME"] || (process.env["HOME"] ? path.join(process.env["HOME"], ".cache") : path.join(homedir(), ".cache"));
  return path.join(base, "slipway", "code-cache");
}

// The first byte of a cache file says what wrote it, V8's data follows.
const WRITTEN_BY_HELP = 1;
const WRITTEN_BY_COMMAND = 2;

const folder = cacheFolder();
const name = `${prefix}${__SLIPWAY_BUNDLE_HASH__.slice(0, 16)}-${process.version}-${process.arch}.v8`;
let cachedData: Buffer | undefined;
let cachedBy = 0;
if (folder) {
  try {
    const file = readFileSync(path.join(folder, name));
    cachedBy = file[0] ?? 0;
    if (cachedBy === WRITTEN_BY_HELP || cachedBy === WRITTEN_BY_COMMAND) cachedData = file.subarray(1);
  } catch {
    // No cache yet (or none readable): compiled as usual, and written at exit.
  }
}

// As node wraps a CommonJS module, with the URL the bundle's import.meta.url stands for.
const script = new Script(`(function (exports, require, module, __filename, __dirname, __slipway_import_meta_url) {${source}\n})`, {
  filename: bundle,
  ...(cachedData ? { cachedData } : {}),
});
// Help and the version run little of what commands run. A cache written by one of them (the first
// thing run after an install often is) left later commands compiling their own code: `compose ps`
// answered its last request at 352 ms with the cache `--version` wrote, at 307 ms with its own;
// `compose up --dry-run` at 276 ms with the cache `compose up --help` wrote, at 252 ms with the
// one an attached `up` wrote (medians of 20 runs at load 5–10, 2026-12-06). Such a cache is kept
// only until a command writes its own; the command that replaces it still starts from it.
const args = process.argv.slice(2);
const onlyHelpOrVersion = args[0] === "help" || args[0] === "--version" || args[0] === "-V" || args.includes("--help") || args.includes("-h");
const writtenBy = onlyHelpOrVersion ? WRITTEN_BY_HELP : WRITTEN_BY_COMMAND;
if (folder && (!cachedData || script.cachedDataRejected || cachedBy < writtenBy)) {
  process.once("exit", () => {
    try {
      const data = script.createCachedData();
      mkdirSync(folder, { recursive: true });
      // This bundle's earlier builds' and other nodes' caches go: one file per bundle is enough.
      for (const old of readdirSync(folder)) if (old.startsWith(prefix) && old !== name) rmSync(path.join(folder, old), { force: true });
      const temporary = path.join(folder, `${name}.${process.pid}.tmp`);
      writeFileSync(temporary, Buffer.concat([Buffer.from([writtenBy]), data]));
      renameSync(temporary, path.join(folder, name));
    } catch {
      // A cache that cannot be written only means the next start compiles again.
    }
  });
}
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle), pathToFileURL(bundle).href);
