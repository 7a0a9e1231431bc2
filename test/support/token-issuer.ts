/**
 * The token service of the test world's token registry (testworld/lib/registries.sh: realm
 * http://127.0.0.1:5005/token), run by the tests that need it: it checks basic auth against
 * `users` and issues JWTs that distribution's token access controller accepts (registry 2.8,
 * registry/auth/token/token.go): signed ES256 (EC key) or RS256 (RSA key) with the certificate in
 * the header's `x5c` (the registry checks it against its `rootcertbundle`), and the claims iss,
 * sub, aud (= service), exp, nbf, iat, jti and access [{ type, name, actions }].
 *
 * It speaks both ways clients ask (distribution's docs/spec/auth/token.md and oauth.md): GET with
 * basic auth (the Docker engine, Slipway with a password) or anonymously, and the OAuth2 POST form
 * (grant_type=password, or refresh_token for an identity token). Every request is recorded.
 *
 *   await using issuer = await startTokenIssuer({ port: 5005, users: { testuser: password }, keyFile, certFile });
 *
 * The registry names one realm, so its port is fixed: a second test process that starts an
 * issuer while another's runs waits for the port (`portWaitMs`), rather than failing or sharing.
 */
import { createPrivateKey, randomBytes, sign, timingSafeEqual, X509Certificate, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";

export interface TokenIssuerOptions {
  /** The realm's port (0: any free one, for tests of the issuer itself). */
  port: number;
  host?: string;
  /** name → password */
  users: Record<string, string>;
  /** PEM private key (EC P-256/P-384 or RSA) and the certificate of its public key. */
  keyFile: string;
  certFile: string;
  /** The registry's `issuer` and `service` (testworld/lib/registries.sh). */
  issuer?: string;
  service?: string;
  expiresInSeconds?: number;
  /** How long to wait for the port while another process's issuer holds it (default 120 s). */
  portWaitMs?: number;
}

export interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** What a client asked for, and what it got. */
export interface TokenRequestRecord {
  method: string;
  /** How the client authenticated. */
  grant: "basic" | "anonymous" | "password" | "refresh_token";
  /** The user, once authenticated. */
  subject?: string;
  /** As asked (`repository:team/app:pull,push`), in order. */
  scopes: string[];
  clientId?: string;
  status: number;
}

export interface StartedTokenIssuer extends AsyncDisposable {
  /** The realm: http://host:port/token */
  realm: string;
  requests: TokenRequestRecord[];
  /** A token as the service would issue it, for tests that talk to the registry themselves. */
  mint(subject: string, access: Access[]): string;
  close(): Promise<void>;
}

export const DEFAULT_ISSUER = "slipway-test-issuer";
export const DEFAULT_SERVICE = "slipway-test-registry";

export async function startTokenIssuer(opts: TokenIssuerOptions): Promise<StartedTokenIssuer> {
  const host = opts.host ?? "127.0.0.1";
  const key = createPrivateKey(await readFile(opts.keyFile));
  const x5c = [new X509Certificate(await readFile(opts.certFile)).raw.toString("base64")];
  const issuer = opts.issuer ?? DEFAULT_ISSUER;
  const service = opts.service ?? DEFAULT_SERVICE;
  const expiresIn = opts.expiresInSeconds ?? 300;
  const requests: TokenRequestRecord[] = [];
  /** refresh token → user */
  const refreshTokens = new Map<string, string>();

  const mint = (subject: string, access: Access[]): string => {
    const now = Math.floor(Date.now() / 1000);
    return signToken({ key, x5c, claims: { iss: issuer, sub: subject, aud: service, exp: now + expiresIn, nbf: now - 1, iat: now, jti: randomBytes(12).toString("hex"), access } });
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => answer(res, 500, { errors: [{ code: "UNKNOWN", message: String(err) }] }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", `http://${host}`);
    if (url.pathname !== "/token") return answer(res, 404, { errors: [{ code: "NOT_FOUND", message: "the token service is at /token" }] });
    let params: URLSearchParams;
    let grant: TokenRequestRecord["grant"];
    let subject: string | undefined;
    let authenticated: boolean;
    if (req.method === "POST") {
      params = new URLSearchParams(await readBody(req));
      const type = params.get("grant_type");
      if (type === "password") {
        grant = "password";
        subject = params.get("username") ?? "";
        authenticated = checkPassword(opts.users, subject, params.get("password") ?? "");
      } else if (type === "refresh_token") {
        grant = "refresh_token";
        subject = refreshTokens.get(params.get("refresh_token") ?? "");
        authenticated = subject !== undefined;
      } else {
        return answer(res, 400, { error: "unsupported_grant_type" });
      }
    } else if (req.method === "GET") {
      params = url.searchParams;
      const basic = parseBasic(req.headers.authorization);
      grant = basic ? "basic" : "anonymous";
      subject = basic?.username;
      authenticated = basic ? checkPassword(opts.users, basic.username, basic.password) : false;
    } else {
      return answer(res, 405, { errors: [{ code: "UNSUPPORTED", message: "GET or POST" }] });
    }
    const scopes = (req.method === "POST" ? (params.get("scope") ?? "").split(" ") : params.getAll("scope").flatMap((s) => s.split(" "))).filter(Boolean);
    const clientId = params.get("client_id") ?? undefined;
    const record = (status: number) => requests.push({ method: req.method!, grant, ...(subject !== undefined ? { subject } : {}), scopes, ...(clientId ? { clientId } : {}), status });
    if (params.get("service") !== service) {
      record(400);
      return answer(res, 400, { errors: [{ code: "INVALID_SERVICE", message: `this issuer serves ${service}` }] });
    }
    if (grant !== "anonymous" && !authenticated) {
      record(401);
      res.setHeader("www-authenticate", 'Basic realm="slipway-test-issuer"');
      return answer(res, 401, { errors: [{ code: "UNAUTHORIZED", message: "invalid username, password or refresh token" }] });
    }
    // An authenticated user gets every action asked for; anonymous clients get no access at all,
    // so that the registry answers them 401 (a private registry).
    const access = authenticated ? scopes.map(parseScope).filter((a): a is Access => a !== undefined) : [];
    const token = mint(authenticated ? subject! : "", access);
    const body: Record<string, unknown> = { token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString() };
    const offline = params.get("offline_token") === "true" || params.get("access_type") === "offline";
    if (authenticated && offline && grant !== "refresh_token") {
      const refresh = randomBytes(24).toString("hex");
      refreshTokens.set(refresh, subject!);
      body["refresh_token"] = refresh;
    }
    record(200);
    answer(res, 200, body);
  }

  await listen(server, opts.port, host, opts.portWaitMs ?? 120_000);
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));
  return { realm: `http://${host}:${port}/token`, requests, mint, close, [Symbol.asyncDispose]: close };
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: Access[];
}

/** A compact JWS of `claims`, signed with `key`, carrying the certificate chain `x5c` (base64 DER). */
export function signToken(opts: { key: KeyObject; x5c: string[]; claims: TokenClaims }): string {
  const { alg, hash, dsaEncoding } = algorithmFor(opts.key);
  const header = { typ: "JWT", alg, x5c: opts.x5c };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(opts.claims))}`;
  const signature = sign(hash, Buffer.from(input), dsaEncoding ? { key: opts.key, dsaEncoding } : opts.key);
  return `${input}.${base64url(signature)}`;
}

/** JOSE's algorithm for a key: ES256/ES384 (r‖s, as libtrust verifies) or RS256. */
export function algorithmFor(key: KeyObject): { alg: string; hash: string; dsaEncoding?: "ieee-p1363" } {
  if (key.asymmetricKeyType === "rsa") return { alg: "RS256", hash: "sha256" };
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return { alg: "ES256", hash: "sha256", dsaEncoding: "ieee-p1363" };
    if (curve === "secp384r1") return { alg: "ES384", hash: "sha384", dsaEncoding: "ieee-p1363" };
  }
  throw new Error(`the token issuer signs with RSA or EC P-256/P-384 keys, not ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ""}`);
}

/** `repository:team/app:pull,push` → { type, name, actions }; the name may hold colons (a host:port). */
export function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first < 0 || last === first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(",").filter(Boolean) };
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? "");
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = text.indexOf(":");
  return colon < 0 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

function checkPassword(users: Record<string, string>, username: string, password: string): boolean {
  const expected = Object.hasOwn(users, username) ? users[username]! : undefined;
  if (expected === undefined) return false;
  const a = Buffer.from(password);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function listen(server: Server, port: number, host: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
      if (Date.now() > deadline) throw new Error(`the token issuer's port ${host}:${port} stayed taken for ${waitMs / 1000} s (another test process's token issuer, or another program)`);
      await delay(100);
    }
  }
}
