/**
 * Validated, merged tree → `Project`: services normalized, resource names computed the way
 * compose names them on the engine (`<project>_<key>` unless `name:` or external), and the
 * implicit `default` network added when a service relies on it.
 */
import type { FileObject, Network, Project, Volume } from "../model/project.ts";
import type { Lookup } from "./interpolate.ts";
import type { IssueList } from "../../yaml/issues.ts";
import { get, type MapNode, type YNode } from "../../yaml/node.ts";
import { normalizeService } from "./normalize-service.ts";
import { resolveHostPath } from "./paths.ts";
import { asMap, readBool, readExtensions, readStr, readStringMap } from "./read.ts";

export interface NormalizeOptions {
  name: string;
  projectDir: string;
  configFiles: string[];
  home: string | undefined;
  lookup: Lookup;
  environment: Record<string, string>;
  readFile: (absPath: string) => string | undefined;
  issues: IssueList;
}

export function normalizeProject(tree: MapNode, o: NormalizeOptions): Project {
  const project: Project = {
    name: o.name,
    workingDir: o.projectDir,
    configFiles: o.configFiles,
    services: {},
    disabledServices: {},
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
    environment: o.environment,
    profiles: [],
    extensions: readExtensions(tree),
  };
  const ctx = { projectDir: o.projectDir, home: o.home, lookup: o.lookup, readFile: o.readFile, issues: o.issues };
  for (const e of entriesOf(get(tree, "services"))) {
    project.services[e.key] = normalizeService(e.key, asMap(e.value) ?? { kind: "map", entries: [], pos: e.keyPos }, ctx);
  }
  for (const e of entriesOf(get(tree, "networks"))) project.networks[e.key] = readNetwork(e.key, asMap(e.value), o.name);
  if (Object.values(project.services).some((s) => "default" in s.networks) && !("default" in project.networks)) {
    project.networks["default"] = readNetwork("default", undefined, o.name);
  }
  for (const e of entriesOf(get(tree, "volumes"))) project.volumes[e.key] = readVolume(e.key, asMap(e.value), o.name);
  for (const section of ["secrets", "configs"] as const) {
    for (const e of entriesOf(get(tree, section))) project[section][e.key] = readFileObject(e.key, asMap(e.value), o);
  }
  return project;
}

function entriesOf(n: YNode | undefined): MapNode["entries"] {
  return n?.kind === "map" ? n.entries : [];
}

/** `external: true`, or the deprecated `external: {name: x}` which also names the resource. */
function readExternal(m: MapNode | undefined): { external: boolean; name?: string } {
  const ext = get(m, "external");
  if (ext?.kind === "map") return { external: true, ...(readStr(ext, "name") ? { name: readStr(ext, "name") as string } : {}) };
  return { external: readBool(m, "external") ?? false };
}

function resourceName(key: string, m: MapNode | undefined, project: string): { name: string; external: boolean } {
  const ext = readExternal(m);
  const explicit = readStr(m, "name") ?? ext.name;
  return { name: explicit ?? (ext.external ? key : `${project}_${key}`), external: ext.external };
}

function readNetwork(key: string, m: MapNode | undefined, project: string): Network {
  const { name, external } = resourceName(key, m, project);
  const net: Network = {
    name,
    driver_opts: readStringMap(m, "driver_opts"),
    external,
    internal: readBool(m, "internal") ?? false,
    attachable: readBool(m, "attachable") ?? false,
    labels: readStringMap(m, "labels"),
    extensions: readExtensions(m),
  };
  const driver = readStr(m, "driver");
  if (driver !== undefined) net.driver = driver;
  const ipv6 = readBool(m, "enable_ipv6");
  if (ipv6 !== undefined) net.enable_ipv6 = ipv6;
  const ipam = asMap(get(m, "ipam"));
  if (ipam) {
    const config = get(ipam, "config");
    const ipamDriver = readStr(ipam, "driver");
    net.ipam = {
      ...(ipamDriver ? { driver: ipamDriver } : {}),
      config: (config?.kind === "seq" ? config.items : []).map((c) => {
        const cm = asMap(c);
        const entry: NonNullable<Network["ipam"]>["config"][number] = { aux_addresses: readStringMap(cm, "aux_addresses") };
        for (const k of ["subnet", "ip_range", "gateway"] as const) {
          const v = readStr(cm, k);
          if (v !== undefined) entry[k] = v;
        }
        return entry;
      }),
      options: readStringMap(ipam, "options"),
    };
  }
  return net;
}

function readVolume(key: string, m: MapNode | undefined, project: string): Volume {
  const { name, external } = resourceName(key, m, project);
  const vol: Volume = { name, driver_opts: readStringMap(m, "driver_opts"), external, labels: readStringMap(m, "labels"), extensions: readExtensions(m) };
  const driver = readStr(m, "driver");
  if (driver !== undefined) vol.driver = driver;
  return vol;
}

function readFileObject(key: string, m: MapNode | undefined, o: NormalizeOptions): FileObject {
  const { name, external } = resourceName(key, m, o.name);
  const obj: FileObject = { name, external, labels: readStringMap(m, "labels"), extensions: readExtensions(m) };
  const file = readStr(m, "file");
  if (file !== undefined) obj.file = resolveHostPath(file, o.projectDir, o.home);
  const env = readStr(m, "environment");
  if (env !== undefined) obj.environment = env;
  const content = readStr(m, "content");
  if (content !== undefined) obj.content = content;
  return obj;
}

