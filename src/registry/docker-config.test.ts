import { test } from "node:test";
import assert from "node:assert/strict";
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { SlipwayError } from "../errors/index.ts";
import {
  authKeysFor,
  configuredHelper,
  decodeAuthEntry,
  dockerConfigFile,
  encodeAuth,
  findAuthEntry,
  readDockerConfig,
  withAuthEntry,
  withoutAuthEntries,
  writeDockerConfig,
} from "./docker-config.ts";
import { DOCKER_HUB_KEY } from "./reference.ts";

async function scratch(): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-docker-config-"));
  return { dir, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

test("the file is found as the docker CLI finds it: --config, else DOCKER_CONFIG, else HOME/.docker", () => {
  assert.equal(dockerConfigFile({ env: { HOME: "/home/me" } }), "/home/me/.docker/config.json");
  assert.equal(dockerConfigFile({ env: { HOME: "/home/me", DOCKER_CONFIG: "/etc/dc" } }), "/etc/dc/config.json");
  assert.equal(dockerConfigFile({ env: { HOME: "/home/me", DOCKER_CONFIG: "" } }), "/home/me/.docker/config.json");
  assert.equal(dockerConfigFile({ env: { DOCKER_CONFIG: "/etc/dc" }, configDir: "/x" }), "/x/config.json");
});

test("a missing or empty file is an empty config; invalid JSON is a config error naming the file, never its content", async () => {
  await using s = await scratch();
  assert.deepEqual(await readDockerConfig({ env: {}, configDir: s.dir }), { file: path.join(s.dir, "config.json"), exists: false, data: {} });
  await writeFile(path.join(s.dir, "config.json"), "  \n");
  assert.deepEqual((await readDockerConfig({ env: {}, configDir: s.dir })).data, {});

  for (const [text, detail] of [
    ['{"auths": {"x": {"auth": "c2VjcmV0OmFiYw=="}} oops', /line 1, column/],
    ['{"auths": c2VjcmV0OmFiYw==}', /unexpected content/],
    ['{"auths": {"x": {"auth": "c2VjcmV0OmFiYw=="}}', /line 1/],
    ["[1]", /is not a JSON object/],
    ['{"auths": []}', /`auths` is not an object/],
    ['{"auths": {"x": "y"}}', /`auths` entry "x" is not an object/],
    ['{"auths": {"x": {"auth": 1}}}', /`auth` of `auths` entry "x" is not a string/],
    ['{"credsStore": 1}', /`credsStore` is not a string/],
    ['{"credHelpers": {"x": 1}}', /`credHelpers` entry "x" is not a string/],
  ] as const) {
    await writeFile(path.join(s.dir, "config.json"), text);
    await assert.rejects(readDockerConfig({ env: {}, configDir: s.dir }), (err: SlipwayError) => {
      assert.equal(err.code, "DOCKER_CONFIG_INVALID");
      assert.equal(err.kind, "config");
      assert.ok(err.message.startsWith(`${path.join(s.dir, "config.json")}: `), err.message);
      assert.match(err.message, detail, text);
      assert.ok(!err.message.includes("c2VjcmV0"), `the file's content is not repeated: ${err.message}`);
      return true;
    }, text);
  }
});

test("auths lookup matches the CLI's: the exact key, then keys with a scheme or path for the same host; Docker Hub only exactly", () => {
  const config = {
    file: "/c.json",
    exists: true,
    data: {
      auths: {
        "https://a.example.com/v1/": { auth: encodeAuth("a", "pa") },
        "http://b.example.com": { auth: encodeAuth("b", "pb") },
        "b.example.com": { auth: encodeAuth("b2", "pb2") },
        "127.0.0.1:5002": { identitytoken: "tok" },
        "index.docker.io": { auth: encodeAuth("h", "ph") },
      },
    },
  };
  assert.equal(findAuthEntry(config, "a.example.com")?.key, "https://a.example.com/v1/");
  assert.equal(findAuthEntry(config, "b.example.com")?.key, "b.example.com", "the exact key wins");
  assert.equal(findAuthEntry(config, "127.0.0.1:5002")?.key, "127.0.0.1:5002");
  assert.equal(findAuthEntry(config, "c.example.com"), undefined);
  assert.equal(findAuthEntry(config, DOCKER_HUB_KEY), undefined, "Docker Hub is `https://index.docker.io/v1/` exactly, as in the CLI");
  assert.deepEqual(authKeysFor(config, "b.example.com"), ["http://b.example.com", "b.example.com"]);
  assert.deepEqual(decodeAuthEntry(config, "x", config.data.auths["https://a.example.com/v1/"]), { username: "a", password: "pa" });
  assert.deepEqual(decodeAuthEntry(config, "x", config.data.auths["127.0.0.1:5002"]), { identityToken: "tok" });
});

test("auth decodes as docker's decodeAuth: password may hold colons, NULs trimmed; a broken one is an error naming only the key", () => {
  const config = { file: "/c.json", exists: true, data: {} };
  assert.deepEqual(decodeAuthEntry(config, "k", { auth: encodeAuth("u", "p:a:ss") }), { username: "u", password: "p:a:ss" });
  assert.deepEqual(decodeAuthEntry(config, "k", { auth: Buffer.from("u:pw\0\0").toString("base64") }), { username: "u", password: "pw" });
  assert.deepEqual(decodeAuthEntry(config, "k", { username: "u", password: "p" }), { username: "u", password: "p" });
  for (const auth of ["not base64!", Buffer.from("nocolon").toString("base64"), Buffer.from(":empty-user").toString("base64")]) {
    assert.throws(() => decodeAuthEntry(config, "reg.io", { auth }), (err: SlipwayError) => {
      assert.equal(err.kind, "config");
      assert.match(err.message, /^\/c\.json: `auth` of `auths` entry "reg\.io" is not base64 of user:password$/);
      return true;
    });
  }
});

test("configuredHelper: the registry's own credHelpers entry (exact key), else credsStore", () => {
  const config = { file: "/c.json", exists: true, data: { credsStore: "desktop", credHelpers: { "gcr.io": "gcloud" } } };
  assert.deepEqual(configuredHelper(config, "gcr.io"), { helper: "gcloud", configKey: 'credHelpers["gcr.io"]' });
  assert.deepEqual(configuredHelper(config, "other.io"), { helper: "desktop", configKey: "credsStore" });
  assert.equal(configuredHelper({ ...config, data: {} }, "gcr.io"), undefined);
});

test("a write keeps every other key and the file's mode, goes through a rename, and a new file is 0600 in a 0700 folder", async () => {
  await using s = await scratch();
  const dir = path.join(s.dir, "new", ".docker");
  const fresh = await readDockerConfig({ env: {}, configDir: dir });
  await writeDockerConfig(fresh, withAuthEntry(fresh.data, "reg.io", { auth: encodeAuth("u", "p") }));
  assert.equal((await stat(fresh.file)).mode & 0o777, 0o600);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  assert.deepEqual(JSON.parse(await readFile(fresh.file, "utf8")), { auths: { "reg.io": { auth: encodeAuth("u", "p") } } });

  const file = path.join(s.dir, "config.json");
  const original = { psFormat: "table {{.ID}}", auths: { "other.io": { auth: encodeAuth("o", "q"), email: "o@x" } }, credHelpers: { "gcr.io": "gcloud" }, experimental: "enabled", proxies: { default: { httpProxy: "http://p:3128" } } };
  await writeFile(file, JSON.stringify(original), { mode: 0o640 });
  const config = await readDockerConfig({ env: {}, configDir: s.dir });
  await writeDockerConfig(config, withAuthEntry(config.data, "reg.io", { auth: encodeAuth("u", "p") }));
  const written = JSON.parse(await readFile(file, "utf8"));
  assert.deepEqual(written, { ...original, auths: { ...original.auths, "reg.io": { auth: encodeAuth("u", "p") } } });
  assert.deepEqual(Object.keys(written), Object.keys(original), "key order kept");
  assert.equal((await stat(file)).mode & 0o777, 0o640);
  assert.deepEqual((await readdir(s.dir)).sort(), ["config.json", "new"], "no temporary file left behind");

  const again = await readDockerConfig({ env: {}, configDir: s.dir });
  await writeDockerConfig(again, withoutAuthEntries(again.data, ["reg.io"]));
  assert.deepEqual(JSON.parse(await readFile(file, "utf8")), original);
});

test("a symlinked config.json is written through its link (dotfile repositories keep it that way)", async () => {
  await using s = await scratch();
  const real = path.join(s.dir, "dotfiles", "docker.json");
  await mkdir(path.dirname(real));
  await writeFile(real, "{}", { mode: 0o600 });
  await mkdir(path.join(s.dir, "cfg"));
  await symlink(real, path.join(s.dir, "cfg", "config.json"));
  const config = await readDockerConfig({ env: {}, configDir: path.join(s.dir, "cfg") });
  await writeDockerConfig(config, withAuthEntry(config.data, "reg.io", {}));
  assert.ok((await lstat(path.join(s.dir, "cfg", "config.json"))).isSymbolicLink());
  assert.equal(await readlink(path.join(s.dir, "cfg", "config.json")), real);
  assert.deepEqual(JSON.parse(await readFile(real, "utf8")), { auths: { "reg.io": {} } });
});

test("a folder that cannot be written is a config error saying so", async () => {
  await using s = await scratch();
  const dir = path.join(s.dir, "docker");
  await mkdir(dir);
  const config = await readDockerConfig({ env: {}, configDir: dir });
  // The folder became a file: no one can write in it, root included (a read-only mode would not stop root).
  await rm(dir, { recursive: true });
  await writeFile(dir, "");
  await assert.rejects(writeDockerConfig(config, {}), (err: SlipwayError) => err.code === "DOCKER_CONFIG_UNWRITABLE" && /cannot be written \((EEXIST|ENOTDIR)\)/.test(err.message));
});
