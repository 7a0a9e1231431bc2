import { test } from "node:test";
import assert from "node:assert/strict";
import { SlipwayError } from "../errors/index.ts";
import { DOCKER_HUB_KEY, convertToHostname, formatReference, normalizeRegistry, parseReference, registryKey } from "./reference.ts";

const D = "sha256:" + "a".repeat(64);

test("references normalise as the docker CLI's (distribution's ParseNormalizedNamed)", () => {
  const cases: [string, string, string, string?, string?][] = [
    // text, registry, repository, tag, digest
    ["postgres", "docker.io", "library/postgres"],
    ["postgres:15", "docker.io", "library/postgres", "15"],
    ["postgres:15-alpine", "docker.io", "library/postgres", "15-alpine"],
    ["team/app", "docker.io", "team/app"],
    ["team/sub/app:v1", "docker.io", "team/sub/app", "v1"],
    ["docker.io/postgres", "docker.io", "library/postgres"],
    ["docker.io/library/postgres:15", "docker.io", "library/postgres", "15"],
    ["index.docker.io/team/app", "docker.io", "team/app"],
    ["index.docker.io/app", "docker.io", "library/app"],
    ["registry.example.com/app", "registry.example.com", "app"],
    ["registry.example.com/team/app:1.2.0", "registry.example.com", "team/app", "1.2.0"],
    ["127.0.0.1:5000/app:latest", "127.0.0.1:5000", "app", "latest"],
    ["localhost/app", "localhost", "app"],
    ["localhost:5000/team/app", "localhost:5000", "team/app"],
    ["myhost:5000/app", "myhost:5000", "app"],
    ["[::1]:5000/app:x", "[::1]:5000", "app", "x"],
    ["[2001:db8::1]/app", "[2001:db8::1]", "app"],
    // A first component with upper case is a registry (distribution/reference v0.5+).
    ["Registry/app", "Registry", "app"],
    // Without a slash, a colon starts the tag: this is docker.io/library/host with tag 5000.
    ["host:5000", "docker.io", "library/host", "5000"],
    ["localhost", "docker.io", "library/localhost"],
    ["a.b-c.d/e", "a.b-c.d", "e"],
    ["team/my_app.v2--x__y", "docker.io", "team/my_app.v2--x__y"],
    [`app@${D}`, "docker.io", "library/app", undefined, D],
    [`app:1@${D}`, "docker.io", "library/app", "1", D],
    [`reg.io:443/a/b:t_1.X-y@${D}`, "reg.io:443", "a/b", "t_1.X-y", D],
    [`app@sha512:${"b".repeat(128)}`, "docker.io", "library/app", undefined, `sha512:${"b".repeat(128)}`],
    ["app:" + "t".repeat(128), "docker.io", "library/app", "t".repeat(128)],
  ];
  for (const [text, registry, repository, tag, digest] of cases) {
    assert.deepEqual(parseReference(text), { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) }, text);
  }
});

test("invalid references are config errors that name the reference and the reason", () => {
  const cases: [string, RegExp][] = [
    ["", /is empty/],
    ["a".repeat(64), /image ID, not a reference/],
    ["Postgres", /must be lowercase/],
    ["team/App", /must be lowercase/],
    ["registry.example.com/Team/app", /must be lowercase/],
    ["app:", /tag after `:` is empty/],
    ["app:.x", /tag "\.x" is not valid/],
    ["app:-x", /tag "-x" is not valid/],
    ["app:" + "t".repeat(129), /is not valid/],
    ["app:a/b", /registry "app:a" is not a valid host/],
    ["-app", /repository "library\/-app" is not valid/],
    ["app-", /is not valid/],
    ["team//app", /is not valid/],
    ["team/app/", /is not valid/],
    ["a..b/c", /registry "a\.\.b" is not a valid host/],
    ["reg_1.io/c", /registry "reg_1\.io" is not a valid host/],
    ["-reg.io/app", /registry "-reg\.io" is not a valid host/],
    ["reg.io:port/app", /registry "reg\.io:port" is not a valid host/],
    ["app@sha256:abc", /digest "sha256:abc" is not valid/],
    [`app@md5:${"a".repeat(32)}`, /algorithm "md5" is not supported/],
    [`app@sha256:${"A".repeat(64)}`, /64 lowercase hex/],
    [`app@sha256:${"a".repeat(63)}`, /64 lowercase hex/],
    [`@${D}`, /repository name is empty/],
    ["app name", /is not valid/],
    [`reg.io/${"a/".repeat(130)}b`, /more than 255/],
  ];
  for (const [text, reason] of cases) {
    assert.throws(() => parseReference(text), (err: unknown) => {
      assert.ok(err instanceof SlipwayError, text);
      assert.equal(err.kind, "config");
      assert.equal(err.code, "REFERENCE_INVALID");
      assert.equal(err.exitCode, 3);
      assert.ok(err.message.startsWith(`Invalid image reference ${JSON.stringify(text)}: `), err.message);
      assert.match(err.message, reason, text);
      assert.ok(err.hint);
      return true;
    }, text);
  }
});

test("formatReference writes the full name, or the familiar one docker shows", () => {
  assert.equal(formatReference(parseReference("postgres:15")), "docker.io/library/postgres:15");
  assert.equal(formatReference(parseReference("postgres:15"), { familiar: true }), "postgres:15");
  assert.equal(formatReference(parseReference("team/app"), { familiar: true }), "team/app");
  assert.equal(formatReference(parseReference("library/a/b"), { familiar: true }), "library/a/b");
  assert.equal(formatReference(parseReference(`127.0.0.1:5000/app:1@${D}`), { familiar: true }), `127.0.0.1:5000/app:1@${D}`);
  for (const text of ["registry.example.com/team/app:1.2.0", `localhost:5000/a@${D}`, "docker.io/team/app"]) {
    assert.equal(formatReference(parseReference(text)), text);
    assert.deepEqual(parseReference(formatReference(parseReference(text))), parseReference(text));
  }
});

test("registry addresses: scheme and path go (docker's ConvertToHostname), Docker Hub's names are one", () => {
  assert.equal(convertToHostname("https://registry.example.com/v2/"), "registry.example.com");
  assert.equal(convertToHostname("http://127.0.0.1:5000"), "127.0.0.1:5000");
  assert.equal(convertToHostname("127.0.0.1:5000/team"), "127.0.0.1:5000");
  assert.equal(convertToHostname("ftp://x"), "ftp:");
  for (const [address, host] of [
    ["127.0.0.1:5002", "127.0.0.1:5002"],
    ["https://127.0.0.1:5002/v1/", "127.0.0.1:5002"],
    ["localhost:5000/team", "localhost:5000"],
    ["docker.io", "docker.io"],
    ["index.docker.io", "docker.io"],
    ["registry-1.docker.io", "docker.io"],
    ["https://index.docker.io/v1/", "docker.io"],
    [" registry.example.com ", "registry.example.com"],
  ]) {
    assert.equal(normalizeRegistry(address!), host, address);
  }
  for (const bad of ["", "https://", "a b", "reg.io:x", "-x.io"]) {
    assert.throws(() => normalizeRegistry(bad), (err: SlipwayError) => err.code === "REGISTRY_ADDRESS_INVALID" && err.kind === "config", bad);
  }
});

test("registryKey is config.json's key: the v1 index URL for Docker Hub, host[:port] for the rest", () => {
  assert.equal(DOCKER_HUB_KEY, "https://index.docker.io/v1/");
  for (const hub of ["docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/"]) assert.equal(registryKey(hub), DOCKER_HUB_KEY);
  assert.equal(registryKey("127.0.0.1:5002"), "127.0.0.1:5002");
  assert.equal(registryKey("http://127.0.0.1:5002/"), "127.0.0.1:5002");
  assert.equal(registryKey("ghcr.io"), "ghcr.io");
  assert.equal(registryKey(parseReference("ghcr.io/team/app:1").registry), "ghcr.io");
  assert.equal(registryKey(parseReference("postgres").registry), DOCKER_HUB_KEY);
});
