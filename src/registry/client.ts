/**
 * The registry HTTP API (OCI distribution), for what the engine cannot answer: the digest a tag
 * names, a remote manifest and image config, a manifest put under another tag. Everything it
 * returns is checked against its digest before it is returned.
 *
 * It reaches a registry as the engine would (transport.ts: HTTPS, plain HTTP for the engine's
 * insecure registries, certs.d), authenticates as the docker CLI does (auth.ts: basic, or Bearer
 * tokens per repository and actions), and tries again what passes when tried again (retry.ts:
 * 5xx, 429, dropped connections).
 *
 *   await using registry = await RegistryClient.connect({ registry: "127.0.0.1:5002", credential, insecure: true });
 *   const digest = await registry.manifestDigest("team/app", "1.2.3");
 */
import { createHash } from "node:crypto";
import { SlipwayError } from "../errors/index.ts";
import {
  describeRegistryErrors,
  hasSecret,
  parseTokenResponse,
  parseWwwAuthenticate,
  refusalError,
  registryErrors,
  repositoryScope,
  tokenRequest,
  TokenCache,
  basicAuthorization,
  type Action,
  type Challenge,
  type IssuedToken,
} from "./auth.ts";
import { parseRetryAfter, withRetries } from "./retry.ts";
import {
  DEFAULT_CERTS_DIR,
  RegistryConnectionError,
  RegistryTransport,
  header,
  readCertsDir,
  registryHost,
  type ExchangeResponse,
} from "./transport.ts";
import type { Manifest, RegistryCredential } from "./types.ts";

export interface RegistryClientOptions {
  /** host[:port] as in the image reference ("docker.io" → registry-1.docker.io). */
  registry: string;
  credential: RegistryCredential;
  /**
   * Plain HTTP allowed: the engine's insecure registries (from GET /info RegistryConfig:
   * IndexConfigs[x].Secure === false, or InsecureRegistryCIDRs containing the host's IP;
   * 127.0.0.0/8 is insecure by default). The caller passes the answer.
   */
  insecure?: boolean;
  /** Where certs.d lives (default /etc/docker/certs.d): <dir>/<host:port>/ca.crt, client.cert/client.key */
  certsDir?: string;
  signal?: AbortSignal;
  /** A request that gets no bytes for this long fails (default 30 s; tests pass small values). */
  stallTimeoutMs?: number;
  /** Attempts for 5xx / dropped connections (default 4, backoff 0.25 s ×2 with jitter; tests pass small values). */
  attempts?: number;
  /** The first backoff (default 250 ms; each next one doubles). */
  retryBaseDelayMs?: number;
}

export interface ImageConfigSummary {
  /** The digest of the manifest `reference` names (an index's, when it names an index). */
  manifestDigest: string;
  /** The image's config digest: its image ID. */
  configDigest: string;
  labels: Record<string, string>;
  created?: string;
  /** When `reference` names an index: the digest of the platform's manifest that was followed. */
  platformManifestDigest?: string;
  /** The image's HEALTHCHECK, as its config holds it (durations in ns). */
  healthcheck?: ImageHealthcheck;
}

export interface ImageHealthcheck {
  test: string[];
  intervalNs?: number;
  timeoutNs?: number;
  startPeriodNs?: number;
  retries?: number;
}

/** An image config's `Healthcheck` (Docker's field names), or undefined when it has none that runs. */
function imageHealthcheck(raw: unknown): ImageHealthcheck | undefined {
  if (!raw || typeof raw !== "object") return undefined;
  const h = raw as Record<string, unknown>;
  if (!Array.isArray(h["Test"]) || !h["Test"].every((t) => typeof t === "string") || h["Test"].length === 0) return undefined;
  const num = (key: string) => (typeof h[key] === "number" && (h[key] as number) > 0 ? (h[key] as number) : undefined);
  const [interval, timeout, startPeriod, retries] = [num("Interval"), num("Timeout"), num("StartPeriod"), num("Retries")];
  return {
    test: h["Test"] as string[],
    ...(interval !== undefined ? { intervalNs: interval } : {}),
    ...(timeout !== undefined ? { timeoutNs: timeout } : {}),
    ...(startPeriod !== undefined ? { startPeriodNs: startPeriod } : {}),
    ...(retries !== undefined ? { retries } : {}),
  };
}

export const MEDIA_TYPES = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
} as const;

/** What the client accepts for a manifest: Docker v2 and OCI, images and indexes. */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest].join(", ");

const INDEX_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);

type AuthState = { scheme: "none" } | { scheme: "basic" } | { scheme: "bearer"; challenge: Challenge };

interface CallOptions {
  headers?: Record<string, string>;
  body?: Buffer;
  redirects?: number;
}

export class RegistryClient {
  /** The registry as given (host[:port]). */
  readonly registry: string;
  /** Where it answered: `https://host[:port]`, or `http://…` for an insecure registry without TLS. */
  readonly origin: string;
  readonly #transport: RegistryTransport;
  readonly #credential: RegistryCredential;
  readonly #attempts: number;
  readonly #retryBaseDelayMs: number;
  readonly #signal: AbortSignal | undefined;
  readonly #tokens = new TokenCache();
  /** Token requests in flight by scope: parallel calls for one repository ask once. */
  readonly #pendingTokens = new Map<string, Promise<IssuedToken>>();
  #auth: AuthState = { scheme: "none" };

  private constructor(opts: RegistryClientOptions, origin: string, transport: RegistryTransport) {
    this.registry = opts.registry;
    this.origin = origin;
    this.#transport = transport;
    this.#credential = opts.credential;
    this.#attempts = opts.attempts ?? 4;
    this.#retryBaseDelayMs = opts.retryBaseDelayMs ?? 250;
    this.#signal = opts.signal;
  }

  /**
   * `GET /v2/` over HTTPS; over plain HTTP only when the registry is insecure and HTTPS got no
   * answer (as dockerd does). Learns the registry's auth scheme, and checks credentials at once
   * when there are some (as `docker login` does), so that wrong ones fail here, not mid-publish.
   */
  static async connect(opts: RegistryClientOptions): Promise<RegistryClient> {
    checkRegistryName(opts.registry);
    const tls = await readCertsDir(opts.certsDir ?? DEFAULT_CERTS_DIR, opts.registry);
    const transport = new RegistryTransport({ tls, insecure: opts.insecure ?? false, stallTimeoutMs: opts.stallTimeoutMs ?? 30_000, signal: opts.signal });
    const host = registryHost(opts.registry);
    try {
      let client: RegistryClient | undefined;
      let answer: ExchangeResponse | undefined;
      if (opts.insecure) {
        client = new RegistryClient(opts, `https://${host}`, transport);
        try {
          // One attempt: a plain-HTTP registry resets or garbles a TLS handshake, and that is the answer.
          answer = await client.#probe(1);
        } catch (err) {
          if (!(err instanceof RegistryConnectionError)) throw err;
        }
      }
      if (!answer) {
        client = new RegistryClient(opts, opts.insecure ? `http://${host}` : `https://${host}`, transport);
        answer = await client.#probe(client.#attempts);
      }
      await client!.#authenticate(answer);
      return client!;
    } catch (err) {
      await transport.close();
      throw err;
    }
  }

  async #probe(attempts: number): Promise<ExchangeResponse> {
    const url = new URL("/v2/", this.origin);
    return this.#retrying("GET /v2/", () => this.#transport.exchange({ method: "GET", url }), attempts);
  }

  async #authenticate(response: ExchangeResponse): Promise<void> {
    if (response.status === 200) return;
    if (response.status !== 401) {
      throw this.#statusError(response, "GET /v2/", response.status === 404 ? "There is no registry API (/v2/) at this address: check the registry address." : undefined);
    }
    this.#learn(response);
    if (!hasSecret(this.#credential)) return;
    if (this.#auth.scheme === "basic") {
      const url = new URL("/v2/", this.origin);
      const checked = await this.#retrying("GET /v2/", () => this.#transport.exchange({ method: "GET", url, headers: { authorization: this.#basic() } }));
      if (checked.status === 401 || checked.status === 403) throw this.#refusal(checked, "GET /v2/");
      if (checked.status !== 200) throw this.#statusError(checked, "GET /v2/");
    } else if (this.#auth.scheme === "bearer") {
      await this.#fetchToken(this.#auth.challenge, []);
    }
  }

  /** Takes the registry's challenge: Bearer when it offers it, else Basic. */
  #learn(response: ExchangeResponse): boolean {
    const challenges = parseWwwAuthenticate(response.headers["www-authenticate"]);
    const bearer = challenges.find((c) => c.scheme === "bearer");
    if (bearer) {
      this.#auth = { scheme: "bearer", challenge: bearer };
      return true;
    }
    if (challenges.some((c) => c.scheme === "basic")) {
      this.#auth = { scheme: "basic" };
      return true;
    }
    const offered = challenges.map((c) => c.scheme).join(", ") || "nothing";
    throw new SlipwayError(`Registry ${this.registry} asks for authentication Slipway does not speak (WWW-Authenticate: ${offered})`, {
      code: "REGISTRY_AUTH_UNSUPPORTED",
      kind: "registry",
      hint: "Slipway speaks basic and Bearer-token authentication, as the Docker engine does; check the registry address.",
    });
  }

  /** The digest `reference` names (HEAD), or undefined when the repository or reference is unknown. */
  async manifestDigest(repository: string, reference: string): Promise<string | undefined> {
    const path = manifestPath(repository, reference);
    const response = await this.#call("HEAD", repository, path, ["pull"], { headers: { accept: MANIFEST_ACCEPT } });
    if (isUnknown(response)) return undefined;
    if (response.status !== 200) throw this.#statusError(response, `HEAD ${path}`);
    const digest = header(response.headers, "docker-content-digest");
    if (digest && DIGEST.test(digest)) {
      if (isDigest(reference) && digest !== reference) throw mismatch(`${this.registry}/${repository}@${reference}`, reference, digest);
      return digest;
    }
    // A registry (or a proxy) that leaves the header out of HEAD: the bytes tell.
    return (await this.getManifest(repository, reference))?.digest;
  }

  /** The manifest `reference` names, its bytes checked against its digest; undefined when unknown. */
  async getManifest(repository: string, reference: string): Promise<Manifest | undefined> {
    const path = manifestPath(repository, reference);
    const response = await this.#call("GET", repository, path, ["pull"], { headers: { accept: MANIFEST_ACCEPT } });
    if (isUnknown(response)) return undefined;
    if (response.status !== 200) throw this.#statusError(response, `GET ${path}`);
    const what = `${this.registry}/${repository}${isDigest(reference) ? "@" : ":"}${reference}`;
    const claimed = header(response.headers, "docker-content-digest");
    if (claimed) verifyDigest(response.body, claimed, what);
    if (isDigest(reference)) verifyDigest(response.body, reference, what);
    const digest = isDigest(reference) ? reference : claimed && DIGEST.test(claimed) ? claimed : computeDigest(response.body);
    return { digest, mediaType: manifestMediaType(response.body, header(response.headers, "content-type")), bytes: response.body };
  }

  /** Puts `manifest` under `reference` (a tag); returns its digest, checked against the bytes. */
  async putManifest(repository: string, reference: string, manifest: { mediaType: string; bytes: Buffer }): Promise<string> {
    const path = manifestPath(repository, reference);
    const what = `${this.registry}/${repository}:${reference}`;
    if (isDigest(reference)) verifyDigest(manifest.bytes, reference, what);
    const response = await this.#call("PUT", repository, path, ["pull", "push"], { headers: { "content-type": manifest.mediaType }, body: manifest.bytes });
    if (response.status !== 201 && response.status !== 200 && response.status !== 202) throw this.#statusError(response, `PUT ${path}`);
    const claimed = header(response.headers, "docker-content-digest");
    const expected = computeDigest(manifest.bytes);
    if (!claimed) return expected;
    verifyDigest(manifest.bytes, claimed, what);
    return claimed;
  }

  /** A blob, whole and checked against its digest: for image configs (small). */
  async getBlob(repository: string, digest: string): Promise<Buffer> {
    if (!isDigest(digest)) throw badName(`${digest} is not a digest (algorithm:hex)`);
    const path = `/v2/${checkRepository(repository)}/blobs/${digest}`;
    const response = await this.#call("GET", repository, path, ["pull"], { redirects: 5 });
    if (response.status === 404) {
      throw new SlipwayError(`Registry ${this.registry} has no blob ${digest} in ${repository}${said(response)}`, {
        code: "REGISTRY_BLOB_UNKNOWN",
        kind: "registry",
        hint: "The manifest names a blob the registry does not have: push the image again.",
      });
    }
    if (response.status !== 200) throw this.#statusError(response, `GET ${path}`);
    verifyDigest(response.body, digest, `${this.registry}/${repository}@${digest}`);
    return response.body;
  }

  /**
   * The image `reference` names: its config digest (image ID), labels and creation time. An index
   * (multi-platform) is followed to its linux/amd64 manifest, or to its only one.
   */
  async imageConfig(repository: string, reference: string): Promise<ImageConfigSummary | undefined> {
    const top = await this.getManifest(repository, reference);
    if (!top) return undefined;
    let manifest = top;
    let parsed = parseManifest(top, `${this.registry}/${repository}:${reference}`);
    let platformManifestDigest: string | undefined;
    if (INDEX_TYPES.has(top.mediaType) || Array.isArray(parsed.manifests)) {
      const chosen = selectPlatform(parsed.manifests ?? [], `${this.registry}/${repository}:${reference}`);
      const followed = await this.getManifest(repository, chosen);
      if (!followed) {
        throw new SlipwayError(`Registry ${this.registry}: the index ${repository}:${reference} names ${chosen}, which it does not have`, {
          code: "REGISTRY_MANIFEST_UNKNOWN",
          kind: "registry",
          hint: "The index is incomplete: push the image again.",
        });
      }
      manifest = followed;
      platformManifestDigest = followed.digest;
      parsed = parseManifest(followed, `${this.registry}/${repository}@${chosen}`);
    }
    const configDigest = parsed.config?.digest;
    if (typeof configDigest !== "string" || !isDigest(configDigest)) {
      throw new SlipwayError(`${this.registry}/${repository}@${manifest.digest} (${manifest.mediaType}) names no image config`, {
        code: "REGISTRY_MANIFEST_UNSUPPORTED",
        kind: "registry",
        hint: "Slipway reads Docker v2 and OCI image manifests; push the image again with a current Docker engine.",
      });
    }
    const config = parseJson(await this.getBlob(repository, configDigest), `the image config ${configDigest}`) as { created?: unknown; config?: { Labels?: unknown; Healthcheck?: unknown } | null };
    const labels: Record<string, string> = {};
    const raw = config.config?.Labels;
    if (raw && typeof raw === "object") for (const [k, v] of Object.entries(raw)) if (typeof v === "string") labels[k] = v;
    const health = imageHealthcheck(config.config?.Healthcheck);
    return {
      manifestDigest: top.digest,
      configDigest,
      labels,
      ...(typeof config.created === "string" ? { created: config.created } : {}),
      ...(platformManifestDigest ? { platformManifestDigest } : {}),
      ...(health ? { healthcheck: health } : {}),
    };
  }

  async close(): Promise<void> {
    await this.#transport.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * One API call with the auth it needs. A 401 is answered once: by taking the registry's
   * challenge (when /v2/ had asked for none) or by a fresh token (when the cached one was
   * refused); a second 401, or a 403, is the credentials' refusal.
   */
  async #call(method: "GET" | "HEAD" | "PUT", repository: string, path: string, actions: Action[], opts: CallOptions = {}): Promise<ExchangeResponse> {
    const url = new URL(path, this.origin);
    for (let round = 0; ; round++) {
      const auth = await this.#authorization(repository, actions);
      const headers = { ...opts.headers, ...(auth.header ? { authorization: auth.header } : {}) };
      const response = await this.#retrying(`${method} ${path}`, () =>
        this.#transport.exchange({ method, url, headers, ...(opts.body ? { body: opts.body } : {}), ...(opts.redirects ? { redirects: opts.redirects } : {}) }),
      );
      if (response.status === 401 && round === 0) {
        if (this.#auth.scheme === "none" && parseWwwAuthenticate(response.headers["www-authenticate"]).length > 0 && this.#learn(response)) continue;
        if (auth.cachedScope) {
          this.#tokens.delete(auth.cachedScope);
          continue;
        }
      }
      if (response.status === 401 || response.status === 403) throw this.#refusal(response, `${method} ${path}`);
      return response;
    }
  }

  async #authorization(repository: string, actions: Action[]): Promise<{ header?: string; cachedScope?: string }> {
    const auth = this.#auth;
    if (auth.scheme === "basic") return hasSecret(this.#credential) ? { header: this.#basic() } : {};
    if (auth.scheme !== "bearer") return {};
    const scope = repositoryScope(repository, actions);
    const cached = this.#tokens.get(scope);
    if (cached) return { header: `Bearer ${cached}`, cachedScope: scope };
    let pending = this.#pendingTokens.get(scope);
    if (!pending) {
      pending = this.#fetchToken(auth.challenge, [scope]).finally(() => this.#pendingTokens.delete(scope));
      this.#pendingTokens.set(scope, pending);
    }
    const issued = await pending;
    this.#tokens.set(scope, issued);
    return { header: `Bearer ${issued.token}` };
  }

  async #fetchToken(challenge: Challenge, scopes: string[]): Promise<IssuedToken> {
    const req = tokenRequest(challenge, scopes, this.#credential);
    const service = `${req.url.origin}${req.url.pathname}`;
    const what = scopes.length > 0 ? `a token for ${scopes.join(" ")}` : "a token (checking the credentials)";
    const response = await this.#retrying(`${req.method} ${req.url.pathname}`, () =>
      this.#transport.exchange({ method: req.method, url: req.url, headers: req.headers, ...(req.body ? { body: req.body } : {}) }),
    );
    if (response.status === 401 || response.status === 403) {
      throw refusalError({ registry: this.registry, credential: this.#credential, status: response.status, what, tokenService: service, ...optionalSaid(tokenServiceSaid(response.body)) });
    }
    if (response.status !== 200) {
      throw new SlipwayError(`${this.registry}'s token service (${service}) answered HTTP ${response.status} when asked for ${what}${tokenServiceSaid(response.body) ? `: ${tokenServiceSaid(response.body)}` : ""}`, {
        code: "REGISTRY_AUTH_FAILED",
        kind: "registry",
        hint: "Check that the registry's token service is up; the registry's operators can tell more.",
      });
    }
    return parseTokenResponse(response.body);
  }

  /** `send`, tried again on 5xx, 429 and dropped connections; a final 5xx/429 becomes the error. */
  async #retrying(what: string, send: () => Promise<ExchangeResponse>, attempts = this.#attempts): Promise<ExchangeResponse> {
    let result;
    try {
      result = await withRetries({ attempts, signal: this.#signal, backoff: { baseMs: this.#retryBaseDelayMs } }, send, (outcome) => {
        if (outcome.ok) {
          const { status, headers } = outcome.value;
          return status >= 500 || status === 429 ? { reason: `HTTP ${status}`, retryAfterMs: parseRetryAfter(headers["retry-after"]) } : undefined;
        }
        return outcome.error instanceof RegistryConnectionError && outcome.error.reason === "dropped" ? { reason: "dropped connection" } : undefined;
      });
    } catch (err) {
      if (err instanceof RegistryConnectionError && err.reason === "dropped" && attempts > 1) {
        throw new RegistryConnectionError("dropped", `${err.message}, ${attempts} times in a row`, { hint: err.hint ?? "", cause: err.cause, ...(err.details ? { details: err.details } : {}) });
      }
      throw err;
    }
    const { value, attempts: made } = result;
    if (value.status >= 500 || value.status === 429) {
      const limited = value.status === 429;
      throw new SlipwayError(`Registry ${this.registry} answered HTTP ${value.status} to ${what}${made > 1 ? `, ${made} times in a row` : ""}${said(value)}`, {
        code: limited ? "REGISTRY_RATE_LIMITED" : "REGISTRY_SERVER_ERROR",
        kind: "registry",
        hint: limited
          ? "The registry limits how many requests it takes: try again later, or log in (anonymous clients get lower limits)."
          : "The registry is failing: try again later, or check its logs or status page.",
        details: { status: value.status, attempts: made },
      });
    }
    return value;
  }

  #basic(): string {
    return basicAuthorization(this.#credential.username ?? "", this.#credential.password ?? "");
  }

  #refusal(response: ExchangeResponse, what: string): SlipwayError {
    const challengeError = parseWwwAuthenticate(response.headers["www-authenticate"]).find((c) => c.params["error"])?.params["error"];
    const words = [describeRegistryErrors(response.body), challengeError].filter(Boolean).join("; ");
    return refusalError({ registry: this.registry, credential: this.#credential, status: response.status as 401 | 403, what, ...optionalSaid(words) });
  }

  #statusError(response: ExchangeResponse, what: string, hint?: string): SlipwayError {
    return new SlipwayError(`Registry ${this.registry} answered HTTP ${response.status} to ${what}${said(response)}`, {
      code: "REGISTRY_REQUEST_FAILED",
      kind: "registry",
      hint: hint ?? "The registry refused the request as made: the message above is its own; check the repository name and the manifest.",
      details: { status: response.status, errors: registryErrors(response.body).map((e) => e.code) },
    });
  }
}

const DIGEST = /^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;
const ALGORITHMS: Record<string, string> = { sha256: "sha256", sha384: "sha384", sha512: "sha512" };

export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/** `sha256:<hex>` of `bytes` (or another algorithm's). */
export function computeDigest(bytes: Buffer, algorithm = "sha256"): string {
  const hash = ALGORITHMS[algorithm];
  if (!hash) throw new SlipwayError(`Unsupported digest algorithm ${algorithm}`, { code: "REGISTRY_DIGEST_UNSUPPORTED", kind: "registry", hint: "Slipway checks sha256, sha384 and sha512 digests." });
  return `${algorithm}:${createHash(hash).update(bytes).digest("hex")}`;
}

/** Throws REGISTRY_DIGEST_MISMATCH unless `bytes` hash to `expected`. */
export function verifyDigest(bytes: Buffer, expected: string, what: string): void {
  if (!isDigest(expected)) {
    throw new SlipwayError(`${what}: the registry gave "${expected.slice(0, 80)}" as a digest, which is not one Slipway can check`, {
      code: "REGISTRY_DIGEST_UNSUPPORTED",
      kind: "registry",
      hint: "Slipway checks sha256, sha384 and sha512 digests.",
    });
  }
  const actual = computeDigest(bytes, expected.slice(0, expected.indexOf(":")));
  if (actual !== expected) throw mismatch(what, expected, actual);
}

function mismatch(what: string, expected: string, actual: string): SlipwayError {
  return new SlipwayError(`${what}: the content's digest is ${actual}, not ${expected}`, {
    code: "REGISTRY_DIGEST_MISMATCH",
    kind: "registry",
    hint: "What arrived is not what the registry said it sent: a proxy in between may alter it, or the registry's storage is damaged. Nothing was used.",
  });
}

/** A manifest's media type: its own `mediaType` field, else the response's Content-Type. */
export function manifestMediaType(bytes: Buffer, contentType: string | undefined): string {
  try {
    const parsed = JSON.parse(bytes.toString("utf8")) as { mediaType?: unknown };
    if (typeof parsed.mediaType === "string" && parsed.mediaType) return parsed.mediaType;
  } catch {
    // not JSON: the Content-Type is all there is
  }
  return (contentType ?? "").split(";")[0]!.trim() || "application/octet-stream";
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  platform?: { os?: string; architecture?: string; variant?: string };
}

interface ParsedManifest {
  manifests?: Descriptor[];
  config?: { digest?: unknown };
}

function parseManifest(manifest: Manifest, what: string): ParsedManifest {
  return parseJson(manifest.bytes, what) as ParsedManifest;
}

/**
 * The manifest of an index an image is read from: linux/amd64, else the only one (attestation
 * manifests, platform unknown/unknown, do not count).
 */
export function selectPlatform(manifests: readonly Descriptor[], what: string): string {
  const images = manifests.filter((m) => typeof m.digest === "string" && !(m.platform?.os === "unknown" && m.platform?.architecture === "unknown"));
  const amd64 = images.find((m) => m.platform?.os === "linux" && m.platform?.architecture === "amd64");
  const chosen = amd64 ?? (images.length === 1 ? images[0] : undefined);
  if (chosen?.digest && isDigest(chosen.digest)) return chosen.digest;
  const platforms = images.map((m) => `${m.platform?.os ?? "?"}/${m.platform?.architecture ?? "?"}`).join(", ") || "none";
  throw new SlipwayError(`${what} is an index without a linux/amd64 image (it has: ${platforms})`, {
    code: "REGISTRY_NO_PLATFORM",
    kind: "registry",
    hint: "Publish a linux/amd64 image under this tag, or read the platform's manifest by its digest.",
  });
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw new SlipwayError(`${what} is not JSON`, { code: "REGISTRY_MANIFEST_UNSUPPORTED", kind: "registry", hint: "The registry served something other than a manifest or image config.", cause: err });
  }
}

/** 404, or the registry's own word that the repository or manifest is unknown. */
function isUnknown(response: ExchangeResponse): boolean {
  if (response.status === 404) return true;
  if (response.status < 400 || response.status === 401 || response.status === 403) return false;
  return registryErrors(response.body).some((e) => e.code === "MANIFEST_UNKNOWN" || e.code === "NAME_UNKNOWN");
}

function said(response: ExchangeResponse): string {
  const text = describeRegistryErrors(response.body);
  return text ? `: ${text}` : "";
}

function optionalSaid(text: string): { said?: string } {
  return text ? { said: text } : {};
}

/** A token service's reason: distribution's `errors`, or Docker Hub's `details`, one line. */
function tokenServiceSaid(body: Buffer): string {
  const errors = describeRegistryErrors(body);
  if (errors) return errors;
  try {
    const parsed = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    for (const key of ["details", "error_description", "error", "message"]) {
      const value = parsed[key];
      if (typeof value === "string" && value) return value.slice(0, 200);
    }
  } catch {
    // no reason given in JSON
  }
  return "";
}

// distribution's reference grammar (reference/regexp.go): path components and tags.
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;

function checkRepository(repository: string): string {
  if (!REPOSITORY.test(repository)) throw badName(`"${repository}" is not a valid repository name (lower-case path components such as team/app)`);
  return repository;
}

function manifestPath(repository: string, reference: string): string {
  if (!TAG.test(reference) && !isDigest(reference)) throw badName(`"${reference}" is neither a tag nor a digest`);
  return `/v2/${checkRepository(repository)}/manifests/${reference}`;
}

function checkRegistryName(registry: string): void {
  if (!/^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:.]+\](:\d+)?$/.test(registry)) {
    throw new SlipwayError(`"${registry}" is not a registry address (host or host:port, without a scheme or path)`, {
      code: "REGISTRY_BAD_NAME",
      kind: "config",
      hint: "Write the registry as in an image reference: registry.example.com, or 127.0.0.1:5000.",
    });
  }
}

function badName(detail: string): SlipwayError {
  return new SlipwayError(detail, { code: "REGISTRY_BAD_NAME", kind: "config", hint: "Check the image's repository and tag in slipway.yml." });
}
