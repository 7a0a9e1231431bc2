import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { contextFilesDigest, contextHash, type ContextHashInput } from "./context-hash.ts";

const base: ContextHashInput = { context: "/x", dockerfile: "Dockerfile", args: { A: "1" }, target: "test", baseImageIds: ["sha256:b"], filesDigest: Promise.resolve("files") };

test("a setting that changes the image changes the hash; unset or empty settings leave it as it was", async () => {
  const plain = await contextHash(base);
  // The hash of a build without settings is what it was before settings were hashed, so images
  // built then are still reused: this value is what the code at 5197cfe computed for `base`.
  assert.equal(plain, "23b82b56174b2f132b4923342114da84b0f4a56d25726d523dbdcbeb03e53baf");
  assert.equal(await contextHash({ ...base, settings: { platform: undefined, labels: {}, extraHosts: [] } }), plain);
  const amd = await contextHash({ ...base, settings: { platform: "linux/amd64" } });
  const arm = await contextHash({ ...base, settings: { platform: "linux/arm64" } });
  assert.notEqual(amd, plain);
  assert.notEqual(amd, arm);
  assert.notEqual(await contextHash({ ...base, settings: { labels: { team: "a" } } }), plain);
  assert.notEqual(await contextHash({ ...base, dockerfileInline: "FROM busybox" }), plain);
  // Key order does not matter.
  assert.equal(await contextHash({ ...base, settings: { shmSize: 1, network: "host" } }), await contextHash({ ...base, settings: { network: "host", shmSize: 1 } }));
});

test("args, target, bases and files each change the hash", async () => {
  const plain = await contextHash(base);
  for (const changed of [{ args: { A: "2" } }, { target: "release" }, { baseImageIds: ["sha256:c"] }, { filesDigest: Promise.resolve("other") }]) {
    assert.notEqual(await contextHash({ ...base, ...changed }), plain, JSON.stringify(Object.keys(changed)));
  }
});

test("with Slipway's folders excluded, the hash ignores what changes in them and only that", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "ctx-hash-"));
  const write = async (name: string, content: string) => {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  };
  try {
    await write("Dockerfile", "FROM scratch\nCOPY . .\n");
    await write("src/a.ts", "a");
    const exclude = ["reports", ".slipway", "target"];
    const hash = () => contextHash({ context: dir, dockerfile: "Dockerfile", args: {}, baseImageIds: [], exclude });
    const before = await hash();
    await write("reports/test/x.xml", "<testsuite tests='41'/>");
    await write(".slipway/runs/20250101-abcd/verdict.json", "{}");
    await write(".slipway/records/runs/20250101-abcd.json", "{}");
    await write("target/app.jar", "jar");
    assert.equal(await hash(), before, "a run's reports, evidence and artifacts change nothing");
    assert.equal(await contextFilesDigest(dir, "Dockerfile", exclude), await contextFilesDigest(dir, "Dockerfile", [...exclude, "elsewhere"]));
    assert.notEqual(await contextFilesDigest(dir, "Dockerfile"), await contextFilesDigest(dir, "Dockerfile", exclude), "without exclude they are part of the context");
    await write("src/a.ts", "b");
    assert.notEqual(await hash(), before, "a source file still does");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
