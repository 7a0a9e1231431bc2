import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import type { Engine } from "../../engine/index.ts";
import { SlipwayError } from "../../errors/index.ts";
import { EventBus } from "../../events/index.ts";
import { composeCopy, containerTarget, copiesContents, cpPlan, hostTarget, parseCpArg, planMoves, resolveLocalPath } from "./cp.ts";

const refused = (code: string, pattern: RegExp) => (err: unknown) => err instanceof SlipwayError && err.code === code && pattern.test(err.message);

test("a cp argument is SERVICE:PATH or a host path, as compose v2's splitCpArg reads it", () => {
  assert.deepEqual(parseCpArg("app:/etc/hosts"), { service: "app", path: "/etc/hosts" });
  assert.deepEqual(parseCpArg("app:relative/x"), { service: "app", path: "relative/x" });
  assert.deepEqual(parseCpArg("app:/a:b"), { service: "app", path: "/a:b" });
  // An absolute host path is local, colon or not; so is an explicit relative one (`./x:y`).
  assert.deepEqual(parseCpArg("/tmp/a:b"), { local: "/tmp/a:b" });
  assert.deepEqual(parseCpArg("./file:name.txt"), { local: "./file:name.txt" });
  assert.deepEqual(parseCpArg("report.xml"), { local: "report.xml" });
  assert.deepEqual(parseCpArg("-"), { local: "-" });
  assert.deepEqual(parseCpArg("C:\\data", "win32"), { local: "C:\\data" });
  assert.deepEqual(parseCpArg("C:\\data", "linux"), { service: "C", path: "\\data" });
});

test("the direction: exactly one side names a service", () => {
  assert.deepEqual(cpPlan("app:/out", "./here"), { direction: "from", service: "app", containerPath: "/out", local: "./here" });
  assert.deepEqual(cpPlan("./here", "app:/in"), { direction: "to", service: "app", containerPath: "/in", local: "./here" });
  assert.throws(() => cpPlan("a:/x", "b:/y"), refused("USAGE", /between services is not supported/));
  assert.throws(() => cpPlan("x", "y"), refused("USAGE", /names a service/));
  assert.throws(() => cpPlan("app:", "y"), refused("USAGE", /expected SERVICE:PATH/));
});

test("SRC/. copies a folder's content; a host path keeps its trailing / or /. when made absolute", () => {
  assert.equal(copiesContents("/data/."), true);
  assert.equal(copiesContents("."), true);
  assert.equal(copiesContents("/data/.x"), false);
  assert.equal(copiesContents("/data"), false);
  assert.equal(resolveLocalPath("/w", "out"), "/w/out");
  assert.equal(resolveLocalPath("/w", "out/"), "/w/out/");
  assert.equal(resolveLocalPath("/w", "out/."), "/w/out/.");
  assert.equal(resolveLocalPath("/w", "."), "/w/.");
  assert.equal(resolveLocalPath("/w", "/abs/x"), "/abs/x");
});

test("out of a container, where the copy lands (docker cp's rules)", () => {
  const base = { srcName: "reports", destParentExists: true };
  // Into an existing folder under its own name; its content only with SRC/.
  assert.equal(hostTarget({ ...base, srcIsDir: true, contents: false, dest: "/out", destKind: "directory" }), "/out/reports");
  assert.equal(hostTarget({ ...base, srcIsDir: true, contents: true, dest: "/out", destKind: "directory" }), "/out");
  // A destination that does not exist becomes the copy.
  assert.equal(hostTarget({ ...base, srcIsDir: true, contents: false, dest: "/out/new", destKind: "missing" }), "/out/new");
  assert.equal(hostTarget({ ...base, srcIsDir: false, contents: false, dest: "/out/f.txt", destKind: "file" }), "/out/f.txt");
  assert.throws(() => hostTarget({ ...base, srcIsDir: true, contents: false, dest: "/out/f.txt", destKind: "file" }), refused("CP_DIR_TO_FILE", /Cannot copy a directory to a file/));
  assert.throws(() => hostTarget({ ...base, srcIsDir: false, contents: false, dest: "/out/nodir/", destKind: "missing" }), refused("CP_NO_DIRECTORY", /No such directory/));
  assert.throws(() => hostTarget({ ...base, destParentExists: false, srcIsDir: false, contents: false, dest: "/nope/x", destKind: "missing" }), refused("CP_NO_PARENT", /directory \/nope does not exist/));
});

test("into a container, the folder the archive is extracted in and the name of its root", () => {
  const base = { srcName: "site" };
  assert.deepEqual(containerTarget({ ...base, srcIsDir: true, contents: false, dest: "/srv", destKind: "directory" }), { dir: "/srv", name: "site" });
  assert.deepEqual(containerTarget({ ...base, srcIsDir: true, contents: true, dest: "/srv/", destKind: "directory" }), { dir: "/srv" });
  assert.deepEqual(containerTarget({ ...base, srcIsDir: true, contents: true, dest: "/srv/new", destKind: "missing" }), { dir: "/srv", name: "new" });
  assert.deepEqual(containerTarget({ ...base, srcIsDir: false, contents: false, dest: "/etc/app.conf", destKind: "file" }), { dir: "/etc", name: "app.conf" });
  assert.deepEqual(containerTarget({ ...base, srcIsDir: false, contents: false, dest: "/tmp/", destKind: "directory" }), { dir: "/tmp", name: "site" });
  assert.deepEqual(containerTarget({ ...base, srcIsDir: false, contents: false, dest: "/", destKind: "directory" }), { dir: "/", name: "site" });
  assert.throws(() => containerTarget({ ...base, srcIsDir: true, contents: false, dest: "/etc/hosts", destKind: "file" }), refused("CP_DIR_TO_FILE", /Cannot copy a directory to a file/));
  assert.throws(() => containerTarget({ ...base, srcIsDir: false, contents: false, dest: "/tmp/nodir/", destKind: "missing" }), refused("CP_NO_DIRECTORY", /No such directory/));
});

test("moving a checked copy into place merges folders, replaces files and links, never goes through a host symlink", async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), "slipway-cp-moves-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const staged = path.join(root, "staged");
  const dest = path.join(root, "dest");
  const outside = path.join(root, "outside");
  await mkdir(path.join(staged, "sub"), { recursive: true });
  await mkdir(path.join(dest, "sub"), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(staged, "new.txt"), "new");
  await writeFile(path.join(staged, "sub", "a.txt"), "staged a");
  await writeFile(path.join(staged, "link"), "a file over a link");
  await writeFile(path.join(dest, "sub", "a.txt"), "old a");
  await writeFile(path.join(dest, "sub", "keep.txt"), "kept");
  await symlink(outside, path.join(dest, "link"));

  const moves = await planMoves(staged, dest);
  assert.deepEqual(
    moves.map((m) => [path.relative(root, m.from), path.relative(root, m.to)]),
    [
      ["staged/link", "dest/link"],
      ["staged/new.txt", "dest/new.txt"],
      ["staged/sub/a.txt", "dest/sub/a.txt"],
    ],
  );

  // A folder over a symlink (or a file) is refused before anything moves: it would write through it.
  await mkdir(path.join(staged, "link2"));
  await writeFile(path.join(staged, "link2", "x"), "x");
  await symlink(outside, path.join(dest, "link2"));
  await assert.rejects(planMoves(staged, dest), refused("CP_CONFLICT", /non-directory .*link2 with a directory/));
  await rm(path.join(staged, "link2"), { recursive: true });
  await writeFile(path.join(staged, "sub2"), "file");
  await mkdir(path.join(dest, "sub2"));
  await assert.rejects(planMoves(staged, dest), refused("CP_CONFLICT", /directory .*sub2 with a non-directory/));
  assert.equal(await readFile(path.join(dest, "sub", "a.txt"), "utf8"), "old a", "nothing moved while planning");
});

/** A tar archive built by hand, names as given: what a hostile engine or container could send. */
async function hostileTar(entries: { name: string; type?: "file" | "symlink" | "directory"; linkname?: string; content?: string }[]): Promise<Buffer> {
  const { pack } = await import("tar-stream");
  const p = pack();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const header = { name: e.name, type: e.type ?? "file", ...(e.linkname ? { linkname: e.linkname } : {}) };
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if ((e.type ?? "file") === "file") p.entry(header, e.content ?? "", done);
      else p.entry(header, done);
    });
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

function engineServing(tar: Buffer, isDirectory: boolean) {
  return {
    containers: {
      list: async () => [{ Id: "c1", Names: ["/p-app-1"], Labels: { "com.docker.compose.container-number": "1", "com.docker.compose.oneoff": "False" } }],
      readArchive: async () => ({
        stat: { name: "out", size: 0, mode: isDirectory ? 0x80000000 | 0o755 : 0o644, mtime: "", linkTarget: "", isDirectory },
        tar: Readable.from([tar]),
      }),
    },
  } as unknown as Engine;
}

test("an archive naming .. or an absolute path is refused by cp, and nothing is written beside the destination", async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), "slipway-cp-hostile-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const events = new EventBus();
  for (const [entry, archive] of [
    ["out/../../escaped", await hostileTar([{ name: "out/", type: "directory" }, { name: "out/../../escaped", content: "x" }])],
    ["/tmp/escaped", await hostileTar([{ name: "/tmp/escaped", content: "x" }])],
    ["out/link/x", await hostileTar([{ name: "out/", type: "directory" }, { name: "out/link", type: "symlink", linkname: "." }, { name: "out/link/x", content: "x" }])],
  ] as const) {
    const ctx = { engine: engineServing(archive, true), events, signal: new AbortController().signal };
    await assert.rejects(composeCopy(ctx, { direction: "from", service: "app", containerPath: "/out", local: path.join(root, "dest") }, { projectName: "p" }), (err) => {
      assert.ok(err instanceof SlipwayError, String(err));
      assert.equal(err.code, "ARCHIVE_UNSAFE");
      assert.equal(err.details?.["entry"], entry);
      return true;
    });
    assert.deepEqual(await readdir(root), [], `nothing left for ${entry}`);
  }
});
