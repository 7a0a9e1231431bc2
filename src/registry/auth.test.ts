import { test } from "node:test";
import assert from "node:assert/strict";
import {
  TokenCache,
  credentialPhrase,
  parseTokenResponse,
  parseWwwAuthenticate,
  refusalError,
  registryErrors,
  repositoryScope,
  tokenRequest,
  type Challenge,
} from "./auth.ts";
import type { RegistryCredential } from "./types.ts";

test("WWW-Authenticate: a Bearer challenge, with commas inside its quoted scope", () => {
  assert.deepEqual(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"'), [
    { scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:samalba/my-app:pull,push" } },
  ]);
});

test("WWW-Authenticate: Basic; several challenges in one header; names are case-insensitive", () => {
  assert.deepEqual(parseWwwAuthenticate('Basic realm="Registry Realm"'), [{ scheme: "basic", params: { realm: "Registry Realm" } }]);
  assert.deepEqual(parseWwwAuthenticate('BASIC Realm="a, b=c", Bearer realm="https://x/token",Service=y'), [
    { scheme: "basic", params: { realm: "a, b=c" } },
    { scheme: "bearer", params: { realm: "https://x/token", service: "y" } },
  ]);
});

test("WWW-Authenticate: escaped quotes, spaces around '=', tokens unquoted, an error parameter", () => {
  assert.deepEqual(parseWwwAuthenticate('Bearer realm = "say \\"hi\\"" , service=reg.example.com,scope="repository:a/b:pull",error="insufficient_scope"'), [
    { scheme: "bearer", params: { realm: 'say "hi"', service: "reg.example.com", scope: "repository:a/b:pull", error: "insufficient_scope" } },
  ]);
});

test("WWW-Authenticate: token68, parameterless schemes, several headers, nothing", () => {
  assert.deepEqual(parseWwwAuthenticate("Negotiate abc123==, Basic realm=x"), [
    { scheme: "negotiate", params: {}, token68: "abc123==" },
    { scheme: "basic", params: { realm: "x" } },
  ]);
  assert.deepEqual(parseWwwAuthenticate("Negotiate, NTLM"), [
    { scheme: "negotiate", params: {} },
    { scheme: "ntlm", params: {} },
  ]);
  assert.deepEqual(
    parseWwwAuthenticate(['Basic realm="one"', 'Bearer realm="two"']).map((c) => c.scheme),
    ["basic", "bearer"],
  );
  assert.deepEqual(parseWwwAuthenticate(undefined), []);
  assert.deepEqual(parseWwwAuthenticate(""), []);
});

test("scopes: per repository, actions in a stable order", () => {
  assert.equal(repositoryScope("team/app", ["pull"]), "repository:team/app:pull");
  assert.equal(repositoryScope("team/app", ["push", "pull"]), "repository:team/app:pull,push");
  assert.equal(repositoryScope("library/postgres", ["delete", "pull"]), "repository:library/postgres:pull,delete");
});

const bearer: Challenge = { scheme: "bearer", params: { realm: "https://auth.example.com/token", service: "registry.example.com" } };

test("token request with a password: GET, basic auth, account, service, one scope parameter per scope", () => {
  const req = tokenRequest(bearer, ["repository:a/b:pull", "repository:c/d:pull,push"], { username: "ci", password: "s3cret", source: "env" });
  assert.equal(req.method, "GET");
  assert.equal(req.url.origin + req.url.pathname, "https://auth.example.com/token");
  assert.deepEqual(req.url.searchParams.getAll("scope"), ["repository:a/b:pull", "repository:c/d:pull,push"]);
  assert.equal(req.url.searchParams.get("service"), "registry.example.com");
  assert.equal(req.url.searchParams.get("account"), "ci");
  assert.equal(req.url.searchParams.get("client_id"), "slipway");
  assert.equal(req.headers["authorization"], `Basic ${Buffer.from("ci:s3cret").toString("base64")}`);
  assert.ok(!req.url.toString().includes("s3cret"), "the password is in the header only");
});

test("token request anonymously: no Authorization, no account; no scopes: none asked", () => {
  const req = tokenRequest(bearer, [], { source: "none" });
  assert.equal(req.method, "GET");
  assert.deepEqual(req.headers, {});
  assert.equal(req.url.searchParams.has("account"), false);
  assert.equal(req.url.searchParams.has("scope"), false);
});

test("token request with an identity token: the OAuth2 refresh-token POST, scopes space-separated", () => {
  const req = tokenRequest(bearer, ["repository:a/b:pull", "repository:c/d:push"], { identityToken: "refresh-me", username: "<token>", source: "DOCKER_CONFIG x" });
  assert.equal(req.method, "POST");
  assert.equal(req.headers["content-type"], "application/x-www-form-urlencoded");
  const form = new URLSearchParams(req.body);
  assert.deepEqual(Object.fromEntries(form), {
    grant_type: "refresh_token",
    refresh_token: "refresh-me",
    client_id: "slipway",
    service: "registry.example.com",
    scope: "repository:a/b:pull repository:c/d:push",
  });
  assert.equal(req.url.search, "", "nothing in the URL");
});

test("token request: a challenge without a realm cannot be followed", () => {
  assert.throws(() => tokenRequest({ scheme: "bearer", params: { service: "x" } }, [], { source: "none" }), { code: "REGISTRY_AUTH_UNSUPPORTED" });
  assert.throws(() => tokenRequest({ scheme: "bearer", params: { realm: "not a url" } }, [], { source: "none" }), { code: "REGISTRY_AUTH_UNSUPPORTED" });
});

test("token response: token or access_token, expires_in from issued_at (or 60 s), given up a little early", () => {
  const now = Date.parse("2026-12-05T12:00:00Z");
  assert.deepEqual(parseTokenResponse(JSON.stringify({ token: "t1", expires_in: 300, issued_at: "2026-12-05T11:59:00Z" }), now), { token: "t1", expiresAt: now - 60_000 + 300_000 - 10_000 });
  assert.deepEqual(parseTokenResponse(JSON.stringify({ access_token: "t2" }), now), { token: "t2", expiresAt: now + 60_000 - 6_000 });
  assert.deepEqual(parseTokenResponse(JSON.stringify({ token: "t3", expires_in: 300, issued_at: "2020-01-01T00:00:00Z" }), now).expiresAt, now + 290_000, "a token service's skewed clock is not trusted");
  assert.throws(() => parseTokenResponse("{}", now), { code: "REGISTRY_AUTH_FAILED" });
  assert.throws(() => parseTokenResponse("<html>", now), { code: "REGISTRY_AUTH_FAILED" });
});

test("token cache: kept until it expires; a pull,push token serves pull, not the other way round", () => {
  let now = 1000;
  const cache = new TokenCache(() => now);
  cache.set("repository:a/b:pull,push", { token: "rw", expiresAt: 2000 });
  cache.set("repository:c/d:pull", { token: "ro", expiresAt: 5000 });
  assert.equal(cache.get("repository:a/b:pull,push"), "rw");
  assert.equal(cache.get("repository:a/b:pull"), "rw");
  assert.equal(cache.get("repository:c/d:pull"), "ro");
  assert.equal(cache.get("repository:c/d:pull,push"), undefined);
  assert.equal(cache.get("repository:a/bb:pull"), undefined, "another repository");
  now = 2000;
  assert.equal(cache.get("repository:a/b:pull"), undefined, "expired");
  assert.equal(cache.get("repository:c/d:pull"), "ro");
  cache.delete("repository:c/d:pull");
  assert.equal(cache.get("repository:c/d:pull"), undefined);
});

const fromConfig: RegistryCredential = { username: "ci", password: "hunter2-secret", source: "DOCKER_CONFIG /home/ci/.docker/config.json (auths)" };

test("a 401 names the registry and the credentials' source, and says what to do; never a secret", () => {
  const err = refusalError({ registry: "registry.example.com", credential: fromConfig, status: 401, what: "HEAD /v2/team/app/manifests/1", said: "UNAUTHORIZED: authentication required" });
  assert.equal(err.code, "REGISTRY_UNAUTHORIZED");
  assert.equal(err.kind, "registry");
  assert.equal(err.exitCode, 6);
  assert.equal(
    err.message,
    "Registry registry.example.com refused HEAD /v2/team/app/manifests/1 with the credentials from DOCKER_CONFIG /home/ci/.docker/config.json (auths): HTTP 401, UNAUTHORIZED: authentication required",
  );
  assert.match(err.hint ?? "", /slipway login registry\.example\.com/);
  const text = JSON.stringify(err.toJSON());
  assert.ok(!text.includes("hunter2-secret") && !text.includes(Buffer.from("ci:hunter2-secret").toString("base64")));
});

test("a 403 is REGISTRY_FORBIDDEN; without credentials the hint says how to log in", () => {
  const forbidden = refusalError({ registry: "r.example", credential: fromConfig, status: 403, what: "PUT /v2/a/manifests/1" });
  assert.equal(forbidden.code, "REGISTRY_FORBIDDEN");
  assert.match(forbidden.hint ?? "", /lack the right/);
  const anonymous = refusalError({ registry: "r.example", credential: { source: "none" }, status: 401, what: "a token for repository:a:pull", tokenService: "https://auth.r.example/token" });
  assert.equal(anonymous.message, "r.example's token service (https://auth.r.example/token) refused a token for repository:a:pull without credentials: HTTP 401");
  assert.match(anonymous.hint ?? "", /slipway login r\.example.*username_env/);
  assert.equal(credentialPhrase({ source: "environment REG_USER / REG_PASSWORD" }), "without credentials", "a source with nothing in it is no credential");
});

test("registry error bodies: code and message; anything else: nothing", () => {
  assert.deepEqual(registryErrors('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}'), [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }]);
  assert.deepEqual(registryErrors("<html>502</html>"), []);
  assert.deepEqual(registryErrors('{"details":"incorrect username or password"}'), []);
});
