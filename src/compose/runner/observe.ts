/**
 * One snapshot of what exists for a project, found by compose's project label, so Slipway sees
 * projects that docker compose made and compose sees Slipway's.
 */
import { ComposeLabel, Label } from "../../run/labels.ts";
import type { Engine } from "../../engine/index.ts";
import type { ContainerStatus, ContainerSummary, NetworkInspect, Volume } from "../../engine/types.ts";

export interface ObservedContainer {
  id: string;
  name: string;
  service: string;
  index: number;
  oneoff: boolean;
  state: ContainerStatus;
  configHash: string | undefined;
  image: string;
  labels: Record<string, string>;
}

export interface ObservedProject {
  containers: ObservedContainer[];
  networks: NetworkInspect[];
  volumes: Volume[];
}

export function projectFilter(project: string): Record<string, string[]> {
  return { label: [`${ComposeLabel.project}=${project}`] };
}

export function toObservedContainer(c: ContainerSummary): ObservedContainer {
  return {
    id: c.Id,
    name: (c.Names[0] ?? c.Id).replace(/^\//, ""),
    service: c.Labels[ComposeLabel.service] ?? "",
    index: Number(c.Labels[ComposeLabel.containerNumber] ?? "1"),
    oneoff: (c.Labels[ComposeLabel.oneoff] ?? "False").toLowerCase() === "true",
    state: c.State,
    configHash: c.Labels[Label.configHash] ?? c.Labels[ComposeLabel.configHash],
    image: c.ImageID,
    labels: c.Labels,
  };
}

/** Containers, networks and volumes matching a label filter, in one snapshot. */
export async function observeByLabels(engine: Engine, filters: Record<string, string[]>, signal?: AbortSignal): Promise<ObservedProject> {
  const [containers, networks, volumes] = await Promise.all([
    engine.containers.list({ all: true, filters, signal }),
    engine.networks.list({ filters, signal }),
    engine.volumes.list({ filters, signal }),
  ]);
  return { containers: containers.map(toObservedContainer), networks, volumes };
}

export function observeProject(engine: Engine, project: string, signal?: AbortSignal): Promise<ObservedProject> {
  return observeByLabels(engine, projectFilter(project), signal);
}
