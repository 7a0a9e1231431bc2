import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, mkdir, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import tar from "tar-stream";
import { contextFiles, packContext } from "./build-context.ts";
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
    (await packContext(dir)).pipe(extract);
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
