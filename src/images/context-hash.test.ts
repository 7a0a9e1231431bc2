import { test } from "node:test";
import assert from "node:assert/strict";
import { contextHash, type ContextHashInput } from "./context-hash.ts";

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
