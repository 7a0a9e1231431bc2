/**
 * Does a registry accept this user and password? What `slipway login` asks before it stores
 * anything, as `docker login` has the engine ask: `GET /v2/` with basic auth; a registry that
 * answers 401 with a Bearer challenge is asked for a token at its realm, with basic auth and the
 * challenge's `service` (and `scope`). A 200 means yes; a 401 or 403 means no.
 *
 * Only this question: reaching manifests and blobs is the registry client's work. The password
 * goes in Authorization headers only, never into a URL, a message or an error.
 */
import { SlipwayError, isAbortError, CancelledError } from "../errors/index.ts";
import { Agent, request } from "../engine/undici-core.ts";
import { DOCKER_HUB, normalizeRegistry } from "./reference.ts";

export const DEFAULT_VERIFY_TIMEOUT_MS = 30_000;

export interface VerifyLoginOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface VerifiedLogin {
  /** The `/v2/` URL that answered. */
  url: string;
  /** How the registry checked the credentials: at `/v2/` itself, or at its token realm. */
  via: "basic" | "token";
}

/** A `WWW-Authenticate` challenge: its scheme (lower case) and parameters. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Where a registry's API is: HTTPS, and for a loopback registry plain HTTP after it (the engine
 * treats 127.0.0.0/8 as insecure); Docker Hub's API is at registry-1.docker.io.
 */
export function registryBaseUrls(registry: string): string[] {
  const host = normalizeRegistry(registry);
  if (host === DOCKER_HUB) return ["https://registry-1.docker.io/v2/"];
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
  return loopback ? [`https://${host}/v2/`, `http://${host}/v2/`] : [`https://${host}/v2/`];
}

/** The challenges of a `WWW-Authenticate` header (`Bearer realm="…",service="…"`), Bearer first. */
export function parseChallenges(header: string | string[] | undefined): AuthChallenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const challenges: AuthChallenge[] = [];
  for (const value of values) {
    // A new challenge starts at a scheme token followed by a space; parameters are key=value or key="value".
    for (const m of value.matchAll(/([A-Za-z][\w-]*)\s+((?:[\w-]+=(?:"(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?\s*)*)/g)) {
      const params: Record<string, string> = {};
      for (const p of m[2]!.matchAll(/([\w-]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
        params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3]!;
      }
      challenges.push({ scheme: m[1]!.toLowerCase(), params });
    }
  }
  return challenges.sort((a, b) => Number(b.scheme === "bearer") - Number(a.scheme === "bearer"));
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

function refused(registry: string, username: string, status: number, url: string): SlipwayError {
  return new SlipwayError(`The registry ${registry} refused the credentials of ${username} (HTTP ${status} from ${url})`, {
    code: "LOGIN_REFUSED",
    kind: "registry",
    hint: "Check the user name and the password or token; nothing was stored.",
  });
}

function unexpected(registry: string, status: number, url: string): SlipwayError {
  return new SlipwayError(`The registry ${registry} answered HTTP ${status} at ${url}, not a login's 200 or 401`, {
    code: "LOGIN_FAILED",
    kind: "registry",
    hint: "Check the registry address: it should be the registry's host[:port], whose /v2/ is its API.",
  });
}

/**
 * Checks `cred` against the registry; resolves when it accepts them, rejects (kind "registry",
 * exit 6) when it refuses them or cannot be reached.
 */
export async function verifyLogin(registry: string, cred: { username: string; password: string }, opts: VerifyLoginOptions = {}): Promise<VerifiedLogin> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const agent = new Agent({ connect: { timeout: Math.min(timeoutMs, 10_000) } });
  const authorization = basic(cred.username, cred.password);
  const get = async (url: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> => {
    const { origin, pathname, search } = new URL(url);
    const response = await request(agent, { origin, path: pathname + search, method: "GET", headers: { authorization, "user-agent": "slipway" }, signal });
    await response.body.dump();
    return { status: response.statusCode, headers: response.headers };
  };
  const problems: string[] = [];
  try {
    for (const url of registryBaseUrls(registry)) {
      let answer;
      try {
        answer = await get(url);
      } catch (err) {
        if (opts.signal?.aborted) throw new CancelledError();
        if (timeout.aborted) break;
        problems.push(`${url}: ${(err as Error).message}`);
        continue;
      }
      if (answer.status === 200) return { url, via: "basic" };
      if (answer.status !== 401) throw unexpected(registry, answer.status, url);
      const bearer = parseChallenges(answer.headers["www-authenticate"]).find((c) => c.scheme === "bearer" && c.params["realm"]);
      if (!bearer) throw refused(registry, cred.username, 401, url);
      const realm = URL.canParse(bearer.params["realm"]!) ? new URL(bearer.params["realm"]!) : undefined;
      if (!realm || (realm.protocol !== "https:" && realm.protocol !== "http:")) {
        throw new SlipwayError(`The registry ${registry} names a token service that is not an http(s) URL (WWW-Authenticate at ${url})`, {
          code: "LOGIN_FAILED",
          kind: "registry",
          hint: "The registry's auth configuration is broken: ask its administrators.",
        });
      }
      for (const [k, v] of Object.entries({ service: bearer.params["service"], scope: bearer.params["scope"], account: cred.username, client_id: "slipway", offline_token: "true" })) {
        if (v) realm.searchParams.set(k, v);
      }
      const shown = `${realm.origin}${realm.pathname}`;
      let token;
      try {
        token = await get(realm.href);
      } catch (err) {
        if (opts.signal?.aborted) throw new CancelledError();
        if (timeout.aborted) break;
        throw new SlipwayError(`The registry ${registry}'s token service ${shown} is not reachable: ${(err as Error).message}`, {
          code: "REGISTRY_UNREACHABLE",
          kind: "registry",
          hint: "The registry names this token service in its WWW-Authenticate header: check that it is up and reachable from here.",
        });
      }
      if (token.status === 200) return { url, via: "token" };
      if (token.status === 401 || token.status === 403) throw refused(registry, cred.username, token.status, shown);
      throw unexpected(registry, token.status, shown);
    }
  } catch (err) {
    if (err instanceof SlipwayError) throw err;
    if (isAbortError(err) && opts.signal?.aborted) throw new CancelledError();
    throw err;
  } finally {
    await agent.close().catch(() => undefined);
  }
  if (timeout.aborted) {
    throw new SlipwayError(`The registry ${registry} gave no answer in ${Math.round(timeoutMs / 1000)} s`, {
      code: "REGISTRY_TIMEOUT",
      kind: "registry",
      hint: "Check the registry address and that the registry is up; nothing was stored.",
    });
  }
  throw new SlipwayError(`The registry ${registry} is not reachable (${problems.join("; ")})`, {
    code: "REGISTRY_UNREACHABLE",
    kind: "registry",
    hint: "Check the registry address and that the registry is up; nothing was stored.",
  });
}
