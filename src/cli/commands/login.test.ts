import { test } from "node:test";
import assert from "node:assert/strict";
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { SlipwayError } from "../../errors/index.ts";
import { encodeAuth } from "../../registry/docker-config.ts";
import { fakeCredentialHelper } from "../../registry/fixtures/fake-credential-helper.ts";
import { fakeRegistry } from "../../registry/fixtures/fake-registry.ts";
import { createStyle } from "../../ui/style.ts";
import type { CliIo } from "../io.ts";
import { loginCommand, logoutCommand, type LoginInput } from "./login.ts";

const PASSWORD = "correct-horse-battery-staple";

interface Run {
  stdout: string;
  stderr: string;
}

interface Scratch extends AsyncDisposable {
  dir: string;
  configDir: string;
  file: string;
  env: Record<string, string>;
  run(command: "login" | "logout", args: string[], stdin?: LoginInput): Promise<Run>;
}

/** A scratch folder (cwd) with its own DOCKER_CONFIG; runs the command in-process with its own io. */
async function scratch(extraEnv: Record<string, string> = {}): Promise<Scratch> {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-login-"));
  const configDir = path.join(dir, "docker");
  const env = { PATH: process.env["PATH"] ?? "", HOME: dir, DOCKER_CONFIG: configDir, ...extraEnv };
  return {
    dir,
    configDir,
    file: path.join(configDir, "config.json"),
    env,
    async run(command, args, stdin = piped("")) {
      let stdout = "";
      let stderr = "";
      const out = new PassThrough().on("data", (d) => (stdout += d));
      const err = new PassThrough().on("data", (d) => (stderr += d));
      const io: CliIo = { env, cwd: dir, stdout: out, stderr: err, out: createStyle(false), err: createStyle(false) };
      const signal = new AbortController().signal;
      const cmd = command === "login" ? loginCommand(io, signal, () => stdin) : logoutCommand(io, signal);
      try {
        await cmd.exitOverride().configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) }).parseAsync(args, { from: "user" });
      } catch (e) {
        if (e instanceof SlipwayError) Object.assign(e, { output: { stdout, stderr } });
        throw e;
      }
      return { stdout, stderr };
    },
    [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }),
  };
}

function piped(text: string): LoginInput {
  const stream = new PassThrough();
  stream.end(text);
  return stream;
}

/** A terminal: typed lines arrive once the prompt asked; raw mode is recorded. */
function terminal(lines: string[]): LoginInput & { rawModes: boolean[] } {
  const stream = new PassThrough() as unknown as LoginInput & { rawModes: boolean[] };
  stream.isTTY = true;
  stream.rawModes = [];
  stream.setRawMode = (mode: boolean) => {
    stream.rawModes.push(mode);
    return stream;
  };
  const typed = [...lines];
  const origResume = stream.resume.bind(stream);
  stream.resume = () => {
    const line = typed.shift();
    if (line !== undefined) setImmediate(() => (stream as unknown as PassThrough).write(line));
    return origResume();
  };
  return stream;
}

const noPassword = (run: { stdout: string; stderr: string }) => {
  assert.ok(!run.stdout.includes(PASSWORD) && !run.stderr.includes(PASSWORD), `the password is never printed:\n${run.stdout}\n${run.stderr}`);
};

test("--password-stdin: checked against the registry, stored in config.json as docker login stores it, Login Succeeded", async () => {
  await using registry = await fakeRegistry({ auth: "basic", username: "alice", password: PASSWORD });
  await using s = await scratch();
  const run = await s.run("login", [registry.address, "-u", "alice", "--password-stdin"], piped(`${PASSWORD}\n`));
  assert.equal(run.stdout, `Login Succeeded: ${registry.address} as alice, stored in ${s.file}\n`);
  assert.match(run.stderr, /stored unencrypted \(base64\) in .*config\.json; name a credential helper/);
  noPassword(run);
  assert.deepEqual(JSON.parse(await readFile(s.file, "utf8")), { auths: { [registry.address]: { auth: encodeAuth("alice", PASSWORD) } } });

  const out = await s.run("logout", [registry.address]);
  assert.equal(out.stdout, `Removed the login to ${registry.address} from ${s.file} (auths "${registry.address}")\n`);
  assert.deepEqual(JSON.parse(await readFile(s.file, "utf8")), { auths: {} });
  assert.equal((await s.run("logout", [registry.address])).stdout, `Not logged in to ${registry.address}\n`);
});

test("a refused password: exit 6, the registry named, the password not repeated, nothing stored", async () => {
  await using registry = await fakeRegistry({ auth: "bearer", username: "alice", password: PASSWORD });
  await using s = await scratch();
  await assert.rejects(s.run("login", [registry.address, "-u", "alice", "--password-stdin"], piped("wrong-password-123\n")), (err: SlipwayError) => {
    assert.equal(err.code, "LOGIN_REFUSED");
    assert.equal(err.exitCode, 6);
    assert.match(err.message, /^The registry 127\.0\.0\.1:\d+ refused the credentials of alice/);
    assert.ok(!JSON.stringify(err.toJSON()).includes("wrong-password-123"));
    return true;
  });
  await assert.rejects(access(s.file), "no config.json written");
});

test("-p PASSWORD is refused as docker's CLI would have us (pointing to --password-stdin), without repeating it", async () => {
  await using s = await scratch();
  await assert.rejects(s.run("login", ["127.0.0.1:5002", "-u", "alice", "-p", PASSWORD]), (err: SlipwayError) => {
    assert.equal(err.kind, "usage");
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /does not take a password as an argument/);
    assert.match(err.hint ?? "", /--password-stdin/);
    assert.ok(!JSON.stringify(err.toJSON()).includes(PASSWORD));
    return true;
  });
  await assert.rejects(s.run("login", ["127.0.0.1:5002", `--password=${PASSWORD}`]), (err: SlipwayError) => err.kind === "usage");
});

test("usage errors: --password-stdin without -u, no terminal to ask, an empty stdin, no registry anywhere", async () => {
  await using s = await scratch();
  await assert.rejects(s.run("login", ["127.0.0.1:5002", "--password-stdin"], piped(PASSWORD)), /--password-stdin needs --username/);
  await assert.rejects(s.run("login", ["127.0.0.1:5002", "-u", "alice"], piped("")), (err: SlipwayError) => err.kind === "usage" && /stdin is not a terminal/.test(err.message));
  await assert.rejects(s.run("login", ["127.0.0.1:5002", "-u", "alice", "--password-stdin"], piped("\n")), /stdin held no password/);
  await assert.rejects(s.run("login", ["-u", "alice", "--password-stdin"], piped(PASSWORD)), (err: SlipwayError) => err.kind === "usage" && /name a registry/.test(err.message));
  await assert.rejects(s.run("logout", []), (err: SlipwayError) => err.kind === "usage" && /slipway logout: name a registry/.test(err.message));
  await assert.rejects(s.run("login", ["not a registry", "-u", "a", "--password-stdin"], piped(PASSWORD)), (err: SlipwayError) => err.code === "REGISTRY_ADDRESS_INVALID");
});

test("the registry defaults to slipway.yml's registry.address", async () => {
  await using registry = await fakeRegistry({ auth: "basic", username: "alice", password: PASSWORD });
  await using s = await scratch();
  await writeFile(path.join(s.dir, "compose.yaml"), "services:\n  app:\n    image: busybox\n");
  await writeFile(path.join(s.dir, "slipway.yml"), `registry: ${registry.address}/team\nenvironments:\n  test:\n    compose: [compose.yaml]\n    service: app\n`);
  const run = await s.run("login", ["-u", "alice", "--password-stdin"], piped(PASSWORD));
  assert.match(run.stdout, new RegExp(`^Login Succeeded: ${registry.address} as alice`));
  assert.equal((await s.run("logout", [])).stdout.startsWith(`Removed the login to ${registry.address}`), true);
});

test("on a terminal: asks for the user, then the password without echo (raw mode, restored)", async () => {
  await using registry = await fakeRegistry({ auth: "basic", username: "alice", password: PASSWORD });
  await using s = await scratch();
  const tty = terminal(["alice\n", `${PASSWORD}x\u007f\r`]);
  const run = await s.run("login", [registry.address], tty);
  assert.equal(run.stderr.split("\n")[0], "Username: Password: ");
  assert.deepEqual(tty.rawModes, [true, false]);
  assert.match(run.stdout, /^Login Succeeded/);
  noPassword(run);
  assert.deepEqual(JSON.parse(await readFile(s.file, "utf8")).auths[registry.address], { auth: encodeAuth("alice", PASSWORD) });
});

test("Ctrl-C at the password prompt cancels and restores the terminal", async () => {
  await using s = await scratch();
  const tty = terminal(["sec\u0003"]);
  await assert.rejects(s.run("login", ["127.0.0.1:5002", "-u", "alice"], tty), (err: SlipwayError) => err.kind === "cancelled");
  assert.deepEqual(tty.rawModes, [true, false]);
});

test("with a credsStore the login goes to the helper; output names it and the password stays off disk and argv", async () => {
  await using registry = await fakeRegistry({ auth: "basic", username: "alice", password: PASSWORD });
  await using helper = await fakeCredentialHelper();
  await using s = await scratch({ PATH: helper.env["PATH"]! });
  await mkdir(s.configDir, { recursive: true });
  await writeFile(s.file, JSON.stringify({ credsStore: helper.name }));
  const run = await s.run("login", [registry.address, "-u", "alice", "--password-stdin"], piped(PASSWORD));
  assert.equal(run.stdout, `Login Succeeded: ${registry.address} as alice, stored in credential helper docker-credential-slipwaytest\n`);
  assert.equal(run.stderr, "");
  assert.deepEqual(await helper.stored(), { [registry.address]: { Username: "alice", Secret: PASSWORD } });
  assert.ok(!(await readFile(s.file, "utf8")).includes(encodeAuth("alice", PASSWORD)));
  for (const call of await helper.calls()) assert.ok(!call.argv.join(" ").includes(PASSWORD) && !JSON.stringify(call.env).includes(PASSWORD));

  const out = await s.run("logout", [registry.address]);
  assert.match(out.stdout, /^Removed the login to .* from credential helper docker-credential-slipwaytest/);
  assert.deepEqual(await helper.stored(), {});
});
