/**
 * A loaded compose project: what the runner and deploy stages consume. Produced only by
 * `loadProject` (src/compose/load), which guarantees it is validated and consistent.
 */
import type { Service } from "./service.ts";

export interface Ipam {
  driver?: string;
  config: { subnet?: string; ip_range?: string; gateway?: string; aux_addresses: Record<string, string> }[];
  options: Record<string, string>;
}

export interface Network {
  /** Engine name: `<project>_<key>` unless `name:` is set or the network is external. */
  name: string;
  driver?: string;
  driver_opts: Record<string, string>;
  ipam?: Ipam;
  external: boolean;
  internal: boolean;
  attachable: boolean;
  enable_ipv6?: boolean;
  labels: Record<string, string>;
  extensions: Record<string, unknown>;
}

export interface Volume {
  name: string;
  driver?: string;
  driver_opts: Record<string, string>;
  external: boolean;
  labels: Record<string, string>;
  extensions: Record<string, unknown>;
}

/** Top-level secret or config. Exactly one of file / environment / content / external applies. */
export interface FileObject {
  name: string;
  /** Absolute path. */
  file?: string;
  environment?: string;
  /** Only configs may carry inline content. */
  content?: string;
  external: boolean;
  labels: Record<string, string>;
  extensions: Record<string, unknown>;
}

export interface Project {
  name: string;
  /** The project directory: relative paths in the files are resolved against it. */
  workingDir: string;
  /** Absolute paths of the files loaded, in merge order (includes and extends not listed). */
  configFiles: string[];
  /** Active services only (profiles applied), by name. */
  services: Record<string, Service>;
  /** Services left out because none of their profiles is enabled. */
  disabledServices: Record<string, Service>;
  networks: Record<string, Network>;
  volumes: Record<string, Volume>;
  secrets: Record<string, FileObject>;
  configs: Record<string, FileObject>;
  /** The variables used for interpolation (shell env over env files), for consumers that need them. */
  environment: Record<string, string>;
  /** Profiles that were enabled. */
  profiles: string[];
  extensions: Record<string, unknown>;
}
