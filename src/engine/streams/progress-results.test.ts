import { test } from "node:test";
import assert from "node:assert/strict";
import { builtImageId, pushedDigest, pushedImages } from "./progress-results.ts";
import type { JsonMessage } from "./json-stream.ts";

const id = `sha256:${"b".repeat(64)}`;
const digest = (c: string): string => `sha256:${c.repeat(64)}`;

test("builtImageId takes the aux ID and ignores BuildKit's string trace aux", () => {
  const messages: JsonMessage[] = [
    { stream: "Step 1/1 : FROM alpine\n" },
    { id: "moby.buildkit.trace", aux: "CmQKR3NoYTI1Ng==" },
    { id: "moby.image.id", aux: { ID: id } },
  ];
  assert.equal(builtImageId(messages), id);
});

test("builtImageId falls back to the legacy 'Successfully built' line", () => {
  assert.equal(builtImageId([{ stream: " ---> 0123456789ab\n" }, { stream: "Successfully built 0123456789ab\n" }, { stream: "Successfully tagged web:1\n" }]), "0123456789ab");
});

test("builtImageId prefers aux over the legacy line, and is undefined for an unfinished build", () => {
  assert.equal(builtImageId([{ stream: "Successfully built 0123456789ab\n" }, { aux: { ID: id } }]), id);
  assert.equal(builtImageId([{ stream: "Step 1/2 : FROM alpine\n" }]), undefined);
  assert.equal(builtImageId([]), undefined);
});

test("pushedImages reads the aux results of every pushed tag", () => {
  const messages: JsonMessage[] = [
    { status: "The push refers to repository [r.local/web]" },
    { status: "Pushed", id: "f1b5933fe4b5", progressDetail: {} },
    { status: `1.0: digest: ${digest("1")} size: 528` },
    { progressDetail: {}, aux: { Tag: "1.0", Digest: digest("1"), Size: 528 } },
    { status: `latest: digest: ${digest("2")} size: 529` },
    { progressDetail: {}, aux: { Tag: "latest", Digest: digest("2"), Size: 529 } },
  ];
  assert.deepEqual(pushedImages(messages), [
    { tag: "1.0", digest: digest("1"), size: 528 },
    { tag: "latest", digest: digest("2"), size: 529 },
  ]);
  assert.equal(pushedDigest(messages), digest("2"));
  assert.equal(pushedDigest(messages, "1.0"), digest("1"));
  assert.equal(pushedDigest(messages, "2.0"), undefined);
});

test("pushedImages falls back to the status line when no aux was sent", () => {
  assert.deepEqual(pushedImages([{ status: `v2: digest: ${digest("c")} size: 1234\r\n` }]), [{ tag: "v2", digest: digest("c"), size: 1234 }]);
  assert.deepEqual(pushedImages([{ status: "Preparing" }]), []);
  assert.equal(pushedDigest([]), undefined);
});
