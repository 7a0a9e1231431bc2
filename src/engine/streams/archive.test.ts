import { test } from "node:test";
import assert from "node:assert/strict";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pack as tarPack, type Header } from "tar-stream";
import { ArchiveUnsafeError, extractArchive, type ExtractOptions } from "./archive.ts";
import { CancelledError, SlipwayError } from "../../errors/index.ts";

type RawEntry = Partial<Header> & { name: string; content?: string | Buffer };

/** Builds archives with tar-stream directly: tarFromEntries would refuse the hostile names. */
async function rawTar(entries: RawEntry[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const { content, ...header } of entries) {
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null): void => (error ? reject(error) : resolve());
      if ((header.type ?? "file") === "file") pack.entry({ type: "file", ...header }, content ?? "", done);
      else pack.entry(header, done);
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

async function* chunked(buffer: Buffer, size = 100): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}

interface Sandbox {
  base: string;
  parent: string;
  dest: string;
  outside: string;
  /** What the parent and the outside directory held before extraction. */
  snapshot(): Promise<string>;
}

async function sandbox(): Promise<Sandbox> {
  const base = await mkdtemp(path.join(os.tmpdir(), "slipway-archive-"));
  const parent = path.join(base, "parent");
  const outside = path.join(base, "outside");
  await mkdir(parent);
  await mkdir(outside);
  await writeFile(path.join(outside, "secret"), "do not touch");
  const snapshot = async (): Promise<string> => JSON.stringify(await tree(base));
  return { base, parent, dest: path.join(parent, "out"), outside, snapshot };
}

/** Every path under `dir` with its type and content or target: a before/after fingerprint. */
async function tree(dir: string, prefix = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    const full = path.join(dir, name);
    const key = `${prefix}${name}`;
    const stats = await lstat(full);
    if (stats.isSymbolicLink()) out[key] = `-> ${await readlink(full)}`;
    else if (stats.isDirectory()) {
      out[`${key}/`] = (stats.mode & 0o777).toString(8);
      Object.assign(out, await tree(full, `${key}/`));
    } else out[key] = `${(stats.mode & 0o777).toString(8)} ${await readFile(full, "utf8")}`;
  }
  return out;
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** Asserts the archive is refused whole, naming `entry`, and that nothing anywhere changed. */
async function assertRefused(entries: RawEntry[], entry: string, reason: RegExp, options: ExtractOptions = {}): Promise<void> {
  const box = await sandbox();
  try {
    const before = await box.snapshot();
    const archive = await rawTar(entries);
    const error = await extractArchive(chunked(archive), box.dest, options).then(
      () => assert.fail(`archive ${JSON.stringify(entries.map((e) => e.name))} should be refused`),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ArchiveUnsafeError, `expected ArchiveUnsafeError, got ${String(error)}`);
    assert.equal(error.code, "ARCHIVE_UNSAFE");
    assert.equal(error.entry, entry);
    assert.match(error.reason, reason);
    assert.match(error.message, /Nothing was extracted\.$/);
    assert.ok(error.hint);
    assert.equal(await exists(box.dest), false, "the destination was not created");
    assert.deepEqual(await readdir(box.parent), [], "no temporary directory is left behind");
    assert.equal(await box.snapshot(), before, "nothing changed next to or outside the destination");
  } finally {
    await rm(box.base, { recursive: true, force: true });
  }
}

// The escape corpus. Absolute targets point into the sandbox's own "outside" directory, never at
// the real /etc: these tests run as root on some machines.

test("refuses an absolute entry name", async () => {
  const box = await sandbox();
  await rm(box.base, { recursive: true });
  await assertRefused([{ name: "fine.txt", content: "x" }, { name: path.join(box.outside, "pwned"), content: "x" }], path.join(box.outside, "pwned"), /absolute path/);
  await assertRefused([{ name: "/etc/passwd", content: "x" }], "/etc/passwd", /absolute path/);
});

test("refuses names with '..' components, however they are nested", async () => {
  for (const name of ["../pwned", "./../pwned", "a/../../pwned", "a/b/../../../pwned", "a/b/../../..", "a/..", "ok/../../../outside/secret"]) {
    await assertRefused([{ name: "a/", type: "directory" }, { name, content: "x" }], name, /"\.\." component/);
  }
  await assertRefused([{ name: "../escape/", type: "directory" }], "../escape/", /"\.\." component/);
});

test("refuses a symlink to an absolute path", async () => {
  await assertRefused([{ name: "a", type: "symlink", linkname: "/etc" }, { name: "a/passwd", content: "x" }], "a", /absolute path "\/etc"/);
  await assertRefused([{ name: "sub/", type: "directory" }, { name: "sub/link", type: "symlink", linkname: "/" }], "sub/link", /absolute path/);
});

test("refuses a symlink whose relative target leaves the destination", async () => {
  await assertRefused([{ name: "a", type: "symlink", linkname: "../.." }, { name: "a/passwd", content: "x" }], "a", /points outside/);
  await assertRefused([{ name: "link", type: "symlink", linkname: "../outside/secret" }], "link", /points outside/);
  await assertRefused([{ name: "x/y/link", type: "symlink", linkname: "../../../outside" }], "x/y/link", /points outside/);
  await assertRefused([{ name: "x/link", type: "symlink", linkname: "inside/../../.." }], "x/link", /points outside/);
});

test("refuses a file written through a symlink, even one pointing inside", async () => {
  await assertRefused(
    [{ name: "real/", type: "directory" }, { name: "a", type: "symlink", linkname: "real" }, { name: "a/passwd", content: "x" }],
    "a/passwd",
    /through the symlink "a"/,
  );
  await assertRefused([{ name: "a", type: "symlink", linkname: "." }, { name: "a/a/a/x", content: "x" }], "a/a/a/x", /through the symlink "a"/);
  await assertRefused(
    [{ name: "d/", type: "directory" }, { name: "d/l", type: "symlink", linkname: ".." }, { name: "d/l/sub/", type: "directory" }],
    "d/l/sub/",
    /through the symlink "d\/l"/,
  );
});

test("refuses replacing a symlink by a directory or a file of the same name", async () => {
  await assertRefused([{ name: "real/", type: "directory" }, { name: "a", type: "symlink", linkname: "real" }, { name: "a/", type: "directory" }], "a/", /appears twice/);
  await assertRefused([{ name: "a", type: "symlink", linkname: "b" }, { name: "a", content: "x" }], "a", /appears twice in the archive \(first as a symlink\)/);
  await assertRefused([{ name: "f", content: "one" }, { name: "./f", content: "two" }], "./f", /appears twice/);
});

test("refuses symlinks that escape only through other symlinks, in either order", async () => {
  await assertRefused([{ name: "x", type: "symlink", linkname: "." }, { name: "y", type: "symlink", linkname: "x/.." }], "y", /through other symlinks/);
  await assertRefused([{ name: "y", type: "symlink", linkname: "x/.." }, { name: "x", type: "symlink", linkname: "." }], "y", /through other symlinks/);
  await assertRefused(
    [{ name: "sub/", type: "directory" }, { name: "sub/up", type: "symlink", linkname: ".." }, { name: "y", type: "symlink", linkname: "sub/up/../outside" }],
    "y",
    /through other symlinks/,
  );
  await assertRefused([{ name: "l1", type: "symlink", linkname: "l2" }, { name: "l2", type: "symlink", linkname: "l1" }], "l1", /loops/);
});

test("refuses hardlinks that escape or point at anything but an earlier regular file", async () => {
  const box = await sandbox();
  const secret = path.join(box.outside, "secret");
  await rm(box.base, { recursive: true });
  await assertRefused([{ name: "hl", type: "link", linkname: secret }], "hl", /absolute path/);
  await assertRefused([{ name: "hl", type: "link", linkname: "../outside/secret" }], "hl", /"\.\." component/);
  await assertRefused([{ name: "hl", type: "link", linkname: "later" }, { name: "later", content: "x" }], "hl", /not a regular file extracted earlier/);
  await assertRefused([{ name: "d/", type: "directory" }, { name: "hl", type: "link", linkname: "d" }], "hl", /not a regular file/);
  await assertRefused([{ name: "s", type: "symlink", linkname: "t" }, { name: "t", content: "x" }, { name: "hl", type: "link", linkname: "s" }], "hl", /not a regular file/);
  await assertRefused(
    [{ name: "real/", type: "directory" }, { name: "real/f", content: "x" }, { name: "a", type: "symlink", linkname: "real" }, { name: "hl", type: "link", linkname: "a/f" }],
    "hl",
    /not a regular file extracted earlier/,
  );
});

test("refuses a skipped kind of entry with a hostile name too", async () => {
  await assertRefused([{ name: "../dev/null", type: "character-device", devmajor: 1, devminor: 3 }], "../dev/null", /"\.\." component/);
});

test("refuses a file where the archive already made a directory", async () => {
  await assertRefused([{ name: "a/b", content: "x" }, { name: "a", content: "y" }], "a", /appears twice in the archive \(first as a directory\)/);
});

test("refuses an entry under a regular file", async () => {
  await assertRefused([{ name: "f", content: "x" }, { name: "f/x", content: "y" }], "f/x", /parent "f" is a file/);
});

test("refuses a bad entry that comes after many good ones, leaving nothing", async () => {
  const good: RawEntry[] = Array.from({ length: 50 }, (_, i) => ({ name: `dir${i % 5}/file${i}.txt`, content: `content ${i}` }));
  await assertRefused([...good, { name: "zz", type: "symlink", linkname: "/" }], "zz", /absolute/);
});

test("with stripComponents, judges names after stripping and refuses '..' anywhere", async () => {
  await assertRefused([{ name: "top/", type: "directory" }, { name: "top/../../x", content: "x" }], "top/../../x", /"\.\."/, { stripComponents: 1 });
  await assertRefused([{ name: "top/", type: "directory" }, { name: "top/l", type: "symlink", linkname: ".." }], "top/l", /points outside/, { stripComponents: 1 });
});

test("extracts files, directories, symlinks and hardlinks with their modes", async () => {
  const box = await sandbox();
  try {
    const mtime = new Date("2024-05-06T07:08:09Z");
    const big = Buffer.alloc(2 * 1024 * 1024 + 3, "z");
    const archive = await rawTar([
      { name: "bin/", type: "directory", mode: 0o750, mtime },
      { name: "bin/run.sh", content: "#!/bin/sh\necho hi\n", mode: 0o755, mtime },
      { name: "bin/setuid", content: "x", mode: 0o4755 },
      { name: "etc/app/secret.conf", content: "pw=1", mode: 0o600 },
      { name: "readonly/", type: "directory", mode: 0o555 },
      { name: "readonly/file", content: "inside a read-only dir", mode: 0o444 },
      { name: "empty", content: "" },
      { name: "big.bin", content: big },
      { name: "日本/é.txt", content: "ünïcode" },
      { name: "etc/current", type: "symlink", linkname: "app/secret.conf" },
      { name: "bin/up", type: "symlink", linkname: "../etc" },
      { name: "bin/run-again.sh", type: "link", linkname: "bin/run.sh" },
      { name: "dangling", type: "symlink", linkname: "not/there/yet" },
    ]);
    const result = await extractArchive(chunked(archive, 777), box.dest, { what: "files from web-1:/" });
    assert.deepEqual(result, { dest: box.dest, files: 7, directories: 5, symlinks: 3, hardlinks: 1, bytes: big.length + 54, skipped: [] });
    const got = await tree(box.dest);
    assert.equal(got["bin/"], "750");
    assert.equal(got["bin/run.sh"], "755 #!/bin/sh\necho hi\n");
    assert.equal(got["bin/setuid"], "755 x", "setuid bit dropped");
    assert.equal(got["etc/"], "755", "implicit parents get 755");
    assert.equal(got["etc/app/secret.conf"], "600 pw=1");
    assert.equal(got["readonly/"], "555");
    assert.equal(got["readonly/file"], "444 inside a read-only dir");
    assert.equal(got["empty"], "644 ");
    assert.equal(got["日本/é.txt"], "644 ünïcode");
    assert.equal(got["etc/current"], "-> app/secret.conf");
    assert.equal(got["bin/up"], "-> ../etc");
    assert.equal(got["dangling"], "-> not/there/yet");
    assert.equal(await readFile(path.join(box.dest, "bin/up/current"), "utf8"), "pw=1", "inside symlinks work");
    assert.ok((await readFile(path.join(box.dest, "big.bin"))).equals(big));
    const [a, b] = await Promise.all([stat(path.join(box.dest, "bin/run.sh")), stat(path.join(box.dest, "bin/run-again.sh"))]);
    assert.equal(a.ino, b.ino, "hardlink shares the inode");
    assert.equal(a.mtime.getTime(), mtime.getTime(), "file mtime kept");
    assert.equal((await stat(path.join(box.dest, "bin"))).mtime.getTime(), mtime.getTime(), "directory mtime kept");
    assert.equal((await stat(box.dest)).mode & 0o777, 0o755);
    assert.deepEqual(await readdir(box.parent), ["out"], "no temporary directory is left behind");
  } finally {
    await rm(box.base, { recursive: true, force: true });
  }
});

test("stripComponents 1 turns docker cp's top-level directory into the destination itself", async () => {
  const box = await sandbox();
  try {
    const archive = await rawTar([
      { name: "reports/", type: "directory", mode: 0o700 },
      { name: "reports/junit.xml", content: "<testsuite/>" },
      { name: "reports/html/index.html", content: "<html/>" },
      { name: "reports/latest.xml", type: "link", linkname: "reports/junit.xml" },
    ]);
    const result = await extractArchive(chunked(archive), box.dest, { stripComponents: 1 });
    assert.equal(result.files, 2);
    assert.equal(result.hardlinks, 1);
    assert.deepEqual(await tree(box.dest), {
      "html/": "755",
      "html/index.html": "644 <html/>",
      "junit.xml": "644 <testsuite/>",
      "latest.xml": "644 <testsuite/>",
    });
    assert.equal((await stat(box.dest)).mode & 0o777, 0o700, "the top directory's mode becomes the destination's");
  } finally {
    await rm(box.base, { recursive: true, force: true });
  }
});

test("without stripping, docker cp's top-level directory is kept", async () => {
  const box = await sandbox();
  try {
    const archive = await rawTar([{ name: "reports/", type: "directory" }, { name: "reports/junit.xml", content: "ok" }]);
    await extractArchive(chunked(archive), box.dest);
    assert.deepEqual(await tree(box.dest), { "reports/": "755", "reports/junit.xml": "644 ok" });
  } finally {
    await rm(box.base, { recursive: true, force: true });
  }
});

test("a '.' entry sets the destination's own mode", async () => {
  const box = await sandbox();
  try {
    const archive = await rawTar([{ name: "./", type: "directory", mode: 0o710 }, { name: "./a", content: "1" }]);
    await extractArchive(chunked(archive), box.dest);
    assert.equal((await stat(box.dest)).mode & 0o777, 0o710);
    assert.deepEqual(await tree(box.dest), { a: "644 1" });
  } finally {
    await rm(box.base, { recursive: true, force: true });
  }
});

test("refuses to strip the only component of a single-file archive, writing nothing", async () => {
  const box = await sandbox();
  try {
    const archive = await rawTar([{ name: "out.txt", content: "single file" }]);
    await assert.rejects(extractArchive(chunked(archive), box.dest, { stripComponents: 1 }), (e: unknown) => e instanceof SlipwayError && e.code === "ARCHIVE_NOT_DIRECTORY");
    assert.deepEqual(await readdir(box.parent), []);
    await extractArchive(chunked(archive), box.dest);
    assert.deepEqual(await tree(box.dest), { "out.txt": "644 single file" });
  } finally {
    await rm(box.base, { recursive: true, force: true });
  }
});

test("skips devices and FIFOs and reports them", async () => {
  const box = await sandbox();
  try {
    const archive = await rawTar([
      { name: "dev/", type: "directory" },
      { name: "dev/null", type: "character-device", devmajor: 1, devminor: 3 },
      { name: "dev/sda", type: "block-device", devmajor: 8, devminor: 0 },
      { name: "pipe", type: "fifo" },
      { name: "ok", content: "fine" },
    ]);
    const result = await extractArchive(chunked(archive), box.dest);
    assert.deepEqual(result.skipped, [
      { name: "dev/null", type: "character-device" },
      { name: "dev/sda", type: "block-device" },
      { name: "pipe", type: "fifo" },
    ]);
    assert.deepEqual(await tree(box.dest), { "dev/": "755", ok: "644 fine" });
  } finally {
    await rm(box.base, { recursive: true, force: true });
  }
});

test("extracts into an empty existing directory, creates a missing parent, and refuses a non-empty one", async () => {
  const box = await sandbox();
  try {
    const archive = await rawTar([{ name: "a", content: "1" }]);
    await mkdir(box.dest);
    await extractArchive(chunked(archive), box.dest);
    assert.deepEqual(await tree(box.dest), { a: "644 1" });
    await assert.rejects(extractArchive(chunked(archive), box.dest), (e: unknown) => e instanceof SlipwayError && e.code === "ARCHIVE_DEST_EXISTS");
    await writeFile(path.join(box.parent, "file"), "x");
    await assert.rejects(extractArchive(chunked(archive), path.join(box.parent, "file")), (e: unknown) => e instanceof SlipwayError && e.code === "ARCHIVE_DEST_EXISTS");
    const deep = path.join(box.parent, "new", "deeper", "out");
    await extractArchive(chunked(archive), deep);
    assert.deepEqual(await tree(deep), { a: "644 1" });
  } finally {
    await rm(box.base, { recursive: true, force: true });
  }
});

test("an empty archive gives an empty directory", async () => {
  const box = await sandbox();
  try {
    const result = await extractArchive(chunked(await rawTar([])), box.dest);
    assert.equal(result.files, 0);
    assert.deepEqual(await readdir(box.dest), []);
  } finally {
    await rm(box.base, { recursive: true, force: true });
  }
});

test("reports a corrupt or truncated archive as ARCHIVE_INVALID and writes nothing", async () => {
  const box = await sandbox();
  try {
    const archive = await rawTar([{ name: "a", content: "x".repeat(5000) }, { name: "b", content: "y" }]);
    for (const broken of [Buffer.from("this is not a tar archive at all ".repeat(40)), archive.subarray(0, 3000)]) {
      await assert.rejects(extractArchive(chunked(broken), box.dest), (e: unknown) => e instanceof SlipwayError && e.code === "ARCHIVE_INVALID" && e.kind === "engine");
      assert.deepEqual(await readdir(box.parent), []);
    }
  } finally {
    await rm(box.base, { recursive: true, force: true });
  }
});

test("passes the source's own error through and writes nothing", async () => {
  const box = await sandbox();
  try {
    const archive = await rawTar([{ name: "a", content: "x".repeat(5000) }, { name: "b", content: "y" }]);
    const failure = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield archive.subarray(0, 2048);
      throw failure;
    }
    await assert.rejects(extractArchive(failing(), box.dest), (e: unknown) => e === failure);
    assert.deepEqual(await readdir(box.parent), []);
  } finally {
    await rm(box.base, { recursive: true, force: true });
  }
});

test("a source that is never read (already cancelled, or the destination exists) is closed all the same", async () => {
  const box = await sandbox();
  try {
    const archive = await rawTar([{ name: "a", content: "x" }]);
    const tracked = () => {
      const state = { closed: false };
      const source: AsyncIterable<Uint8Array> = {
        [Symbol.asyncIterator]: () => ({
          next: async () => ({ done: false, value: archive }),
          return: async () => ((state.closed = true), { done: true, value: undefined }),
        }),
      };
      return { source, state };
    };
    const cancelled = tracked();
    await assert.rejects(extractArchive(cancelled.source, box.dest, { signal: AbortSignal.abort() }), CancelledError);
    assert.equal(cancelled.state.closed, true);
    await mkdir(box.dest);
    const occupied = tracked();
    await assert.rejects(extractArchive(occupied.source, box.dest));
    assert.equal(occupied.state.closed, true);
  } finally {
    await rm(box.base, { recursive: true, force: true });
  }
});

test("aborts while the source is stalled, closes it and writes nothing", async () => {
  const box = await sandbox();
  try {
    const archive = await rawTar([{ name: "a", content: "x".repeat(5000) }]);
    let closed = false;
    const stalled: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]() {
        let sent = false;
        return {
          next: () => {
            if (!sent) {
              sent = true;
              return Promise.resolve({ done: false, value: archive.subarray(0, 1024) });
            }
            return new Promise<IteratorResult<Uint8Array>>(() => {});
          },
          return: () => {
            closed = true;
            return Promise.resolve({ done: true, value: undefined });
          },
        };
      },
    };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(extractArchive(stalled, box.dest, { signal: controller.signal }), CancelledError);
    assert.equal(closed, true);
    assert.deepEqual(await readdir(box.parent), []);
    await assert.rejects(extractArchive(chunked(archive), box.dest, { signal: AbortSignal.abort() }), CancelledError);
    assert.deepEqual(await readdir(box.parent), []);
  } finally {
    await rm(box.base, { recursive: true, force: true });
  }
});
