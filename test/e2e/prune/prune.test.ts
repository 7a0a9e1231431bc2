/**
 * Pruning end to end, through the published CLI: `slipway ci` with `prune: true` prunes at its end
 * (an old image of the pipeline goes, a user's look-alike stays); a rebuild's displaced image is
 * counted and removed by the next run's cleanup; `slipway clean --dry-run` lists a displaced image
 * and `slipway clean` removes it; `slipway prune --dry-run` says what stays and why.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { labelledImage } from "../../support/images.ts";
import { Label } from "../../../src/run/labels.ts";
import { assertRunEnded, type JsonEvent } from "../failures/run-assertions.ts";
import { scenario, slipway } from "../support.ts";


const cleanupImages = (events: JsonEvent[]) => events.filter((e) => e.type === "cleanup").reduce((n, e) => n + Number((e["removed"] as { images: number }).images), 0);

test("ci prunes at its end; a rebuild's displaced image is counted and removed; clean and prune --dry-run say what they would do", { timeout: 300_000 }, async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-e2e-prune-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await cp(scenario("prune"), dir, { recursive: true, filter: (src) => !src.endsWith(".test.ts") });
  const name = `e2e-prune-${randomBytes(3).toString("hex")}`;
  await writeFile(path.join(dir, "slipway.yml"), (await readFile(path.join(dir, "slipway.yml"), "utf8")).replace("name: e2e-prune", `name: ${name}`));
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
  const made: string[] = [];
  t.after(async () => {
    for (const id of made) await engine.images.remove(id, { force: true }).catch(() => undefined);
  });
  const exists = async (id: string) => (await engine.images.find(id)) !== undefined;

  // An old release image of this pipeline, and a user's own image named like the pipeline's.
  const old = await labelledImage(engine, [`${name}-app:0ld1234`], { [Label.contextHash]: randomBytes(8).toString("hex"), [Label.pipeline]: name, "org.opencontainers.image.revision": "0".repeat(40) });
  const lookalike = await labelledImage(engine, [`${name}-app:mine`], {});
  made.push(old, lookalike);

  const first = await assertRunEnded(slipway(["ci", "--json"], { cwd: dir }), { dir, kind: "passed" });
  const pruned = first.events.find((e) => e.type === "pruned");
  assert.ok(pruned, "ci pruned at its end");
  assert.ok(Number(pruned["images"]) >= 1, JSON.stringify(pruned));
  assert.equal(await exists(old), false, "the old image of the pipeline is gone");
  assert.equal(await exists(lookalike), true, "the look-alike stays");
  const testTag = `${name}-test-test:slipway`;
  const firstTest = (await engine.images.inspect(testTag)).Id;
  made.push(firstTest);
  assert.equal((await engine.images.inspect(firstTest)).Config?.Labels?.[Label.pipeline], name, "the pipeline's images carry its name");

  // A change rebuilds the test image: the first one, untagged, goes with the run's own cleanup.
  await writeFile(path.join(dir, "version.txt"), "2\n");
  const second = await assertRunEnded(slipway(["ci", "--json"], { cwd: dir }), { dir, kind: "passed" });
  const secondTest = (await engine.images.inspect(testTag)).Id;
  made.push(secondTest);
  assert.notEqual(secondTest, firstTest, "rebuilt");
  assert.ok(cleanupImages(second.events) >= 1, `the run's cleanup counts the displaced image: ${JSON.stringify(second.events.filter((e) => e.type === "cleanup"))}`);
  assert.equal(await exists(firstTest), false, "the displaced image is gone");

  // A displaced image left from before: clean --dry-run lists it, clean removes it.
  const displaced = await labelledImage(engine, [], { [Label.contextHash]: randomBytes(8).toString("hex"), [Label.pipeline]: name });
  made.push(displaced);
  const short = displaced.replace(/^sha256:/, "").slice(0, 12);
  const dry = slipway(["clean", "--dry-run"], { cwd: dir });
  assert.equal(await dry.exit, 0, dry.stderr());
  assert.match(dry.stdout(), new RegExp(`would remove \\d+ displaced images .*${short}`));
  assert.equal(await exists(displaced), true, "--dry-run removed nothing");
  const clean = slipway(["clean"], { cwd: dir });
  assert.equal(await clean.exit, 0, clean.stderr());
  assert.match(clean.stdout(), new RegExp(`removed \\d+ displaced images .*${short}`));
  assert.equal(await exists(displaced), false);

  // prune --dry-run: the newest build stays, with its reason; nothing changes.
  const plan = slipway(["prune", "--dry-run"], { cwd: dir });
  assert.equal(await plan.exit, 0, plan.stderr());
  assert.match(plan.stdout(), new RegExp(`keep +${testTag.replace(/[.]/g, "\\.")} \\(${secondTest.slice(7, 19)}\\).*: the newest build of ${testTag}`));
  assert.doesNotMatch(plan.stdout(), /mine/, "the look-alike is not even a candidate");
  assert.equal(await exists(secondTest), true);
  const json = slipway(["prune", "--dry-run", "--json"], { cwd: dir });
  assert.equal(await json.exit, 0, json.stderr());
  const report = JSON.parse(json.stdout()) as { dryRun: boolean; images: { image: { id: string }; remove: boolean }[] };
  assert.equal(report.dryRun, true);
  assert.ok(report.images.some((d) => d.image.id === secondTest && !d.remove));

  const keepNone = slipway(["prune", "--dry-run", "--keep", "0", "--json"], { cwd: dir });
  assert.equal(await keepNone.exit, 0, keepNone.stderr());
  assert.ok((JSON.parse(keepNone.stdout()) as { images: { image: { id: string }; remove: boolean }[] }).images.some((d) => d.image.id === secondTest && !d.remove), "--keep counts releases only: the newest build stays");

  const bad = slipway(["prune", "--keep", "some"], { cwd: dir });
  assert.equal(await bad.exit, 2, "a wrong --keep is a usage error");
  assert.match(bad.stderr(), /--keep/);

  // Outside a repository there is no pipeline to prune: one clear message, exit 3.
  const outside = await mkdtemp(path.join(tmpdir(), "slipway-e2e-prune-none-"));
  t.after(() => rm(outside, { recursive: true, force: true }));
  const none = slipway(["prune", "--dry-run"], { cwd: outside });
  assert.equal(await none.exit, 3, none.stdout() + none.stderr());
  assert.match(none.stderr(), /No slipway\.yml/);
  assert.doesNotMatch(none.stderr(), /^ {4}at /m, "no stack trace");
});
