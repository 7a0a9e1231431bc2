/** `ps`: one list call, by compose's project label. */
import type { Engine } from "../../engine/index.ts";
import { ComposeLabel } from "../../run/labels.ts";
import { projectFilter } from "./observe.ts";

export interface PsRow {
  name: string;
  service: string;
  image: string;
  command: string;
  state: string;
  status: string;
  ports: string;
}

export async function composePs(engine: Engine, projectName: string, opts: { all?: boolean; signal?: AbortSignal } = {}): Promise<PsRow[]> {
  const list = await engine.containers.list({ all: opts.all ?? true, filters: projectFilter(projectName), signal: opts.signal });
  return list
    .map((c) => ({
      name: (c.Names[0] ?? c.Id).replace(/^\//, ""),
      service: c.Labels[ComposeLabel.service] ?? "",
      image: c.Image,
      command: c.Command,
      state: c.State,
      status: c.Status,
      ports: c.Ports.filter((p) => p.PublicPort)
        .map((p) => `${p.IP ?? ""}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`)
        .join(", "),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function formatPs(rows: PsRow[]): string {
  const header = { name: "NAME", service: "SERVICE", image: "IMAGE", command: "COMMAND", state: "STATE", status: "STATUS", ports: "PORTS" };
  const cols = ["name", "service", "state", "status", "ports"] as const;
  const widths = cols.map((c) => Math.max(header[c].length, ...rows.map((r) => r[c].length)));
  const line = (r: Record<(typeof cols)[number], string>) => cols.map((c, i) => r[c].padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}
