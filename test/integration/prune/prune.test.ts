/**
 * `slipway prune` against the real engine: across a matrix of images (and volumes) — published, deployed on a
 * target, used by a container, made by a live run or by a dead one, displaced by a rebuild, a
 * user's own look-alike — it keeps exactly what it should and removes the rest, and `--dry-run`
 * decides the same while changing nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { holdImage, releaseHolds } from "../../../src/cleanup/holds.ts";
import { hostFacts } from "../../../src/cleanup/owner.ts";
import { prune, removeDisplacedImages } from "../../../src/cleanup/prune.ts";
import { labelledImage } from "../../support/images.ts";
import type { Engine } from "../../../src/engine/index.ts";
import { EventBus } from "../../../src/events/index.ts";
import { FileRecordStore, type DeploymentEntry, type PublishEntry } from "../../../src/history/record-store.ts";
import { bootId } from "../../../src/run/identity.ts";
import { Label, runLabels } from "../../../src/run/labels.ts";
import { testContext } from "../../support/run-context.ts";

const HEAD = randomBytes(20).toString("hex");
const OLD = randomBytes(20).toString("hex");

const exists = async (engine: Engine, id: string) => (await engine.images.find(id)) !== undefined;

test("prune keeps exactly what it should across the matrix and removes the rest; --dry-run decides the same and changes nothing", { timeout: 180_000 }, async () => {
  await using ctx = await testContext();
  const { engine } = ctx;
  const pipeline = `prune-${randomBytes(3).toString("hex")}`;
  const slipway = (more: Record<string, string> = {}) => ({ [Label.contextHash]: randomBytes(8).toString("hex"), [Label.pipeline]: pipeline, ...more });
  const revision = (commit: string) => slipway({ "org.opencontainers.image.revision": commit });
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-prune-"));
  const made: string[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const ids = {
      oldRelease: await labelledImage(engine, [`${pipeline}-app:old1234`], revision(OLD)),
      headRelease: await labelledImage(engine, [`${pipeline}-app:${HEAD.slice(0, 7)}`], revision(HEAD)),
      latest: await labelledImage(engine, [`127.0.0.1:5000/${pipeline}:latest`], revision(OLD)),
      newestBuild: await labelledImage(engine, [`${pipeline}-test-web:slipway`], slipway()),
      publishedNew: await labelledImage(engine, [`${pipeline}-app:new1234`], revision(OLD)),
      publishedOld: await labelledImage(engine, [`${pipeline}-app:pub1234`], revision(OLD)),
      deployed: await labelledImage(engine, [`${pipeline}-app:dep1234`], revision(OLD)),
      usedByContainer: await labelledImage(engine, [`${pipeline}-app:use1234`], revision(OLD)),
      liveRun: await labelledImage(engine, [], slipway()),
      otherProcessRun: await labelledImage(engine, [], slipway()),
      deadRun: await labelledImage(engine, [], slipway()),
      displaced: await labelledImage(engine, [], slipway()),
      // Another pipeline's tagged image is not this repository's to prune.
      otherPipeline: await labelledImage(engine, [`other-${pipeline}-app:abc1234`], { [Label.contextHash]: randomBytes(8).toString("hex"), [Label.pipeline]: `other-${pipeline}` }),
      // A user's own image under a name like the pipeline's, without Slipway's labels: never touched.
      lookalike: await labelledImage(engine, [`${pipeline}-app:mine`, `${pipeline}-app:other`], {}),
    };
    made.push(...Object.values(ids));
    // A user's own image built FROM one of the pipeline's: it inherits every label, and is still not Slipway's.
    await sleep(1100); // a later second than its base's: the engines' image lists count creation in seconds
    const userChild = await labelledImage(engine, [`${pipeline}-user:dev`], {}, ids.newestBuild);
    made.push(userChild);
    // An old image of the pipeline that a user's image (classic builder: a parent) was built on:
    // to go, but the engine only untags it while the child refers to it.
    const parent = await labelledImage(engine, [`${pipeline}-app:par1234`], revision(OLD));
    await sleep(1100);
    const parentsChild = await labelledImage(engine, [`${pipeline}-user:par`], {}, parent);
    made.push(parent, parentsChild);
    assert.equal((await engine.images.inspect(userChild)).Config?.Labels?.[Label.pipeline], pipeline, "the child inherited the pipeline's label");

    // Records: three publishes (keep 1 keeps only the newest); a deployment of the oldest one.
    const store = new FileRecordStore(dir);
    const publish = (runId: string, imageId: string, digest: string, at: string): PublishEntry => ({ id: `${runId}-app`, at, runId, image: "app", imageId, registry: "127.0.0.1:5000", repository: `127.0.0.1:5000/${pipeline}`, digest, tags: [runId], commit: OLD });
    await store.put("publishes", publish("r-new", ids.publishedNew, `sha256:${"1".repeat(64)}`, "2026-12-03T00:00:00.000Z"));
    await store.put("publishes", publish("r-old", ids.publishedOld, `sha256:${"2".repeat(64)}`, "2026-12-02T00:00:00.000Z"));
    await store.put("publishes", publish("r-dep", ids.deployed, `sha256:${"3".repeat(64)}`, "2026-12-01T00:00:00.000Z"));
    const deployment: DeploymentEntry = {
      id: "r-dep-staging", at: "2026-12-01T01:00:00.000Z", runId: "r-dep", target: "staging", stack: pipeline, commit: OLD, by: "ci@host", outcome: "converged", durationMs: 1,
      services: [{ service: "app", name: `${pipeline}_app`, image: `127.0.0.1:5000/${pipeline}:r-dep@sha256:${"3".repeat(64)}`, specHash: "x", change: "created" }],
    };
    await store.put("deployments", deployment);

    // A container of someone else's uses one image; a live run (this one) holds another.
    const { Id: user } = await engine.containers.create({ Image: ids.usedByContainer, Cmd: ["true"] });
    cleanups.push(() => engine.containers.remove(user, { force: true }));
    await holdImage(ctx, ids.liveRun);
    // A concurrent run of another process (alive while this test runs) holds another.
    const other = spawn("sleep", ["300"], { stdio: "ignore" });
    cleanups.push(async () => other.kill("SIGKILL"));
    const otherOwner = { runId: `test-other-${randomBytes(4).toString("hex")}`, host: hostname(), bootId: bootId(), pid: other.pid!, expires: new Date(Date.now() + 3_600_000).toISOString() };
    const { Id: otherHold } = await engine.containers.create({ Image: ids.otherProcessRun, Cmd: ["slipway-hold"], Labels: { ...runLabels(otherOwner, "ephemeral", "test"), [Label.hold]: "true" } });
    cleanups.push(() => engine.containers.remove(otherHold, { force: true }));
    // A run whose owner is gone (a pid that cannot exist) left a hold: it protects nothing.
    const dead = { runId: `test-dead-${randomBytes(4).toString("hex")}`, host: hostname(), bootId: bootId(), pid: 4_194_304 + 4242, expires: new Date(Date.now() + 3_600_000).toISOString() };
    const { Id: deadHold } = await engine.containers.create({ Image: ids.deadRun, Cmd: ["slipway-hold"], Labels: { ...runLabels(dead, "ephemeral", "test"), [Label.hold]: "true" } });
    cleanups.push(() => engine.containers.remove(deadHold, { force: true }));

    // Volumes: Slipway's anonymous one that no container uses goes; one a container uses, and a
    // named one of `compose up -d` (persistent), stay; a volume without Slipway's labels is never looked at.
    const hex = () => randomBytes(32).toString("hex");
    const volumes = { unused: hex(), used: hex(), persistent: `${pipeline}_data`, theirs: hex() };
    await engine.volumes.create({ Name: volumes.unused, Labels: ctx.labels("ephemeral") });
    await engine.volumes.create({ Name: volumes.used, Labels: ctx.labels("ephemeral") });
    await engine.volumes.create({ Name: volumes.persistent, Labels: ctx.labels("persistent") });
    await engine.volumes.create({ Name: volumes.theirs });
    for (const v of Object.values(volumes)) cleanups.push(() => engine.volumes.remove(v, { force: true }));
    const { Id: mounting } = await engine.containers.create({ Image: "busybox:latest", Cmd: ["true"], HostConfig: { Mounts: [{ Type: "volume", Source: volumes.used, Target: "/data" }] } });
    cleanups.unshift(() => engine.containers.remove(mounting, { force: true }));

    const options = { pipeline, store, commit: HEAD, keep: 1, host: hostFacts(), events: new EventBus() };
    const mine = (report: Awaited<ReturnType<typeof prune>>) => report.images.filter((d) => made.includes(d.image.id));
    const name = (id: string) => Object.entries(ids).find(([, v]) => v === id)?.[0] ?? ({ [userChild]: "userChild", [parent]: "parent", [parentsChild]: "parentsChild" }[id] ?? id);
    const expectRemoved = ["oldRelease", "parent", "publishedOld", "deadRun", "displaced"].sort();

    const dry = await prune(engine, { ...options, dryRun: true });
    assert.deepEqual(mine(dry).filter((d) => d.remove).map((d) => name(d.image.id)).sort(), expectRemoved);
    assert.deepEqual(mine(dry).filter((d) => !d.remove).map((d) => name(d.image.id)).sort(), ["deployed", "headRelease", "latest", "liveRun", "newestBuild", "otherProcessRun", "publishedNew", "usedByContainer"]);
    assert.ok(dry.runs.some((r) => r.runId === dead.runId), "the dead run is listed to be swept");
    for (const id of made) assert.ok(await exists(engine, id), `--dry-run removed nothing (${name(id)})`);
    assert.ok(await engine.containers.find(deadHold), "--dry-run swept nothing");
    const why = new Map(mine(dry).map((d) => [name(d.image.id), d.reasons]));
    assert.deepEqual(why.get("deployed"), [`deployed to staging by run r-dep (converged)`]);
    assert.deepEqual(why.get("usedByContainer"), [`used by container ${(await engine.containers.inspect(user)).Name.replace(/^\//, "")}`]);
    assert.deepEqual(why.get("liveRun"), [`made by run ${ctx.owner.runId}, which is still running`]);

    const volumeNames = (report: Awaited<ReturnType<typeof prune>>) => report.volumes.map((v) => v.name).filter((n) => Object.values(volumes).includes(n));
    assert.deepEqual(volumeNames(dry), [volumes.unused]);
    assert.ok(await engine.volumes.find(volumes.unused), "--dry-run removed no volume");

    const real = await prune(engine, options);
    assert.deepEqual(volumeNames(real), [volumes.unused]);
    assert.deepEqual(await Promise.all(Object.values(volumes).map(async (v) => (await engine.volumes.find(v)) !== undefined)), [false, true, true, true]);
    assert.deepEqual(mine(real).filter((d) => d.remove).map((d) => name(d.image.id)).sort(), expectRemoved, "the same decisions as the dry run");
    assert.deepEqual(mine(real).filter((d) => d.remove && !d.removed).map((d) => [name(d.image.id), d.failure]), [["parent", "untagged, but the engine keeps it (another image or tag refers to it)"]]);
    assert.deepEqual([(await engine.images.inspect(parent)).RepoTags ?? [], await exists(engine, parentsChild)], [[], true], "the parent untagged, kept for its child");
    for (const [key, id] of Object.entries(ids)) assert.equal(await exists(engine, id), !expectRemoved.includes(key), key);
    assert.equal(await engine.containers.find(deadHold), undefined, "the dead run's hold was swept with its run");
    assert.ok(!mine(dry).some((d) => d.image.id === userChild) && (await exists(engine, userChild)), "the user's child image is no candidate, and stays");
    const lookalike = await engine.images.inspect(ids.lookalike);
    assert.deepEqual(lookalike.RepoTags?.sort(), [`${pipeline}-app:mine`, `${pipeline}-app:other`], "the look-alike keeps its tags");

    // Once the live runs end, their images are displaced ones like any other: this one's holds
    // released, the other process killed (its hold judged by its owner's pid, as the sweep does).
    await releaseHolds(engine, ctx.owner.runId);
    other.kill("SIGKILL");
    await once(other, "exit");
    const after = await removeDisplacedImages(engine, { pipeline, keep: 0, host: hostFacts(), dryRun: true });
    assert.deepEqual(after.filter((d) => made.includes(d.image.id)).map((d) => name(d.image.id)).sort(), ["liveRun", "otherProcessRun"], "no longer held");
  } finally {
    for (const c of cleanups) await c().catch(() => undefined);
    for (const id of made) await engine.images.remove(id, { force: true }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});
