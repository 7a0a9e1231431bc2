/**
 * The build stage end to end (seed 001's builder), on examples/builder as a CI job runs it: the
 * builder packs the package into /artifacts, `slipway ci --until build` copies it out into target/;
 * unchanged inputs with the artifacts in place reuse them, a deleted artifact or a changed command
 * builds them again, and a failing builder ends the run as build-failed (5) with its own code and
 * output. Each test runs in its own copy of the example, so runs never share a target/.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { copyFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { contextFiles } from "../../../src/images/build-context.ts";
import { assertRunEnded, leftovers, type EndedRun, type JsonEvent } from "../failures/run-assertions.ts";
import { repoRoot, scenario, slipway } from "../support.ts";

const example = path.join(repoRoot, "examples/builder");
const fixtures = scenario("build-stage");

/** A fresh copy of the example (without what earlier runs wrote into it), removed after the test. */
async function exampleCopy(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-e2e-builder-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await cp(example, dir, { recursive: true, filter: (src) => !/[/\\](target|reports|\.slipway)$/.test(src) });
  return dir;
}

/** Adds a compose override to the build environment of the copy's slipway.yml. */
async function withBuildOverride(dir: string, override: string): Promise<void> {
  await copyFile(path.join(fixtures, override), path.join(dir, override));
  const file = path.join(dir, "slipway.yml");
  const text = await readFile(file, "utf8");
  const edited = text.replace("compose: [docker-compose.build.yml]", `compose: [docker-compose.build.yml, ${override}]`);
  assert.notEqual(edited, text, "the example's build environment names its compose file as expected");
  await writeFile(file, edited);
}

async function ciUntilBuild(dir: string, kind: "passed" | "build-failed"): Promise<EndedRun> {
  const run = slipway(["ci", "--until", "build", "--json"], { cwd: dir });
  const ended = await assertRunEnded(run, { dir, kind, environment: "build", logs: true });
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  assert.equal(await leftovers(engine, ended.runId), 0, "nothing with the run's label is left on the engine");
  return ended;
}

function artifactsStep(events: JsonEvent[]): JsonEvent {
  const ends = events.filter((e) => e.type === "step.end" && e["step"] === "build artifacts");
  assert.equal(ends.length, 1, JSON.stringify(events.filter((e) => e.type.startsWith("step"))));
  return ends[0]!;
}

const sha256 = async (file: string) => createHash("sha256").update(await readFile(file)).digest("hex");

test("ci --until build: the package in target/; unchanged on the next run; rebuilt when the artifact is gone or the command changes", async (t) => {
  const dir = await exampleCopy(t);
  const target = path.join(dir, "target");
  const pkg = path.join(target, "greeter-1.0.0.tgz");

  const first = await ciUntilBuild(dir, "passed");
  const stages = first.events.filter((e) => e.type === "stage.end").map((e) => [e["stage"], e["environment"], e["ok"]]);
  assert.deepEqual(stages, [["test", "test", true], ["build", "build", true]]);
  assert.deepEqual(first.events.filter((e) => e.type === "stage.skip").map((e) => e["stage"]), ["release", "acceptance"]);
  const built = artifactsStep(first.events);
  assert.equal(built["ok"], true);
  assert.equal(built["note"], undefined, "the first run builds the artifacts");
  assert.ok(first.events.some((e) => e.type === "container.log" && e["service"] === "builder" && e["line"] === "greeter-1.0.0.tgz"), "the builder's output is in the events");
  assert.deepEqual(await readdir(target), ["greeter-1.0.0.tgz"], "only the artifacts: the record is kept under .slipway/");
  const firstHash = await sha256(pkg);
  assert.match(String(first.verdict["message"]), /1 artifact in target\//);
  const builderLogs = (await readdir(path.join(first.evidence, "logs"))).filter((f) => f.includes("builder"));
  assert.equal(builderLogs.length, 1, "the builder's log is in the evidence");

  const second = await ciUntilBuild(dir, "passed");
  assert.match(String(artifactsStep(second.events)["note"]), /^unchanged: the builder's inputs are the same and target\/ holds the 1 artifact it copied/);
  assert.ok(!second.events.some((e) => e.type === "container.log" && e["service"] === "builder"), "the builder did not run");
  assert.equal(await sha256(pkg), firstHash, "the same file");

  await rm(pkg);
  const third = await ciUntilBuild(dir, "passed");
  assert.equal(artifactsStep(third.events)["note"], undefined, "a deleted artifact is built again");
  assert.equal(await sha256(pkg), firstHash, "npm pack is reproducible: the same package again");

  // Another command for the builder (slipway.yml's command wins over the compose file's).
  const file = path.join(dir, "slipway.yml");
  const text = await readFile(file, "utf8");
  const edited = text.replace("    artifacts: /artifacts\n", "    artifacts: /artifacts\n    command: [npm, pack, --pack-destination, /artifacts, --loglevel, warn]\n");
  assert.notEqual(edited, text);
  await writeFile(file, edited);
  const fourth = await ciUntilBuild(dir, "passed");
  assert.equal(artifactsStep(fourth.events)["note"], undefined, "a changed command builds the artifacts again");
  assert.ok(fourth.events.some((e) => e.type === "container.log" && e["service"] === "builder"), "the builder ran");
  assert.deepEqual(await readdir(target), ["greeter-1.0.0.tgz"]);
  const fifth = await ciUntilBuild(dir, "passed");
  assert.match(String(artifactsStep(fifth.events)["note"]), /^unchanged: /, "and is unchanged after that");
});

test("a builder that is a Dockerfile target: its build packs the package, which is copied out of a container that never starts; unchanged on the next run", async (t) => {
  const dir = await exampleCopy(t);
  const file = path.join(dir, "slipway.yml");
  const text = await readFile(file, "utf8");
  const edited = text.replace("    environment: build\n    service: builder\n", "    image: { context: app, target: packed }\n");
  assert.notEqual(edited, text, "the example's build stage names its builder service as expected");
  await writeFile(file, edited);
  const ci = async () => {
    const ended = await assertRunEnded(slipway(["ci", "--until", "build", "--json"], { cwd: dir }), { dir, kind: "passed" });
    await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
    assert.equal(await leftovers(engine, ended.runId), 0, "the container the artifacts were copied from is gone");
    return ended;
  };
  const first = await ci();
  assert.equal(artifactsStep(first.events)["note"], undefined);
  assert.ok(first.events.some((e) => e.type === "step.end" && e["step"] === "build builder packed" && e["ok"] === true), "the target was built");
  assert.ok(!first.events.some((e) => e.type === "container.log" && e["service"] !== "test"), "nothing ran but the tests");
  assert.deepEqual(await readdir(path.join(dir, "target")), ["greeter-1.0.0.tgz"]);
  const second = await ci();
  assert.match(String(artifactsStep(second.events)["note"]), /^unchanged: /);
  assert.match(String(second.events.find((e) => e.type === "step.end" && e["step"] === "build builder packed")?.["note"]), /^unchanged/, "the target's image is reused");

  // Both kinds of builder at once is a config error that says so.
  await writeFile(file, edited.replace("    image: { context: app, target: packed }\n", "    image: { context: app, target: packed }\n    environment: build\n    service: builder\n"));
  const both = slipway(["ci", "--until", "build"], { cwd: dir });
  assert.equal(await both.exit, 3, both.stdout() + both.stderr());
  assert.match(both.stderr() + both.stdout(), /either `image` \(a Dockerfile target\) or `environment` and `service`, not both/);
});

test("a builder that exits 3: build-failed (exit 5), with its code and its last output in the message", async (t) => {
  const dir = await exampleCopy(t);
  await withBuildOverride(dir, "builder-exits-3.override.yml");
  const ended = await ciUntilBuild(dir, "build-failed");
  const message = String(ended.verdict["message"]);
  assert.match(message, /Builder builder exited with code 3/);
  assert.match(message, /last output of builder:\n/);
  // stdout and stderr are two pipes: the engine keeps each one's order, not their interleaving.
  const output = message.slice(message.indexOf("last output of builder:\n")).split("\n").slice(1);
  const stdout = output.filter((l) => l !== "    npm ERR! the builder fails on purpose");
  assert.deepEqual(stdout, ["    packing greeter (e2e scenario)", "    npm ERR! code EPACK_E2E"], message);
  assert.equal(output.length, 3, "what it printed on stderr too");
  assert.ok(ended.verdict["hint"], "a hint says where the whole output is");
  const step = artifactsStep(ended.events);
  assert.equal(step["ok"], false);
  assert.equal(ended.events.filter((e) => e.type === "stage.end").at(-1)!["ok"], false);
  assert.deepEqual(await readdir(dir).then((names) => names.includes("target")), false, "no artifacts copied");
  const log = await readFile(path.join(ended.evidence, "logs", (await readdir(path.join(ended.evidence, "logs"))).find((f) => f.includes("builder"))!), "utf8");
  assert.match(log, /npm ERR! the builder fails on purpose/);
});

test("a builder that exits 0 but writes nothing: build-failed (exit 5), saying the artifacts folder is empty", async (t) => {
  const dir = await exampleCopy(t);
  await withBuildOverride(dir, "builder-writes-nothing.override.yml");
  const ended = await ciUntilBuild(dir, "build-failed");
  assert.match(String(ended.verdict["message"]), /Builder builder exited 0 but its artifacts folder \/artifacts is empty/);
  assert.equal((await readdir(dir)).includes(".slipway") && (await readdir(path.join(dir, ".slipway"))).includes("artifacts"), false, "nothing recorded");
});

test("slipway ci end to end: tests, the package built, the release image from target/ alone, acceptance against it", async (t) => {
  const dir = await exampleCopy(t);
  const run = slipway(["ci", "--json"], { cwd: dir });
  const ended = await assertRunEnded(run, { dir, kind: "passed", environment: "release", logs: true });
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  assert.equal(await leftovers(engine, ended.runId), 0, "nothing with the run's label is left on the engine");
  const stages = ended.events.filter((e) => e.type === "stage.end").map((e) => [e["stage"], e["ok"]]);
  assert.deepEqual(stages, [["test", true], ["build", true], ["release", true], ["acceptance", true]]);
  assert.ok(ended.events.some((e) => e.type === "container.log" && e["service"] === "acceptance" && e["line"] === "app answered: hello, acceptance (greeter 1.0.0)"), "acceptance asked the released app");
  const image = await engine.images.find("greeter-app:slipway");
  assert.ok(image, "the release image is tagged");
  // Its context is the package the builder made, and none of the sources.
  assert.deepEqual(await contextFiles(dir, "Dockerfile.release"), ["Dockerfile.release", "target/", "target/greeter-1.0.0.tgz"]);
});
