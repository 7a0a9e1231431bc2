import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeQuery } from "./http.ts";
import { logsQuery, registryAuthHeaders, serviceUpdateQuery } from "./services.ts";

test("registry auth: the X-Registry-Auth header only with credentials, base64url JSON as pushes send it", () => {
  assert.deepEqual(registryAuthHeaders(undefined), {});
  const headers = registryAuthHeaders({ username: "ci", password: "p+/?", serveraddress: "127.0.0.1:5002" });
  const value = headers["X-Registry-Auth"]!;
  assert.ok(!/[+/]/.test(value), "base64url alphabet");
  assert.equal(value.length % 4, 0, "padded, as Engine 20.10 insists");
  assert.deepEqual(JSON.parse(Buffer.from(value, "base64url").toString("utf8")), { username: "ci", password: "p+/?", serveraddress: "127.0.0.1:5002" });
});

test("update query: the version read, and rollback / registryAuthFrom only when asked", () => {
  assert.equal(encodeQuery(serviceUpdateQuery(42)), "?version=42");
  const params = new URLSearchParams(encodeQuery(serviceUpdateQuery(7, { rollback: "previous", registryAuthFrom: "previous-spec" })).slice(1));
  assert.deepEqual(Object.fromEntries(params), { version: "7", rollback: "previous", registryAuthFrom: "previous-spec" });
});

test("logs query: stdout and stderr by default (the engine's default is neither), the rest as asked", () => {
  assert.deepEqual(Object.fromEntries(new URLSearchParams(encodeQuery(logsQuery({})).slice(1))), {
    follow: "false",
    stdout: "true",
    stderr: "true",
    timestamps: "false",
    details: "false",
  });
  const params = new URLSearchParams(encodeQuery(logsQuery({ tail: 20, timestamps: true, follow: true, stderr: false, since: 1700000000 })).slice(1));
  assert.equal(params.get("tail"), "20");
  assert.equal(params.get("timestamps"), "true");
  assert.equal(params.get("follow"), "true");
  assert.equal(params.get("stderr"), "false");
  assert.equal(params.get("since"), "1700000000");
});
