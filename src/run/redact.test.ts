import { test } from "node:test";
import assert from "node:assert/strict";
import { Redactor, looksSecret } from "./redact.ts";

test("names that look secret", () => {
  for (const n of ["POSTGRES_PASSWORD", "GITHUB_TOKEN", "api_key", "AWS_SECRET_ACCESS_KEY", "DB_PASSWD"]) assert.ok(looksSecret(n), n);
  for (const n of ["PATH", "HOME", "NODE_ENV", "PORT"]) assert.ok(!looksSecret(n), n);
});

test("secret values are replaced wherever they occur, longest first", () => {
  const r = new Redactor();
  r.addEnvironment({ POSTGRES_PASSWORD: "hunter2-long", PORT: "5432" });
  r.add("hunter2-long-and-more");
  assert.equal(r.redact("connect postgres://u:hunter2-long@db:5432 / hunter2-long-and-more"), "connect postgres://u:***@db:5432 / ***");
  assert.equal(r.redact("port 5432"), "port 5432");
});

test("structured values: env entries and secret-looking keys", () => {
  const r = new Redactor();
  r.add("s3cr3t-value");
  const out = r.redactValue({ Config: { Env: ["API_TOKEN=abc123", "PORT=80", "NOTE=has s3cr3t-value inside"] }, password: "whatever", nested: [{ msg: "s3cr3t-value" }] });
  assert.deepEqual(out, { Config: { Env: ["API_TOKEN=***", "PORT=80", "NOTE=has *** inside"] }, password: "***", nested: [{ msg: "***" }] });
});

test("short values are not redacted (they would blank out ordinary text)", () => {
  const r = new Redactor();
  r.add("ab");
  assert.equal(r.redact("abc"), "abc");
});

test("a short secret is replaced where it stands alone, not inside ordinary words", () => {
  const r = new Redactor();
  r.addEnvironment({ POSTGRES_PASSWORD: "todo" });
  assert.equal(r.redact("project todobackend, url postgres://todo:todo@db/todobackend, PASSWORD=todo."), "project todobackend, url postgres://***:***@db/todobackend, PASSWORD=***.");
});

test("regex metacharacters in secrets are literal", () => {
  const r = new Redactor();
  r.add("a.b*c");
  assert.equal(r.redact("x a.b*c y aXbbc"), "x *** y aXbbc");
});

test("overlapping secrets: the union of their occurrences is replaced, no piece of either shows", () => {
  const r = new Redactor();
  r.add("abcd1234");
  r.add("1234wxyz5678");
  assert.equal(r.redact("x abcd1234wxyz5678 y"), "x *** y");
  assert.equal(r.redact("abcd1234 and 1234wxyz5678"), "*** and ***");
});

test("a multi-line secret is redacted line by line too (output is redacted a line at a time)", () => {
  const r = new Redactor();
  r.add("-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----\n");
  assert.equal(r.redact("key line: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"), "key line: ***");
});
