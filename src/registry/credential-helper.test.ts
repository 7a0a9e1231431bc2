import { test } from "node:test";
import assert from "node:assert/strict";
import { SlipwayError } from "../errors/index.ts";
import { CredentialHelper } from "./credential-helper.ts";
import { fakeCredentialHelper } from "./fixtures/fake-credential-helper.ts";

const SECRET = "s3cr3t-Pa55word-for-helper";

/** The secret appears in no call's arguments or environment. */
async function assertNotInCalls(calls: { argv: string[]; env: Record<string, string> }[]): Promise<void> {
  assert.ok(calls.length > 0);
  for (const call of calls) {
    assert.ok(!call.argv.join(" ").includes(SECRET), `argv ${JSON.stringify(call.argv)}`);
    assert.ok(!JSON.stringify(call.env).includes(SECRET), "env");
  }
}

test("store, get, list and erase speak the protocol to a real program; the action is its only argument", async () => {
  await using fake = await fakeCredentialHelper();
  const helper = new CredentialHelper(fake.name, { env: fake.env });
  assert.equal(helper.program, "docker-credential-slipwaytest");

  assert.equal(await helper.get("127.0.0.1:5002"), undefined, "nothing stored yet: not found is no credential");
  await helper.store("127.0.0.1:5002", { username: "alice", password: SECRET });
  assert.deepEqual(await fake.stored(), { "127.0.0.1:5002": { Username: "alice", Secret: SECRET } });
  assert.deepEqual(await helper.get("127.0.0.1:5002"), { username: "alice", password: SECRET });
  assert.deepEqual(await helper.list(), { "127.0.0.1:5002": "alice" });
  assert.equal(await helper.erase("127.0.0.1:5002"), true);
  assert.equal(await helper.erase("127.0.0.1:5002"), false, "erasing what is gone is not an error");
  assert.deepEqual(await fake.stored(), {});

  const calls = await fake.calls();
  assert.deepEqual(calls.map((c) => c.argv), [["get"], ["store"], ["get"], ["list"], ["erase"], ["erase"]]);
  await assertNotInCalls(calls);
});

test("a `<token>` user name means the secret is an identity token, both ways", async () => {
  await using fake = await fakeCredentialHelper();
  const helper = new CredentialHelper(fake.name, { env: fake.env });
  await helper.store("https://index.docker.io/v1/", { identityToken: SECRET });
  assert.deepEqual(await fake.stored(), { "https://index.docker.io/v1/": { Username: "<token>", Secret: SECRET } });
  assert.deepEqual(await helper.get("https://index.docker.io/v1/"), { identityToken: SECRET });
});

test("a missing helper is a config error naming the program and the key that named it", async () => {
  await using fake = await fakeCredentialHelper();
  const helper = new CredentialHelper("nosuchhelper", { env: fake.env, namedBy: "credsStore in /home/me/.docker/config.json" });
  await assert.rejects(helper.get("registry.example.com"), (err: SlipwayError) => {
    assert.equal(err.code, "CREDENTIAL_HELPER_MISSING");
    assert.equal(err.kind, "config");
    assert.match(err.message, /docker-credential-nosuchhelper is not installed/);
    assert.match(err.message, /credsStore in \/home\/me\/\.docker\/config\.json/);
    assert.match(err.hint ?? "", /Install docker-credential-nosuchhelper/);
    return true;
  });
});

test("a helper name with a path in it is refused before anything runs", () => {
  for (const name of ["../../bin/sh", "a/b", "", "-x"]) {
    assert.throws(() => new CredentialHelper(name, { env: {}, namedBy: "credsStore" }), (err: SlipwayError) => err.code === "CREDENTIAL_HELPER_INVALID" && err.kind === "config", name);
  }
});

test("a helper that hangs (a passphrase prompt) is stopped at the timeout with a clear error", async () => {
  await using fake = await fakeCredentialHelper({ mode: "hang" });
  const helper = new CredentialHelper(fake.name, { env: fake.env, timeoutMs: 300, namedBy: "credsStore in X" });
  // The message is the proof that the timeout stopped it (a hanging helper never answers otherwise).
  await assert.rejects(helper.get("127.0.0.1:5002"), (err: SlipwayError) => {
    assert.equal(err.code, "CREDENTIAL_HELPER_TIMEOUT");
    assert.equal(err.kind, "timeout");
    assert.match(err.message, /docker-credential-slipwaytest \(named by credsStore in X\): `get` gave no answer in 300 ms and was stopped/);
    assert.match(err.hint ?? "", /passphrase/);
    return true;
  });
});

test("an aborted signal stops the helper: cancelled", async () => {
  await using fake = await fakeCredentialHelper({ mode: "hang" });
  const controller = new AbortController();
  const helper = new CredentialHelper(fake.name, { env: fake.env, signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(helper.get("x.io"), (err: SlipwayError) => err.kind === "cancelled");
});

test("a failing helper's message is shown without the secret it was given", async () => {
  await using fake = await fakeCredentialHelper({ mode: "fail" });
  const helper = new CredentialHelper(fake.name, { env: fake.env, namedBy: "credHelpers[\"x.io\"] in C" });
  await assert.rejects(helper.store("x.io", { username: "alice", password: SECRET }), (err: SlipwayError) => {
    assert.equal(err.code, "CREDENTIAL_HELPER_FAILED");
    assert.equal(err.kind, "registry");
    assert.match(err.message, /`store` failed \(exit 2\): the keychain is broken/);
    assert.ok(!err.message.includes(SECRET), err.message);
    assert.ok(!JSON.stringify(err.toJSON()).includes(SECRET));
    return true;
  });
  await assert.rejects(helper.get("x.io"), /`get` failed \(exit 2\): the keychain is broken; it was given: x\.io/);
  await assertNotInCalls(await fake.calls());
});

test("output that is not the protocol's JSON is an error that does not repeat it", async () => {
  await using fake = await fakeCredentialHelper({ mode: "garbage" });
  const helper = new CredentialHelper(fake.name, { env: fake.env });
  await assert.rejects(helper.get("x.io"), (err: SlipwayError) => {
    assert.match(err.message, /`get` printed something that is not the JSON the protocol asks for/);
    assert.ok(!err.message.includes("not json"));
    return true;
  });
  await assert.rejects(helper.list(), /`list` printed something that is not the JSON/);
});
