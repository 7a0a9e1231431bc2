/**
 * `slipway init` and `slipway help config` as a new user meets them: the published bundle, copied
 * out of the source tree (no docs/, no schema source beside it), run in a copy of a repository
 * with seed 001's layout (test/fixtures/init/seed-001) and in an empty folder.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { renderPipelineDocs } from "../../../src/config/docs.ts";
import { publishedBin, repoRoot, slipway } from "../support.ts";

let root = "";
let bin = "";

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "slipway-init-"));
  await cp(path.dirname(publishedBin), path.join(root, "bin"), { recursive: true });
  bin = path.join(root, "bin/slipway.js");
});

after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

async function repository(name: string, fixture?: string): Promise<string> {
  const dir = path.join(root, name);
  if (fixture) await cp(path.join(repoRoot, "test/fixtures/init", fixture), dir, { recursive: true });
  else await cp(path.join(repoRoot, "test/fixtures/init/README.md"), path.join(dir, "README.md"));
  return dir;
}

test("`slipway help config` prints the slipway.yml reference from the bundle alone; `slipway help` lists it", async () => {
  const cwd = await repository("help");
  const config = slipway(["help", "config"], { cwd, bin });
  assert.equal(await config.exit, 0, config.stderr());
  assert.match(config.stdout(), /^## slipway\.yml\.environments$/m);
  assert.equal(config.stdout(), renderPipelineDocs());

  const help = slipway(["help"], { cwd, bin });
  assert.equal(await help.exit, 0, help.stderr());
  assert.match(help.stdout(), /slipway help config +the slipway\.yml reference/);
  const test = slipway(["help", "test"], { cwd, bin });
  assert.equal(await test.exit, 0, test.stderr());
  assert.match(test.stdout(), /^Usage: slipway test /);
});

test("`slipway init` on seed 001's layout writes a slipway.yml that `slipway doctor`'s config check passes as written", async () => {
  const cwd = await repository("seed-001", "seed-001");
  const init = slipway(["init"], { cwd, bin });
  assert.equal(await init.exit, 0, init.stderr());
  assert.match(init.stdout(), /test +docker\/dev\/docker-compose\.yml, service test, reports \/reports/);
  assert.match(init.stdout(), /release +docker\/release\/docker-compose\.yml, service acceptance/);
  assert.match(init.stdout(), /stages +build: builder writes \/wheelhouse → target; bootstrap: migrate; acceptance: acceptance$/m);
  const written = await readFile(path.join(cwd, "slipway.yml"), "utf8");
  assert.doesNotMatch(written, /docs\/config\.md/);

  // The engine checks depend on the machine; the config check does not.
  const doctor = slipway(["doctor", "--json"], { cwd, bin });
  await doctor.exit;
  const checks = (JSON.parse(doctor.stdout()) as { checks: { name: string; status: string; detail: string }[] }).checks;
  assert.deepEqual(checks.find((c) => c.name === "config"), { name: "config", status: "ok", detail: `${path.join(cwd, "slipway.yml")} is valid` });

  const again = slipway(["init"], { cwd, bin });
  assert.equal(await again.exit, 3);
  assert.match(again.stderr(), /already exists/);
  assert.match(again.stderr(), /--force/);
});

test("`slipway init` with no compose file: exit 3, and the way to the reference is a command, not a file the user lacks", async () => {
  const cwd = await repository("empty");
  const init = slipway(["init"], { cwd, bin });
  assert.equal(await init.exit, 3);
  assert.match(init.stderr(), /found no compose file/);
  assert.match(init.stderr(), /`slipway help config`/);
  assert.doesNotMatch(init.stderr(), /docs\/config\.md/);
  assert.doesNotMatch(init.stderr(), /\n\s+at /, "no stack trace");
});
