import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { SlipwayError } from "../errors/index.ts";
import { encodeAuth } from "./docker-config.ts";
import { engineAuth, findCredential, login, logout } from "./credentials.ts";
import { fakeCredentialHelper, type FakeCredentialHelper } from "./fixtures/fake-credential-helper.ts";

const SECRET = "hunter2-is-not-a-password";
const REG = "127.0.0.1:5002";

interface World extends AsyncDisposable {
  configDir: string;
  file: string;
  helper: FakeCredentialHelper;
  env: Record<string, string>;
  writeConfig(data: unknown): Promise<void>;
  readConfig(): Promise<Record<string, unknown>>;
}

/** A scratch docker config folder and a fake helper first on PATH; process.env untouched. */
async function world(): Promise<World> {
  const configDir = await mkdtemp(path.join(tmpdir(), "slipway-creds-"));
  const helper = await fakeCredentialHelper();
  const file = path.join(configDir, "config.json");
  return {
    configDir,
    file,
    helper,
    env: { ...helper.env },
    writeConfig: (data) => writeFile(file, JSON.stringify(data)),
    readConfig: async () => JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>,
    [Symbol.asyncDispose]: async () => {
      await helper[Symbol.asyncDispose]();
      await rm(configDir, { recursive: true, force: true });
    },
  };
}

async function noSecretInCalls(w: World): Promise<void> {
  for (const call of await w.helper.calls()) {
    assert.ok(!call.argv.join(" ").includes(SECRET), "argv");
    assert.ok(!JSON.stringify(call.env).includes(SECRET), "env");
  }
}

test("slipway.yml's variables come first when both are set; the source names them, not their values", async () => {
  await using w = await world();
  await w.writeConfig({ auths: { [REG]: { auth: encodeAuth("file-user", "file-pass") } } });
  const cred = await findCredential(REG, { env: { ...w.env, REG_USER: "ci", REG_PASSWORD: SECRET }, usernameEnv: "REG_USER", passwordEnv: "REG_PASSWORD", configDir: w.configDir });
  assert.deepEqual(cred, { username: "ci", password: SECRET, source: "environment REG_USER / REG_PASSWORD" });
  assert.ok(!cred.source.includes(SECRET));
});

test("one of the two variables set and not the other is a config error that says which", async () => {
  await using w = await world();
  const cases: [Record<string, string>, { usernameEnv?: string; passwordEnv?: string }, RegExp][] = [
    [{ REG_USER: "ci" }, { usernameEnv: "REG_USER", passwordEnv: "REG_PASSWORD" }, /REG_PASSWORD \(registry\.password_env\) is not set, while REG_USER is/],
    [{ REG_PASSWORD: SECRET }, { usernameEnv: "REG_USER", passwordEnv: "REG_PASSWORD" }, /REG_USER \(registry\.username_env\) is not set, while REG_PASSWORD is/],
    [{ REG_USER: "ci", REG_PASSWORD: "" }, { usernameEnv: "REG_USER", passwordEnv: "REG_PASSWORD" }, /REG_PASSWORD \(registry\.password_env\) is not set/],
    [{ REG_USER: "ci" }, { usernameEnv: "REG_USER" }, /registry\.username_env is set but registry\.password_env is not in slipway\.yml/],
    [{ REG_PASSWORD: SECRET }, { passwordEnv: "REG_PASSWORD" }, /registry\.password_env is set but registry\.username_env is not in slipway\.yml/],
  ];
  for (const [vars, names, message] of cases) {
    await assert.rejects(findCredential(REG, { env: { ...w.env, ...vars }, ...names, configDir: w.configDir }), (err: SlipwayError) => {
      assert.equal(err.code, "REGISTRY_CREDENTIALS_INCOMPLETE");
      assert.equal(err.exitCode, 3);
      assert.match(err.message, message);
      assert.ok(!err.message.includes(SECRET) && !(err.hint ?? "").includes(SECRET));
      return true;
    });
  }
});

test("neither variable set: the docker config decides (a developer's `docker login`, CI's variables)", async () => {
  await using w = await world();
  await w.writeConfig({ auths: { [REG]: { auth: encodeAuth("dev", SECRET) } } });
  const cred = await findCredential(REG, { env: w.env, usernameEnv: "REG_USER", passwordEnv: "REG_PASSWORD", configDir: w.configDir });
  assert.deepEqual(cred, { username: "dev", password: SECRET, source: `docker config ${w.file} (auths "${REG}")` });
});

test("DOCKER_CONFIG from the environment is where the config is read", async () => {
  await using w = await world();
  await w.writeConfig({ auths: { [REG]: { auth: encodeAuth("dev", SECRET) } } });
  assert.equal((await findCredential(REG, { env: { ...w.env, DOCKER_CONFIG: w.configDir } })).username, "dev");
  assert.deepEqual(await findCredential(REG, { env: w.env }), { source: "none" }, "HOME/.docker of the fake's scratch HOME has nothing");
});

test("auths: `auth`, `identitytoken`, and keys written with a scheme or path", async () => {
  await using w = await world();
  await w.writeConfig({
    auths: {
      "https://legacy.example.com/v1/": { auth: encodeAuth("old", SECRET) },
      "tok.example.com": { identitytoken: SECRET },
      "https://index.docker.io/v1/": { auth: encodeAuth("hubuser", SECRET) },
      "empty.example.com": {},
    },
  });
  const find = (r: string) => findCredential(r, { env: w.env, configDir: w.configDir });
  assert.deepEqual(await find("legacy.example.com"), { username: "old", password: SECRET, source: `docker config ${w.file} (auths "https://legacy.example.com/v1/")` });
  assert.deepEqual(await find("tok.example.com"), { identityToken: SECRET, source: `docker config ${w.file} (auths "tok.example.com")` });
  for (const hub of ["docker.io", "index.docker.io", "registry-1.docker.io"]) assert.equal((await find(hub)).username, "hubuser");
  assert.deepEqual(await find("empty.example.com"), { source: "none" }, "an empty entry (a helper's login) holds no credential");
  assert.deepEqual(await find("other.example.com"), { source: "none" });
});

test("credHelpers for the registry, then credsStore, then auths; each helper's 'not found' falls through", async () => {
  await using w = await world();
  await using other = await fakeCredentialHelper({ name: "slipwayother" });
  const env = { ...w.env, PATH: `${other.dir}${path.delimiter}${w.env["PATH"]}` };
  await w.writeConfig({ credsStore: "slipwayother", credHelpers: { [REG]: "slipwaytest" }, auths: { [REG]: { auth: encodeAuth("file", "file-pass") }, "x.io": { auth: encodeAuth("fx", "fxp") } } });
  const find = (r: string) => findCredential(r, { env, configDir: w.configDir });

  assert.deepEqual(await find(REG), { username: "file", password: "file-pass", source: `docker config ${w.file} (auths "${REG}")` });
  await other.seed({ [REG]: { Username: "store", Secret: "store-pass" } });
  assert.deepEqual(await find(REG), { username: "store", password: "store-pass", source: `credential helper docker-credential-slipwayother (credsStore in ${w.file})` });
  await w.helper.seed({ [REG]: { Username: "own", Secret: SECRET } });
  assert.deepEqual(await find(REG), { username: "own", password: SECRET, source: `credential helper docker-credential-slipwaytest (credHelpers["${REG}"] in ${w.file})` });
  assert.deepEqual((await w.helper.calls()).map((c) => c.argv), [["get"], ["get"], ["get"]]);
  assert.equal((await find("x.io")).username, "fx", "credHelpers is only for its own registry; credsStore has nothing for x.io");
  await noSecretInCalls(w);
});

test("a credsStore helper that is not installed is an error naming it and credsStore", async () => {
  await using w = await world();
  await w.writeConfig({ credsStore: "desktop" });
  await assert.rejects(findCredential(REG, { env: w.env, configDir: w.configDir }), (err: SlipwayError) => {
    assert.equal(err.code, "CREDENTIAL_HELPER_MISSING");
    assert.match(err.message, new RegExp(`docker-credential-desktop is not installed \\(not found on PATH\\) \\(named by credsStore in ${w.file.replace(/[.]/g, "\\.")}\\)`));
    return true;
  });
});

test("login without a helper writes `auths` as docker login does (0600, base64 user:password); logout removes it and its older forms", async () => {
  await using w = await world();
  await w.writeConfig({ auths: { [`https://${REG}`]: { auth: encodeAuth("old", "old") }, "keep.io": { auth: encodeAuth("k", "k") } }, psFormat: "x" });
  const result = await login(REG, { username: "alice", password: SECRET }, { env: w.env, configDir: w.configDir });
  assert.deepEqual(result, { key: REG, file: w.file, storedIn: w.file });
  const config = await w.readConfig();
  assert.deepEqual(config["auths"], { [`https://${REG}`]: { auth: encodeAuth("old", "old") }, "keep.io": { auth: encodeAuth("k", "k") }, [REG]: { auth: encodeAuth("alice", SECRET) } });
  assert.equal(config["psFormat"], "x");
  assert.equal((await findCredential(REG, { env: w.env, configDir: w.configDir })).username, "alice");

  const out = await logout(REG, { env: w.env, configDir: w.configDir });
  assert.deepEqual(out, { key: REG, file: w.file, removed: [`${w.file} (auths "https://${REG}", "${REG}")`] });
  assert.deepEqual((await w.readConfig())["auths"], { "keep.io": { auth: encodeAuth("k", "k") } });
  assert.deepEqual(await findCredential(REG, { env: w.env, configDir: w.configDir }), { source: "none" });
  assert.deepEqual((await logout(REG, { env: w.env, configDir: w.configDir })).removed, [], "logging out twice: nothing to remove");
});

test("login to a new config writes a 0600 file; Docker Hub's key is the v1 index URL", async () => {
  await using w = await world();
  const result = await login("docker.io", { username: "hubuser", password: SECRET }, { env: w.env, configDir: w.configDir });
  assert.equal(result.key, "https://index.docker.io/v1/");
  assert.equal((await stat(w.file)).mode & 0o777, 0o600);
  assert.deepEqual(await w.readConfig(), { auths: { "https://index.docker.io/v1/": { auth: encodeAuth("hubuser", SECRET) } } });
});

test("with a credsStore, login stores through the helper and leaves only an empty `auths` entry; logout erases both", async () => {
  await using w = await world();
  await w.writeConfig({ credsStore: "slipwaytest" });
  const result = await login(REG, { username: "alice", password: SECRET }, { env: w.env, configDir: w.configDir });
  assert.deepEqual(result, { key: REG, file: w.file, helper: "docker-credential-slipwaytest", storedIn: "credential helper docker-credential-slipwaytest" });
  assert.deepEqual(await w.helper.stored(), { [REG]: { Username: "alice", Secret: SECRET } });
  const text = await readFile(w.file, "utf8");
  assert.ok(!text.includes(SECRET) && !text.includes(Buffer.from(SECRET).toString("base64").slice(0, 12)), "the secret is not in config.json");
  assert.deepEqual(JSON.parse(text), { credsStore: "slipwaytest", auths: { [REG]: {} } });
  assert.equal((await findCredential(REG, { env: w.env, configDir: w.configDir })).password, SECRET);

  const out = await logout(REG, { env: w.env, configDir: w.configDir });
  assert.deepEqual(out.removed, [`credential helper docker-credential-slipwaytest (${REG})`, `${w.file} (auths "${REG}")`]);
  assert.deepEqual(await w.helper.stored(), {});
  assert.deepEqual(await w.readConfig(), { credsStore: "slipwaytest", auths: {} });
  await noSecretInCalls(w);
});

test("a registry's own credHelpers entry wins over credsStore for login", async () => {
  await using w = await world();
  await w.writeConfig({ credsStore: "desktop-not-installed", credHelpers: { [REG]: "slipwaytest" } });
  const result = await login(REG, { username: "alice", password: SECRET }, { env: w.env, configDir: w.configDir });
  assert.equal(result.helper, "docker-credential-slipwaytest");
  assert.deepEqual(await w.helper.stored(), { [REG]: { Username: "alice", Secret: SECRET } });
  await noSecretInCalls(w);
});

test("engineAuth: the X-Registry-Auth the docker CLI sends", () => {
  assert.deepEqual(engineAuth({ username: "u", password: "p", source: "s" }, REG), { username: "u", password: "p", serveraddress: REG });
  assert.deepEqual(engineAuth({ username: "u", password: "p", source: "s" }, "docker.io"), { username: "u", password: "p", serveraddress: "https://index.docker.io/v1/" });
  assert.deepEqual(engineAuth({ identityToken: "t", username: "u", source: "s" }, "ghcr.io"), { identitytoken: "t", serveraddress: "ghcr.io" });
  assert.deepEqual(engineAuth({ source: "none" }, REG), {});
});
