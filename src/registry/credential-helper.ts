/**
 * docker-credential-helpers' protocol (github.com/docker/docker-credential-helpers), as the docker
 * CLI speaks it: the program `docker-credential-<name>` runs with the action as its only argument;
 *
 *   get    stdin: the server URL            stdout: {"ServerURL","Username","Secret"}
 *   store  stdin: {"ServerURL","Username","Secret"}
 *   erase  stdin: the server URL
 *   list   stdout: {"<server URL>": "<username>", …}
 *
 * A non-zero exit with "credentials not found in native keychain" means there is none. A Username
 * of `<token>` means the Secret is an identity (refresh) token.
 *
 * The program runs without a shell. A secret travels only on its stdin and stdout, never in its
 * arguments or environment, and never into an error: what a failing helper prints is shown with
 * the secret taken out. A helper can hang (`pass` waiting for a GPG passphrase, a locked
 * keychain), so every call has a timeout.
 */
import { spawn } from "node:child_process";
import { CancelledError, SlipwayError } from "../errors/index.ts";
import { Redactor } from "../run/redact.ts";

export const HELPER_PREFIX = "docker-credential-";
/** The Username a helper stores and returns for an identity token. */
export const TOKEN_USERNAME = "<token>";
const NOT_FOUND = "credentials not found in native keychain";
export const DEFAULT_HELPER_TIMEOUT_MS = 30_000;

export type HelperAction = "get" | "store" | "erase" | "list";

/** What a helper holds for a server: a user and password, or an identity token. */
export interface HelperCredential {
  username?: string;
  password?: string;
  identityToken?: string;
}

export interface CredentialHelperOptions {
  /** The environment the helper runs with (its PATH finds the program); never holds the secret. */
  env: Record<string, string | undefined>;
  /** What named the helper, for messages: `credsStore in /home/me/.docker/config.json`. */
  namedBy?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface HelperRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class CredentialHelper {
  readonly name: string;
  /** `docker-credential-<name>`, looked up on the environment's PATH. */
  readonly program: string;
  readonly #opts: CredentialHelperOptions;

  constructor(name: string, opts: CredentialHelperOptions) {
    // The name becomes a program to run: a path in it would run something else than a helper.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      throw new SlipwayError(`Credential helper name ${JSON.stringify(name)}${opts.namedBy ? ` (${opts.namedBy})` : ""} is not a helper name`, {
        code: "CREDENTIAL_HELPER_INVALID",
        kind: "config",
        hint: "A helper is named without its `docker-credential-` prefix, e.g. `pass`, `secretservice`, `ecr-login`.",
      });
    }
    this.name = name;
    this.program = HELPER_PREFIX + name;
    this.#opts = opts;
  }

  /** The credential stored for `serverURL`, or undefined when the helper has none. */
  async get(serverURL: string): Promise<HelperCredential | undefined> {
    const run = await this.#run("get", serverURL);
    if (run.code !== 0) {
      if (notFound(run)) return undefined;
      throw this.#failed("get", run);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(run.stdout);
    } catch {
      // Not the output: it may hold the secret.
      throw this.#error("get", "printed something that is not the JSON the protocol asks for", "CREDENTIAL_HELPER_FAILED");
    }
    const { Username, Secret } = (typeof parsed === "object" && parsed !== null ? parsed : {}) as { Username?: unknown; Secret?: unknown };
    if (typeof Secret !== "string" || Secret === "") return undefined;
    if (Username === TOKEN_USERNAME) return { identityToken: Secret };
    return { ...(typeof Username === "string" && Username !== "" ? { username: Username } : {}), password: Secret };
  }

  /** Stores a user and password (or, with `identityToken`, a token) for `serverURL`. */
  async store(serverURL: string, cred: HelperCredential): Promise<void> {
    const secret = cred.identityToken ?? cred.password;
    if (!secret) throw new TypeError("store needs a password or an identity token");
    const username = cred.identityToken ? TOKEN_USERNAME : (cred.username ?? "");
    const run = await this.#run("store", `${JSON.stringify({ ServerURL: serverURL, Username: username, Secret: secret })}\n`);
    if (run.code !== 0) throw this.#failed("store", run, secret);
  }

  /** Erases what is stored for `serverURL`: true when something was, false when there was nothing. */
  async erase(serverURL: string): Promise<boolean> {
    const run = await this.#run("erase", serverURL);
    if (run.code === 0) return true;
    if (notFound(run)) return false;
    throw this.#failed("erase", run);
  }

  /** Server URL → user name of everything the helper holds. */
  async list(): Promise<Record<string, string>> {
    const run = await this.#run("list", "");
    if (run.code !== 0) throw this.#failed("list", run);
    try {
      const parsed = JSON.parse(run.stdout) as unknown;
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
        return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"));
      }
    } catch {
      // reported below
    }
    throw this.#error("list", "printed something that is not the JSON the protocol asks for", "CREDENTIAL_HELPER_FAILED");
  }

  #run(action: HelperAction, input: string): Promise<HelperRun> {
    const { signal } = this.#opts;
    if (signal?.aborted) return Promise.reject(new CancelledError());
    const timeoutMs = this.#opts.timeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS;
    const env = Object.fromEntries(Object.entries(this.#opts.env).filter((e): e is [string, string] => e[1] !== undefined));
    return new Promise<HelperRun>((resolve, reject) => {
      const child = spawn(this.program, [action], { env, stdio: ["pipe", "pipe", "pipe"], shell: false, windowsHide: true });
      let stdout = "";
      let stderr = "";
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        fn();
      };
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        finish(() => reject(this.#timedOut(action, timeoutMs)));
      }, timeoutMs);
      const onAbort = () => {
        child.kill("SIGKILL");
        finish(() => reject(new CancelledError()));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("error", (err: NodeJS.ErrnoException) => finish(() => reject(this.#spawnFailed(err))));
      child.on("close", (code) => finish(() => resolve({ code, stdout, stderr })));
      // A helper that exits without reading its input closes the pipe: that is its answer, not ours to fail on.
      child.stdin.on("error", () => undefined);
      child.stdin.end(input);
    });
  }

  #named(): string {
    return this.#opts.namedBy ? ` (named by ${this.#opts.namedBy})` : "";
  }

  #error(action: HelperAction, what: string, code: string, hint?: string): SlipwayError {
    return new SlipwayError(`Credential helper ${this.program}${this.#named()}: \`${action}\` ${what}`, {
      code,
      kind: "registry",
      hint: hint ?? `Run \`${this.program} list\` in a terminal to check the helper, or change the docker config that names it.`,
    });
  }

  #failed(action: HelperAction, run: HelperRun, secret?: string): SlipwayError {
    const redactor = new Redactor();
    redactor.add(secret);
    const said = redactor.redact((run.stderr.trim() || run.stdout.trim()).slice(0, 500)).replace(/\s+/g, " ");
    return this.#error(action, `failed (exit ${run.code ?? "by signal"})${said ? `: ${said}` : ""}`, "CREDENTIAL_HELPER_FAILED");
  }

  #timedOut(action: HelperAction, timeoutMs: number): SlipwayError {
    return new SlipwayError(`Credential helper ${this.program}${this.#named()}: \`${action}\` gave no answer in ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`} and was stopped`, {
      code: "CREDENTIAL_HELPER_TIMEOUT",
      kind: "timeout",
      hint: `It may be waiting for a passphrase or a locked keychain: unlock it (e.g. run \`${this.program} list\` in a terminal), then retry.`,
    });
  }

  #spawnFailed(err: NodeJS.ErrnoException): SlipwayError {
    if (err.code === "ENOENT") {
      return new SlipwayError(`Credential helper ${this.program} is not installed (not found on PATH)${this.#named()}`, {
        code: "CREDENTIAL_HELPER_MISSING",
        kind: "config",
        hint: `Install ${this.program}, or remove the config key that names it so that credentials are kept in config.json.`,
        cause: err,
      });
    }
    return new SlipwayError(`Credential helper ${this.program}${this.#named()} cannot be run: ${err.code ?? err.message}`, {
      code: "CREDENTIAL_HELPER_FAILED",
      kind: "config",
      hint: `Check that ${this.program} on PATH is an executable file.`,
      cause: err,
    });
  }
}

function notFound(run: HelperRun): boolean {
  return run.stdout.includes(NOT_FOUND) || run.stderr.includes(NOT_FOUND);
}
