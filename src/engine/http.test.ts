import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeQuery, encodeRegistryAuth } from "./http.ts";
import { splitImageRef } from "./images.ts";

test("encodeQuery skips undefined, JSON-encodes objects (filters)", () => {
  assert.equal(encodeQuery(undefined), "");
  assert.equal(encodeQuery({ a: undefined }), "");
  const q = encodeQuery({ all: true, filters: { label: ["dev.slipway.run=x"] }, t: 5 });
  const params = new URLSearchParams(q.slice(1));
  assert.equal(params.get("all"), "true");
  assert.deepEqual(JSON.parse(params.get("filters")!), { label: ["dev.slipway.run=x"] });
  assert.equal(params.get("t"), "5");
});

test("encodeQuery repeats list parameters (build tags), the engine's form", () => {
  const params = new URLSearchParams(encodeQuery({ t: ["app:1", "app:latest"] }).slice(1));
  assert.deepEqual(params.getAll("t"), ["app:1", "app:latest"]);
});

test("registry auth is base64url JSON with padding (Go's base64.URLEncoding)", () => {
  const encoded = encodeRegistryAuth({ username: "u", password: "p+/=" });
  assert.deepEqual(JSON.parse(Buffer.from(encoded, "base64url").toString()), { username: "u", password: "p+/=" });
  assert.ok(!/[+/]/.test(encoded));
  // 33 bytes of JSON need no padding, 34 and 35 need "==" and "=": Engine 20.10 ignores unpadded auth.
  for (const password of ["abcdefghijklmnopqr", "abcdefghijklmnopqrs", "abcdefghijklmnopqrst"]) {
    const text = encodeRegistryAuth({ password });
    assert.equal(text.length % 4, 0, text);
    assert.equal(text, Buffer.from(JSON.stringify({ password })).toString("base64").replace(/\+/g, "-").replace(/\//g, "_"));
  }
});

test("splitImageRef keeps registry ports out of tags", () => {
  assert.deepEqual(splitImageRef("postgres:15"), { repo: "postgres", tag: "15" });
  assert.deepEqual(splitImageRef("127.0.0.1:5002/app"), { repo: "127.0.0.1:5002/app" });
  assert.deepEqual(splitImageRef("127.0.0.1:5002/app:1.0"), { repo: "127.0.0.1:5002/app", tag: "1.0" });
  assert.deepEqual(splitImageRef("app@sha256:abc"), { repo: "app", digest: "sha256:abc" });
});
