/**
 * End to end: `slipway compose run`, `exec`, `cp`, `push` and `pull` as a user runs them (the
 * published bundle), with docker compose v2 beside it as the reference for exit codes. Each test
 * has its own project; whatever happens, its containers, networks, images and pushed manifests go.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { observeProject } from "../../../src/compose/runner/observe.ts";
import { uniqueProject } from "../../support/run-context.ts";
import { loadWorldSync } from "../../support/world.ts";
import { slipway } from "../support.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const world = loadWorldSync();
const TIMEOUT = { timeout: 240_000 };

/** A docker config folder of its own: no login of the machine's leaks in, none is written out. */
const dockerConfig = await mkdtemp(path.join(tmpdir(), "slipway-e2e-docker-config-"));
process.on("exit", () => rmSync(dockerConfig, { recursive: true, force: true }));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string> = {}, input?: string): Promise<Ran> {
  const run = slipway(["compose", ...args], { cwd: here, env: { DOCKER_CONFIG: dockerConfig, ...env }, ...(input !== undefined ? { input } : {}) });
  const code = await run.exit;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** docker compose v2, the reference. */
function dockerCompose(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(world.require("compose-v2").path, args, { cwd: here, env: { ...process.env, DOCKER_CONFIG: dockerConfig }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 128) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The project goes whatever the test's outcome: slipway's down removes a project either tool made. */
function downAfterwards(t: TestContext, ...names: string[]): void {
  t.after(async () => {
    for (const name of names) await cli(["-p", name, "down", "-v", "-t", "0"]);
  });
}

const output = (r: Ran) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

test("run and exec exit with the command's own code, as docker compose does (0, 3, 42)", { ...TIMEOUT, skip: world.skipReason("compose-v2", "image:busybox:latest") }, async (t) => {
  const ours = uniqueProject("e2e-codes");
  const theirs = uniqueProject("e2e-codes-docker");
  downAfterwards(t, ours, theirs);
  for (const c of [0, 3, 42]) {
    const script = `echo out-${c}; echo err-${c} >&2; exit ${c}`;
    const slip = await cli(["-p", ours, "run", "--rm", "job", "sh", "-c", script]);
    const docker = await dockerCompose(["-p", theirs, "run", "--rm", "-T", "job", "sh", "-c", script]);
    assert.equal(slip.code, c, output(slip));
    assert.equal(slip.code, docker.code, `${output(slip)}\n--- docker compose:\n${output(docker)}`);
    assert.equal(slip.stdout, `out-${c}\n`);
    assert.match(slip.stderr, new RegExp(`err-${c}`));
  }
  const up = await cli(["-p", ours, "up", "-d", "app"]);
  assert.equal(up.code, 0, output(up));
  for (const c of [0, 3, 42]) {
    const slip = await cli(["-p", ours, "exec", "app", "sh", "-c", `exit ${c}`]);
    // docker compose runs exec in the project Slipway made: the same container, compose's labels.
    const docker = await dockerCompose(["-p", ours, "exec", "-T", "app", "sh", "-c", `exit ${c}`]);
    assert.equal(slip.code, c, output(slip));
    assert.equal(slip.code, docker.code, `${output(slip)}\n--- docker compose:\n${output(docker)}`);
  }
  // Options after SERVICE are the command's; -e and -w are exec's before it.
  const env = await cli(["-p", ours, "exec", "-e", "GREETING=hi", "-w", "/tmp", "app", "sh", "-c", "echo $GREETING $(pwd)"]);
  assert.deepEqual([env.code, env.stdout], [0, "hi /tmp\n"], output(env));
  // Slipway's own codes stay for Slipway's failures: an unknown service is a configuration error.
  const unknown = await cli(["-p", ours, "run", "--rm", "nope"]);
  assert.equal(unknown.code, 3, output(unknown));
  // -i is compose's default: the input reaches the command, and its end closes the command's stdin.
  const interactive = await cli(["-p", ours, "exec", "-i", "-T", "app", "sh", "-c", "read line; echo \"got $line\""], {}, "a line\n");
  assert.deepEqual([interactive.code, interactive.stdout], [0, "got a line\n"], output(interactive));
});

test("run -d prints the container's ID and leaves it running; run --rm leaves nothing behind", { ...TIMEOUT, skip: world.skipReason("image:busybox:latest") }, async (t) => {
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const name = uniqueProject("e2e-detach");
  downAfterwards(t, name);
  const detached = await cli(["-p", name, "run", "-d", "--name", `${name}-bg`, "-l", "org.example.e2e=yes", "app", "sleep", "600"]);
  assert.equal(detached.code, 0, output(detached));
  const id = detached.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/, output(detached));
  const inspect = await engine.containers.inspect(id);
  assert.equal(inspect.Name, `/${name}-bg`);
  assert.equal(inspect.State.Running, true);
  assert.equal(inspect.Config.Labels?.["org.example.e2e"], "yes");
  assert.equal(inspect.Config.Labels?.["com.docker.compose.oneoff"], "True");

  const removed = await cli(["-p", name, "run", "--rm", "job", "sh", "-c", "exit 0"]);
  assert.equal(removed.code, 0, output(removed));
  const left = await observeProject(engine, name);
  assert.deepEqual(
    left.containers.filter((c) => c.oneoff).map((c) => c.name),
    [`${name}-bg`],
    "only the detached one-off is left",
  );
});

test("cp both ways, a folder included; a symlink leading out of the container is refused and nothing is written", { ...TIMEOUT, skip: world.skipReason("image:busybox:latest") }, async (t) => {
  const name = uniqueProject("e2e-cp");
  downAfterwards(t, name);
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-e2e-cp-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const up = await cli(["-p", name, "up", "-d", "app"]);
  assert.equal(up.code, 0, output(up));

  // In: a folder and a file.
  await mkdir(path.join(dir, "site", "sub"), { recursive: true });
  await writeFile(path.join(dir, "site", "index.html"), "<h1>hi</h1>\n");
  await writeFile(path.join(dir, "site", "sub", "page.html"), "page\n");
  await writeFile(path.join(dir, "one.txt"), "one\n");
  for (const [src, dest] of [
    [path.join(dir, "site"), "app:/srv/site"],
    ["one.txt", "app:/srv/"],
  ]) {
    const r = await slipwayIn(dir, ["-f", path.join(here, "compose.yaml"), "-p", name, "cp", src!, dest!]);
    assert.equal(r.code, 0, output(r));
  }
  const listed = await cli(["-p", name, "exec", "app", "sh", "-c", "find /srv | sort; cat /srv/one.txt"]);
  assert.equal(listed.stdout, ["/srv", "/srv/one.txt", "/srv/site", "/srv/site/index.html", "/srv/site/sub", "/srv/site/sub/page.html", "one"].join("\n") + "\n", output(listed));

  // Out: the folder back, as a new folder, and a file.
  const out = await cli(["-p", name, "cp", "app:/srv/site", path.join(dir, "back")]);
  assert.equal(out.code, 0, output(out));
  assert.equal(await readFile(path.join(dir, "back", "sub", "page.html"), "utf8"), "page\n");
  const file = await cli(["-p", name, "cp", "app:/srv/one.txt", path.join(dir, "one-back.txt")]);
  assert.equal(file.code, 0, output(file));
  assert.equal(await readFile(path.join(dir, "one-back.txt"), "utf8"), "one\n");

  // A tar escape: a symlink in the folder points at the container's /etc/passwd.
  const evil = await cli(["-p", name, "exec", "app", "sh", "-c", "mkdir /srv/evil && echo ok > /srv/evil/ok && ln -s /etc/passwd /srv/evil/passwd"]);
  assert.equal(evil.code, 0, output(evil));
  const before = (await readdir(dir)).sort();
  const refused = await cli(["-p", name, "cp", "app:/srv/evil", path.join(dir, "evil")]);
  assert.equal(refused.code, 4, output(refused));
  assert.match(refused.stderr, /entry "evil\/passwd" is unsafe because it is a symlink to the absolute path "\/etc\/passwd"\. Nothing was copied\./);
  assert.deepEqual((await readdir(dir)).sort(), before, "nothing written, no staging left");
});

/** The CLI from another folder (relative host paths are the user's own). */
async function slipwayIn(cwd: string, args: string[]): Promise<Ran> {
  const run = slipway(["compose", ...args], { cwd, env: { DOCKER_CONFIG: dockerConfig } });
  const code = await run.exit;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

test("push to the plain registry by the image: name; pull --ignore-pull-failures pulls what exists and warns about the rest", { ...TIMEOUT, skip: world.skipReason("plain-registry", "image:busybox:latest") }, async (t) => {
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const plain = world.require("plain-registry").address;
  const name = uniqueProject("e2e-push");
  const repo = `slipway-e2e/${name}`;
  const pushed = `${plain}/${repo}:1`;
  const missing = `${plain}/${repo}-missing:1`;
  const env = { PUSHED_IMAGE: pushed, MISSING_IMAGE: missing };
  downAfterwards(t, name);
  const stamp = randomBytes(6).toString("hex");
  try {
    const build = await cli(["-p", name, "build", "--build-arg", `STAMP=${stamp}`, "pushed"], env);
    assert.equal(build.code, 0, output(build));
    const push = await cli(["-p", name, "push"], env);
    assert.equal(push.code, 0, output(push));
    assert.match(push.stderr, new RegExp(`push ${pushed.replace(/[.]/g, "\\.")}`));
    assert.match(push.stderr, /app skipped: not built here/);

    await engine.images.remove(pushed, { force: true });
    const failing = await cli(["-p", name, "pull", "pushed", "missing"], env);
    assert.equal(failing.code, 6, output(failing));
    assert.match(failing.stderr, new RegExp(missing.replace(/[.]/g, "\\.")));
    const ignoring = await cli(["-p", name, "pull", "--ignore-pull-failures", "pushed", "missing"], env);
    assert.equal(ignoring.code, 0, output(ignoring));
    assert.match(ignoring.stderr, /warning: pulling missing: /);
    // What was pushed is what came back.
    const stamped = await cli(["-p", name, "run", "--rm", "--no-deps", "pushed", "cat", "/stamp"], env);
    assert.deepEqual([stamped.code, stamped.stdout], [0, `${stamp}\n`], output(stamped));
  } finally {
    const digest = (await engine.images.find(pushed))?.RepoDigests?.find((d) => d.startsWith(`${plain}/${repo}@`))?.split("@")[1];
    await engine.images.remove(pushed, { force: true }).catch(() => undefined);
    if (digest) await fetch(`http://${plain}/v2/${repo}/manifests/${digest}`, { method: "DELETE" }).then((r) => r.arrayBuffer());
  }
});
