/**
 * `slipway ci` on the example, passing: test → release → acceptance → tag → publish in one run,
 * the release image built once beside the tests and run by the release environment (checked by
 * image ID), then published into the test world's basic-auth registry under the tag plan (the
 * credentials from slipway.yml's `username_env`/`password_env`, never printed), the summary's
 * line per stage ending with what was published; `slipway version` reads the commit back from the
 * registry without pulling; a second run without changes reuses the release image ("unchanged")
 * and finds every tag already on it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { loadWorldSync } from "../../support/world.ts";
import { assertRunEnded, leftovers } from "../failures/run-assertions.ts";
import { slipway } from "../support.ts";
import { exampleCopy } from "./support.ts";

const world = loadWorldSync();

test("slipway ci passes: a summary line per stage, the acceptance reports, what was published last; again without changes: the release image unchanged, every tag already on it", { skip: world.skipReason("auth-registry") }, async () => {
  const registry = world.require("auth-registry");
  const repository = `e2e-ci-passes-${randomBytes(4).toString("hex")}`;
  await using copy = await exampleCopy("e2e-ci-passes", undefined, { registry: { address: registry.address, usernameEnv: "E2E_REGISTRY_USER", passwordEnv: "E2E_REGISTRY_PASSWORD", repository } });
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  // Outside the copy: a file in its work tree would make the second run's revision dirty.
  const outputs = await mkdtemp(path.join(tmpdir(), "slipway-e2e-ci-outputs-"));
  await using _outputs = { [Symbol.asyncDispose]: () => rm(outputs, { recursive: true, force: true }) };
  const githubOutput = path.join(outputs, "github-output.txt");
  // An empty docker config: the credentials come from slipway.yml's variables only.
  const env = { GITHUB_OUTPUT: githubOutput, DOCKER_CONFIG: outputs, E2E_REGISTRY_USER: registry.username, E2E_REGISTRY_PASSWORD: registry.password };
  const run = slipway(["ci"], { cwd: copy.dir, env });
  const code = await run.exit;
  const out = run.stdout();
  assert.equal(code, 0, out.slice(-6000) + run.stderr());
  const runId = /slipway ci · run (\S+)/.exec(out)![1]!;

  const summary = out.slice(out.lastIndexOf("\nSummary\n"));
  assert.match(summary, /\n +stage test +ok +[\d.]+s\n +stage release +ok +[\d.]+s\n +stage acceptance +ok +[\d.]+s\n +stage tag +ok +[\d.]+s\n +stage publish +ok +[\d.]+s\n/);
  assert.match(summary, /\n +build release image app +ok /);
  assert.match(summary, /\n +bootstrap migrate +ok /);
  assert.match(summary, /\n +acceptance tests: 5 passed, 0 failed/);
  const short = copy.commit.slice(0, 7);
  const name = `${registry.address}/${repository}`;
  assert.match(summary, new RegExp(`\\n +published: ${name.replace(/\./g, "\\.")}@sha256:[0-9a-f]{12}: ${short}, master\\n`));
  assert.ok(!out.includes(registry.password) && !run.stderr().includes(registry.password), "the password is never printed");
  const last = out.trim().split("\n").at(-1)!;
  const published = new RegExp(`^PASSED published app (sha256:[0-9a-f]{64}) \\(revision ([0-9a-f]{40})\\) as ${name.replace(/\./g, "\\.")}@(sha256:[0-9a-f]{64}): ${short}, master \\(exit 0, [\\d.]+s\\)$`).exec(last);
  assert.ok(published, last);
  const [, imageId, revision, digest] = published;
  assert.equal(revision, copy.commit);

  // The image is the commit's, and the release environment ran exactly it.
  const image = await engine.images.inspect(imageId!);
  assert.equal(image.Config?.Labels?.["org.opencontainers.image.revision"], copy.commit);
  const evidence = path.join(copy.dir, ".slipway/runs", runId);
  const files = await readdir(evidence);
  for (const service of ["app", "migrate"]) {
    const inspect = files.find((f) => new RegExp(`^inspect-e2e-ci-passes-release-[0-9a-f]+-${service}-1\\.json$`).test(f));
    assert.ok(inspect, `inspect of ${service} in the evidence: ${files.join(", ")}`);
    assert.equal((JSON.parse(await readFile(path.join(evidence, inspect), "utf8")) as { Image: string }).Image, imageId);
  }
  // Logs and inspect of every release-environment service.
  for (const service of ["db", "nginx", "acceptance-run"]) assert.ok(files.some((f) => f.startsWith("inspect-") && f.includes(`-release-`) && f.includes(`-${service}`)), `inspect of ${service}`);
  const logs = await readdir(path.join(evidence, "logs"));
  for (const service of ["app", "migrate", "db", "nginx", "acceptance-run"]) assert.ok(logs.some((f) => f.includes("-release-") && f.includes(`-${service}`)), `log of ${service}: ${logs.join(", ")}`);
  assert.deepEqual(await readdir(path.join(copy.dir, "reports/release")), ["acceptance.xml"]);
  assert.equal(await leftovers(engine, runId), 0, "nothing of the run is left");
  // The CI reads the accepted image and its revision.
  const facts = await readFile(githubOutput, "utf8");
  assert.match(facts, new RegExp(`^image-app=${imageId}$`, "m"));
  assert.match(facts, new RegExp(`^revision=${copy.commit}$`, "m"));
  assert.match(facts, new RegExp(`^digest-app=${digest}$`, "m"));
  assert.match(facts, new RegExp(`^tags-app=${short},master$`, "m"));
  // The publish record, and the commit read back from the registry without pulling the image.
  const releases = slipway(["releases", "--json"], { cwd: copy.dir });
  assert.equal(await releases.exit, 0, releases.stderr());
  const [record] = JSON.parse(releases.stdout()) as { digest: string; tags: string[]; commit: string; imageId: string; runId: string }[];
  assert.deepEqual([record?.digest, record?.tags, record?.commit, record?.imageId, record?.runId], [digest, [short, "master"], copy.commit, imageId, runId]);
  const created = image.Config?.Labels?.["org.opencontainers.image.created"];
  const version = slipway(["version", `${name}:${short}`, "--remote", "--json"], { cwd: copy.dir, env });
  assert.equal(await version.exit, 0, version.stderr());
  assert.deepEqual(JSON.parse(version.stdout()), { image: `${name}:${short}`, from: "registry", commit: copy.commit, created, digest });
  // The tag stage tagged the accepted image locally too: without --remote it is read there.
  const local = slipway(["version", `${name}:master`, "--json"], { cwd: copy.dir, env });
  assert.equal(await local.exit, 0, local.stderr());
  assert.deepEqual(JSON.parse(local.stdout()), { image: `${name}:master`, from: "local", commit: copy.commit, created });
  for (const file of await readdir(evidence)) {
    if (file.endsWith(".json") || file.endsWith(".jsonl")) assert.ok(!(await readFile(path.join(evidence, file), "utf8")).includes(registry.password), `no password in ${file}`);
  }

  const again = slipway(["ci", "--json"], { cwd: copy.dir, env });
  const ended = await assertRunEnded(again, { dir: copy.dir, kind: "passed", environment: "release", logs: true });
  const build = ended.events.find((e) => e.type === "step.end" && e["step"] === "build release image app");
  assert.match(String(build?.["note"]), /^unchanged/, "the release image is reused");
  assert.equal(ended.verdict["message"], `published app ${imageId} (revision ${copy.commit}) as ${name}@${digest}: ${short}, master (already there)`);
  // The bootstrap task ran once (as a step of its own), although app's depends_on waits for it too.
  const migrateStarts = ended.events.filter((e) => e.type === "step.end" && /^start:e2e-ci-passes-release-[0-9a-f]+-migrate-1$/.test(String(e["step"])));
  assert.equal(migrateStarts.length, 1);
  assert.ok(ended.events.some((e) => e.type === "step.end" && e["step"] === "bootstrap migrate" && e["ok"] === true));
  assert.equal(await leftovers(engine, ended.runId), 0);
});

test("slipway ci --from acceptance: no release stage ran, so acceptance brings the release environment up as release does, then runs", async () => {
  await using copy = await exampleCopy("e2e-ci-from-acceptance");
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const run = slipway(["ci", "--json", "--from", "acceptance", "--until", "acceptance"], { cwd: copy.dir });
  const { events, verdict, runId } = await assertRunEnded(run, { dir: copy.dir, kind: "passed", environment: "release", logs: true });
  assert.deepEqual(events.filter((e) => e.type === "stage.skip").map((e) => e["stage"]), ["test", "release", "tag", "publish"]);
  assert.deepEqual(events.filter((e) => e.type === "stage.start").map((e) => e["stage"]), ["acceptance"]);
  assert.ok(events.some((e) => e.type === "step.end" && e["step"] === "bootstrap migrate" && e["ok"] === true));
  assert.match(String(verdict["message"]), new RegExp(`^accepted app sha256:[0-9a-f]{64} \\(revision ${copy.commit}\\)$`));
  assert.equal(await leftovers(engine, runId), 0);
});
