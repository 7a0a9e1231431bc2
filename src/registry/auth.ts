/**
 * Registry authentication, the two schemes real registries use (distribution's docs/spec/auth):
 *
 * - Basic: the credential on every request.
 * - Bearer: the registry's 401 names a token service (`WWW-Authenticate: Bearer realm=…,
 *   service=…,scope=…`); a token is asked for per repository and actions, with basic auth from
 *   the credential (GET), with an identity token as an OAuth2 refresh token (POST), or
 *   anonymously, and kept until it expires.
 *
 * Everything here is pure but the token cache's clock: the client does the requests. Secrets
 * never enter a message: a refusal names the credential by its `source` only.
 */
import { SlipwayError } from "../errors/index.ts";
import type { RegistryCredential } from "./types.ts";

export interface Challenge {
  /** Lower case: "basic", "bearer". */
  scheme: string;
  /** Parameter names in lower case; values unquoted. */
  params: Record<string, string>;
  /** A token68 instead of parameters (rare, never from a registry). */
  token68?: string;
}

/**
 * Parses `WWW-Authenticate` (RFC 9110 §11.6.1): several challenges in one header or in several,
 * parameters as tokens or quoted strings, with commas and escaped quotes inside the quotes.
 */
export function parseWwwAuthenticate(value: string | string[] | undefined): Challenge[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v) => parseWwwAuthenticate(v));
  const challenges: Challenge[] = [];
  const s = value;
  let i = 0;
  const skip = (chars: RegExp) => {
    while (i < s.length && chars.test(s[i]!)) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  const quoted = (): string => {
    let out = "";
    i++; // the opening quote
    while (i < s.length && s[i] !== '"') {
      if (s[i] === "\\" && i + 1 < s.length) i++;
      out += s[i++];
    }
    i++; // the closing quote (or the end of a broken header)
    return out;
  };
  /** At a parameter: `name = value`, as opposed to the next challenge's scheme or a token68's `=` padding. */
  const atParam = (): boolean => {
    const save = i;
    const name = token();
    skip(/[ \t]/);
    let is = name !== "" && s[i] === "=";
    if (is) {
      i++;
      skip(/[ \t]/);
      is = i < s.length && /["!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(s[i]!);
    }
    i = save;
    return is;
  };
  while (i < s.length) {
    skip(/[ \t,]/);
    const scheme = token();
    if (!scheme) {
      i++; // not a token: skip the stray character
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    skip(/[ \t]/);
    // token68: `Scheme abc123==` (the token then only `=` padding, then a comma or the end)
    const t68 = /^[A-Za-z0-9\-._~+/]+=*/.exec(s.slice(i));
    if (t68 && !atParam() && /^[ \t]*(,|$)/.test(s.slice(i + t68[0].length))) {
      challenge.token68 = t68[0];
      i += t68[0].length;
      continue;
    }
    while (i < s.length) {
      skip(/[ \t,]/);
      if (!atParam()) break;
      const name = token().toLowerCase();
      skip(/[ \t]/);
      i++; // "="
      skip(/[ \t]/);
      challenge.params[name] = s[i] === '"' ? quoted() : token();
    }
  }
  return challenges;
}

export type Action = "pull" | "push" | "delete";

/** `repository:team/app:pull,push`, the actions in a stable order. */
export function repositoryScope(repository: string, actions: readonly Action[]): string {
  const order: Action[] = ["pull", "push", "delete"];
  return `repository:${repository}:${order.filter((a) => actions.includes(a)).join(",")}`;
}

/** True when the credential carries something to send (not only where it would have come from). */
export function hasSecret(credential: RegistryCredential): boolean {
  return Boolean(credential.identityToken || credential.username || credential.password);
}

/** How a message names the credential: by where it came from, never by value. */
export function credentialPhrase(credential: RegistryCredential): string {
  return hasSecret(credential) ? `with the credentials from ${credential.source}` : "without credentials";
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

/** The client id Slipway gives token services (docker's is "docker"). */
export const CLIENT_ID = "slipway";

/** A token request, planned: the client sends it through its transport. */
export interface TokenRequest {
  method: "GET" | "POST";
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/**
 * How to ask a Bearer challenge's realm for a token for `scopes`, as the docker CLI does: an
 * identity token is an OAuth2 refresh token (POST, form-encoded); a user name and password are
 * basic auth on a GET (with `account`); no credential asks anonymously. No scopes: a token that
 * only proves the credentials (what `docker login` asks for).
 */
export function tokenRequest(challenge: Challenge, scopes: readonly string[], credential: RegistryCredential): TokenRequest {
  const realm = challenge.params["realm"];
  if (!realm) throw new SlipwayError("The registry asked for a Bearer token without saying where to get one (no realm)", { code: "REGISTRY_AUTH_UNSUPPORTED", kind: "registry", hint: "The registry's token auth is misconfigured; tell its operators." });
  const service = challenge.params["service"];
  let url: URL;
  try {
    url = new URL(realm);
  } catch (err) {
    throw new SlipwayError(`The registry's token service address is not a URL: ${realm}`, { code: "REGISTRY_AUTH_UNSUPPORTED", kind: "registry", hint: "The registry's token auth is misconfigured; tell its operators.", cause: err });
  }
  if (credential.identityToken) {
    const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: credential.identityToken, client_id: CLIENT_ID });
    if (service) form.set("service", service);
    if (scopes.length > 0) form.set("scope", scopes.join(" "));
    return { method: "POST", url, headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() };
  }
  if (service) url.searchParams.set("service", service);
  for (const scope of scopes) url.searchParams.append("scope", scope);
  url.searchParams.set("client_id", CLIENT_ID);
  const headers: Record<string, string> = {};
  if (credential.username || credential.password) {
    if (credential.username) url.searchParams.set("account", credential.username);
    headers["authorization"] = basicAuthorization(credential.username ?? "", credential.password ?? "");
  }
  return { method: "GET", url, headers };
}

export interface IssuedToken {
  token: string;
  /** ms since the epoch after which it is not used any more. */
  expiresAt: number;
}

/** Registries' tokens last 60 s unless they say otherwise (distribution's spec). */
const DEFAULT_EXPIRES_IN_S = 60;

/**
 * A token service's answer: `token` or `access_token`, `expires_in` seconds from `issued_at` (or
 * from now). A token is given up a little early (10 %, at most 10 s) so that it does not expire
 * on its way to the registry.
 */
export function parseTokenResponse(body: Buffer | string, now: number = Date.now()): IssuedToken {
  let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
  try {
    parsed = JSON.parse(body.toString()) as typeof parsed;
  } catch (err) {
    throw new SlipwayError("The registry's token service answered with something that is not JSON", { code: "REGISTRY_AUTH_FAILED", kind: "registry", hint: "Check that the registry's token service is healthy.", cause: err });
  }
  const token = typeof parsed.token === "string" && parsed.token ? parsed.token : typeof parsed.access_token === "string" ? parsed.access_token : "";
  if (!token) throw new SlipwayError("The registry's token service answered without a token", { code: "REGISTRY_AUTH_FAILED", kind: "registry", hint: "Check that the registry's token service is healthy." });
  const expiresIn = typeof parsed.expires_in === "number" && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_EXPIRES_IN_S;
  const issued = typeof parsed.issued_at === "string" ? Date.parse(parsed.issued_at) : NaN;
  // A token service whose clock is off would make every token look expired: trust ours then.
  const from = Number.isNaN(issued) || Math.abs(issued - now) > 5 * 60_000 ? now : issued;
  const lifetime = expiresIn * 1000;
  return { token, expiresAt: from + lifetime - Math.min(lifetime * 0.1, 10_000) };
}

/**
 * Tokens by scope, until they expire. A token for `pull,push` also serves `pull` on the same
 * repository: a publish that reads a tag after writing one asks the token service once.
 */
export class TokenCache {
  readonly #tokens = new Map<string, IssuedToken>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  get(scope: string): string | undefined {
    for (const candidate of coveringScopes(scope)) {
      const entry = this.#tokens.get(candidate);
      if (!entry) continue;
      if (entry.expiresAt > this.#now()) return entry.token;
      this.#tokens.delete(candidate);
    }
    return undefined;
  }

  set(scope: string, token: IssuedToken): void {
    this.#tokens.set(scope, token);
  }

  delete(scope: string): void {
    for (const candidate of coveringScopes(scope)) this.#tokens.delete(candidate);
  }
}

/** The scope itself first, then the wider ones of the same repository that include its actions. */
function coveringScopes(scope: string): string[] {
  const m = /^repository:(.+):([a-z,]+)$/.exec(scope);
  if (!m) return [scope];
  const repository = m[1]!;
  const wanted = m[2]!.split(",") as Action[];
  const all: Action[][] = [["pull"], ["pull", "push"], ["pull", "push", "delete"], ["push"], ["delete"], ["pull", "delete"], ["push", "delete"]];
  const wider = all.filter((actions) => wanted.every((a) => actions.includes(a))).map((actions) => repositoryScope(repository, actions));
  return [scope, ...wider.filter((s) => s !== scope)];
}

/** The registry's own words from an error body (`{"errors":[{"code","message"}]}`), never more than a line. */
export function registryErrors(body: Buffer | string): { code: string; message: string }[] {
  try {
    const parsed = JSON.parse(body.toString()) as { errors?: { code?: unknown; message?: unknown }[] };
    if (!Array.isArray(parsed.errors)) return [];
    return parsed.errors.map((e) => ({ code: typeof e.code === "string" ? e.code : "UNKNOWN", message: typeof e.message === "string" ? e.message.slice(0, 200) : "" }));
  } catch {
    return [];
  }
}

export function describeRegistryErrors(body: Buffer | string): string {
  return registryErrors(body)
    .map((e) => (e.message ? `${e.code}: ${e.message}` : e.code))
    .join("; ");
}

export interface RefusalContext {
  /** The registry as the user wrote it (host[:port]). */
  registry: string;
  credential: RegistryCredential;
  status: 401 | 403;
  /** What was being done: "HEAD /v2/team/app/manifests/1", "a token from http://auth/token". */
  what: string;
  /** The registry's error code and message, or the Bearer challenge's `error`. */
  said?: string;
  /** A refusal by a token service (its realm), rather than by the registry itself. */
  tokenService?: string;
}

/** The error for a 401/403: which registry, which credentials (by source), what to do next. */
export function refusalError(ctx: RefusalContext): SlipwayError {
  const phrase = credentialPhrase(ctx.credential);
  const by = ctx.tokenService ? `${ctx.registry}'s token service (${ctx.tokenService})` : `Registry ${ctx.registry}`;
  const said = ctx.said ? `, ${ctx.said}` : "";
  const message = `${by} refused ${ctx.what} ${phrase}: HTTP ${ctx.status}${said}`;
  const login = `slipway login ${ctx.registry}`;
  const hint = !hasSecret(ctx.credential)
    ? `Log in: run \`${login}\`, or set the variables named by registry.username_env and registry.password_env in slipway.yml.`
    : ctx.status === 401
      ? `Check the credentials from ${ctx.credential.source}: run \`${login}\` again, or fix the user name and password (or token) there.`
      : `The credentials from ${ctx.credential.source} are valid but lack the right for this: ask the registry's operators for access to the repository, or use other credentials (\`${login}\`).`;
  return new SlipwayError(message, {
    code: ctx.status === 401 ? "REGISTRY_UNAUTHORIZED" : "REGISTRY_FORBIDDEN",
    kind: "registry",
    hint,
    details: { registry: ctx.registry, status: ctx.status, credentialSource: hasSecret(ctx.credential) ? ctx.credential.source : "none" },
  });
}
