import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { ownedChunks } from "../engine/streams/byte-source.ts";
import { packContext } from "./build-context.ts";
import { TAR_BLOCK, encodeHeader, paddingAfter } from "./tar-header.ts";

const run = promisify(execFile);

function field(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length).toString("utf8");
  const nul = raw.indexOf("\0");
  return nul === -1 ? raw : raw.slice(0, nul);
}

test("a USTAR header: fields in octal, a checksum over the block with its own field as spaces", () => {
  const block = encodeHeader({ name: "app/main.js", type: "file", mode: 0o100755, mtime: 1_700_000_000.9, size: 1234 });
  assert.equal(block.length, TAR_BLOCK);
  assert.equal(field(block, 0, 100), "app/main.js");
  assert.equal(field(block, 100, 8), "0000755", "permission bits only");
  assert.equal(Number.parseInt(field(block, 124, 12), 8), 1234);
  assert.equal(Number.parseInt(field(block, 136, 12), 8), 1_700_000_000);
  assert.equal(field(block, 156, 1), "0");
  assert.equal(block.subarray(257, 265).toString("latin1"), "ustar\u000000");
  const copy = Buffer.from(block);
  copy.fill(0x20, 148, 156);
  assert.equal(Number.parseInt(field(block, 148, 7), 8), copy.reduce((sum, b) => sum + b, 0));
});

test("a long ASCII name is split into prefix and name at a slash; one that cannot be split goes to a PAX record", () => {
  const deep = `${"d".repeat(90)}/${"e".repeat(90)}/file.txt`;
  const split = encodeHeader({ name: deep, type: "file", mode: 0o644, mtime: 0, size: 0 });
  assert.equal(split.length, TAR_BLOCK);
  // The prefix holds at most 155 bytes: the split is at the last slash within them.
  assert.equal(field(split, 345, 155), "d".repeat(90));
  assert.equal(field(split, 0, 100), `${"e".repeat(90)}/file.txt`);
  const unsplittable = `${"x".repeat(120)}.txt`;
  const pax = encodeHeader({ name: unsplittable, type: "file", mode: 0o644, mtime: 0, size: 0 });
  assert.equal(field(pax, 156, 1), "x");
  const records = pax.subarray(TAR_BLOCK, TAR_BLOCK + Number.parseInt(field(pax, 124, 12), 8)).toString();
  assert.equal(records, `${Buffer.byteLength(` path=${unsplittable}\n`) + 3} path=${unsplittable}\n`);
});

test("a PAX record's length counts its own digits, also when adding them makes it one digit longer", () => {
  // " path=<v>\n" of 98 bytes: 98 + 2 digits = 100, which has 3 digits: the record is 101 bytes.
  const value = "v".repeat(98 - " path=\n".length);
  const header = encodeHeader({ name: `${value}\u00e9`.slice(0, value.length), type: "file", mode: 0o644, mtime: 0, size: 0 });
  assert.equal(header.length, TAR_BLOCK, "ASCII and short enough: no PAX");
  const nonAscii = `${"v".repeat(96 - " path=\n".length)}\u00e9`; // é is 2 bytes: 98 in all
  const pax = encodeHeader({ name: nonAscii, type: "file", mode: 0o644, mtime: 0, size: 0 });
  const length = Number.parseInt(field(pax, 124, 12), 8);
  const record = pax.subarray(TAR_BLOCK, TAR_BLOCK + length).toString("utf8");
  assert.equal(length, 101);
  assert.ok(record.startsWith("101 path="), record);
  assert.equal(paddingAfter(0), 0);
  assert.equal(paddingAfter(1), 511);
  assert.equal(paddingAfter(512), 0);
});

/** Every entry under `dir`: type, mode, content (or link target). */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string) => {
    for (const name of (await readdir(path.join(dir, rel))).sort()) {
      const relPath = rel ? `${rel}/${name}` : name;
      const abs = path.join(dir, relPath);
      const stat = await lstat(abs);
      const mode = (stat.mode & 0o7777).toString(8);
      if (stat.isSymbolicLink()) out[relPath] = `link -> ${await readlink(abs)}`;
      else if (stat.isDirectory()) {
        out[`${relPath}/`] = `dir ${mode}`;
        await walk(relPath);
      } else out[relPath] = `file ${mode} ${(await readFile(abs)).toString("base64")}`;
    }
  };
  await walk("");
  return out;
}

test("GNU tar extracts the packed context exactly: long and non-ASCII names, long link targets, empty, block-sized, many small and streamed files, modes", async () => {
  const root = await mkdtemp(path.join(tmpdir(), "slipway-tar-"));
  try {
    const ctx = path.join(root, "ctx");
    const long = `${"a".repeat(60)}/${"b".repeat(60)}/${"c".repeat(60)}`;
    const files: Record<string, Buffer> = {
      Dockerfile: Buffer.from("FROM scratch\nCOPY . /\n"),
      "empty.txt": Buffer.alloc(0),
      "exactly-512.bin": randomBytes(512),
      "one-more.bin": randomBytes(513),
      [`${long}/deep.txt`]: Buffer.from("deep"),
      [`${"n".repeat(130)}.txt`]: Buffer.from("a name no split can hold"),
      "ünïcödé/名前.txt": Buffer.from("utf-8 names"),
      // Larger than what is read ahead whole: read from disk straight into the sender's buffers.
      "big/streamed.bin": randomBytes(3 * 1024 * 1024 + 17),
    };
    // More small files than are read ahead: the buffers they are read into are used again and again.
    for (let i = 0; i < 50; i++) files[`many/f${String(i).padStart(2, "0")}.bin`] = randomBytes(1 + ((i * 7919) % 200_000));
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(ctx, name)), { recursive: true });
      await writeFile(path.join(ctx, name), content);
    }
    await chmod(path.join(ctx, "one-more.bin"), 0o750);
    await symlink(`../${"t".repeat(150)}/target`, path.join(ctx, "long-link"));
    await symlink("Dockerfile", path.join(ctx, "short-link"));
    const archive = path.join(root, "context.tar");
    const source = await packContext(ctx);
    // Read slowly, in small pieces: files read ahead meanwhile must not land on what is still being read.
    async function* slowly() {
      for await (const chunk of ownedChunks(source, 4096)) {
        await new Promise((resolve) => setImmediate(resolve));
        yield chunk;
      }
    }
    try {
      await pipeline(Readable.from(slowly()), createWriteStream(archive));
    } finally {
      await source.close();
    }
    const out = path.join(root, "out");
    await mkdir(out);
    await run("tar", ["-xf", archive, "-C", out, "--no-same-owner"]);
    assert.deepEqual(await tree(out), await tree(ctx));
    // The archive ends with two zero blocks and is a whole number of blocks.
    const bytes = await readFile(archive);
    assert.equal(bytes.length % TAR_BLOCK, 0);
    assert.ok(bytes.subarray(-2 * TAR_BLOCK).every((b) => b === 0));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
