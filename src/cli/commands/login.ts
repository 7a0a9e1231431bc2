/**
 * `slipway login` / `slipway logout`: the docker CLI's login, kept where the docker CLI keeps it
 * (a credential helper, else config.json's `auths`), so `docker push` and Slipway share it.
 *
 * As `docker login` does: a password is never an argument (it would land in shell history and
 * process lists): it comes from stdin with `--password-stdin`, or from a prompt that does not
 * echo; the registry is asked whether it accepts the credentials before anything is stored.
 */
import { Command, Option } from "commander";
import { findPipelineConfig, loadPipelineConfig } from "../../config/load-pipeline-config.ts";
import { CancelledError, SlipwayError } from "../../errors/index.ts";
import { login, logout } from "../../registry/credentials.ts";
import { normalizeRegistry } from "../../registry/reference.ts";
import { verifyLogin } from "../../registry/verify-login.ts";
import type { CliIo } from "../io.ts";

/** The terminal's (or a pipe's) input, as login reads it. */
export type LoginInput = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

function usageError(message: string, hint = "Run `slipway login --help`."): SlipwayError {
  return new SlipwayError(message, { code: "USAGE", kind: "usage", hint });
}

interface LoginOptions {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  config?: string;
}

/** The registry named on the command line, else slipway.yml's `registry.address`. */
async function targetRegistry(io: CliIo, given: string | undefined, configFile: string | undefined, command: string): Promise<string> {
  if (given) return normalizeRegistry(given);
  if (configFile || (await findPipelineConfig(io.cwd))) {
    const { config, file } = await loadPipelineConfig({ cwd: io.cwd, ...(configFile ? { file: configFile } : {}) });
    if (config.registry) return normalizeRegistry(config.registry.address);
    throw usageError(`slipway ${command}: name a registry (${file} has no \`registry\`)`);
  }
  throw usageError(`slipway ${command}: name a registry, e.g. \`slipway ${command} registry.example.com\` (there is no slipway.yml with a \`registry\` here)`);
}

/** All of stdin, without the one trailing newline `echo` adds (as docker's --password-stdin). */
async function readAll(input: LoginInput): Promise<string> {
  let text = "";
  input.setEncoding?.("utf8");
  for await (const chunk of input) text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
  return text.replace(/\n$/, "").replace(/\r$/, "");
}

/**
 * One line from the terminal, after `question` on stderr. With `hidden` the terminal is in raw
 * mode and nothing typed is echoed; Ctrl-C cancels.
 */
function prompt(input: LoginInput, io: CliIo, signal: AbortSignal, question: string, hidden: boolean): Promise<string> {
  io.stderr.write(question);
  if (hidden) input.setRawMode?.(true);
  input.setEncoding?.("utf8");
  return new Promise<string>((resolve, reject) => {
    let value = "";
    const done = (fn: () => void) => {
      input.off("data", onData);
      input.off("end", onEnd);
      signal.removeEventListener("abort", onAbort);
      if (hidden) {
        input.setRawMode?.(false);
        io.stderr.write("\n");
      }
      input.pause();
      fn();
    };
    const onData = (chunk: string | Buffer) => {
      for (const ch of String(chunk)) {
        if (ch === "\r" || ch === "\n") return done(() => resolve(value));
        if (ch === "\u0003") return done(() => reject(new CancelledError()));
        if (ch === "\u0004") {
          if (value === "") return done(() => resolve(value));
          continue;
        }
        if (ch === "\u007f" || ch === "\b") {
          value = [...value].slice(0, -1).join("");
          continue;
        }
        if (ch >= " ") value += ch;
      }
    };
    const onEnd = () => done(() => resolve(value));
    const onAbort = () => done(() => reject(new CancelledError()));
    input.on("data", onData);
    input.on("end", onEnd);
    signal.addEventListener("abort", onAbort, { once: true });
    input.resume();
  });
}

/** `-p` is accepted only to be refused with a pointer to --password-stdin: an unknown option would not say why. */
function refusePasswordArgument(o: LoginOptions): void {
  if (o.password === undefined) return;
  // The value is not repeated: it is already in the shell's history.
  throw usageError(
    "slipway login does not take a password as an argument: it would be kept in shell history and shown in process lists",
    "Pipe it on stdin: `printf '%s' \"$REGISTRY_PASSWORD\" | slipway login REGISTRY -u USER --password-stdin`, or run `slipway login` in a terminal to be asked for it.",
  );
}

async function credentialsFrom(io: CliIo, signal: AbortSignal, input: LoginInput, o: LoginOptions): Promise<{ username: string; password: string }> {
  if (o.passwordStdin) {
    if (!o.username) throw usageError("slipway login: --password-stdin needs --username (stdin holds the password)");
    const password = await readAll(input);
    if (!password) throw usageError("slipway login: stdin held no password");
    return { username: o.username, password };
  }
  if (!input.isTTY) {
    throw usageError("slipway login: stdin is not a terminal, so there is no one to ask for the password", "Pass it on stdin: `slipway login REGISTRY -u USER --password-stdin`.");
  }
  const username = o.username ?? (await prompt(input, io, signal, "Username: ", false)).trim();
  if (!username) throw usageError("slipway login: a user name is needed");
  const password = await prompt(input, io, signal, "Password: ", true);
  if (!password) throw usageError("slipway login: a password is needed");
  return { username, password };
}

export function loginCommand(io: CliIo, signal: AbortSignal, input: () => LoginInput = () => process.stdin): Command {
  return new Command("login")
    .description("log in to a registry (default: slipway.yml's) and keep the login where the docker CLI keeps it")
    .argument("[registry]", "registry host[:port] (default: slipway.yml's registry.address)")
    .option("-u, --username <user>", "user name")
    .option("--password-stdin", "read the password (or token) from stdin")
    .addOption(new Option("-p, --password <password>").hideHelp())
    .option("-c, --config <file>", "pipeline file whose registry is the default (default: slipway.yml here or in a parent folder)")
    .action(async (given: string | undefined, o: LoginOptions) => {
      refusePasswordArgument(o);
      const registry = await targetRegistry(io, given, o.config, "login");
      const cred = await credentialsFrom(io, signal, input(), o);
      await verifyLogin(registry, cred, { signal });
      const result = await login(registry, cred, { env: io.env, signal });
      io.stdout.write(`Login Succeeded: ${registry} as ${cred.username}, stored in ${result.storedIn}\n`);
      if (!result.helper) {
        io.stderr.write(
          io.err.yellow(`note: the password is stored unencrypted (base64) in ${result.file}; name a credential helper in its \`credsStore\` to keep it in a keychain instead`) + "\n",
        );
      }
    });
}

export function logoutCommand(io: CliIo, signal: AbortSignal): Command {
  return new Command("logout")
    .description("remove a registry login (default: slipway.yml's registry) from where the docker CLI keeps it")
    .argument("[registry]", "registry host[:port] (default: slipway.yml's registry.address)")
    .option("-c, --config <file>", "pipeline file whose registry is the default (default: slipway.yml here or in a parent folder)")
    .action(async (given: string | undefined, o: { config?: string }) => {
      const registry = await targetRegistry(io, given, o.config, "logout");
      const result = await logout(registry, { env: io.env, signal });
      if (result.removed.length === 0) {
        io.stdout.write(`Not logged in to ${registry}\n`);
        return;
      }
      io.stdout.write(`Removed the login to ${registry} from ${result.removed.join(" and ")}\n`);
    });
}
