/**
 * A remote target over ssh:// on the real swarm, through the published CLI: a throwaway sshd on
 * 127.0.0.1 whose sessions reach a manager node's engine (sshd's SetEnv DOCKER_HOST, so the far
 * side's `docker system dial-stdio` dials that node), and a target whose endpoint is
 * `ssh://slipway-test-sshd`. A deploy through it converges; the same target through the node's
 * local socket then finds nothing to do, and both read the same releases: ssh:// behaves exactly
 * as the local socket. `--remove` through ssh takes the stack down.
 *
 * A scenario, not a test file: swarm scenarios run serially in test/integration/swarm/swarm.test.ts.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { observeStack } from "../../../src/deploy/apply.ts";
import { listReleases } from "../../../src/deploy/release-record.ts";
import type { Engine } from "../../../src/engine/index.ts";
import { slipway } from "../../e2e/support.ts";
import { tempDir } from "../engine/harness.ts";
import { startSshd } from "../engine/sshd.ts";

/** The real ssh client (the wrapper put first on PATH must not find itself). */
const SSH = spawnSync("sh", ["-c", "command -v ssh"], { encoding: "utf8" }).stdout.trim();

/** Why the scenario cannot run here, if it cannot (it needs root, OpenSSH's server and client). */
export function remoteSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return "a throwaway sshd that logs in as root needs root";
  if (!existsSync("/usr/sbin/sshd") || !SSH) return "openssh-server / openssh-client are not installed";
  return undefined;
}

export async function remoteScenario(w: { manager: Engine; managerHost: string }): Promise<void> {
  const stack = `ssh-${randomBytes(3).toString("hex")}`;
  await using dir = await tempDir("slipway-remote-");
  await using _sshd = await startSshd(dir, "/usr/sbin/sshd", { setEnv: { DOCKER_HOST: w.managerHost } });
  // `ssh` as the transport runs it, with the test sshd's config (host alias, key, port).
  const bin = path.join(dir.path, "bin");
  await mkdir(bin);
  await writeFile(path.join(bin, "ssh"), `#!/bin/sh\nexec '${SSH}' -F '${path.join(dir.path, "ssh_config")}' "$@"\n`);
  await chmod(path.join(bin, "ssh"), 0o755);
  const env = { PATH: `${bin}:${process.env["PATH"] ?? ""}` };
  const project = path.join(dir.path, "project");
  await mkdir(project);
  await writeFile(
    path.join(project, "compose.yaml"),
    `
services:
  web:
    image: busybox:latest
    init: true
    stop_grace_period: 1s
    command: ["sh", "-c", "echo up; exec sleep 3600"]
    healthcheck: { test: ["CMD", "true"], interval: 1s, retries: 2, start_period: 1s }
    deploy: { replicas: 2, endpoint_mode: dnsrr }
`,
  );
  const target = (endpoint: string) => `    stack: ${stack}\n    compose: compose.yaml\n    endpoint: ${endpoint}\n    timeout: 2m\n`;
  await writeFile(path.join(project, "slipway.yml"), `targets:\n  remote:\n${target("ssh://slipway-test-sshd")}  local:\n${target(w.managerHost)}`);
  const run = async (...args: string[]) => {
    const r = slipway(args, { cwd: project, env });
    return { code: await r.exit, out: r.stdout(), err: r.stderr() };
  };
  try {
    const deployed = await run("deploy", "--target", "remote");
    assert.equal(deployed.code, 0, deployed.out + deployed.err);
    assert.match(deployed.out, new RegExp(`${stack}_web: converged \\(2/2 running\\)`));
    const web = (await w.manager.services.list({ filters: { name: [`${stack}_web`] } })).find((s) => s.Spec.Name === `${stack}_web`);
    assert.ok(web, "the service is on the node the ssh session reached");
    assert.match(web.Spec.TaskTemplate.ContainerSpec?.Image ?? "", /^busybox@sha256:[0-9a-f]{64}$/);

    // The same target through the node's own socket: the same stack, nothing to do.
    const local = await run("deploy", "--target", "local", "--dry-run");
    assert.equal(local.code, 0, local.err);
    assert.match(local.out, new RegExp(`unchanged: ${stack}_web`));
    const again = await run("deploy", "--target", "remote");
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, new RegExp(`stack ${stack}: nothing to do`));

    // Both read the same releases from the swarm.
    const viaSsh = await run("releases", "--target", "remote", "--json");
    const viaSocket = await run("releases", "--target", "local", "--json");
    assert.equal(viaSsh.code, 0, viaSsh.err);
    assert.equal(viaSocket.code, 0, viaSocket.err);
    // The swarm's facts are the same; who deployed is recorded here per target (the deploy went through `remote`).
    const facts = (out: string) => (JSON.parse(out) as Record<string, unknown>[]).map(({ by: _by, durationMs: _d, ...swarm }) => swarm);
    assert.deepEqual(facts(viaSsh.out), facts(viaSocket.out));
    assert.equal((JSON.parse(viaSsh.out) as { running: boolean }[]).filter((r) => r.running).length, 1);

    const removed = await run("deploy", "--target", "remote", "--remove");
    assert.equal(removed.code, 0, removed.err);
    assert.equal((await observeStack(w.manager, stack)).services.length, 0);
  } finally {
    const left = await observeStack(w.manager, stack).catch(() => undefined);
    for (const s of left?.services ?? []) await w.manager.services.remove(s.id).catch(() => undefined);
    for (const r of await listReleases(w.manager, stack).catch(() => [])) await w.manager.configs.remove(r.id).catch(() => undefined);
  }
}
