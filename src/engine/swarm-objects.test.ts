import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeObjectData, encodeObjectData } from "./swarm-objects.ts";

test("Data is standard padded base64 of the bytes; a string is its UTF-8", () => {
  assert.equal(encodeObjectData("pässword\n"), Buffer.from("pässword\n", "utf8").toString("base64"));
  assert.equal(encodeObjectData("ab"), "YWI=", "padded");
  // Standard alphabet ('+' and '/'), not base64url: the engine decodes Data with Go's StdEncoding.
  assert.equal(encodeObjectData(new Uint8Array([0xfb, 0xff, 0xbf])), "+/+/");
});

test("a Uint8Array view is encoded as its own bytes, not its whole buffer", () => {
  const whole = new Uint8Array([1, 2, 3, 4, 5, 6]);
  const view = whole.subarray(2, 4);
  assert.equal(encodeObjectData(view), Buffer.from([3, 4]).toString("base64"));
});

test("binary content round-trips", () => {
  const bytes = new Uint8Array(256).map((_, i) => i);
  assert.deepEqual(new Uint8Array(decodeObjectData(encodeObjectData(bytes))), bytes);
  assert.equal(decodeObjectData(undefined).length, 0);
});
