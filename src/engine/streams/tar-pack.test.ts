import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { extract as tarExtract, type Header } from "tar-stream";
import { packDirectory, tarFromEntries } from "./tar-pack.ts";
import { extractArchive } from "./archive.ts";
import { CancelledError, SlipwayError } from "../../errors/index.ts";

interface Member {
  header: Header;
  content: string;
}

async function members(archive: AsyncIterable<unknown> | Buffer): Promise<Member[]> {
  const extract = tarExtract();
  const out: Member[] = [];
  const feeding = (async () => {
    try {
      if (Buffer.isBuffer(archive)) extract.end(archive);
      else {
        for await (const chunk of archive) extract.write(chunk);
        extract.end(undefined);
      }
    } catch (error) {
      extract.destroy(error as Error);
    }
  })();
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    out.push({ header: entry.header, content: Buffer.concat(chunks).toString("utf8") });
  }
  await feeding;
  return out;
}

async function* once(buffer: Buffer): AsyncGenerator<Uint8Array> {
  yield buffer;
}

test("tarFromEntries writes files with content, mode and owner, deterministically", async () => {
  const entries = [
    { name: "db_password", content: "s3cret\n", mode: 0o400, uid: 999, gid: 999 },
    { name: "conf/app.yml", content: Buffer.from("port: 80\n") },
    { name: "conf/", type: "directory" as const, mode: 0o750 },
    { name: "conf/current", type: "symlink" as const, linkname: "app.yml" },
    { name: "./empty" },
  ];
  const archive = await tarFromEntries(entries);
  assert.ok(archive.equals(await tarFromEntries(entries)), "same entries give the same bytes");
  const got = await members(archive);
  assert.deepEqual(
    got.map((m) => [m.header.name, m.header.type, m.header.mode.toString(8), m.header.uid, m.header.gid, m.header.linkname, m.content]),
    [
      ["db_password", "file", "400", 999, 999, null, "s3cret\n"],
      ["conf/app.yml", "file", "644", 0, 0, null, "port: 80\n"],
      ["conf", "directory", "750", 0, 0, null, ""],
      ["conf/current", "symlink", "644", 0, 0, "app.yml", ""],
      ["empty", "file", "644", 0, 0, null, ""],
    ],
  );
  assert.equal(got[0]?.header.mtime.getTime(), 0);
});

test("tarFromEntries refuses names and fields the engine would misplace", async () => {
  const bad: [Parameters<typeof tarFromEntries>[0][number], RegExp][] = [
    [{ name: "/etc/passwd", content: "x" }, /absolute/],
    [{ name: "../x", content: "x" }, /"\.\."/],
    [{ name: "a/../../x", content: "x" }, /"\.\."/],
    [{ name: "./", content: "x" }, /empty/],
    [{ name: "x", content: "x", mode: 0o10000 }, /mode/],
    [{ name: "x", content: "x", uid: Number("abc") }, /uid NaN/],
    [{ name: "x", content: "x", gid: -1 }, /gid -1/],
    [{ name: "l", type: "symlink" }, /without a target/],
    [{ name: "d", type: "directory", content: "x" }, /directory with content/],
  ];
  for (const [entry, reason] of bad) {
    await assert.rejects(
      tarFromEntries([entry]),
      (e: unknown) => e instanceof SlipwayError && e.code === "ARCHIVE_BAD_ENTRY" && e.kind === "config" && reason.test(e.message),
      JSON.stringify(entry),
    );
  }
});

test("tarFromEntries output extracts back to the same files", async () => {
  const base = await mkdtemp(path.join(os.tmpdir(), "slipway-pack-"));
  try {
    const archive = await tarFromEntries([
      { name: "a.txt", content: "A", mode: 0o600 },
      { name: "d/b.txt", content: "日本" },
    ]);
    await extractArchive(once(archive), path.join(base, "out"));
    assert.equal(await readFile(path.join(base, "out/a.txt"), "utf8"), "A");
    assert.equal((await lstat(path.join(base, "out/a.txt"))).mode & 0o777, 0o600);
    assert.equal(await readFile(path.join(base, "out/d/b.txt"), "utf8"), "日本");
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test("packDirectory streams a tree in sorted order, keeping symlinks as links", async () => {
  const base = await mkdtemp(path.join(os.tmpdir(), "slipway-pack-"));
  try {
    const src = path.join(base, "fixtures");
    await mkdir(path.join(src, "sub/deeper"), { recursive: true });
    await writeFile(path.join(src, "b.txt"), "bee");
    await writeFile(path.join(src, "a.sh"), "#!/bin/sh\n");
    await chmod(path.join(src, "a.sh"), 0o755);
    await writeFile(path.join(src, "sub/deeper/big.bin"), Buffer.alloc(300_000, 7));
    await symlink("../b.txt", path.join(src, "sub/link"));
    await symlink("/etc/passwd", path.join(src, "outside-link"));
    const got = await members(packDirectory(src, { prefix: "fixtures", uid: 1000, gid: 1000 }));
    assert.deepEqual(
      got.map((m) => [m.header.name, m.header.type, m.header.uid]),
      [
        ["fixtures", "directory", 1000],
        ["fixtures/a.sh", "file", 1000],
        ["fixtures/b.txt", "file", 1000],
        ["fixtures/outside-link", "symlink", 1000],
        ["fixtures/sub", "directory", 1000],
        ["fixtures/sub/deeper", "directory", 1000],
        ["fixtures/sub/deeper/big.bin", "file", 1000],
        ["fixtures/sub/link", "symlink", 1000],
      ],
    );
    assert.equal(got.find((m) => m.header.name === "fixtures/a.sh")?.header.mode, 0o755);
    assert.equal(got.find((m) => m.header.name === "fixtures/outside-link")?.header.linkname, "/etc/passwd", "not followed");
    assert.equal(got.find((m) => m.header.name === "fixtures/sub/deeper/big.bin")?.content.length, 300_000);

    await rm(path.join(src, "outside-link"));
    await extractArchive(packDirectory(src), path.join(base, "copy"));
    assert.equal(await readFile(path.join(base, "copy/sub/deeper/big.bin"), "latin1"), "\x07".repeat(300_000));
    assert.equal(await readlink(path.join(base, "copy/sub/link")), "../b.txt");
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test("packDirectory fails its stream for a missing directory, a bad prefix, or an abort", async () => {
  await assert.rejects(members(packDirectory("/does/not/exist")), /ENOENT/);
  assert.throws(() => packDirectory(os.tmpdir(), { prefix: "../up" }), (e: unknown) => e instanceof SlipwayError && e.code === "ARCHIVE_BAD_ENTRY");
  const base = await mkdtemp(path.join(os.tmpdir(), "slipway-pack-"));
  try {
    await writeFile(path.join(base, "f"), "x");
    await assert.rejects(members(packDirectory(base, { signal: AbortSignal.abort() })), CancelledError);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
