/**
 * Cross-reference checks on the normalized project, reported at the position of the offending
 * key in the merged tree: unknown or disabled dependencies, dependency cycles, undeclared
 * networks/volumes/secrets/configs, services with neither image nor build, container name
 * clashes.
 */
import type { Project } from "../model/project.ts";
import { namespaceService, namespaceServices, volumesFromService } from "../model/index.ts";
import type { IssueList } from "../../yaml/issues.ts";
import { get, type MapNode, type Pos, type YNode } from "../../yaml/node.ts";

/** Position of the deepest existing key along `keys` (so a message points as close as it can). */
export function locate(tree: MapNode, keys: readonly string[]): Pos {
  let node: YNode = tree;
  let pos = tree.pos;
  for (const k of keys) {
    if (node.kind === "map") {
      const e: MapNode["entries"][number] | undefined = node.entries.find((x) => x.key === k);
      if (!e) break;
      pos = e.keyPos;
      node = e.value;
    } else if (node.kind === "seq") {
      const item: YNode | undefined = node.items.find((i) => i.kind === "scalar" && String(i.value).split(/[:=]/)[0] === k) ?? node.items[Number(k)];
      if (!item) break;
      pos = item.pos;
      node = item;
    } else break;
  }
  return pos;
}

const NAMESPACE_KEYS = ["network_mode", "ipc", "pid", "uts"] as const;

export function checkConsistency(project: Project, tree: MapNode, issues: IssueList): void {
  const at = (...keys: string[]): Pos => locate(tree, keys);
  const containerNames = new Map<string, string>();
  for (const [name, s] of Object.entries(project.services)) {
    const p = `services.${name}`;
    if (s.image === undefined && s.build === undefined) {
      issues.add(at("services", name), p, `service ${JSON.stringify(name)} has neither an image nor a build`, "Add `image:` or `build:`.");
    }
    // A service named by network_mode/ipc/pid/uts, volumes_from or links is an implied
    // dependency; when it is undefined, the key the user wrote is the one reported (below).
    const implied = new Set([
      ...namespaceServices(s),
      ...s.volumes_from.map(volumesFromService),
      ...s.links.map((l) => l.split(":")[0]),
    ]);
    for (const [dep, d] of Object.entries(s.depends_on)) {
      if (dep in project.services) continue;
      if (implied.has(dep) && !(dep in project.disabledServices)) continue;
      const where = at("services", name, "depends_on", dep);
      if (dep in project.disabledServices) {
        if (d.required) {
          const profiles = project.disabledServices[dep]?.profiles.join(", ") ?? "";
          issues.add(where, `${p}.depends_on`, `service ${JSON.stringify(name)} depends on ${JSON.stringify(dep)}, which is not enabled (profiles: ${profiles})`, `Enable a profile of ${JSON.stringify(dep)} with --profile or COMPOSE_PROFILES.`);
        }
      } else issues.add(where, `${p}.depends_on`, `service ${JSON.stringify(name)} depends on undefined service ${JSON.stringify(dep)}`);
    }
    for (const net of Object.keys(s.networks)) {
      if (!(net in project.networks)) issues.add(at("services", name, "networks", net), `${p}.networks`, `service ${JSON.stringify(name)} refers to undefined network ${JSON.stringify(net)}`, `Declare it under the top-level networks:.`);
    }
    for (const key of NAMESPACE_KEYS) {
      const target = namespaceService(s[key]);
      if (target !== undefined && !(target in project.services) && !(target in project.disabledServices)) {
        issues.add(at("services", name, key), `${p}.${key}`, `${key} refers to undefined service ${JSON.stringify(target)}`);
      }
    }
    // Zero is unset for the engine.
    if ((s.cpus || s.deploy?.resources.limits?.cpus) && (s.cpu_quota || s.cpu_period)) {
      issues.add(at("services", name, s.cpu_quota ? "cpu_quota" : "cpu_period"), `${p}.${s.cpu_quota ? "cpu_quota" : "cpu_period"}`, `service ${JSON.stringify(name)} limits CPUs both with cpus and with cpu_quota/cpu_period; the engine takes one or the other`, "Keep cpus (or deploy.resources.limits.cpus), or cpu_quota and cpu_period.");
    }
    const buildNode = get(get(get(tree, "services") as MapNode | undefined, name) as MapNode | undefined, "build");
    if (s.build && buildNode?.kind === "map" && get(buildNode, "dockerfile") !== undefined && get(buildNode, "dockerfile_inline") !== undefined) {
      issues.add(at("services", name, "build", "dockerfile_inline"), `${p}.build.dockerfile_inline`, `service ${JSON.stringify(name)} sets both build.dockerfile and build.dockerfile_inline; they exclude each other`, "Keep one of them.");
    }
    if (s.build && s.platform !== undefined && s.build.platforms.length > 0 && !s.build.platforms.includes(s.platform)) {
      issues.add(at("services", name, "platform"), `${p}.platform`, `platform ${JSON.stringify(s.platform)} is not among build.platforms (${s.build.platforms.join(", ")})`, "Add it to build.platforms, or change platform.");
    }
    s.volumes.forEach((v, i) => {
      if (v.type === "volume" && v.source !== undefined && !(v.source in project.volumes)) {
        issues.add(at("services", name, "volumes", String(i)), `${p}.volumes[${i}]`, `service ${JSON.stringify(name)} refers to undefined volume ${JSON.stringify(v.source)}`, `Declare it under the top-level volumes:, or write a path (./${v.source}) for a bind mount.`);
      }
    });
    const buildSecretIds = new Set<string>();
    s.build?.secrets.forEach((m, i) => {
      const def = project.secrets[m.source];
      const where = at("services", name, "build", "secrets", String(i));
      const id = m.target ?? m.source;
      if (buildSecretIds.has(id)) issues.add(where, `${p}.build.secrets[${i}]`, `two build secrets of service ${JSON.stringify(name)} have the id ${JSON.stringify(id)} (a target, else the source)`, "Give each a different target.");
      buildSecretIds.add(id);
      if (!def) issues.add(where, `${p}.build.secrets[${i}]`, `the build of service ${JSON.stringify(name)} refers to undefined secret ${JSON.stringify(m.source)}`, "Declare it under the top-level secrets:, with file: or environment:.");
      else if (def.file === undefined && def.environment === undefined) {
        issues.add(where, `${p}.build.secrets[${i}]`, `build secret ${JSON.stringify(m.source)} must come from a file or an environment variable`, "Give the top-level secret file: or environment:.");
      }
    });
    for (const kind of ["secrets", "configs"] as const) {
      s[kind].forEach((m, i) => {
        if (!(m.source in project[kind])) {
          issues.add(at("services", name, kind, String(i)), `${p}.${kind}[${i}]`, `service ${JSON.stringify(name)} refers to undefined ${kind.slice(0, -1)} ${JSON.stringify(m.source)}`);
        }
      });
    }
    for (const from of s.volumes_from) {
      const ref = volumesFromService(from);
      if (ref !== undefined && !(ref in project.services) && !(ref in project.disabledServices)) {
        issues.add(at("services", name, "volumes_from"), `${p}.volumes_from`, `volumes_from refers to undefined service ${JSON.stringify(ref)}`);
      }
    }
    for (const link of s.links) {
      const ref = link.split(":")[0] ?? "";
      if (!(ref in project.services)) issues.add(at("services", name, "links"), `${p}.links`, `link to undefined service ${JSON.stringify(ref)}`);
    }
    if (s.container_name !== undefined) {
      const other = containerNames.get(s.container_name);
      if (other !== undefined) {
        issues.add(at("services", name, "container_name"), `${p}.container_name`, `container name ${JSON.stringify(s.container_name)} is already used by service ${JSON.stringify(other)}`);
      } else containerNames.set(s.container_name, name);
      const count = s.deploy?.replicas ?? s.scale ?? 1;
      if (count > 1) {
        issues.add(at("services", name, "container_name"), `${p}.container_name`, `service ${JSON.stringify(name)} sets container_name but asks for ${count} replicas; container names must be unique`);
      }
    }
    const replicas = s.deploy?.replicas;
    const scaleNode = get(get(get(tree, "services") as MapNode | undefined, name) as MapNode | undefined, "scale");
    if (replicas !== undefined && scaleNode !== undefined && s.scale !== replicas) {
      issues.add(at("services", name, "scale"), `${p}.scale`, `scale (${s.scale}) and deploy.replicas (${replicas}) disagree`);
    }
  }
  for (const kind of ["secrets", "configs"] as const) {
    for (const [key, f] of Object.entries(project[kind])) {
      const sources = [f.file, f.environment, f.content, f.external ? "external" : undefined].filter((x) => x !== undefined);
      if (sources.length !== 1) {
        issues.add(
          at(kind, key),
          `${kind}.${key}`,
          sources.length === 0 ? `${kind.slice(0, -1)} ${JSON.stringify(key)} needs one of file, environment${kind === "configs" ? ", content" : ""} or external` : `${kind.slice(0, -1)} ${JSON.stringify(key)} sets more than one of file, environment, content, external`,
        );
      }
    }
  }
  const cycle = findCycle(project);
  if (cycle) issues.add(at("services", cycle[0] ?? "", "depends_on"), `services.${cycle[0]}.depends_on`, `dependency cycle: ${cycle.join(" -> ")}`);
}

/** Depth-first search for a depends_on cycle; returns it as a closed path (a -> b -> a). */
export function findCycle(project: Project): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "visiting") return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, "visiting");
    stack.push(name);
    for (const dep of Object.keys(project.services[name]?.depends_on ?? {})) {
      if (!(dep in project.services)) continue;
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(name, "done");
    return undefined;
  };
  for (const name of Object.keys(project.services).sort()) {
    const found = visit(name);
    if (found) return found;
  }
  return undefined;
}
