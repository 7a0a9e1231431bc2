/**
 * The test world's token service on its own: tokens in the format distribution verifies, and the
 * grants it answers. (That the real registry accepts them, and the engine gets its push token
 * from it, is test/integration/registry/token-auth.test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, verify } from "node:crypto";
import { algorithmFor, parseScope, signToken, startTokenIssuer, type TokenClaims } from "./token-issuer.ts";
import { loadWorldSync } from "./world.ts";

const world = loadWorldSync();

const claims: TokenClaims = { iss: "issuer", sub: "ci", aud: "service", exp: 2000, nbf: 999, iat: 1000, jti: "j1", access: [{ type: "repository", name: "team/app", actions: ["pull", "push"] }] };

function decode(token: string): { header: Record<string, unknown>; claims: unknown; input: string; signature: Buffer } {
  const [h, c, s] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(h!, "base64url").toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(c!, "base64url").toString()),
    input: `${h}.${c}`,
    signature: Buffer.from(s!, "base64url"),
  };
}

test("ES256 tokens: the x5c chain in the header, the claims as given, an r‖s signature (what libtrust verifies)", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const token = signToken({ key: privateKey, x5c: ["Y2VydA=="], claims });
  const jwt = decode(token);
  assert.deepEqual(jwt.header, { typ: "JWT", alg: "ES256", x5c: ["Y2VydA=="] });
  assert.deepEqual(jwt.claims, claims);
  assert.equal(jwt.signature.length, 64);
  assert.ok(verify("sha256", Buffer.from(jwt.input), { key: publicKey, dsaEncoding: "ieee-p1363" }, jwt.signature));
});

test("RS256 tokens with an RSA key; other keys are refused", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwt = decode(signToken({ key: privateKey, x5c: [], claims }));
  assert.equal(jwt.header["alg"], "RS256");
  assert.ok(verify("sha256", Buffer.from(jwt.input), publicKey, jwt.signature));
  assert.throws(() => algorithmFor(generateKeyPairSync("ed25519").privateKey), /RSA or EC/);
});

test("scopes: type, name (colons and all), actions", () => {
  assert.deepEqual(parseScope("repository:team/app:pull,push"), { type: "repository", name: "team/app", actions: ["pull", "push"] });
  assert.deepEqual(parseScope("repository:127.0.0.1:5000/app:pull"), { type: "repository", name: "127.0.0.1:5000/app", actions: ["pull"] });
  assert.deepEqual(parseScope("registry:catalog:*"), { type: "registry", name: "catalog", actions: ["*"] });
  assert.equal(parseScope("nonsense"), undefined);
});

test("the service: basic auth, anonymous, wrong passwords, the OAuth2 password and refresh-token grants", { skip: world.skipReason("token-registry") }, async () => {
  const { issuerKey, issuerCert, service, issuer: iss } = world.require("token-registry");
  await using issuer = await startTokenIssuer({ port: 0, users: { ci: "pw" }, keyFile: issuerKey, certFile: issuerCert, service, issuer: iss, expiresInSeconds: 120 });
  const get = (query: string, authorization?: string) => fetch(`${issuer.realm}?service=${service}&${query}`, authorization ? { headers: { authorization } } : {});
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;
  const access = async (response: Response) => {
    const body = (await response.json()) as { token: string; access_token: string; expires_in: number; refresh_token?: string };
    assert.equal(body.token, body.access_token);
    assert.equal(body.expires_in, 120);
    const jwt = decode(body.token);
    const c = jwt.claims as TokenClaims;
    assert.equal(c.iss, iss);
    assert.equal(c.aud, service);
    assert.equal(c.exp - c.iat, 120);
    assert.equal((jwt.header["x5c"] as string[]).length, 1);
    return { claims: c, refresh: body.refresh_token };
  };

  const granted = await get("scope=repository:team/app:pull,push&scope=repository:other:pull&client_id=test", basic("ci", "pw"));
  assert.equal(granted.status, 200);
  assert.deepEqual((await access(granted)).claims.access, [
    { type: "repository", name: "team/app", actions: ["pull", "push"] },
    { type: "repository", name: "other", actions: ["pull"] },
  ]);

  const anonymous = await get("scope=repository:team/app:pull");
  assert.deepEqual((await access(anonymous)).claims.access, [], "anonymous clients get no access");

  const wrong = await get("scope=repository:team/app:pull", basic("ci", "nope"));
  await wrong.arrayBuffer();
  assert.equal(wrong.status, 401);

  const otherService = await fetch(`${issuer.realm}?service=elsewhere`);
  await otherService.arrayBuffer();
  assert.equal(otherService.status, 400);

  const post = (form: Record<string, string>) => fetch(issuer.realm, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ service, ...form }).toString() });
  const login = await access(await post({ grant_type: "password", username: "ci", password: "pw", access_type: "offline", client_id: "test" }));
  assert.ok(login.refresh);
  const refreshed = await access(await post({ grant_type: "refresh_token", refresh_token: login.refresh!, scope: "repository:team/app:pull repository:x:push", client_id: "test" }));
  assert.equal(refreshed.claims.sub, "ci");
  assert.deepEqual(refreshed.claims.access.map((a) => a.name), ["team/app", "x"]);
  const unknown = await post({ grant_type: "refresh_token", refresh_token: "made-up" });
  await unknown.arrayBuffer();
  assert.equal(unknown.status, 401);

  assert.deepEqual(
    issuer.requests.map((r) => [r.method, r.grant, r.subject ?? "-", r.status]),
    [
      ["GET", "basic", "ci", 200],
      ["GET", "anonymous", "-", 200],
      ["GET", "basic", "ci", 401],
      ["GET", "anonymous", "-", 400],
      ["POST", "password", "ci", 200],
      ["POST", "refresh_token", "ci", 200],
      ["POST", "refresh_token", "-", 401],
    ],
  );
});
