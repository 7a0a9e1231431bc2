import { test } from "node:test";
import assert from "node:assert/strict";
import { secretIdOf } from "./buildkit-session.ts";
import { bytesField } from "./streams/protobuf.ts";

const frame = (message: Uint8Array, flag = 0) => {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
};

test("secretIdOf reads GetSecretRequest's ID from a gRPC frame, skipping its annotations", () => {
  const annotations = bytesField(2, Buffer.concat([bytesField(1, "k"), bytesField(2, "v")]));
  assert.equal(secretIdOf(frame(Buffer.concat([bytesField(1, "npm_token"), annotations]))), "npm_token");
  assert.equal(secretIdOf(frame(Buffer.concat([annotations, bytesField(1, "after")]))), "after");
});

test("secretIdOf: a short, compressed, truncated or malformed frame is no request", () => {
  assert.equal(secretIdOf(Buffer.from([0, 0, 0])), undefined);
  assert.equal(secretIdOf(frame(bytesField(1, "x"), 1)), undefined, "compressed: never negotiated");
  assert.equal(secretIdOf(frame(bytesField(1, "npm")).subarray(0, 7)), undefined, "shorter than its length");
  assert.equal(secretIdOf(frame(Uint8Array.from([0x0a, 0x09, 0x61]))), undefined, "a field longer than the message");
  assert.equal(secretIdOf(frame(new Uint8Array())), undefined, "no ID");
});
