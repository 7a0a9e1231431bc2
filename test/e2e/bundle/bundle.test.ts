/**
 * The CLI as it is published: the esbuild bundle that `npm run build` makes (every other e2e test
 * runs it in place), copied out of the source tree and run against the real engine — its deep
 * undici imports, its require() shim and its baked-in version must work with no node_modules and
 * no package.json beside it.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { isAscii } from "node:buffer";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadWorldSync } from "../../support/world.ts";
import { publishedBin, repoRoot, slipway } from "../support.ts";

const world = loadWorldSync();
let dir = "";
let bin = "";

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "slipway-bundle-"));
  await cp(path.dirname(publishedBin), path.join(dir, "bin"), { recursive: true });
  bin = path.join(dir, "bin/slipway.js");
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("the bundle knows its version without package.json beside it", async () => {
  const { version } = JSON.parse(await readFile(path.join(repoRoot, "package.json"), "utf8")) as { version: string };
  const cli = slipway(["--version"], { cwd: dir, bin });
  assert.equal(await cli.exit, 0, cli.stderr());
  assert.equal(cli.stdout().trim(), version);
});

test("V8's code cache: written to XDG_CACHE_HOME by the first command and used by the next; one written by help or the version is replaced once, by the first other command; a folder that cannot be written, or SLIPWAY_CODE_CACHE=0, changes nothing but the cache", async () => {
  const cache = await mkdtemp(path.join(tmpdir(), "slipway-code-cache-"));
  try {
    const folder = path.join(cache, "slipway", "code-cache");
    const project = path.join(dir, "code-cache-project");
    await mkdir(project, { recursive: true });
    await writeFile(path.join(project, "compose.yaml"), "services:\n  one:\n    image: busybox\n");
    const run = async (args: string[], env: Record<string, string>) => {
      const cli = slipway(args, { cwd: project, bin, env });
      assert.equal(await cli.exit, 0, cli.stderr());
      return cli.stdout();
    };
    const only = async () => {
      const written = await readdir(folder);
      assert.equal(written.length, 1, written.join(", "));
      assert.match(written[0]!, new RegExp(`^slipway-[0-9a-f]{16}-${process.version.replace(/\./g, "\\.")}-${process.arch}\\.v8$`));
      const file = path.join(folder, written[0]!);
      return { writtenBy: (await readFile(file))[0], mtimeMs: (await stat(file)).mtimeMs };
    };
    const version = await run(["--version"], { XDG_CACHE_HOME: cache });
    const byVersion = await only();
    assert.equal(byVersion.writtenBy, 1, "written by help or the version");
    await run(["compose", "up", "--help"], { XDG_CACHE_HOME: cache });
    assert.deepEqual(await only(), byVersion, "help does not replace the version's");
    const config = ["compose", "config", "--services"];
    const first = await run(config, { XDG_CACHE_HOME: cache });
    assert.equal(first.trim(), "one");
    const byCommand = await only();
    assert.equal(byCommand.writtenBy, 2, "replaced by the first command");
    assert.equal(await run(config, { XDG_CACHE_HOME: cache }), first);
    assert.equal(await run(["--version"], { XDG_CACHE_HOME: cache }), version);
    assert.deepEqual(await only(), byCommand, "accepted by V8 and not replaced: not written again");
    // A file where the folder should be: no cache, the same answer.
    const blocked = path.join(cache, "not-a-folder");
    await writeFile(blocked, "");
    assert.equal(await run(config, { XDG_CACHE_HOME: blocked }), first);
    const off = path.join(cache, "off");
    assert.equal(await run(config, { XDG_CACHE_HOME: off, SLIPWAY_CODE_CACHE: "0" }), first);
    assert.deepEqual(await readdir(off).catch(() => []), [], "nothing written when turned off");
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
});

test("start-up: the bundle is ASCII (read as Latin-1), and neither node:http2 nor node:tls is loaded before a command needs it", async () => {
  const bundle = await readFile(path.join(dir, "bin/slipway.cjs"));
  assert.ok(isAscii(bundle), "scripts/bundle.mjs writes every other character as an escape");
  const report = path.join(dir, "modules.txt");
  const preload = path.join(dir, "modules.cjs");
  await writeFile(preload, `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(report)}, process.moduleLoadList.join("\\n")));\n`);
  const cli = slipway(["--version"], { cwd: dir, bin, env: { NODE_OPTIONS: `--require ${preload}`, SLIPWAY_CODE_CACHE: "0" } });
  assert.equal(await cli.exit, 0, cli.stderr());
  const loaded = (await readFile(report, "utf8")).split("\n");
  assert.ok(loaded.includes("NativeModule http"), "the report lists what undici loads");
  for (const lazy of ["NativeModule http2", "NativeModule tls"]) assert.ok(!loaded.includes(lazy), `${lazy} loaded at start-up`);
});

test("the bundle talks to the engine: doctor, then compose up, ps and down", async () => {
  const doctor = slipway(["doctor", "--json"], { cwd: dir, bin });
  assert.equal(await doctor.exit, 0, doctor.stdout() + doctor.stderr());
  assert.equal((JSON.parse(doctor.stdout()) as { checks: { name: string; status: string }[] }).checks[0]?.status, "ok");

  const project = `bundle-${process.pid}`;
  await writeFile(path.join(dir, "compose.yaml"), 'services:\n  one:\n    image: busybox\n    command: ["sleep", "60"]\n    init: true\n');
  try {
    const up = slipway(["compose", "-p", project, "up", "--wait"], { cwd: dir, bin });
    assert.equal(await up.exit, 0, up.stderr());
    const ps = slipway(["compose", "-p", project, "ps", "--format", "json"], { cwd: dir, bin });
    assert.equal(await ps.exit, 0, ps.stderr());
    // compose v2's `ps --format json`: one object per line, with compose's field names.
    const rows = ps.stdout().trim().split("\n").map((line) => JSON.parse(line) as { Service: string; State: string });
    assert.deepEqual(rows.map((r) => [r.Service, r.State]), [["one", "running"]]);
  } finally {
    const down = slipway(["compose", "-p", project, "down", "-t", "1"], { cwd: dir, bin });
    assert.equal(await down.exit, 0, down.stderr());
  }
});

test("the bundle reaches a registry: doctor's registry check (its HTTP client loads inside the bundle)", { skip: world.skipReason("plain-registry") }, async () => {
  const { address } = world.require("plain-registry");
  const doctor = slipway(["doctor", "--registry", address], { cwd: dir, bin });
  assert.equal(await doctor.exit, 0, doctor.stdout() + doctor.stderr());
  assert.match(doctor.stdout(), new RegExp(`✔ registry +${address.replace(/\./g, "\\.")} answers at http://`));
});
