/**
 * What the registry layer's modules share: an image reference split into its parts, the
 * credential a registry is reached with (and where it came from, for messages), and the
 * registry client's view of manifests. Values of credentials are never printed, logged or
 * stored by Slipway: only `source` is.
 */

/** `registry/repository[:tag][@digest]`, normalised as the docker CLI does (`postgres` → `docker.io/library/postgres`). */
export interface ImageReference {
  /** host[:port]; `docker.io` for Docker Hub. */
  registry: string;
  /** e.g. `library/postgres`, `team/app`. */
  repository: string;
  tag?: string;
  /** `sha256:…` */
  digest?: string;
}

export interface RegistryCredential {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken` in config.json), exchanged at the token endpoint. */
  identityToken?: string;
  /**
   * Where it came from, for messages only: "DOCKER_CONFIG /path/config.json (auths)",
   * "credential helper docker-credential-pass", "environment REG_USER / REG_PASSWORD", "none".
   */
  source: string;
}

/** A manifest as the registry serves it: the exact bytes (their sha256 is the digest). */
export interface Manifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}
