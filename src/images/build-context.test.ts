import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, mkdir, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import tar from "tar-stream";
import { ownedChunks } from "../engine/streams/byte-source.ts";
import { SlipwayError } from "../errors/index.ts";
import { contextFiles, packContext, parseDockerignore } from "./build-context.ts";
import { contextFilesDigest, contextHash } from "./context-hash.ts";

async function fixture(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "ctx-"));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

test(".dockerignore excludes, ! re-includes, Dockerfile always sent", async () => {
  const dir = await fixture({
    Dockerfile: "FROM x",
    ".dockerignore": "node_modules\n*.log\nDockerfile\nsecret/\n!secret/public.txt\n",
    "src/a.ts": "a",
    "node_modules/m/index.js": "m",
    "debug.log": "l",
    "secret/key": "k",
    "secret/public.txt": "p",
  });
  try {
    const files = await contextFiles(dir, "Dockerfile");
    assert.ok(files.includes("Dockerfile"));
    assert.ok(files.includes(".dockerignore"));
    assert.ok(files.includes("src/a.ts"));
    assert.ok(files.includes("secret/public.txt"));
    assert.ok(!files.some((f) => f.startsWith("node_modules")));
    assert.ok(!files.includes("debug.log"));
    assert.ok(!files.includes("secret/key"));
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("packContext produces a tar with the files' contents", async () => {
  const dir = await fixture({ Dockerfile: "FROM x", "app/main.js": "console.log(1)" });
  try {
    const extract = tar.extract();
    const seen = new Map<string, string>();
    const done = new Promise<void>((resolve, reject) => {
      extract.on("entry", (header, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: unknown) => chunks.push(c as Buffer));
        stream.on("end", () => {
          seen.set(header.name, Buffer.concat(chunks).toString());
          next();
        });
      });
      extract.on("finish", resolve);
      extract.on("error", reject);
    });
    Readable.from(ownedChunks(await packContext(dir))).pipe(extract);
    await done;
    assert.equal(seen.get("app/main.js"), "console.log(1)");
    assert.equal(seen.get("Dockerfile"), "FROM x");
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("a build context that does not exist is a config error naming it, not a crash", async () => {
  const missing = path.join(tmpdir(), "slipway-no-such-context");
  await assert.rejects(contextFiles(missing, "Dockerfile"), (err: Error & { code?: string; kind?: string }) => err.code === "BUILD_CONTEXT_MISSING" && err.kind === "config" && err.message.includes(missing));
});

test("the context hash sees every mode bit the tar carries (setuid too)", async () => {
  const dir = await fixture({ Dockerfile: "FROM scratch\n", "run.sh": "echo\n" });
  try {
    const hash = async () => contextHash({ context: dir, dockerfile: "Dockerfile", args: {}, baseImageIds: [], filesDigest: contextFilesDigest(dir, "Dockerfile") });
    await chmod(path.join(dir, "run.sh"), 0o755);
    const before = await hash();
    await chmod(path.join(dir, "run.sh"), 0o4755);
    assert.notEqual(await hash(), before);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("ignore files are read as the docker CLI reads them: BOM, comments in the first column only, ./ / and trailing slashes, ! with blanks, CRLF", () => {
  const text = "\ufeff# comment\r\n  # not a comment\r\n\r\n./build/\r\n/node_modules\r\n! ./dist/keep \r\na/../b\r\n**/*.log\r\n";
  assert.deepEqual(parseDockerignore(text), ["# not a comment", "build", "node_modules", "!dist/keep", "b", "**/*.log"]);
});

test("the docker CLI's rules where a generic matcher differs: regexp characters are literal, a wildcard ! opens no ignored folder, a Dockerfile in an ignored folder is sent", async () => {
  const dir = await fixture({
    "docker/Dockerfile": "FROM x",
    "docker/other": "o",
    ".dockerignore": "a+b.txt\nweird(?).txt\nsecret/\n!**/public.txt\ndocker\n",
    "a+b.txt": "",
    "aab.txt": "",
    "weird(1).txt": "",
    "secret/public.txt": "p",
  });
  try {
    assert.deepEqual(await contextFiles(dir, "docker/Dockerfile"), [".dockerignore", "aab.txt", "docker/Dockerfile"]);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("exclude leaves Slipway's folders out whatever .dockerignore says; the Dockerfile stays; folders outside the context exclude nothing", async () => {
  const dir = await fixture({
    Dockerfile: "FROM x",
    ".dockerignore": "!reports/test/x.xml\n",
    "src/a.ts": "a",
    "reports/test/x.xml": "<testsuite/>",
    "reportsX/kept.txt": "k",
    ".slipway/runs/r1/verdict.json": "{}",
    ".slipway/records/runs/r1.json": "{}",
    "target/app.jar": "jar",
    "target/docker/Dockerfile": "FROM y",
    "target/docker/extra.txt": "e",
  });
  try {
    const exclude = ["reports", "./.slipway/", "target", "../elsewhere", "."];
    assert.deepEqual(await contextFiles(dir, "Dockerfile", exclude), [".dockerignore", "Dockerfile", "reportsX/", "reportsX/kept.txt", "src/", "src/a.ts"]);
    // A Dockerfile inside an excluded folder is still sent (the build needs it), and nothing else there.
    assert.deepEqual(
      (await contextFiles(dir, "target/docker/Dockerfile", exclude)).filter((f) => f.startsWith("target")),
      ["target/", "target/docker/", "target/docker/Dockerfile"],
    );
    const packed: string[] = [];
    const extract = tar.extract();
    const done = new Promise<void>((resolve, reject) => {
      extract.on("entry", (header, stream, next) => {
        packed.push(header.name);
        stream.on("end", next);
        stream.resume();
      });
      extract.on("finish", resolve);
      extract.on("error", reject);
    });
    Readable.from(ownedChunks(await packContext(dir, "Dockerfile", undefined, exclude))).pipe(extract);
    await done;
    assert.deepEqual(packed.sort(), await contextFiles(dir, "Dockerfile", exclude), "the tar holds exactly the listed entries");
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("a large file is streamed into its entry byte for byte, between small ones read whole", async () => {
  const { randomBytes, createHash } = await import("node:crypto");
  const big = randomBytes(3 * 1024 * 1024 + 17);
  const dir = await fixture({ Dockerfile: "FROM x", "a.txt": "small before" });
  try {
    await writeFile(path.join(dir, "b.bin"), big);
    await writeFile(path.join(dir, "c.txt"), "small after");
    const extract = tar.extract();
    const seen = new Map<string, { size: number; sha: string }>();
    const done = new Promise<void>((resolve, reject) => {
      extract.on("entry", (header, stream, next) => {
        const hash = createHash("sha256");
        let size = 0;
        stream.on("data", (c: unknown) => {
          size += (c as Buffer).length;
          hash.update(c as Buffer);
        });
        stream.on("end", () => {
          seen.set(header.name, { size, sha: hash.digest("hex") });
          next();
        });
      });
      extract.on("finish", resolve);
      extract.on("error", reject);
    });
    Readable.from(ownedChunks(await packContext(dir))).pipe(extract);
    await done;
    assert.deepEqual(seen.get("b.bin"), { size: big.length, sha: createHash("sha256").update(big).digest("hex") });
    assert.equal(seen.get("c.txt")?.size, "small after".length);
    assert.deepEqual([...seen.keys()].sort(), ["Dockerfile", "a.txt", "b.bin", "c.txt"]);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("a large file that shrinks while it is being sent fails the packing with CONTEXT_CHANGED", async () => {
  const size = 600 * 1024;
  const dir = await fixture({ Dockerfile: "FROM x", "data.bin": "x".repeat(size) });
  const source = await packContext(dir);
  try {
    // Dockerfile's header and content, data.bin's header (600 KiB) and its first 512 bytes.
    assert.equal(await source.read(Buffer.alloc(2048)), 2048);
    await writeFile(path.join(dir, "data.bin"), "short");
    const failure = await (async () => {
      for await (const chunk of ownedChunks(source)) void chunk;
    })().then(
      () => assert.fail("a file cut short was sent"),
      (e: unknown) => e,
    );
    assert.ok(failure instanceof SlipwayError, String(failure));
    assert.equal(failure.code, "CONTEXT_CHANGED");
    assert.match(failure.message, new RegExp(`data\\.bin changed while the build context was being sent \\(${size} bytes became 512\\)`));
  } finally {
    await source.close();
    await rm(dir, { recursive: true, force: true });
  }
});
