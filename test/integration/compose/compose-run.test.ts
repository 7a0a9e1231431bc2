/** The compose runner against the real engine: real files, real containers, outcomes asserted. */
import { test } from "node:test";
import { createHash } from "node:crypto";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadProject } from "../../../src/compose/load/index.ts";
import { composeUp } from "../../../src/compose/runner/up.ts";
import { composeDown } from "../../../src/compose/runner/down.ts";
import { composeRun } from "../../../src/compose/runner/run.ts";
import { composeExec } from "../../../src/compose/runner/exec.ts";
import { composePs } from "../../../src/compose/runner/ps.ts";
import { observeProject } from "../../../src/compose/runner/observe.ts";
import { builtImageName } from "../../../src/compose/runner/names.ts";
import { DependencyFailedError } from "../../../src/readiness/dependency-error.ts";
import { testContext, uniqueProject } from "../../support/run-context.ts";

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/compose");
const load = (fixture: string, projectName: string, env: Record<string, string> = {}) =>
  loadProject({ workingDir: path.join(fixtures, fixture), projectName, env: { ...env } });

test("app + postgres + nginx: migration gated on healthy db, app on the migration, all healthy, reachable, then down -v leaves nothing", async () => {
  await using ctx = await testContext();
  const name = uniqueProject("stack");
  const project = await load("app-postgres-nginx", name);
  try {
    await composeUp(ctx, project, { lifetime: "ephemeral", wait: true, readyTimeoutMs: 120_000 });
    const rows = await composePs(ctx.engine, name);
    const byService = new Map(rows.map((r) => [r.service, r]));
    assert.equal(byService.get("migrate")!.state, "exited");
    for (const s of ["db", "app", "web"]) assert.equal(byService.get(s)!.state, "running", s);

    // The migration really ran: the table exists.
    const out: Buffer[] = [];
    const code = await composeExec(ctx.engine, name, "db", ["psql", "-U", "postgres", "-tAc", "SELECT to_regclass('todos')"], {
      onOutput: (_s, d) => out.push(d),
    });
    assert.equal(code, 0);
    assert.equal(Buffer.concat(out).toString().trim(), "todos");

    // Through nginx, published on 127.0.0.1 only, to the app, which reaches the database.
    const web = await ctx.engine.containers.inspect(`${name}-web-1`);
    const binding = web.NetworkSettings.Ports!["80/tcp"]![0]!;
    assert.equal(binding.HostIp, "127.0.0.1");
    const response = await fetch(`http://127.0.0.1:${binding.HostPort}/`);
    assert.deepEqual(await response.json(), { ok: true, db: "reachable" });

    // The internal network exists and the app is on both networks.
    const app = await ctx.engine.containers.inspect(`${name}-app-1`);
    assert.deepEqual(Object.keys(app.NetworkSettings.Networks).sort(), [`${name}_back`, `${name}_default`]);

    // up again: converged, nothing recreated.
    const again = await composeUp(ctx, project, { lifetime: "ephemeral" });
    assert.equal(again.plan.filter((op) => op.kind === "container.create" || op.kind === "container.remove").length, 0);
  } finally {
    await composeDown(ctx, name, { project, removeVolumes: true, timeout: 1 });
  }
  const left = await observeProject(ctx.engine, name);
  assert.deepEqual([left.containers.length, left.networks.length, left.volumes.length], [0, 0, 0]);
});

test("a dependency that never gets healthy: fails with its probe output, the dependent never starts", async () => {
  await using ctx = await testContext();
  const name = uniqueProject("unhealthy");
  const project = await load("never-healthy", name);
  // Order, not speed: the failure must come from the engine's health status, not from the ready
  // timeout running out (that rejects with kind "timeout", not DependencyFailedError).
  await assert.rejects(composeUp(ctx, project, { lifetime: "ephemeral", readyTimeoutMs: 60_000 }), (err) => {
    assert.ok(err instanceof DependencyFailedError, String(err));
    assert.equal(err.kind, "dependency");
    assert.equal(err.service, "db");
    assert.match(err.message, /unhealthy/);
    assert.match(err.message, /db is not accepting connections/);
    return true;
  });
  const db = await ctx.engine.containers.inspect(`${name}-db-1`);
  assert.equal(db.State.Health?.Status, "unhealthy", "the engine had judged db unhealthy when up failed");
  const observed = await observeProject(ctx.engine, name);
  assert.ok(!observed.containers.some((c) => c.service === "app" && c.state !== "created"), "app must never start");
});

test("a dependency that dies while awaited: fails at once with its exit code and last logs", async () => {
  await using ctx = await testContext();
  const name = uniqueProject("dies");
  const project = await load("dies-midway", name);
  await assert.rejects(composeUp(ctx, project, { lifetime: "ephemeral", readyTimeoutMs: 60_000 }), (err) => {
    assert.ok(err instanceof DependencyFailedError, String(err));
    assert.match(err.message, /exited with code 3/);
    assert.match(err.message, /fatal: out of disk/);
    return true;
  });
});

test("run returns the container's exit code exactly", async () => {
  await using ctx = await testContext();
  const name = uniqueProject("codes");
  const project = await load("exit-codes", name);
  const cases: [number, string[]][] = [
    [0, ["sh", "-c", "exit 0"]],
    [1, ["sh", "-c", "exit 1"]],
    [2, ["sh", "-c", "exit 2"]],
    [42, ["sh", "-c", "exit 42"]],
    [126, ["sh", "-c", "touch /tmp/x && /tmp/x"]],
    [127, ["sh", "-c", "no-such-command"]],
    // Not the container's PID 1 (the kernel shields it from its own signals): a child shell
    // killed by the signal, whose status the outer shell returns (`; exit $?` stops busybox
    // sh from exec'ing the child in its own place).
    [137, ["sh", "-c", "sh -c 'kill -KILL $$'; exit $?"]],
    [143, ["sh", "-c", "sh -c 'kill -TERM $$'; exit $?"]],
  ];
  const results = await Promise.all(
    cases.map(async ([, command]) => (await composeRun(ctx, project, "job", { lifetime: "ephemeral", rm: true, command })).exitCode),
  );
  assert.deepEqual(results, cases.map(([code]) => code));
  const observed = await observeProject(ctx.engine, name);
  assert.equal(observed.containers.length, 0, "--rm removed every one-off container");
});

test("run streams the container's output, stdout and stderr apart", async () => {
  await using ctx = await testContext();
  const name = uniqueProject("output");
  const project = await load("exit-codes", name);
  const out: string[] = [];
  const err: string[] = [];
  const result = await composeRun(ctx, project, "job", {
    lifetime: "ephemeral",
    rm: true,
    command: ["sh", "-c", "echo to-out; echo to-err >&2; echo 'ünïcødé ✓'"],
    onOutput: (stream, data) => (stream === "stderr" ? err : out).push(data.toString()),
  });
  assert.equal(result.exitCode, 0);
  assert.equal(out.join(""), "to-out\nünïcødé ✓\n");
  assert.equal(err.join(""), "to-err\n");
});

test("service: namespaces and volumes_from: the one-off shares the app's network, IPC and PID namespaces and volumes", async () => {
  await using ctx = await testContext();
  const name = uniqueProject("shared");
  const project = await load("shared-namespaces", name);
  try {
    const out: Buffer[] = [];
    const result = await composeRun(ctx, project, "sidecar", { lifetime: "ephemeral", rm: true, onOutput: (_s, d) => out.push(d) });
    assert.equal(result.exitCode, 0, Buffer.concat(out).toString());
    const app = await ctx.engine.containers.inspect(`${name}-the-app`);
    const appNs: Buffer[] = [];
    assert.equal(await composeExec(ctx.engine, name, "app", ["sh", "-c", "readlink /proc/self/ns/ipc && readlink /proc/self/ns/pid"], { onOutput: (_s, d) => appNs.push(d) }), 0);
    const [ipc, pid] = Buffer.concat(appNs).toString().trim().split("\n");
    assert.match(ipc!, /^ipc:\[\d+\]$/);
    // Its volume, the app's hostname (one network namespace), and the app's IPC and PID namespaces.
    assert.deepEqual(Buffer.concat(out).toString().trim().split("\n"), ["shared", app.Config.Hostname, ipc, pid]);
  } finally {
    await composeDown(ctx, name, { project, removeVolumes: true, timeout: 1 });
  }
});

test("up after a change recreates the app, and the sidecar in its namespace with it (depends_on restart: true)", async () => {
  await using ctx = await testContext();
  const name = uniqueProject("restartdeps");
  const netns = async (service: string) => {
    const out: Buffer[] = [];
    assert.equal(await composeExec(ctx.engine, name, service, ["readlink", "/proc/self/ns/net"], { onOutput: (_s, d) => out.push(d) }), 0);
    return Buffer.concat(out).toString().trim();
  };
  try {
    await composeUp(ctx, await load("restart-dependents", name, { MARK: "one" }), { lifetime: "ephemeral", wait: true });
    assert.equal(await netns("sidecar"), await netns("app"));
    const second = await composeUp(ctx, await load("restart-dependents", name, { MARK: "two" }), { lifetime: "ephemeral", wait: true });
    assert.deepEqual(second.plan.filter((o) => o.kind === "container.create").map((o) => o.id).sort(), [`create:${name}-app-1`, `create:${name}-sidecar-1`]);
    // The engine resolved `container:<name>` to an id when it created the sidecar: it must name the
    // new app (namespace inode numbers can be reused, so those alone prove nothing here).
    const app = await ctx.engine.containers.inspect(`${name}-app-1`);
    const sidecar = await ctx.engine.containers.inspect(`${name}-sidecar-1`);
    assert.equal(sidecar.HostConfig.NetworkMode, `container:${app.Id}`);
    assert.equal(sidecar.State.Running, true);
    assert.equal(await netns("sidecar"), await netns("app"));
  } finally {
    await composeDown(ctx, name, { removeVolumes: true, timeout: 1 });
  }
});

test("build keys reach the builder: dockerfile_inline, secrets; shm_size and ulimits (which send the build to the classic builder); the engine takes cache_from", async () => {
  await using ctx = await testContext();
  const name = uniqueProject("buildkeys");
  const project = await load("build-keys", name, { BUILD_KEYS_API_KEY: "api-key-from-env" });
  try {
    const output = async (service: string) => {
      const out: string[] = [];
      const result = await composeRun(ctx, project, service, { lifetime: "ephemeral", rm: true, onOutput: (_s, d) => out.push(d.toString()) });
      assert.equal(result.exitCode, 0, `${service}: ${out.join("")}`);
      return out.join("");
    };
    assert.equal(await output("inline"), "built from an inline Dockerfile\n");
    assert.equal(await output("limits"), "nofile 4321 shm 131072\n");
    // Build secrets from a file and from the environment reached the RUN step (BuildKit session).
    assert.equal(await output("secret"), `${createHash("sha256").update("npm-token-from-file\napi-key-from-env").digest("hex")}\n`);
  } finally {
    for (const service of ["inline", "limits", "secret"]) await ctx.engine.images.remove(builtImageName(name, service), { force: true }).catch(() => undefined);
  }
});

test("secrets and configs from the environment or inline land where asked, in folders the image lacks, with their mode and owner", async () => {
  await using ctx = await testContext();
  const name = uniqueProject("filemounts");
  const project = await load("file-mounts", name, { FILE_MOUNTS_TOKEN: "tok-123" });
  const out: string[] = [];
  const result = await composeRun(ctx, project, "job", { lifetime: "ephemeral", rm: true, onOutput: (_s, d) => out.push(d.toString()) });
  assert.equal(result.exitCode, 0, out.join(""));
  assert.equal(out.join(""), "tok-123level=debug\n400 0\n444 1000\n");
});

test("resource, runtime and link keys reach the engine: the created container's HostConfig says so, and the link alias resolves", async () => {
  await using ctx = await testContext();
  const name = uniqueProject("hostcfg");
  const project = await load("host-config", name);
  try {
    await composeUp(ctx, project, { lifetime: "ephemeral", wait: true, readyTimeoutMs: 60_000 });
    const app = await ctx.engine.containers.inspect(`${name}-app-1`);
    const h = app.HostConfig as unknown as Record<string, unknown>;
    assert.deepEqual(
      [h["CpuShares"], h["CpusetCpus"], h["MemoryReservation"], h["MemorySwap"], h["OomScoreAdj"], h["Runtime"], h["CgroupnsMode"]],
      [512, "0", 32 * 1024 * 1024, 256 * 1024 * 1024, 100, "runc", "private"],
    );
    assert.deepEqual([h["Memory"], h["NanoCpus"], h["PidsLimit"]], [128 * 1024 * 1024, 500_000_000, 64]);
    assert.deepEqual(h["RestartPolicy"], { Name: "on-failure", MaximumRetryCount: 2 });
    // Options without a driver go to the engine's default driver, over its own defaults.
    assert.equal((h["LogConfig"] as { Config: Record<string, string> }).Config["max-size"], "1m");
    const out: Buffer[] = [];
    const code = await composeExec(ctx.engine, name, "app", ["nslookup", "database"], { onOutput: (_s, d) => out.push(d) });
    assert.equal(code, 0, Buffer.concat(out).toString());
  } finally {
    await composeDown(ctx, name, { project, removeVolumes: true, timeout: 1 });
  }
});
