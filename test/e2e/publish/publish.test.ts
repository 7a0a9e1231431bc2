/**
 * Publishing end to end, through the published bundle: `slipway ci` on a small pipeline (release
 * → tag → publish, no acceptance service: a release that comes up is accepted) into the test
 * world's basic-auth registry, its credentials found as the docker CLI finds them — a `credsStore`
 * helper program — and never written anywhere; then `slipway publish --dry-run`, `releases`,
 * `tag`, `buildtag`, and a dirty work tree refused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { RegistryClient } from "../../../src/registry/client.ts";
import { fakeCredentialHelper } from "../../../src/registry/fixtures/fake-credential-helper.ts";
import { loadWorldSync } from "../../support/world.ts";
import { scenario, slipway } from "../support.ts";

const run = promisify(execFile);
const world = loadWorldSync();
const skip = world.skipReason("auth-registry", "image:busybox:latest");

/** Every file under `dir`, with its text. */
async function allText(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.push(await readFile(path.join(entry.parentPath, entry.name), "utf8"));
  }
  return out;
}

async function pipelineCopy(registry: string, repository: string) {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-e2e-publish-"));
  await cp(path.join(scenario("publish"), "app"), dir, { recursive: true });
  await writeFile(path.join(dir, "nonce.txt"), randomBytes(8).toString("hex"));
  const config = (await readFile(path.join(dir, "slipway.yml"), "utf8")).replace(/^registry: .*$/m, `registry: ${registry}`).replace("  app:\n    build:", `  app:\n    repository: ${repository}\n    build:`);
  await writeFile(path.join(dir, "slipway.yml"), config);
  const git = (...args: string[]) => run("git", ["-c", "user.email=e2e@slipway.invalid", "-c", "user.name=e2e", "-c", "commit.gpgsign=false", ...args], { cwd: dir });
  await git("init", "-q", "-b", "main");
  await git("add", "-A");
  await git("commit", "-q", "-m", "e2e publish");
  await git("tag", "v1.4.2");
  const commit = (await git("rev-parse", "HEAD")).stdout.trim();
  return { dir, commit, git, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

test("slipway ci publishes the accepted image under the tag plan with a credsStore helper's credentials, which appear nowhere; dry run, releases, tag, buildtag; a dirty tree is refused", { skip }, async () => {
  const registry = world.require("auth-registry");
  const repository = `e2e-publish-${randomBytes(4).toString("hex")}`;
  const name = `${registry.address}/${repository}`;
  await using copy = await pipelineCopy(registry.address, repository);
  await using helper = await fakeCredentialHelper();
  await helper.seed({ [registry.address]: { Username: registry.username, Secret: registry.password } });
  const dockerConfig = await mkdtemp(path.join(tmpdir(), "slipway-e2e-publish-config-"));
  await using _config = { [Symbol.asyncDispose]: () => rm(dockerConfig, { recursive: true, force: true }) };
  await writeFile(path.join(dockerConfig, "config.json"), JSON.stringify({ credsStore: helper.name.replace(/^docker-credential-/, "") }));
  const env = { ...helper.env, DOCKER_CONFIG: dockerConfig };
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const localTags: string[] = [];
  await using _images = { [Symbol.asyncDispose]: async () => void (await Promise.all(localTags.map((t) => engine.images.remove(t, { noprune: true }).catch(() => undefined)))) };

  const ci = slipway(["ci", "--json"], { cwd: copy.dir, env });
  const code = await ci.exit;
  const out = ci.stdout() + ci.stderr();
  assert.equal(code, 0, out.slice(-5000));
  const events = ci.stdout().trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(events.filter((e) => e["type"] === "stage.end").map((e) => [e["stage"], e["ok"]]), [["release", true], ["tag", true], ["publish", true]]);
  const published = events.find((e) => e["type"] === "published")!;
  const short = copy.commit.slice(0, 7);
  const tags = published["tags"] as string[];
  const build = tags.find((t) => /^1\.4\.2\.\d{14}$/.test(t));
  assert.ok(build, `a build tag in ${tags.join(", ")}`);
  assert.deepEqual(tags, [short, "1.4.2", "1.4", "1", "main", "latest", build]);
  const digest = String(published["digest"]);
  const verdict = events.at(-1)!;
  assert.equal(verdict["type"], "verdict");
  assert.match(String(verdict["message"]), new RegExp(`^published app sha256:[0-9a-f]{64} \\(revision ${copy.commit}\\) as ${name.replace(/\./g, "\\.")}@${digest}: `));
  for (const tag of tags) localTags.push(`${name}:${tag}`);

  // In the registry, every tag on that digest.
  const client = await RegistryClient.connect({ registry: registry.address, credential: { username: registry.username, password: registry.password, source: "test" }, insecure: true });
  try {
    for (const tag of tags) assert.equal(await client.manifestDigest(repository, tag), digest, tag);
    const config = await client.imageConfig(repository, "1.4.2");
    assert.equal(config?.labels["org.opencontainers.image.version"], "1.4.2");
    assert.equal(config?.labels["org.opencontainers.image.revision"], copy.commit);
  } finally {
    await client.close();
  }
  // The helper was asked, with the secret only on its stdin/stdout: never in argv, output, evidence or records.
  const calls = await helper.calls();
  assert.ok(calls.some((c) => c.argv[0] === "get"), JSON.stringify(calls.map((c) => c.argv)));
  assert.ok(calls.every((c) => !c.argv.join(" ").includes(registry.password)));
  assert.ok(!out.includes(registry.password), "not in the output");
  for (const text of await allText(path.join(copy.dir, ".slipway"))) assert.ok(!text.includes(registry.password), "not in evidence or records");

  // A dry run reads, and says every tag is already on the image but the build tag (a new one each run).
  const dry = slipway(["publish", "--dry-run"], { cwd: copy.dir, env });
  assert.equal(await dry.exit, 0, dry.stdout() + dry.stderr());
  for (const tag of tags.filter((t) => t !== build)) assert.match(dry.stdout(), new RegExp(`\\n  ${tag.replace(/\./g, "\\.")} +unchanged +${digest.slice(7, 19)}\\n`), dry.stdout());
  assert.match(dry.stdout(), /\n  1\.4\.2\.\d{14} +create +-\n/);

  // The publish record.
  const releases = slipway(["releases", "--json"], { cwd: copy.dir });
  assert.equal(await releases.exit, 0, releases.stderr());
  const [record] = JSON.parse(releases.stdout()) as { digest: string; tags: string[]; version?: string; commit: string }[];
  assert.deepEqual([record?.digest, record?.tags, record?.version, record?.commit], [digest, tags, "1.4.2", copy.commit]);

  // Local tags on the accepted image, by its ID.
  const imageId = (await engine.images.inspect(`${name}:${short}`)).Id;
  const tag = slipway(["tag", "e2e-extra"], { cwd: copy.dir, env });
  assert.equal(await tag.exit, 0, tag.stdout() + tag.stderr());
  localTags.push(`${name}:e2e-extra`);
  assert.equal((await engine.images.inspect(`${name}:e2e-extra`)).Id, imageId);
  const buildtag = slipway(["buildtag", "--json"], { cwd: copy.dir, env });
  assert.equal(await buildtag.exit, 0, buildtag.stdout() + buildtag.stderr());
  const newBuild = /:(1\.4\.2\.\d{14})/.exec(String(buildtag.stdout().trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>).at(-1)!["message"]))?.[1];
  assert.ok(newBuild);
  localTags.push(`${name}:${newBuild}`);
  assert.equal((await engine.images.inspect(`${name}:${newBuild}`)).Id, imageId);

  // A change in the work tree: publishing is refused (exit 2), unless --allow-dirty.
  await writeFile(path.join(copy.dir, "nonce.txt"), "changed");
  const dirty = slipway(["publish"], { cwd: copy.dir, env });
  assert.equal(await dirty.exit, 2, dirty.stdout() + dirty.stderr());
  assert.match(dirty.stdout(), /uncommitted changes \(nonce\.txt\): publishing refused/);
  const allowed = slipway(["publish", "--allow-dirty", "--json"], { cwd: copy.dir, env });
  assert.equal(await allowed.exit, 0, allowed.stdout() + allowed.stderr());
});
