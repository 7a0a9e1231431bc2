/**
 * The ssh:// transport (src/engine/transport.ts): every pooled connection is one `ssh … docker
 * system dial-stdio` child process. What must hold: keep-alive reuses those processes (many
 * requests in a row spawn a bounded number of them), a long `wait` holds its own connection
 * without blocking other calls, and closing the engine ends every child.
 *
 * How reuse is proven: `ssh` is resolved through PATH, so the tests put a wrapper named `ssh`
 * first on PATH that appends one line per spawn to a log, then counts the lines.
 * - "fake ssh": the wrapper execs `socat - UNIX-CONNECT:<engine socket>`, which is what
 *   `docker system dial-stdio` does on the far side; no sshd needed, only socat.
 * - "real sshd": a throwaway sshd on 127.0.0.1 (root only, own host key, own client key, random
 *   port) and the wrapper execs the real ssh with a config pointing at it. Its VERBOSE log has one
 *   "Accepted publickey" per SSH handshake, which proves OpenSSH connection sharing
 *   (ControlMaster) on top of keep-alive: one handshake for all the processes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { Engine, endpointFromEnv, type EngineEndpoint } from "../../../src/engine/index.ts";
import { sshArgs } from "../../../src/engine/transport.ts";
import { delay, sweepRun, tempContainer, tempDir, type TempDir } from "./harness.ts";
import { startSshd } from "./sshd.ts";

const SEQUENTIAL_REQUESTS = 100;

function which(command: string): string | undefined {
  const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

function localSocket(): string | undefined {
  const endpoint = endpointFromEnv(process.env);
  return endpoint.kind === "unix" ? endpoint.socketPath : undefined;
}

/** Puts `dir` first on PATH for the duration of the test (this file is its own process). */
function prependPath(dir: string): Disposable {
  const saved = process.env["PATH"];
  process.env["PATH"] = `${dir}:${saved ?? ""}`;
  return {
    [Symbol.dispose]() {
      process.env["PATH"] = saved;
    },
  };
}

async function spawnLog(file: string): Promise<{ pid: number; args: string }[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [pid = "0", ...rest] = line.split(" ");
      return { pid: Number(pid), args: rest.join(" ") };
    });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves once every process has exited. close() signals the children and they end on their own
 * time: what matters is that they do end, after close(), not how fast (a leaked child keeps this
 * pending and the test never finishes).
 */
async function allExited(pids: number[]): Promise<void> {
  while (pids.some(alive)) await delay(50);
}

/**
 * The checks both variants share. Returns the spawn counts observed, for the report.
 */
async function exerciseTransport(endpoint: EngineEndpoint, log: string): Promise<{ sequential: number; afterWait: number; total: number }> {
  const engine = await Engine.connect({ endpoint });
  let closed = false;
  try {
    assert.equal(engine.apiVersion.startsWith("1."), true);
    for (let i = 0; i < SEQUENTIAL_REQUESTS; i++) await engine.system.ping();
    await engine.system.version();
    const sequential = (await spawnLog(log)).length;
    // Keep-alive: the connection used for connect's ping serves all of them.
    assert.ok(sequential >= 1 && sequential <= 2, `${SEQUENTIAL_REQUESTS + 2} sequential requests spawned ${sequential} ssh processes`);

    let afterWait: number;
    {
      // A long wait holds one connection; a ping alongside it gets another and is not blocked.
      await using ctr = await tempContainer(engine, { Cmd: ["sleep", "300"] }, "sshwait");
      const registered = await engine.containers.wait(ctr.id, { condition: "next-exit" });
      await engine.containers.start(ctr.id);
      // Order, not speed: the wait can only settle once the container exits, which is the kill
      // below, after the ping (or, were the ping queued behind the wait, the end of `sleep 300`).
      const settled: string[] = [];
      const waitDone = registered.result.then((r) => (settled.push("wait"), r));
      await engine.system.ping().then(() => settled.push("ping"));
      assert.deepEqual(settled, ["ping"], "the ping completed while the wait was still pending");
      await engine.containers.kill(ctr.id, { killSignal: "SIGKILL" });
      assert.equal((await waitDone).StatusCode, 137);
      assert.deepEqual(settled, ["ping", "wait"]);
      afterWait = (await spawnLog(log)).length;
      assert.ok(afterWait <= sequential + 2, `the wait and its concurrent calls spawned ${afterWait - sequential} more`);
    }

    // The same again: the pool reuses what it has.
    for (let i = 0; i < 20; i++) await engine.system.ping();
    const total = (await spawnLog(log)).length;
    assert.equal(total, afterWait, "no new process for requests in a row once the pool is warm");

    await sweepRun(engine);
    await engine.close();
    closed = true;
    return { sequential, afterWait, total };
  } finally {
    if (!closed) await engine.close();
  }
}

test("ssh transport over a fake ssh (socat to the engine socket): connections reused, wait does not block, children end", async (t) => {
  const socket = localSocket();
  const socat = which("socat");
  if (!socket) return t.skip("the fake ssh needs a local unix-socket engine");
  if (!socat) return t.skip("socat is not installed (apt-get install socat)");
  await using dir = await tempDir("slipway-fake-ssh-");
  const log = path.join(dir.path, "spawns.log");
  const bin = path.join(dir.path, "bin");
  await mkdir(bin);
  // One line per spawn: "<pid> <args>", then become socat (same pid).
  await writeFile(
    path.join(bin, "ssh"),
    `#!/bin/sh\necho "$$ $*" >> '${log}'\nexec '${socat}' - 'UNIX-CONNECT:${socket}'\n`,
  );
  await chmod(path.join(bin, "ssh"), 0o755);
  using _path = prependPath(bin);

  const endpoint: EngineEndpoint = { kind: "ssh", host: "slipway-fake-host", user: "tester", port: 2222, source: "test" };
  const counts = await exerciseTransport(endpoint, log);
  t.diagnostic(`fake ssh: ${counts.sequential} process(es) for ${SEQUENTIAL_REQUESTS + 2} sequential requests, ${counts.total} in all`);

  const spawns = await spawnLog(log);
  // The transport passed the docker CLI's own arguments, including connection sharing.
  assert.equal(spawns[0]?.args, sshArgs(endpoint, spawns[0]?.args.match(/ControlPath=(\S+)/)?.[1] ?? "").join(" "));
  assert.match(spawns[0]?.args ?? "", /-l tester -p 2222 -- slipway-fake-host docker system dial-stdio$/);
  await allExited(spawns.map((s) => s.pid)); // every ssh child ends after close()
});


test("ssh transport over a real sshd on 127.0.0.1: one SSH handshake for every connection (ControlMaster)", async (t) => {
  const sshd = existsSync("/usr/sbin/sshd") ? "/usr/sbin/sshd" : undefined;
  const ssh = which("ssh");
  const docker = which("docker");
  if (process.getuid?.() !== 0) return t.skip("starting a throwaway sshd that logs in as root needs root");
  if (!sshd || !ssh) return t.skip("openssh-server / openssh-client are not installed");
  if (!docker) return t.skip("the far side runs `docker system dial-stdio`: no docker CLI here");
  if (!localSocket()) return t.skip("the far side reaches the engine on its default local socket");
  await using dir = await tempDir("slipway-sshd-");
  await using server = await startSshd(dir, sshd);
  const log = path.join(dir.path, "spawns.log");
  const bin = path.join(dir.path, "bin");
  await mkdir(bin);
  await writeFile(path.join(bin, "ssh"), `#!/bin/sh\necho "$$ $*" >> '${log}'\nexec '${ssh}' -F '${path.join(dir.path, "ssh_config")}' "$@"\n`);
  await chmod(path.join(bin, "ssh"), 0o755);
  using _path = prependPath(bin);

  const endpoint: EngineEndpoint = { kind: "ssh", host: "slipway-test-sshd", source: "test" };
  try {
    const counts = await exerciseTransport(endpoint, log);
    const handshakes = ((await readFile(server.logFile, "utf8")).match(/Accepted publickey for root/g) ?? []).length;
    t.diagnostic(`real sshd: ${counts.total} ssh process(es), ${handshakes} SSH handshake(s)`);
    assert.equal(handshakes, 1, `${counts.total} ssh processes made ${handshakes} SSH handshakes`);
    // The mux clients end with close(); the ControlPersist master is stopped below.
    const spawns = await spawnLog(log);
    await allExited(spawns.map((s) => s.pid)); // every ssh child ends after close()
  } finally {
    // ControlPersist keeps a background master for 60 s: end it now, it belongs to this test.
    const controlPath = (await spawnLog(log))[0]?.args.match(/ControlPath=(\S+)/)?.[1];
    if (controlPath) {
      spawnSync(ssh, ["-F", path.join(dir.path, "ssh_config"), "-o", `ControlPath=${controlPath}`, "-O", "exit", "slipway-test-sshd"], { stdio: "ignore" });
    }
  }
});
