/**
 * `run`, `exec`, `cp`, `push` and `pull` of the compose runner against the real engine and the test
 * world's plain registry: real containers, real archives, real pushes. Each test has its own
 * project, and its run's containers, networks and volumes go with its context.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chown, lstat, mkdir, readFile, readdir, readlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadProject } from "../../../src/compose/load/index.ts";
import { composeCopy, cpPlan, resolveLocalPath, type CopyOptions } from "../../../src/compose/runner/cp.ts";
import { composeExec } from "../../../src/compose/runner/exec.ts";
import { executeImages, planImages, planPulls, planPushes, pullImages, pushImages } from "../../../src/compose/runner/images-phase.ts";
import { composeRun } from "../../../src/compose/runner/run.ts";
import { composeUp } from "../../../src/compose/runner/up.ts";
import { SlipwayError } from "../../../src/errors/index.ts";
import { ImageResolver } from "../../../src/images/image-resolver.ts";
import { deleteManifest, tempDir } from "../engine/harness.ts";
import { testContext, uniqueProject, type TestContext } from "../../support/run-context.ts";
import { loadWorldSync } from "../../support/world.ts";

const world = loadWorldSync();
const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixture");
const load = (name: string, env: Record<string, string> = {}) => loadProject({ workingDir: fixture, projectName: name, env });
const TIMEOUT = { timeout: 180_000 };

async function withApp(ctx: TestContext, prefix: string) {
  const name = uniqueProject(prefix);
  const project = await load(name);
  await composeUp(ctx, project, { services: ["app"], lifetime: "ephemeral" });
  return { name, project };
}

/** Runs a shell script in the app; its exit code and output. */
async function sh(ctx: TestContext, project: string, script: string, service = "app") {
  const out: Buffer[] = [];
  const code = await composeExec(ctx.engine, project, service, ["sh", "-c", script], { onOutput: (_s, d) => out.push(d) });
  return { code, out: Buffer.concat(out).toString() };
}

function copy(ctx: TestContext, project: string, source: string, destination: string, opts: Omit<CopyOptions, "projectName"> = {}) {
  const plan = cpPlan(source, destination);
  return composeCopy(ctx, { ...plan, local: resolveLocalPath(process.cwd(), plan.local) }, { projectName: project, ...opts });
}

/** Every path under `dir`, relative, sorted; symlinks as `name -> target`. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const name of (await readdir(path.join(dir, rel))).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const s = await lstat(path.join(dir, r));
      if (s.isSymbolicLink()) out.push(`${r} -> ${await readlink(path.join(dir, r))}`);
      else if (s.isDirectory()) {
        out.push(`${r}/`);
        await walk(r);
      } else out.push(r);
    }
  };
  await walk("");
  return out;
}

const code = (c: string) => (err: unknown) => err instanceof SlipwayError && err.code === c;

test("cp out of a container: a folder (as a new one, into an existing one, its content with /.), a file, a missing path", TIMEOUT, async () => {
  await using ctx = await testContext();
  const { name } = await withApp(ctx, "cp-out");
  await using dir = await tempDir("slipway-cp-out-");
  const made = await sh(ctx, name, "mkdir -p site/sub && echo a > site/a.txt && echo b > site/sub/b.txt && ln -s a.txt site/link && echo f > file.txt");
  assert.equal(made.code, 0, made.out);

  const fresh = path.join(dir.path, "fresh");
  assert.deepEqual(await copy(ctx, name, "app:/srv/site", fresh), [`${name}-app-1`]);
  assert.deepEqual(await tree(fresh), ["a.txt", "link -> a.txt", "sub/", "sub/b.txt"]);
  // Into an existing folder: under its own name.
  await copy(ctx, name, "app:/srv/site", fresh);
  assert.deepEqual(await tree(path.join(fresh, "site")), ["a.txt", "link -> a.txt", "sub/", "sub/b.txt"]);
  // Its content into an existing folder: merged, files replaced, the rest kept.
  await writeFile(path.join(fresh, "a.txt"), "old");
  await writeFile(path.join(fresh, "mine.txt"), "kept");
  await copy(ctx, name, "app:/srv/site/.", fresh);
  assert.equal(await readFile(path.join(fresh, "a.txt"), "utf8"), "a\n");
  assert.equal(await readFile(path.join(fresh, "mine.txt"), "utf8"), "kept");
  // A file into a folder, and as a new name; relative to the container's root.
  await copy(ctx, name, "app:srv/file.txt", `${dir.path}/`);
  await copy(ctx, name, "app:/srv/file.txt", path.join(dir.path, "renamed.txt"));
  assert.equal(await readFile(path.join(dir.path, "file.txt"), "utf8"), "f\n");
  assert.equal(await readFile(path.join(dir.path, "renamed.txt"), "utf8"), "f\n");
  // Nothing of the staging is left behind.
  assert.deepEqual((await readdir(dir.path)).sort(), ["file.txt", "fresh", "renamed.txt"]);

  await assert.rejects(copy(ctx, name, "app:/srv/nothing", dir.path), code("CP_NOT_FOUND"));
  await assert.rejects(copy(ctx, name, "app:/srv/site", path.join(dir.path, "file.txt")), code("CP_DIR_TO_FILE"));
  await assert.rejects(copy(ctx, name, "app:/srv/site", path.join(dir.path, "no", "such")), code("CP_NO_PARENT"));
});

test("cp into a container: a folder (new, into one, its content), a file, owners kept or the container's with -a", TIMEOUT, async () => {
  await using ctx = await testContext();
  const { name } = await withApp(ctx, "cp-in");
  await using dir = await tempDir("slipway-cp-in-");
  const site = path.join(dir.path, "site");
  await mkdir(path.join(site, "sub"), { recursive: true });
  await writeFile(path.join(site, "a.txt"), "a\n");
  await writeFile(path.join(site, "sub", "b.txt"), "b\n");
  await writeFile(path.join(dir.path, "conf.txt"), "conf\n");
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await chown(path.join(dir.path, "conf.txt"), 1234, 1234);

  await copy(ctx, name, site, "app:/srv/new");
  await copy(ctx, name, site, "app:/srv/new");
  await copy(ctx, name, `${site}/.`, "app:/tmp");
  await copy(ctx, name, path.join(dir.path, "conf.txt"), "app:/etc/");
  const listed = await sh(ctx, name, "cd /srv && find new | sort && ls /tmp | sort && cat /etc/conf.txt && stat -c %u /etc/conf.txt");
  assert.equal(listed.code, 0, listed.out);
  // As docker cp: the host's owner travels with the file.
  const owner = asRoot ? "1234" : String(process.getuid?.() ?? 0);
  assert.equal(listed.out, ["new", "new/a.txt", "new/site", "new/site/a.txt", "new/site/sub", "new/site/sub/b.txt", "new/sub", "new/sub/b.txt", "a.txt", "sub", "conf", owner, ""].join("\n"));
  // -a: the container's user's instead.
  await composeUp(ctx, await load(name), { services: ["owned"], lifetime: "ephemeral" });
  await copy(ctx, name, path.join(dir.path, "conf.txt"), "owned:/tmp/", { archive: true });
  assert.deepEqual(await sh(ctx, name, "stat -c %U /tmp/conf.txt", "owned"), { code: 0, out: "nobody\n" });
  await assert.rejects(copy(ctx, name, site, "app:/etc/hostname"), code("CP_DIR_TO_FILE"));
  await assert.rejects(copy(ctx, name, path.join(dir.path, "conf.txt"), "app:/no/such/dir/x"), code("CP_NO_PARENT"));
  await assert.rejects(copy(ctx, name, path.join(dir.path, "absent"), "app:/tmp/"), code("CP_NOT_FOUND"));
});

test("cp refuses a tar escape out of a container (a symlink to an absolute path, one climbing out with ..) and writes nothing", TIMEOUT, async () => {
  await using ctx = await testContext();
  const { name } = await withApp(ctx, "cp-escape");
  await using dir = await tempDir("slipway-cp-escape-");
  const made = await sh(ctx, name, "mkdir abs up && echo ok > abs/ok && ln -s /etc/passwd abs/passwd && echo ok > up/ok && ln -s ../../../../etc up/etc && ln -s /etc/hostname host");
  assert.equal(made.code, 0, made.out);
  for (const [source, entry] of [
    ["app:/srv/abs", "abs/passwd"],
    ["app:/srv/up", "up/etc"],
    ["app:/srv/host", "host"],
  ] as const) {
    await assert.rejects(copy(ctx, name, source, path.join(dir.path, "out")), (err) => {
      assert.ok(err instanceof SlipwayError, String(err));
      assert.equal(err.code, "ARCHIVE_UNSAFE");
      assert.equal(err.details?.["entry"], entry);
      assert.match(err.message, /Refusing to copy .* Nothing was copied\./);
      return true;
    });
    assert.deepEqual(await readdir(dir.path), [], `nothing written for ${source}`);
  }
  // The link given as the source, followed with -L: the file it points to, under the link's name.
  await copy(ctx, name, "app:/srv/host", path.join(dir.path, "out"), { followLink: true });
  assert.match(await readFile(path.join(dir.path, "out"), "utf8"), /\S/);
  assert.equal((await lstat(path.join(dir.path, "out"))).isFile(), true);
});

test("run: -d leaves it running with run's flags applied, exit codes exactly, --rm -d goes when it exits", TIMEOUT, async () => {
  await using ctx = await testContext();
  const name = uniqueProject("run-flags");
  const project = await load(name);
  await using dir = await tempDir("slipway-run-flags-");
  await writeFile(path.join(dir.path, "mounted.txt"), "from the host\n");

  const detached = await composeRun(ctx, project, "app", {
    lifetime: "ephemeral",
    detach: true,
    tty: false,
    command: ["sleep", "300"],
    environment: { GREETING: "hi" },
    labels: { "org.example.team": "qa" },
    volumes: [{ type: "bind", source: dir.path, target: "/host", read_only: true }],
    publish: [{ target: 80, host_ip: "127.0.0.1", protocol: "tcp" }],
    useAliases: false,
  });
  assert.equal(detached.exitCode, 0);
  assert.match(detached.name, new RegExp(`^${name}-app-run-[0-9a-f]{12}$`));
  const inspect = await ctx.engine.containers.inspect(detached.id);
  assert.equal(inspect.State.Running, true);
  assert.equal(inspect.Config.Labels?.["org.example.team"], "qa");
  assert.equal(inspect.Config.Labels?.["com.docker.compose.oneoff"], "True");
  assert.ok(inspect.Config.Env?.includes("GREETING=hi"));
  assert.equal(inspect.NetworkSettings.Ports?.["80/tcp"]?.[0]?.HostIp, "127.0.0.1");
  const aliases = inspect.NetworkSettings.Networks[`${name}_default`]?.Aliases ?? [];
  assert.ok(!aliases.includes("app") && !aliases.includes("api"), `a one-off takes no service alias: ${aliases.join(", ")}`);
  // exec finds the one-off: the app service has no container of its own in this project.
  const read = await sh(ctx, name, "cat /host/mounted.txt");
  assert.deepEqual(read, { code: 0, out: "from the host\n" });

  // job depends on app: from here on, app has a container of its own.
  const codes: number[] = [];
  for (const c of [0, 3, 42]) codes.push((await composeRun(ctx, project, "job", { lifetime: "ephemeral", rm: true, command: ["sh", "-c", `exit ${c}`] })).exitCode);
  assert.deepEqual(codes, [0, 3, 42]);

  const gone = await composeRun(ctx, project, "job", { lifetime: "ephemeral", detach: true, rm: true, command: ["sh", "-c", "exit 0"] });
  // Removed by the engine (AutoRemove): looked for until it is gone. Not the engine's wait for
  // "removed", which once never answered in CI (this test timed out there at 180 s; likely
  // registered while the engine was already removing the container).
  while (await ctx.engine.containers.find(gone.id)) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await ctx.engine.containers.find(gone.id), undefined);
});

test("exec: the command's exit code, env, workdir, user, detached; --index names a replica that is not there", TIMEOUT, async () => {
  await using ctx = await testContext();
  const { name } = await withApp(ctx, "exec");
  for (const c of [0, 3, 42]) assert.equal((await sh(ctx, name, `exit ${c}`)).code, c);
  const out: Buffer[] = [];
  const result = await composeExec(ctx.engine, name, "app", ["sh", "-c", "echo $GREETING; pwd; id -u"], {
    env: { GREETING: "hello" },
    workingDir: "/tmp",
    user: "1000",
    onOutput: (_s, d) => out.push(d),
  });
  assert.equal(result, 0);
  assert.equal(Buffer.concat(out).toString(), "hello\n/tmp\n1000\n");
  assert.equal(await composeExec(ctx.engine, name, "app", ["sh", "-c", "sleep 1; echo done > /tmp/detached"], { detach: true }), 0);
  // Detached: it finishes on its own; poll the container's state, not the clock.
  for (let found = false; !found; ) found = (await sh(ctx, name, "test -f /tmp/detached")).code === 0;
  assert.equal((await sh(ctx, name, "cat /tmp/detached")).out, "done\n");
  await assert.rejects(composeExec(ctx.engine, name, "app", ["true"], { index: 2 }), code("NOT_RUNNING"));
  await assert.rejects(composeExec(ctx.engine, name, "nope", ["true"]), code("NOT_RUNNING"));
});

test("push: an image built here goes to the plain registry by its image: name; pull brings it back, and a missing image fails alone", { ...TIMEOUT, skip: world.skipReason("plain-registry", "image:busybox:latest") }, async () => {
  const plain = world.require("plain-registry").address;
  await using ctx = await testContext();
  const name = uniqueProject("push");
  const repo = `slipway-test/${name}`;
  const pushed = `${plain}/${repo}:1`;
  const project = await load(name, { PUSHED_IMAGE: pushed, MISSING_IMAGE: `${plain}/${repo}-missing:1` });
  const stamp = randomBytes(8).toString("hex");
  const resolver = new ImageResolver(ctx.engine, ctx.events, ctx.signal);
  try {
    const steps = planImages({ project, services: ["pushed"], present: new Set(), build: "always", pull: "missing", buildOverrides: { args: { STAMP: stamp } } });
    await executeImages(project, steps, resolver, ctx.signal, ctx.events);
    const { pushes, skipped } = planPushes(project, ["pushed", "app", "missing"]);
    assert.deepEqual(pushes, [{ ref: pushed, service: "pushed" }]);
    assert.deepEqual(skipped.map((s) => s.service), ["app", "missing"]);
    const asked: string[] = [];
    const failures = await pushImages(ctx.engine, pushes, { credentials: async (registry) => (asked.push(registry), {}), events: ctx.events, signal: ctx.signal });
    assert.deepEqual(failures, []);
    assert.deepEqual(asked, [plain]);

    await ctx.engine.images.remove(pushed, { force: true });
    const { pulls } = planPulls({ project, services: ["pushed", "missing"], present: new Set() });
    const pulled = await pullImages(ctx.engine, pulls, { credentials: async () => ({}), events: ctx.events, signal: ctx.signal });
    assert.deepEqual(pulled.map((f) => [f.ref, f.services, f.error.kind]), [[`${plain}/${repo}-missing:1`, ["missing"], "registry"]]);
    const out: Buffer[] = [];
    const run = await composeRun(ctx, project, "pushed", { lifetime: "ephemeral", rm: true, command: ["cat", "/stamp"], onOutput: (_s, d) => out.push(d) });
    assert.deepEqual([run.exitCode, Buffer.concat(out).toString()], [0, `${stamp}\n`]);
  } finally {
    const digest = (await ctx.engine.images.find(pushed))?.RepoDigests?.find((d) => d.startsWith(`${plain}/${repo}@`))?.split("@")[1];
    await ctx.engine.images.remove(pushed, { force: true }).catch(() => undefined);
    if (digest) await deleteManifest(plain, repo, digest);
  }
});
