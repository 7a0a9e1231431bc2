/**
 * Archives through the real engine: what `GET /archive` sends for a real container's files is
 * extracted safely (an escaping symlink condemns the whole archive, nothing is written), and what
 * `PUT /archive` receives from tarFromEntries lands in the container byte for byte.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { lstat, readFile, readdir, readlink, stat } from "node:fs/promises";
import path from "node:path";
import type { Engine } from "../../../src/engine/index.ts";
import { ArchiveUnsafeError, extractArchive, tarFromEntries } from "../../../src/engine/streams/index.ts";
import { execIn, runToExit, tempContainer, tempDir, type TempContainer, useEngine } from "./harness.ts";

let engine: Engine;
useEngine((e) => (engine = e));

/** A stopped container holding /out (safe) and /evil (an absolute symlink escaping the copy). */
async function containerWithFiles(): Promise<TempContainer> {
  const script = [
    "set -e",
    "mkdir -p /out/sub/deeper",
    "printf 'hello\\n' > /out/a.txt",
    "printf 'nested ✓\\n' > /out/sub/b.txt",
    "head -c 300000 /dev/urandom > /out/sub/deeper/random.bin",
    "sha256sum /out/sub/deeper/random.bin | cut -d' ' -f1 > /out/random.sha256",
    "chmod 750 /out/sub",
    "chmod 4755 /out/a.txt", // setuid must not survive extraction onto the host
    "ln -s sub/b.txt /out/link",
    "ln -s deeper /out/sub/dirlink",
    "mkdir /evil",
    "printf 'fine\\n' > /evil/ok.txt",
    "ln -s /etc/passwd /evil/evil",
  ].join("\n");
  const ctr = await tempContainer(engine, { Cmd: ["sh", "-c", script] }, "archive");
  try {
    assert.equal(await runToExit(engine, ctr.id), 0);
  } catch (err) {
    await ctr[Symbol.asyncDispose]();
    throw err;
  }
  return ctr;
}

test("getArchive + extractArchive: a safe tree extracts exactly (files, subdirs, inside symlinks, modes)", async () => {
  await using ctr = await containerWithFiles();
  await using tmp = await tempDir();
  const dest = path.join(tmp.path, "copied");
  const result = await extractArchive(await engine.containers.getArchive(ctr.id, "/out"), dest, { stripComponents: 1 });

  assert.equal(result.dest, dest);
  assert.deepEqual((await readdir(dest)).sort(), ["a.txt", "link", "random.sha256", "sub"]);
  assert.equal(await readFile(path.join(dest, "a.txt"), "utf8"), "hello\n");
  assert.equal(await readFile(path.join(dest, "sub", "b.txt"), "utf8"), "nested ✓\n");
  assert.equal(await readlink(path.join(dest, "link")), "sub/b.txt");
  assert.equal(await readFile(path.join(dest, "link"), "utf8"), "nested ✓\n");
  assert.equal(await readlink(path.join(dest, "sub", "dirlink")), "deeper");
  const random = await readFile(path.join(dest, "sub", "deeper", "random.bin"));
  assert.equal(random.length, 300_000);
  const expectedSha = (await readFile(path.join(dest, "random.sha256"), "utf8")).trim();
  assert.equal(createHash("sha256").update(random).digest("hex"), expectedSha);
  assert.equal((await stat(path.join(dest, "sub"))).mode & 0o7777, 0o750);
  assert.equal((await stat(path.join(dest, "a.txt"))).mode & 0o7777, 0o755, "setuid bit dropped");
  assert.deepEqual(
    { files: result.files, symlinks: result.symlinks, skipped: result.skipped },
    { files: 4, symlinks: 2, skipped: [] },
  );
});

test("getArchive + extractArchive without stripping keeps the top directory", async () => {
  await using ctr = await containerWithFiles();
  await using tmp = await tempDir();
  const dest = path.join(tmp.path, "copied");
  await extractArchive(await engine.containers.getArchive(ctr.id, "/out/sub"), dest);
  assert.deepEqual((await readdir(dest)).sort(), ["sub"]);
  assert.deepEqual((await readdir(path.join(dest, "sub"))).sort(), ["b.txt", "deeper", "dirlink"]);
});

test("an archive holding a symlink to /etc/passwd is rejected whole with ArchiveUnsafeError and nothing is written", async () => {
  await using ctr = await containerWithFiles();
  await using tmp = await tempDir();
  const dest = path.join(tmp.path, "copied");
  const err = await extractArchive(await engine.containers.getArchive(ctr.id, "/evil"), dest, { stripComponents: 1 }).then(
    () => assert.fail("the unsafe archive was extracted"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ArchiveUnsafeError, String(err));
  assert.equal(err.code, "ARCHIVE_UNSAFE");
  assert.match(err.entry, /evil$/);
  // Not even the harmless ok.txt, and no temporary directory either.
  assert.deepEqual(await readdir(tmp.path), []);
  await assert.rejects(lstat(dest), { code: "ENOENT" });
});

test("putArchive with tarFromEntries, read back with exec", async () => {
  await using ctr = await tempContainer(engine, { Cmd: ["sleep", "300"] }, "put");
  await engine.containers.start(ctr.id);
  const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
  const tar = await tarFromEntries([
    { name: "conf", type: "directory", mode: 0o750 },
    { name: "conf/app.conf", content: "answer=42\nname=slipway ✓\n" },
    { name: "conf/run.sh", content: "#!/bin/sh\necho ran\n", mode: 0o755 },
    { name: "conf/blob.bin", content: binary },
    { name: "conf/current", type: "symlink", linkname: "app.conf" },
    { name: "owned.txt", content: "owned\n", uid: 1234, gid: 5678 },
  ]);
  await engine.containers.putArchive(ctr.id, "/tmp", tar);

  const cat = await execIn(engine, ctr.id, ["cat", "/tmp/conf/app.conf"]);
  assert.deepEqual(cat, { stdout: "answer=42\nname=slipway ✓\n", stderr: "", exitCode: 0 });
  const viaLink = await execIn(engine, ctr.id, ["cat", "/tmp/conf/current"]);
  assert.equal(viaLink.stdout, "answer=42\nname=slipway ✓\n");
  assert.deepEqual(await execIn(engine, ctr.id, ["/tmp/conf/run.sh"]), { stdout: "ran\n", stderr: "", exitCode: 0 });
  const sums = await execIn(engine, ctr.id, ["sha256sum", "/tmp/conf/blob.bin"]);
  assert.equal(sums.stdout.split(" ")[0], createHash("sha256").update(binary).digest("hex"));
  const modes = await execIn(engine, ctr.id, ["stat", "-c", "%n %a %u:%g", "/tmp/conf", "/tmp/conf/app.conf", "/tmp/owned.txt"]);
  assert.deepEqual(modes.stdout.trim().split("\n"), ["/tmp/conf 750 0:0", "/tmp/conf/app.conf 644 0:0", "/tmp/owned.txt 644 1234:5678"]);
});

test("putArchive into a path that does not exist is a 404, classified by status", async () => {
  await using ctr = await tempContainer(engine, { Cmd: ["true"] }, "put404");
  const tar = await tarFromEntries([{ name: "x.txt", content: "x" }]);
  await assert.rejects(engine.containers.putArchive(ctr.id, "/slipway/no/such/dir", tar), (e: unknown) => {
    assert.equal((e as { status?: number }).status, 404);
    return true;
  });
});

test("readArchive: the tar and what the path is, in one request; nothing there is undefined", async () => {
  await using ctr = await containerWithFiles();
  await using tmp = await tempDir();
  const dir = await engine.containers.readArchive(ctr.id, "/out/sub");
  assert.ok(dir);
  assert.equal(dir.stat.name, "sub");
  assert.equal(dir.stat.isDirectory, true);
  await extractArchive(dir.tar, path.join(tmp.path, "dir"), { stripComponents: 1 });
  assert.deepEqual((await readdir(path.join(tmp.path, "dir"))).sort(), ["b.txt", "deeper", "dirlink"]);
  const file = await engine.containers.readArchive(ctr.id, "/out/a.txt");
  assert.ok(file);
  assert.equal(file.stat.isDirectory, false);
  assert.equal(file.stat.size, 6);
  await extractArchive(file.tar, path.join(tmp.path, "file"));
  assert.equal(await readFile(path.join(tmp.path, "file/a.txt"), "utf8"), "hello\n");
  assert.equal(await engine.containers.readArchive(ctr.id, "/nothing/here"), undefined);
});
