import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SlipwayError } from "../errors/index.ts";
import { MEDIA_TYPES, RegistryClient, computeDigest, manifestMediaType, selectPlatform, verifyDigest } from "./client.ts";
import type { RegistryCredential } from "./types.ts";

const sha256 = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

test("digests: sha256 by default, sha512 when the digest says so; a mismatch is REGISTRY_DIGEST_MISMATCH", () => {
  const bytes = Buffer.from('{"schemaVersion":2}');
  assert.equal(computeDigest(bytes), sha256(bytes));
  assert.equal(computeDigest(bytes, "sha512"), `sha512:${createHash("sha512").update(bytes).digest("hex")}`);
  verifyDigest(bytes, sha256(bytes), "r/a:1");
  verifyDigest(bytes, computeDigest(bytes, "sha512"), "r/a:1");
  assert.throws(() => verifyDigest(Buffer.from("tampered"), sha256(bytes), "r/a:1"), (e: unknown) => {
    assert.ok(e instanceof SlipwayError);
    assert.equal(e.code, "REGISTRY_DIGEST_MISMATCH");
    assert.equal(e.kind, "registry");
    assert.equal(e.message, `r/a:1: the content's digest is ${sha256("tampered")}, not ${sha256(bytes)}`);
    return true;
  });
  assert.throws(() => verifyDigest(bytes, "md5:abc", "r/a:1"), { code: "REGISTRY_DIGEST_UNSUPPORTED" });
});

test("an index is read at its linux/amd64 manifest, else its only one; attestations do not count", () => {
  const d = (n: string) => `sha256:${n.repeat(64)}`;
  const amd64 = { digest: d("a"), platform: { os: "linux", architecture: "amd64" } };
  const arm64 = { digest: d("b"), platform: { os: "linux", architecture: "arm64", variant: "v8" } };
  const attestation = { digest: d("c"), platform: { os: "unknown", architecture: "unknown" } };
  assert.equal(selectPlatform([arm64, amd64, attestation], "x"), d("a"));
  assert.equal(selectPlatform([arm64, attestation], "x"), d("b"));
  assert.throws(() => selectPlatform([arm64, { digest: d("d"), platform: { os: "windows", architecture: "amd64" } }], "r/a:1"), (e: unknown) => {
    assert.ok(e instanceof SlipwayError);
    assert.equal(e.code, "REGISTRY_NO_PLATFORM");
    assert.match(e.message, /r\/a:1 .*it has: linux\/arm64, windows\/amd64/);
    return true;
  });
  assert.throws(() => selectPlatform([], "x"), { code: "REGISTRY_NO_PLATFORM" });
});

test("a manifest's media type: its own field, else the Content-Type without parameters", () => {
  assert.equal(manifestMediaType(Buffer.from(`{"mediaType":"${MEDIA_TYPES.ociIndex}"}`), MEDIA_TYPES.dockerManifest), MEDIA_TYPES.ociIndex);
  assert.equal(manifestMediaType(Buffer.from('{"schemaVersion":2}'), `${MEDIA_TYPES.ociManifest}; charset=utf-8`), MEDIA_TYPES.ociManifest);
  assert.equal(manifestMediaType(Buffer.from("?"), undefined), "application/octet-stream");
});

// --- against a scripted stand-in for a registry ----------------------------------------------------

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  accept?: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

/** A local HTTP server playing registry (and token service): `handler` answers, `seen` records. */
async function fakeRegistry(handler: Handler): Promise<{ address: string; seen: Seen[] } & AsyncDisposable> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({
        method: req.method!,
        url: req.url!,
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        ...(req.headers.accept ? { accept: req.headers.accept } : {}),
      });
      handler(req, res, Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
const errors = (code: string, message: string) => ({ errors: [{ code, message }] });

const NONE: RegistryCredential = { source: "none" };
const PASSWORD: RegistryCredential = { username: "ci", password: "s3cret-pw", source: "environment REG_USER / REG_PASSWORD" };
const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.dockerManifest, config: { digest: sha256("{}") }, layers: [] }));

function connect(address: string, credential: RegistryCredential = NONE) {
  // Loopback and plain HTTP: insecure, as for the engine. A stand-in that never answers TLS.
  return RegistryClient.connect({ registry: address, credential, insecure: true, retryBaseDelayMs: 1, stallTimeoutMs: 2000 });
}

test("a manifest whose bytes do not hash to Docker-Content-Digest is refused", async () => {
  await using registry = await fakeRegistry((req, res) => {
    if (req.url === "/v2/") return json(res, 200, {});
    res.writeHead(200, { "content-type": MEDIA_TYPES.dockerManifest, "docker-content-digest": sha256("something else") }).end(MANIFEST);
  });
  await using client = await connect(registry.address);
  await assert.rejects(client.getManifest("team/app", "1"), { code: "REGISTRY_DIGEST_MISMATCH" });
  await assert.rejects(client.getManifest("team/app", sha256("something else")), { code: "REGISTRY_DIGEST_MISMATCH" });
});

test("HEAD without Docker-Content-Digest: the manifest is fetched and hashed", async () => {
  await using registry = await fakeRegistry((req, res) => {
    if (req.url === "/v2/") return json(res, 200, {});
    res.writeHead(200, { "content-type": MEDIA_TYPES.dockerManifest, "content-length": String(MANIFEST.length) }).end(req.method === "HEAD" ? undefined : MANIFEST);
  });
  await using client = await connect(registry.address);
  assert.equal(await client.manifestDigest("team/app", "1"), sha256(MANIFEST));
  assert.deepEqual(registry.seen.slice(1).map((s) => s.method), ["HEAD", "GET"]);
  for (const s of registry.seen.slice(1)) {
    assert.deepEqual(s.accept?.split(", ").sort(), Object.values(MEDIA_TYPES).sort(), "Docker v2 and OCI, manifests and indexes");
  }
});

test("putManifest: the registry's digest must be the bytes'", async () => {
  await using registry = await fakeRegistry((req, res) => {
    if (req.url === "/v2/") return json(res, 200, {});
    if (req.url?.endsWith("/good")) return res.writeHead(201, { "docker-content-digest": sha256(MANIFEST) }).end();
    if (req.url?.endsWith("/none")) return res.writeHead(201).end();
    res.writeHead(201, { "docker-content-digest": sha256("other") }).end();
  });
  await using client = await connect(registry.address);
  const manifest = { mediaType: MEDIA_TYPES.dockerManifest, bytes: MANIFEST };
  assert.equal(await client.putManifest("team/app", "good", manifest), sha256(MANIFEST));
  assert.equal(await client.putManifest("team/app", "none", manifest), sha256(MANIFEST), "no header: the bytes' digest");
  await assert.rejects(client.putManifest("team/app", "bad", manifest), { code: "REGISTRY_DIGEST_MISMATCH" });
});

test("a refusal of the request itself carries the registry's words; unknown repositories and tags are undefined", async () => {
  await using registry = await fakeRegistry((req, res) => {
    if (req.url === "/v2/") return json(res, 200, {});
    if (req.method === "PUT") return json(res, 400, errors("MANIFEST_BLOB_UNKNOWN", "blob unknown to registry"));
    if (req.url?.startsWith("/v2/gone/")) return json(res, 404, errors("NAME_UNKNOWN", "repository name not known to registry"));
    json(res, 400, errors("MANIFEST_UNKNOWN", "manifest unknown")); // some registries answer 400
  });
  await using client = await connect(registry.address);
  assert.equal(await client.getManifest("gone/app", "1"), undefined);
  assert.equal(await client.getManifest("team/app", "1"), undefined);
  const err = await client.putManifest("team/app", "1", { mediaType: MEDIA_TYPES.dockerManifest, bytes: MANIFEST }).catch((e: unknown) => e);
  assert.ok(err instanceof SlipwayError);
  assert.equal(err.code, "REGISTRY_REQUEST_FAILED");
  assert.match(err.message, /HTTP 400 to PUT \/v2\/team\/app\/manifests\/1: MANIFEST_BLOB_UNKNOWN: blob unknown to registry/);
});

test("names are checked before anything is sent", async () => {
  await using registry = await fakeRegistry((_req, res) => json(res, 200, {}));
  await using client = await connect(registry.address);
  await assert.rejects(client.manifestDigest("Team/App", "1"), { code: "REGISTRY_BAD_NAME" });
  await assert.rejects(client.manifestDigest("team/../app", "1"), { code: "REGISTRY_BAD_NAME" });
  await assert.rejects(client.manifestDigest("team/app", "a/b"), { code: "REGISTRY_BAD_NAME" });
  await assert.rejects(client.getBlob("team/app", "latest"), { code: "REGISTRY_BAD_NAME" });
  await assert.rejects(RegistryClient.connect({ registry: "https://r.example/v2", credential: NONE }), { code: "REGISTRY_BAD_NAME" });
  assert.equal(registry.seen.length, 1, "only the connect's GET /v2/");
});

/** A registry with Bearer auth whose token service is itself; `accept` decides which tokens pass. */
function bearerRegistry(accept: (token: string) => boolean, tokens: string[]): Handler {
  let issued = 0;
  return (req, res) => {
    const url = new URL(req.url!, "http://x");
    const address = req.headers.host!;
    if (url.pathname === "/token") {
      if (req.headers.authorization !== `Basic ${Buffer.from("ci:s3cret-pw").toString("base64")}`) return json(res, 401, { details: "incorrect username or password" });
      return json(res, 200, { token: tokens[issued++ % tokens.length], expires_in: 300 });
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (!token || !accept(token)) {
      const scope = url.pathname === "/v2/" ? "" : `,scope="repository:team/app:pull"`;
      return json(res, 401, errors("UNAUTHORIZED", "authentication required"), { "www-authenticate": `Bearer realm="http://${address}/token",service="fake"${scope}` });
    }
    if (url.pathname === "/v2/") return json(res, 200, {});
    res.writeHead(200, { "docker-content-digest": sha256(MANIFEST) }).end();
  };
}

test("Bearer: one token per scope, reused; a cached token the registry refuses is replaced once", async () => {
  let valid = new Set(["t1"]);
  await using registry = await fakeRegistry(bearerRegistry((t) => valid.has(t), ["t0", "t1", "t2"]));
  await using client = await connect(registry.address, PASSWORD);
  // connect: GET /v2/ (401), a scope-less token to check the credentials (t0)
  assert.equal(await client.manifestDigest("team/app", "1"), sha256(MANIFEST)); // token t1
  assert.equal(await client.manifestDigest("team/app", "1"), sha256(MANIFEST)); // t1 again
  valid = new Set(["t2"]); // t1 revoked
  assert.equal(await client.manifestDigest("team/app", "1"), sha256(MANIFEST)); // refused, then t2
  const tokenRequests = registry.seen.filter((s) => s.url.startsWith("/token"));
  assert.deepEqual(
    tokenRequests.map((s) => new URL(s.url, "http://x").searchParams.getAll("scope")),
    [[], ["repository:team/app:pull"], ["repository:team/app:pull"]],
  );
  assert.deepEqual(
    registry.seen.filter((s) => s.method === "HEAD").map((s) => s.authorization),
    ["Bearer t1", "Bearer t1", "Bearer t1", "Bearer t2"],
  );
});

test("Bearer: parallel reads of one repository ask for one token", async () => {
  await using registry = await fakeRegistry(bearerRegistry(() => true, ["t"]));
  await using client = await connect(registry.address, PASSWORD);
  await Promise.all([client.manifestDigest("team/app", "1"), client.manifestDigest("team/app", "2"), client.manifestDigest("team/app", "3")]);
  assert.equal(registry.seen.filter((s) => s.url.includes("scope=")).length, 1);
});

test("Bearer: a token service that refuses the password says so at connect, with its own words", async () => {
  await using registry = await fakeRegistry(bearerRegistry(() => true, ["t"]));
  const err = await connect(registry.address, { ...PASSWORD, password: "wrong-pw" }).catch((e: unknown) => e);
  assert.ok(err instanceof SlipwayError, String(err));
  assert.equal(err.code, "REGISTRY_UNAUTHORIZED");
  assert.equal(
    err.message,
    `${registry.address}'s token service (http://${registry.address}/token) refused a token (checking the credentials) with the credentials from environment REG_USER / REG_PASSWORD: HTTP 401, incorrect username or password`,
  );
  assert.ok(!JSON.stringify(err.toJSON()).includes("wrong-pw"));
});

test("a registry whose /v2/ is open but whose repositories are not: the challenge is taken when it comes", async () => {
  await using registry = await fakeRegistry((req, res) => {
    if (req.url === "/v2/") return json(res, 200, {});
    if (!req.headers.authorization) return json(res, 401, errors("UNAUTHORIZED", "authentication required"), { "www-authenticate": 'Basic realm="r"' });
    res.writeHead(200, { "docker-content-digest": sha256(MANIFEST) }).end();
  });
  await using client = await connect(registry.address, PASSWORD);
  assert.equal(await client.manifestDigest("team/app", "1"), sha256(MANIFEST));
  assert.deepEqual(
    registry.seen.map((s) => s.authorization ?? "none"),
    ["none", "none", `Basic ${Buffer.from("ci:s3cret-pw").toString("base64")}`],
  );
});

test("403 is REGISTRY_FORBIDDEN, never tried again", async () => {
  await using registry = await fakeRegistry((req, res) => {
    if (req.url === "/v2/") return json(res, 200, {});
    json(res, 403, errors("DENIED", "requested access to the resource is denied"));
  });
  await using client = await connect(registry.address, PASSWORD);
  const err = await client.manifestDigest("team/app", "1").catch((e: unknown) => e);
  assert.ok(err instanceof SlipwayError);
  assert.equal(err.code, "REGISTRY_FORBIDDEN");
  assert.match(err.message, /with the credentials from environment REG_USER \/ REG_PASSWORD: HTTP 403/);
  assert.equal(registry.seen.length, 2);
});

test("imageConfig: the config's labels and creation time, by the manifest's config digest", async () => {
  const config = Buffer.from(JSON.stringify({ created: "2026-12-01T10:00:00Z", config: { Labels: { "org.opencontainers.image.version": "1.2.3" } } }));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { digest: sha256(config), size: config.length }, layers: [] }));
  await using registry = await fakeRegistry((req, res) => {
    if (req.url === "/v2/") return json(res, 200, {});
    if (req.url === `/v2/team/app/blobs/${sha256(config)}`) return res.writeHead(200).end(config);
    res.writeHead(200, { "content-type": MEDIA_TYPES.ociManifest, "docker-content-digest": sha256(manifest) }).end(manifest);
  });
  await using client = await connect(registry.address);
  assert.deepEqual(await client.imageConfig("team/app", "1"), {
    manifestDigest: sha256(manifest),
    configDigest: sha256(config),
    labels: { "org.opencontainers.image.version": "1.2.3" },
    created: "2026-12-01T10:00:00Z",
  });
});

test("imageConfig: the image's HEALTHCHECK with its durations; none when it has none, or when it is NONE-less empty", async () => {
  const configs = [
    { config: { Healthcheck: { Test: ["CMD-SHELL", "wget -q localhost"], Interval: 2_000_000_000, Retries: 4, StartPeriod: 1_000_000_000 } } },
    { config: { Healthcheck: { Test: [] } } },
    { config: {} },
  ].map((c) => Buffer.from(JSON.stringify(c)));
  const manifests = configs.map((config) => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { digest: sha256(config), size: config.length }, layers: [] })));
  await using registry = await fakeRegistry((req, res) => {
    if (req.url === "/v2/") return json(res, 200, {});
    const blob = configs.find((c) => req.url === `/v2/team/app/blobs/${sha256(c)}`);
    if (blob) return res.writeHead(200).end(blob);
    const manifest = manifests[Number(/manifests\/(\d)$/.exec(req.url ?? "")?.[1])]!;
    res.writeHead(200, { "content-type": MEDIA_TYPES.ociManifest, "docker-content-digest": sha256(manifest) }).end(manifest);
  });
  await using client = await connect(registry.address);
  assert.deepEqual((await client.imageConfig("team/app", "0"))?.healthcheck, { test: ["CMD-SHELL", "wget -q localhost"], intervalNs: 2_000_000_000, startPeriodNs: 1_000_000_000, retries: 4 });
  assert.equal((await client.imageConfig("team/app", "1"))?.healthcheck, undefined);
  assert.equal((await client.imageConfig("team/app", "2"))?.healthcheck, undefined);
});
