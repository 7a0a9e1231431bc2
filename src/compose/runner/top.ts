/**
 * `top`: the processes of a project's running containers (one-offs too), as docker compose v2
 * (2.26.1) lists them: one `ps` table per container, containers by name.
 */
import type { Engine } from "../../engine/index.ts";
import { ComposeLabel } from "../../run/labels.ts";
import { projectFilter } from "./observe.ts";
import { canonicalName } from "./ps.ts";

export interface ContainerProcesses {
  id: string;
  name: string;
  titles: string[];
  processes: string[][];
}

export async function composeTop(engine: Engine, projectName: string, opts: { services?: readonly string[]; signal?: AbortSignal } = {}): Promise<ContainerProcesses[]> {
  const list = await engine.containers.list({ all: false, filters: projectFilter(projectName.toLowerCase()), signal: opts.signal });
  const selected = opts.services?.length ? list.filter((c) => opts.services!.includes(c.Labels[ComposeLabel.service] ?? "")) : list;
  const out = await Promise.all(
    selected.map(async (c) => {
      const top = await engine.containers.top(c.Id, { signal: opts.signal });
      return { id: c.Id, name: canonicalName(c), titles: top.Titles, processes: top.Processes ?? [] };
    }),
  );
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
