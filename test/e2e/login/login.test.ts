/**
 * `slipway login` / `slipway logout` as a user runs them, against the test world's basic-auth
 * registry, with a scratch DOCKER_CONFIG: what Slipway writes is what the docker CLI reads (its
 * `docker logout` finds and removes our entry), what the docker CLI writes Slipway removes, and
 * the password shows up nowhere.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { access, cp, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadWorldSync } from "../../support/world.ts";
import { publishedBin, scenario, unusedTcpPort } from "../support.ts";

const world = loadWorldSync();
const hasDockerCli = spawnSync("docker", ["--version"], { stdio: "ignore" }).status === 0;
const noStack = (text: string) => assert.ok(!/^\s+at .+:\d+:\d+\)?$/m.test(text), `no stack trace expected:\n${text}`);

interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end with `stdin` piped in (e2e/support's runner leaves stdin closed). */
function run(command: string, args: string[], opts: { cwd: string; env: Record<string, string>; stdin?: string }): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: { ...process.env, NO_COLOR: "1", ...opts.env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 128, stdout, stderr }));
    child.stdin.end(opts.stdin ?? "");
  });
}

const slipway = (args: string[], opts: { cwd: string; env: Record<string, string>; stdin?: string }) => run(process.execPath, [publishedBin, ...args], opts);
const docker = (configDir: string, args: string[], stdin?: string) => run("docker", ["--config", configDir, ...args], { cwd: configDir, env: {}, ...(stdin !== undefined ? { stdin } : {}) });

/** The login scenario copied to a scratch folder naming `registry`, with an empty DOCKER_CONFIG folder beside it. */
async function pipelineNaming(registry: string): Promise<{ dir: string; configDir: string; env: Record<string, string> } & AsyncDisposable> {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-login-e2e-"));
  await cp(scenario("login"), dir, { recursive: true, filter: (src) => !src.endsWith(".test.ts") });
  const file = path.join(dir, "slipway.yml");
  await writeFile(file, (await readFile(file, "utf8")).replace(/^registry: .*$/m, `registry: ${registry}`));
  const configDir = path.join(dir, "docker-config");
  return { dir, configDir, env: { DOCKER_CONFIG: configDir }, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

async function auths(configDir: string): Promise<Record<string, { auth?: string }>> {
  return (JSON.parse(await readFile(path.join(configDir, "config.json"), "utf8")) as { auths?: Record<string, { auth?: string }> }).auths ?? {};
}

test("login --password-stdin writes the entry docker reads: `docker logout` removes it", { skip: world.skipReason("auth-registry") ?? (hasDockerCli ? undefined : "no docker CLI on PATH") }, async () => {
  const { address, username, password } = world.require("auth-registry");
  await using p = await pipelineNaming(address);
  const login = await slipway(["login", address, "-u", username, "--password-stdin"], { cwd: p.dir, env: p.env, stdin: `${password}\n` });
  const out = login.stdout + login.stderr;
  assert.equal(login.code, 0, out);
  assert.equal(login.stdout, `Login Succeeded: ${address} as ${username}, stored in ${path.join(p.configDir, "config.json")}\n`);
  assert.ok(!out.includes(password), "the password is never printed");
  assert.deepEqual(await auths(p.configDir), { [address]: { auth: Buffer.from(`${username}:${password}`).toString("base64") } });
  assert.equal((await stat(path.join(p.configDir, "config.json"))).mode & 0o777, 0o600);

  const logout = await docker(p.configDir, ["logout", address]);
  assert.equal(logout.code, 0, logout.stdout + logout.stderr);
  assert.match(logout.stdout, new RegExp(`Removing login credentials for ${address.replace(/\./g, "\\.")}`));
  assert.deepEqual(await auths(p.configDir), {}, "the docker CLI found our entry and removed it");
});

test("without an argument: slipway.yml's registry; `slipway logout` removes what `docker login` wrote", { skip: world.skipReason("auth-registry") ?? (hasDockerCli ? undefined : "no docker CLI on PATH") }, async () => {
  const { address, username, password } = world.require("auth-registry");
  await using p = await pipelineNaming(address);
  const login = await slipway(["login", "-u", username, "--password-stdin"], { cwd: p.dir, env: p.env, stdin: password });
  assert.equal(login.code, 0, login.stdout + login.stderr);
  assert.match(login.stdout, new RegExp(`^Login Succeeded: ${address.replace(/\./g, "\\.")} as ${username}`));
  const logout = await slipway(["logout"], { cwd: p.dir, env: p.env });
  assert.equal(logout.code, 0, logout.stdout + logout.stderr);
  assert.equal(logout.stdout, `Removed the login to ${address} from ${path.join(p.configDir, "config.json")} (auths "${address}")\n`);
  assert.deepEqual(await auths(p.configDir), {});

  // The other way round: the docker CLI logs in (through the engine), Slipway finds and removes its entry.
  const dockerLogin = await docker(p.configDir, ["login", address, "-u", username, "--password-stdin"], password);
  assert.equal(dockerLogin.code, 0, dockerLogin.stdout + dockerLogin.stderr);
  assert.ok(Object.keys(await auths(p.configDir)).length > 0);
  const again = await slipway(["logout"], { cwd: p.dir, env: p.env });
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /^Removed the login to /);
  assert.deepEqual(await auths(p.configDir), {});
  assert.equal((await slipway(["logout"], { cwd: p.dir, env: p.env })).stdout, `Not logged in to ${address}\n`);
});

test("a wrong password: exit 6, the registry's refusal, nothing stored, no password in the output", { skip: world.skipReason("auth-registry") }, async () => {
  const { address, username } = world.require("auth-registry");
  await using p = await pipelineNaming(address);
  const wrong = "not-the-password-0815";
  const login = await slipway(["login", address, "-u", username, "--password-stdin"], { cwd: p.dir, env: p.env, stdin: wrong });
  const out = login.stdout + login.stderr;
  assert.equal(login.code, 6, out);
  assert.match(login.stderr, new RegExp(`error: The registry ${address.replace(/\./g, "\\.")} refused the credentials of ${username} \\(HTTP 401 from http://`));
  assert.match(login.stderr, /hint: Check the user name and the password or token; nothing was stored\./);
  assert.ok(!out.includes(wrong));
  noStack(out);
  await assert.rejects(access(path.join(p.configDir, "config.json")));
});

test("-p PASSWORD is refused with exit 2 and a pointer to --password-stdin; an unreachable registry is exit 6", async () => {
  const address = `127.0.0.1:${await unusedTcpPort()}`;
  await using p = await pipelineNaming(address);
  const secret = "typed-on-the-command-line-42";
  const refused = await slipway(["login", address, "-u", "alice", "-p", secret], { cwd: p.dir, env: p.env });
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /does not take a password as an argument/);
  assert.match(refused.stderr, /--password-stdin/);
  assert.ok(!(refused.stdout + refused.stderr).includes(secret));

  const down = await slipway(["login", "-u", "alice", "--password-stdin"], { cwd: p.dir, env: p.env, stdin: secret });
  assert.equal(down.code, 6, down.stdout + down.stderr);
  assert.match(down.stderr, new RegExp(`The registry ${address.replace(/\./g, "\\.")} is not reachable`));
  assert.ok(!(down.stdout + down.stderr).includes(secret));
  noStack(down.stdout + down.stderr);
});
