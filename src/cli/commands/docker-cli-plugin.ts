/**
 * Slipway as the docker CLI's `compose` plugin (installed by `slipway install docker-plugin`; the
 * shim runs `slipway docker-cli-plugin "$@"`). The docker CLI plugin protocol
 * (docker/cli cli-plugins/manager):
 *
 * - docker runs `docker-compose docker-cli-plugin-metadata` and expects one JSON object on stdout
 *   (SchemaVersion "0.1.0", Vendor) before it lists or runs the plugin;
 * - `docker [GLOBAL OPTIONS] compose ARGS…` runs `docker-compose [GLOBAL OPTIONS] compose ARGS…`:
 *   docker's own global options come first, and the plugin must honour them (`--context`,
 *   `--host`, `--config`, TLS). They become the docker variables Slipway's engine resolution reads;
 * - docker sets DOCKER_CLI_PLUGIN_SOCKET and, when it gets SIGINT/SIGTERM without a terminal (a CI
 *   runner stopping the job), does not forward the signal but closes that socket: the plugin must
 *   take the close as its Ctrl-C. With a terminal, the signal reaches the plugin itself.
 */
import { connect } from "node:net";
import path from "node:path";
import { Command } from "commander";
import { SlipwayError } from "../../errors/index.ts";
import { slipwayVersion } from "../../run/version.ts";
import type { CliIo } from "../io.ts";

export const METADATA_COMMAND = "docker-cli-plugin-metadata";

export function pluginMetadata(): Record<string, string> {
  return {
    SchemaVersion: "0.1.0",
    Vendor: "Slipway",
    Version: slipwayVersion(),
    ShortDescription: "Docker Compose, run by Slipway over the Engine API",
  };
}

/** What docker's global options mean for the plugin: variables to set (undefined: unset) and the compose arguments. */
export interface PluginInvocation {
  env: Record<string, string | undefined>;
  composeArgs: string[];
}

/** docker's global options (`docker --help`), by flag: the name they are kept under, and whether a value follows. */
export const DOCKER_OPTIONS: Record<string, { name: string; value: boolean }> = {
  "--config": { name: "config", value: true },
  "-c": { name: "context", value: true },
  "--context": { name: "context", value: true },
  "-H": { name: "host", value: true },
  "--host": { name: "host", value: true },
  "-l": { name: "log-level", value: true },
  "--log-level": { name: "log-level", value: true },
  "--tlscacert": { name: "tlscacert", value: true },
  "--tlscert": { name: "tlscert", value: true },
  "--tlskey": { name: "tlskey", value: true },
  "-D": { name: "debug", value: false },
  "--debug": { name: "debug", value: false },
  "--tls": { name: "tls", value: false },
  "--tlsverify": { name: "tlsverify", value: false },
};
const TLS_FILES: Record<string, string> = { tlscacert: "ca.pem", tlscert: "cert.pem", tlskey: "key.pem" };

export function usage(message: string, hint = "Run `docker --help` for docker's global options."): SlipwayError {
  return new SlipwayError(message, { code: "USAGE", kind: "usage", hint });
}

/** One option of a command line: its flag, and its value when written inline (`--host=x`, `-Hx`). */
export function splitOption(arg: string): { flag: string; inline: string | undefined } {
  if (arg.startsWith("--")) {
    const eq = arg.indexOf("=");
    return eq > 0 ? { flag: arg.slice(0, eq), inline: arg.slice(eq + 1) } : { flag: arg, inline: undefined };
  }
  return { flag: arg.slice(0, 2), inline: arg.length > 2 ? arg.slice(2).replace(/^=/, "") : undefined };
}

/** The docker variables docker's connection options stand for (undefined: unset it). */
export function dockerEnv(given: Record<string, string | true>): Record<string, string | undefined> {
  if (given["context"] !== undefined && given["host"] !== undefined) {
    throw usage("conflicting options: either specify --host or --context, not both");
  }
  const env: Record<string, string | undefined> = {};
  if (typeof given["config"] === "string") env["DOCKER_CONFIG"] = given["config"];
  // The docker CLI: --context beats DOCKER_HOST, --host beats DOCKER_CONTEXT (resolveContextName).
  if (typeof given["context"] === "string") Object.assign(env, { DOCKER_CONTEXT: given["context"], DOCKER_HOST: undefined });
  if (typeof given["host"] === "string") Object.assign(env, { DOCKER_HOST: given["host"], DOCKER_CONTEXT: undefined });
  if (given["tlsverify"]) env["DOCKER_TLS_VERIFY"] = "1";
  if (given["tls"]) env["DOCKER_TLS"] = "1";
  // Slipway reads TLS files as the docker CLI's environment names them: DOCKER_CERT_PATH/{ca,cert,key}.pem.
  const tlsDirs = new Set<string>();
  for (const [flag, name] of Object.entries(TLS_FILES)) {
    const file = given[flag];
    if (typeof file !== "string") continue;
    if (path.basename(file) !== name) throw usage(`--${flag} ${file}: Slipway reads TLS files as DOCKER_CERT_PATH/${name}`, `Name the file ${name}, or set DOCKER_CERT_PATH to a folder holding ca.pem, cert.pem and key.pem.`);
    tlsDirs.add(path.dirname(path.resolve(file)));
  }
  if (tlsDirs.size > 1) throw usage("--tlscacert, --tlscert and --tlskey name files in different folders", "Keep ca.pem, cert.pem and key.pem in one folder (DOCKER_CERT_PATH).");
  if (tlsDirs.size === 1) env["DOCKER_CERT_PATH"] = [...tlsDirs][0]!;
  return env;
}

/** Reads docker's global options up to the plugin's name, `compose`. Pure. */
export function parsePluginArgs(args: readonly string[]): PluginInvocation {
  const given: Record<string, string | true> = {};
  let i = 0;
  for (; i < args.length && args[i]!.startsWith("-"); i++) {
    const { flag, inline } = splitOption(args[i]!);
    const option = DOCKER_OPTIONS[flag];
    if (!option) throw usage(`unknown docker option ${args[i]} before compose`);
    if (option.value) {
      const value = inline ?? args[++i];
      if (value === undefined) throw usage(`docker's ${flag} needs a value`);
      given[option.name] = value;
    } else if (inline !== "false") given[option.name] = true;
  }
  if (args[i] !== "compose") {
    throw usage(`expected \`compose\` after docker's options, not ${args[i] === undefined ? "nothing" : JSON.stringify(args[i])}`, "This program is docker's compose plugin: run it as `docker compose …`.");
  }
  return { env: dockerEnv(given), composeArgs: args.slice(i + 1) };
}

/** Sets docker's variables in the process's environment (the one place docker's options reach Slipway), before the compose command starts. */
export function applyDockerEnv(io: CliIo, env: Record<string, string | undefined>): void {
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete io.env[key];
    else io.env[key] = value;
  }
}

/**
 * Docker's socket: its close (docker got SIGINT/SIGTERM without a terminal) is our Ctrl-C.
 * Best effort: docker listens on a Linux abstract socket of the name's exact length, and Node 20
 * connects to abstract names with the whole sun_path length (as libuv bound them before
 * uv_pipe_connect2), which is another name: the connection is refused. Then only a signal that
 * reaches Slipway itself (a terminal's Ctrl-C, a kill of the process group) stops it, and a
 * docker signalled alone kills the plugin at its third signal, as it does any plugin.
 */
function followDockerSocket(address: string | undefined): () => void {
  if (!address) return () => undefined;
  // Go's net package writes an abstract socket's name as "@name".
  const socket = connect({ path: address.startsWith("@") ? `\0${address.slice(1)}` : address });
  let connected = false;
  let done = false;
  socket.on("connect", () => void (connected = true));
  socket.on("error", () => undefined);
  socket.on("close", () => {
    if (connected && !done) process.kill(process.pid, "SIGTERM");
  });
  socket.unref();
  return () => {
    done = true;
    socket.destroy();
  };
}

export function dockerCliPluginCommand(io: CliIo): Command {
  return new Command("docker-cli-plugin")
    .description("the docker CLI's compose plugin entry (slipway install docker-plugin)")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .passThroughOptions()
    .argument("[args...]")
    .action(async (args: string[], _o, cmd: Command) => {
      if (args.length === 1 && args[0] === METADATA_COMMAND) {
        io.stdout.write(`${JSON.stringify(pluginMetadata())}\n`);
        return;
      }
      const invocation = parsePluginArgs(args);
      applyDockerEnv(io, invocation.env);
      const stopFollowing = followDockerSocket(io.env["DOCKER_CLI_PLUGIN_SOCKET"]);
      try {
        await cmd.parent!.parseAsync(["compose", ...invocation.composeArgs], { from: "user" });
      } finally {
        stopFollowing();
      }
    });
}
