/** Engine resource names, as docker compose v2 forms them, so a project made by one is found by the other. */
import type { Project } from "../model/index.ts";

export function containerName(project: string, service: string, index: number): string {
  return `${project}-${service}-${index}`;
}

/** Replica `index` (1-based) of a service in the project: its container_name for the first, when set. */
export function serviceContainerName(project: Project, service: string, index = 1): string {
  const name = project.services[service]?.container_name;
  return name && index === 1 ? name : containerName(project.name, service, index);
}

/** One-off containers (`run`) get a random suffix so concurrent runs never collide. */
export function oneoffContainerName(project: string, service: string, suffix: string): string {
  return `${project}-${service}-run-${suffix}`;
}

export function networkName(project: Project, key: string): string {
  return project.networks[key]?.name ?? `${project.name}_${key}`;
}

export function volumeName(project: Project, key: string): string {
  return project.volumes[key]?.name ?? `${project.name}_${key}`;
}

/** The image compose builds for a service without `image:`: `<project>-<service>`. */
export function builtImageName(project: string, service: string): string {
  return `${project}-${service}`;
}
