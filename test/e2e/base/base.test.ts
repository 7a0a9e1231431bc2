/**
 * Versioned base images end to end (seed 003), through the published bundle: `slipway base build`
 * builds the base → `slipway ci` builds the app on it (the app's layers start with the base's,
 * its label names the base) → `slipway base status` reports the drift → a new version in
 * BASE_VERSION → `slipway base build` → `slipway ci` rebuilds the app on it and says so. And the
 * unhappy path: `slipway ci` before any base was built is one config error naming `slipway base build`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { loadWorldSync } from "../../support/world.ts";
import { scenario, slipway } from "../support.ts";

const run = promisify(execFile);
const world = loadWorldSync();
const skip = world.skipReason("engine", "image:busybox:latest");

type Event = Record<string, unknown>;
const eventsOf = (stdout: string): Event[] => stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Event);

interface Layered {
  Id: string;
  Size: number;
  RootFS: { Layers: string[] };
  Config: { Labels: Record<string, string> | null };
}

/** A committed copy of the fixture with a unique pipeline name and repository; removed with its images. */
async function fixtureCopy(engine: Engine) {
  const id = randomBytes(4).toString("hex");
  const name = `e2e-base-${id}`;
  const repository = `e2e-base-app-${id}`;
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-e2e-base-"));
  await cp(path.join(scenario("base"), "app"), dir, { recursive: true });
  await writeFile(path.join(dir, "nonce.txt"), id);
  const config = (await readFile(path.join(dir, "slipway.yml"), "utf8")).replace(/^name: .*$/m, `name: ${name}`).replace("  app:\n    build:", `  app:\n    repository: ${repository}\n    build:`);
  assert.ok(config.includes(`repository: ${repository}`));
  await writeFile(path.join(dir, "slipway.yml"), config);
  const git = (...args: string[]) => run("git", ["-c", "user.email=e2e@slipway.invalid", "-c", "user.name=e2e", "-c", "commit.gpgsign=false", ...args], { cwd: dir });
  await git("init", "-q", "-b", "main");
  await git("add", "-A");
  await git("commit", "-q", "-m", "e2e base");
  const images = [`${repository}:base-1`, `${repository}:base-2`, `${name}-app:slipway`];
  return {
    dir,
    name,
    repository,
    git,
    appTag: `${name}-app:slipway`,
    inspect: (ref: string) => engine.images.inspect(ref) as unknown as Promise<Layered>,
    async [Symbol.asyncDispose]() {
      const local = await engine.images.list({ filters: { reference: [`${name}-app`] } });
      for (const ref of [...images, ...local.flatMap((i) => i.RepoTags ?? [])]) await engine.images.remove(ref, { noprune: false }).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function startsWith(layers: string[], prefix: string[]): boolean {
  return prefix.length > 0 && prefix.every((l, i) => layers[i] === l);
}

test("base build → ci builds the app on it → base status reports the drift → a new base version → ci rebuilds on it and says so", { skip }, async () => {
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  await using copy = await fixtureCopy(engine);
  const ref1 = `${copy.repository}:base-1`;
  const ref2 = `${copy.repository}:base-2`;

  // 1. The base, versioned from BASE_VERSION, labelled and recorded.
  const built = slipway(["base", "build", "--json"], { cwd: copy.dir });
  assert.equal(await built.exit, 0, built.stdout() + built.stderr());
  const first = JSON.parse(built.stdout()) as { version: string; ref: string; imageId: string; status: string };
  assert.deepEqual([first.version, first.ref, first.status], ["1", ref1, "built"]);
  const base1 = await copy.inspect(ref1);
  assert.equal(base1.Id, first.imageId);
  assert.equal(base1.Config.Labels?.["dev.slipway.base.version"], "1");
  assert.equal(base1.Config.Labels?.["dev.slipway.pipeline"], copy.name);
  assert.match(base1.Config.Labels?.["dev.slipway.context-hash"] ?? "", /\S/);
  // The build held its image while it ran; nothing of that hold is left once the command ended.
  assert.deepEqual(await engine.containers.list({ all: true, filters: { ancestor: [base1.Id], label: ["dev.slipway.hold"] } }), []);
  // A version is built once: again, it exists and nothing moves.
  const again = slipway(["base", "build", "--json"], { cwd: copy.dir });
  assert.equal(await again.exit, 0, again.stdout() + again.stderr());
  assert.deepEqual([JSON.parse(again.stdout()).status, JSON.parse(again.stdout()).imageId], ["exists", base1.Id]);

  // 2. ci builds the app on it: BASE_IMAGE set by Slipway, the base taken from the engine (never pulled).
  const ci1 = slipway(["ci", "--json"], { cwd: copy.dir });
  assert.equal(await ci1.exit, 0, ci1.stdout().slice(-4000) + ci1.stderr());
  const app1 = await copy.inspect(copy.appTag);
  assert.equal(app1.Config.Labels?.["dev.slipway.base"], ref1);
  // The base's version label is not inherited by the app image.
  assert.equal(app1.Config.Labels?.["dev.slipway.base.version"], "");
  assert.ok(startsWith(app1.RootFS.Layers, base1.RootFS.Layers), "the app's layers start with the base's");
  const onTop1 = app1.RootFS.Layers.length - base1.RootFS.Layers.length;
  assert.ok(onTop1 >= 2, `COPY and RUN on top of the base, got ${onTop1}`);
  assert.ok(!eventsOf(ci1.stdout()).some((e) => e["type"] === "step.end" && String(e["step"]).includes("(was ")), "no base change on the first build");

  // 3. base status: the drift, from the two images' layers and sizes.
  const status1 = slipway(["base", "status", "--json"], { cwd: copy.dir });
  assert.equal(await status1.exit, 0, status1.stdout() + status1.stderr());
  const s1 = JSON.parse(status1.stdout()) as { current: { ref: string; version: string }; app: { base: string; imageId: string }; drift: { onBase: boolean; layers: number; bytes: number; rebuild: string[] }; advice: string[] };
  assert.deepEqual([s1.current.ref, s1.app.base, s1.app.imageId], [ref1, ref1, app1.Id]);
  assert.deepEqual([s1.drift.onBase, s1.drift.layers, s1.drift.bytes], [true, onTop1, Math.max(0, app1.Size - base1.Size)]);
  assert.deepEqual([s1.drift.rebuild, s1.advice], [[], []]);
  const text1 = slipway(["base", "status"], { cwd: copy.dir });
  assert.equal(await text1.exit, 0, text1.stderr());
  assert.match(text1.stdout(), new RegExp(`drift: ${onTop1} layers and .+ on top of the base`));

  // 4. A new version: a new base, and ci rebuilds the app on it, saying so.
  await writeFile(path.join(copy.dir, "BASE_VERSION"), "2\n");
  await copy.git("commit", "-q", "-am", "base 2");
  const built2 = slipway(["base", "build", "--json"], { cwd: copy.dir });
  assert.equal(await built2.exit, 0, built2.stdout() + built2.stderr());
  assert.deepEqual([JSON.parse(built2.stdout()).ref, JSON.parse(built2.stdout()).status], [ref2, "built"]);
  const base2 = await copy.inspect(ref2);
  assert.notEqual(base2.Id, base1.Id);
  // Before ci, status says the app is not on the current base.
  const status2 = slipway(["base", "status", "--json"], { cwd: copy.dir });
  assert.equal(await status2.exit, 0, status2.stderr());
  const s2 = JSON.parse(status2.stdout()) as { app: { base: string }; drift: { onBase: boolean }; advice: string[] };
  assert.deepEqual([s2.app.base, s2.drift.onBase], [ref1, false]);
  assert.match(s2.advice.join("\n"), new RegExp(`built on ${ref1}, not on the current base ${ref2}: \`slipway ci\` rebuilds it`));

  const ci2 = slipway(["ci", "--output", "plain"], { cwd: copy.dir });
  assert.equal(await ci2.exit, 0, ci2.stdout().slice(-4000) + ci2.stderr());
  const change = `on base ${ref2} (was ${ref1})`;
  assert.ok(ci2.stdout().includes(`release image app | rebuilt ${change}`), ci2.stdout());
  const summary = ci2.stdout().slice(ci2.stdout().lastIndexOf("\nSummary"));
  assert.match(summary, new RegExp(`\\n +build release image app ${change.replace(/[().]/g, "\\$&")} +ok `), summary);
  const app2 = await copy.inspect(copy.appTag);
  assert.notEqual(app2.Id, app1.Id);
  assert.equal(app2.Config.Labels?.["dev.slipway.base"], ref2);
  assert.ok(startsWith(app2.RootFS.Layers, base2.RootFS.Layers), "the app's layers start with the new base's");
  assert.ok(!startsWith(app2.RootFS.Layers, base1.RootFS.Layers), "… and no longer with the old one's");

  const status3 = slipway(["base", "status", "--json"], { cwd: copy.dir });
  assert.equal(await status3.exit, 0, status3.stderr());
  const s3 = JSON.parse(status3.stdout()) as { app: { base: string }; drift: { onBase: boolean; layers: number } };
  assert.deepEqual([s3.app.base, s3.drift.onBase, s3.drift.layers], [ref2, true, app2.RootFS.Layers.length - base2.RootFS.Layers.length]);

  // The records: one per version.
  const records = (await run("ls", [path.join(copy.dir, ".slipway/records/bases")])).stdout.split("\n").filter(Boolean).sort();
  assert.deepEqual(records, ["base-1.json", "base-2.json"]);

  // 5. prune keeps the current base and the app built on it; the old base, which no image that
  // stays was built on, goes with the old commit's app image.
  const plan = slipway(["prune", "--dry-run", "--json"], { cwd: copy.dir });
  assert.equal(await plan.exit, 0, plan.stderr());
  const decisions = new Map((JSON.parse(plan.stdout()) as { images: { image: { id: string }; remove: boolean; reasons: string[] }[] }).images.map((d) => [d.image.id, d]));
  assert.deepEqual([decisions.get(base2.Id)?.remove, decisions.get(base2.Id)?.reasons.includes("the current base image")], [false, true]);
  assert.equal(decisions.get(app2.Id)?.remove, false);
  assert.deepEqual([decisions.get(base1.Id)?.remove, decisions.get(app1.Id)?.remove], [true, true]);
  const pruned = slipway(["prune"], { cwd: copy.dir });
  assert.equal(await pruned.exit, 0, pruned.stderr());
  const left = async (id: string) => (await engine.images.find(id)) !== undefined;
  assert.deepEqual([await left(base1.Id), await left(app1.Id), await left(base2.Id), await left(app2.Id)], [false, false, true, true]);

  // A current base that cannot be named (its version file gone): prune fails safe, keeping every
  // base image, and says why.
  await rm(path.join(copy.dir, "BASE_VERSION"));
  const blind = slipway(["prune", "--dry-run", "--json"], { cwd: copy.dir });
  assert.equal(await blind.exit, 0, blind.stderr());
  assert.match(blind.stderr(), /^warning: The current base cannot be named \(.*\): every base image of the pipeline is kept$/m);
  const kept = (JSON.parse(blind.stdout()) as { images: { image: { id: string }; remove: boolean; reasons: string[] }[] }).images.find((d) => d.image.id === base2.Id);
  assert.deepEqual([kept?.remove, kept?.reasons.includes("a base image (the current base could not be named)")], [false, true]);
});

test("slipway ci before any base was built: one config error (exit 3) naming `slipway base build`; base status says the same", { skip }, async () => {
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  await using copy = await fixtureCopy(engine);
  const ci = slipway(["ci", "--json"], { cwd: copy.dir });
  assert.equal(await ci.exit, 3, ci.stdout().slice(-4000) + ci.stderr());
  const verdict = eventsOf(ci.stdout()).at(-1)!;
  assert.equal(verdict["type"], "verdict");
  assert.equal(verdict["kind"], "config-error");
  assert.match(String(verdict["message"]), new RegExp(`The base ${copy.repository}:base-1 \\(version from BASE_VERSION\\) is not in the engine`));
  assert.match(String(verdict["hint"]), /slipway base build/);
  assert.ok(!(ci.stdout() + ci.stderr()).includes("    at "), "no stack trace");
  const status = slipway(["base", "status"], { cwd: copy.dir });
  assert.equal(await status.exit, 0, status.stderr());
  assert.match(status.stdout(), /not in the engine[^\n]*\n(?:.*\n)*→ the current base .* is not in the engine: run `slipway base build`/);
});

test("base build --publish puts base-VERSION in the registry and records it; a checkout without the base pulls it from there for ci, never from Docker Hub", { skip: world.skipReason("engine", "image:busybox:latest", "auth-registry") }, async () => {
  const registry = world.require("auth-registry");
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  await using copy = await fixtureCopy(engine);
  const config = path.join(copy.dir, "slipway.yml");
  await writeFile(config, `${await readFile(config, "utf8")}registry: { address: "${registry.address}", username_env: E2E_BASE_USER, password_env: E2E_BASE_PASSWORD }\n`);
  await copy.git("commit", "-q", "-am", "registry");
  const env = { E2E_BASE_USER: registry.username, E2E_BASE_PASSWORD: registry.password };
  const ref = `${copy.repository}:base-1`;
  const remote = `${registry.address}/${ref}`;
  await using _remote = { [Symbol.asyncDispose]: async () => void (await engine.images.remove(remote, { noprune: true }).catch(() => undefined)) };

  const built = slipway(["base", "build", "--publish", "--json"], { cwd: copy.dir, env });
  assert.equal(await built.exit, 0, built.stdout() + built.stderr());
  const result = JSON.parse(built.stdout()) as { imageId: string; published: string; record: { registry: string; digest: string; tags: string[] } };
  assert.equal(result.published, remote);
  assert.deepEqual([result.record.registry, result.record.tags], [registry.address, ["base-1"]]);
  assert.match(result.record.digest, /^sha256:[0-9a-f]{64}$/);
  assert.ok(!(built.stdout() + built.stderr()).includes(registry.password), "the password is printed nowhere");
  // Publishing again changes nothing: the tag is on this image already.
  const again = slipway(["base", "publish", "--json"], { cwd: copy.dir, env });
  assert.equal(await again.exit, 0, again.stdout() + again.stderr());
  assert.equal((JSON.parse(again.stdout()) as { digest: string }).digest, result.record.digest);

  // Another machine: no local base, no records. ci pulls the published base and builds on it.
  await engine.images.remove(ref, { noprune: true });
  await rm(path.join(copy.dir, ".slipway"), { recursive: true, force: true });
  assert.equal(await engine.images.find(ref), undefined);
  const ci = slipway(["ci", "--output", "plain"], { cwd: copy.dir, env });
  assert.equal(await ci.exit, 0, ci.stdout().slice(-4000) + ci.stderr());
  assert.match(ci.stdout(), new RegExp(`pulling the base ${remote.replace(/\./g, "\\.")} \\(not in the engine\\)`));
  const base = await copy.inspect(ref);
  assert.equal(base.Id, result.imageId, "the very image that was published");
  const app = await copy.inspect(copy.appTag);
  assert.equal(app.Config.Labels?.["dev.slipway.base"], ref);
  assert.ok(startsWith(app.RootFS.Layers, base.RootFS.Layers));
});
