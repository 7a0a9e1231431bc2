/**
 * A throwaway sshd on 127.0.0.1 for tests of the ssh:// transport: root only, its own host key
 * and client key, a random port, and an ssh_config naming it `slipway-test-sshd`. `setEnv` is set
 * in every session (sshd's SetEnv): `DOCKER_HOST` there points the far side's `docker system
 * dial-stdio` at another engine (a swarm node's socket).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { delay, type TempDir, unusedTcpPort } from "./harness.ts";

export interface Sshd extends AsyncDisposable {
  port: number;
  logFile: string;
}

export async function startSshd(dir: TempDir, sshd: string, opts: { setEnv?: Record<string, string> } = {}): Promise<Sshd> {
  const port = await unusedTcpPort();
  const hostKey = path.join(dir.path, "host_ed25519");
  const clientKey = path.join(dir.path, "client_ed25519");
  for (const key of [hostKey, clientKey]) {
    const made = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key], { encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
  }
  await writeFile(path.join(dir.path, "authorized_keys"), await readFile(`${clientKey}.pub`));
  await chmod(path.join(dir.path, "authorized_keys"), 0o600);
  const logFile = path.join(dir.path, "sshd.log");
  const config = path.join(dir.path, "sshd_config");
  await writeFile(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${path.join(dir.path, "authorized_keys")}`,
      `PidFile ${path.join(dir.path, "sshd.pid")}`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "LogLevel VERBOSE",
      ...Object.entries(opts.setEnv ?? {}).map(([k, v]) => `SetEnv ${k}=${v}`),
      "",
    ].join("\n"),
  );
  // Debian's sshd refuses to start without its privilege separation directory.
  await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  const child: ChildProcess = spawn(sshd, ["-D", "-f", config, "-E", logFile], { stdio: "ignore" });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  // Ready when the log says it listens (sshd -D logs that line before accepting); an sshd that
  // exits first failed to start.
  while (!(await readFile(logFile, "utf8").catch(() => "")).includes("Server listening")) {
    if (child.exitCode !== null) assert.fail(`sshd exited: ${await readFile(logFile, "utf8").catch(() => "")}`);
    await delay(50);
  }
  await writeFile(
    path.join(dir.path, "ssh_config"),
    [
      "Host slipway-test-sshd",
      "  HostName 127.0.0.1",
      `  Port ${port}`,
      "  User root",
      `  IdentityFile ${clientKey}`,
      "  IdentitiesOnly yes",
      "  BatchMode yes",
      "  StrictHostKeyChecking no",
      `  UserKnownHostsFile ${path.join(dir.path, "known_hosts")}`,
      "  LogLevel ERROR",
      "",
    ].join("\n"),
  );
  return {
    port,
    logFile,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

