/**
 * Image references and registry addresses, read as the docker CLI reads them (distribution's
 * reference grammar and its "normalized named" rules, github.com/distribution/reference):
 *
 *   reference        := name [ ":" tag ] [ "@" digest ]
 *   name             := [ domain "/" ] path-component [ "/" path-component ]*
 *   domain           := host [ ":" port ]       host := domain-name | "[" IPv6 "]"
 *   domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
 *   path-component   := [a-z0-9]+ ( ( [._] | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag              := [\w][\w.-]{0,127}
 *   digest           := algorithm ":" hex      (sha256: 64 lowercase hex characters)
 *
 * The first component is a registry when it holds a `.` or a `:`, is `localhost`, or has an
 * upper-case letter; otherwise the name is on Docker Hub (`docker.io`), and a one-component Hub
 * name is in `library/`. `index.docker.io` is Docker Hub too.
 */
import { SlipwayError } from "../errors/index.ts";
import type { ImageReference } from "./types.ts";

/** Docker Hub's registry, as references name it. */
export const DOCKER_HUB = "docker.io";
/** Docker Hub's key in config.json (`auths`, `credHelpers`) and in helpers: the v1 index URL the CLI has always used. */
export const DOCKER_HUB_KEY = "https://index.docker.io/v1/";

/** Names of Docker Hub that registries and configs use besides `docker.io`. */
const HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

const NAME_TOTAL_LENGTH_MAX = 255;

const ALNUM = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|[-]+)";
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = "\\[(?:[a-fA-F0-9:]+)\\]";
const DOMAIN = `(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?`;

const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const IMAGE_ID_RE = /^[a-f0-9]{64}$/;
/** Encoded lengths of the algorithms go-digest knows; any other algorithm is refused as it refuses it. */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

function invalid(text: string, reason: string, hint?: string): SlipwayError {
  return new SlipwayError(`Invalid image reference ${JSON.stringify(text)}: ${reason}`, {
    code: "REFERENCE_INVALID",
    kind: "config",
    hint: hint ?? "A reference is [registry/]repository[:tag][@digest], e.g. `registry.example.com:5000/team/app:1.2.0` or `postgres:15`.",
  });
}

/**
 * Splits and normalises `text` as the docker CLI does (`postgres:15` →
 * `{ registry: "docker.io", repository: "library/postgres", tag: "15" }`). No tag is added when
 * there is none: `latest` is the caller's default to apply. Throws a config error naming the
 * reference and what is wrong with it.
 */
export function parseReference(text: string): ImageReference {
  if (text === "") throw invalid(text, "it is empty");
  if (IMAGE_ID_RE.test(text)) {
    throw invalid(text, "a 64-character hexadecimal string is an image ID, not a reference", "Name the image by repository (and tag or digest), or prefix an ID with `sha256:` where an ID is asked for.");
  }

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    validateDigest(text, digest);
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  // A colon before the last slash belongs to the registry's port (`host:5000/app`).
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) {
      throw invalid(text, tag === "" ? "the tag after `:` is empty" : `tag ${JSON.stringify(tag)} is not valid (letters, digits, \`_\`, \`.\` and \`-\`, at most 128, not starting with \`.\` or \`-\`)`);
    }
  }
  if (rest === "") throw invalid(text, "the repository name is empty");

  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  const hasRegistry = slash >= 0 && (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first);
  let registry = hasRegistry ? first : DOCKER_HUB;
  let repository = hasRegistry ? rest.slice(slash + 1) : rest;

  if (hasRegistry && !DOMAIN_RE.test(registry)) throw invalid(text, `registry ${JSON.stringify(registry)} is not a valid host[:port]`);
  if (registry === "index.docker.io") registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;

  if (repository.toLowerCase() !== repository) throw invalid(text, `the repository name (${repository}) must be lowercase`);
  if (!PATH_RE.test(repository)) {
    throw invalid(text, `repository ${JSON.stringify(repository)} is not valid (lowercase letters and digits, separated by \`/\`, and within a component by \`.\`, \`_\`, \`__\` or \`-\`)`);
  }
  const name = `${registry}/${repository}`;
  if (name.length > NAME_TOTAL_LENGTH_MAX) throw invalid(text, `the name is ${name.length} characters long, more than ${NAME_TOTAL_LENGTH_MAX}`);

  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

function validateDigest(text: string, digest: string): void {
  if (!DIGEST_RE.test(digest)) throw invalid(text, `digest ${JSON.stringify(digest)} is not valid (algorithm:hex, e.g. sha256: and 64 hex characters)`);
  const sep = digest.indexOf(":");
  const algorithm = digest.slice(0, sep);
  const hex = digest.slice(sep + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) throw invalid(text, `digest algorithm ${JSON.stringify(algorithm)} is not supported (sha256, sha384, sha512)`);
  if (hex.length !== length || !/^[a-f0-9]+$/.test(hex)) throw invalid(text, `a ${algorithm} digest is ${length} lowercase hex characters`);
}

/**
 * The reference as text: `registry/repository[:tag][@digest]`, or with `familiar` as the docker
 * CLI shows it (Docker Hub's `docker.io/` and `library/` left out).
 */
export function formatReference(ref: ImageReference, opts: { familiar?: boolean } = {}): string {
  let name = `${ref.registry}/${ref.repository}`;
  if (opts.familiar && ref.registry === DOCKER_HUB) name = ref.repository.startsWith("library/") && ref.repository.indexOf("/", 8) < 0 ? ref.repository.slice(8) : ref.repository;
  return `${name}${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`;
}

/**
 * A registry's host[:port] from how people and configs write it: `127.0.0.1:5000`,
 * `https://registry.example.com/v2/`, `localhost:5000/team` (slipway.yml may name a namespace),
 * `index.docker.io`. The scheme and any path go, as docker's ConvertToHostname does; every name of
 * Docker Hub is `docker.io`. Throws a config error when what is left is not a host[:port].
 */
export function normalizeRegistry(address: string): string {
  const host = convertToHostname(address.trim());
  if (!DOMAIN_RE.test(host)) {
    throw new SlipwayError(`Invalid registry address ${JSON.stringify(address)}: expected host[:port]`, {
      code: "REGISTRY_ADDRESS_INVALID",
      kind: "config",
      hint: "Name a registry as host[:port], e.g. `registry.example.com` or `127.0.0.1:5000`.",
    });
  }
  return HUB_ALIASES.has(host.toLowerCase()) ? DOCKER_HUB : host;
}

/** docker's ConvertToHostname: `http://host/v1/` and `https://host` are `host`. Keys of config.json are matched through it. */
export function convertToHostname(url: string): string {
  const stripped = url.startsWith("http://") ? url.slice(7) : url.startsWith("https://") ? url.slice(8) : url;
  const slash = stripped.indexOf("/");
  return slash >= 0 ? stripped.slice(0, slash) : stripped;
}

export function isDockerHub(registry: string): boolean {
  return normalizeRegistry(registry) === DOCKER_HUB;
}

/**
 * The key the docker CLI files a registry's credentials under, in config.json's `auths` and
 * `credHelpers` and in credential helpers: `https://index.docker.io/v1/` for Docker Hub, else
 * host[:port].
 */
export function registryKey(registry: string): string {
  const host = normalizeRegistry(registry);
  return host === DOCKER_HUB ? DOCKER_HUB_KEY : host;
}
