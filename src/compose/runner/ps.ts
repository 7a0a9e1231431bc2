/**
 * `ps`: a project's containers, found by compose's project label, as docker compose v2 (2.26.1)
 * lists them: its ContainerSummary, built from the engine's container list and one inspect per
 * container (health and exit code), and the fields its `--format` templates and JSON show.
 */
import type { ContainerInspect, ContainerSummary, Engine } from "../../engine/index.ts";
import { ComposeLabel } from "../../run/labels.ts";
import { displayablePorts, ellipsis, goQuote, goTimeString, humanDuration, humanSize, type LocalZone, localZone } from "./display-values.ts";
import { projectFilter } from "./observe.ts";

/** compose's api.PortPublisher. */
export interface PortPublisher {
  URL: string;
  TargetPort: number;
  PublishedPort: number;
  Protocol: string;
}

/** compose's api.ContainerSummary. */
export interface ComposeContainer {
  ID: string;
  /** The container's own name (no slash), compose's getCanonicalContainerName. */
  Name: string;
  /** The engine's names, slashes kept. */
  Names: string[];
  Image: string;
  Command: string;
  Project: string;
  Service: string;
  /** Unix seconds. */
  Created: number;
  State: string;
  Status: string;
  /** The health status of a running container with a healthcheck, else "". */
  Health: string;
  /** The exit code of an exited or dead container, else 0. */
  ExitCode: number;
  /** null when the container has no ports (compose's nil slice). */
  Publishers: PortPublisher[] | null;
  Labels: Record<string, string>;
  SizeRw: number;
  SizeRootFs: number;
  /** Volume names, or the source of other mounts. */
  Mounts: string[];
  /** How many mounts use the `local` volume driver. */
  LocalVolumes: number;
  Networks: string[];
}

export interface PsOptions {
  /** Stopped containers and one-offs too (`-a`); otherwise running service containers only. */
  all?: boolean;
  /** Only these services' containers. */
  services?: readonly string[];
  signal?: AbortSignal;
}

/**
 * The project's containers, as compose's backend Ps returns them (unsorted; the caller sorts by
 * name). Without `all`, one-off containers are left out and only running ones are listed.
 */
export async function psContainers(engine: Engine, projectName: string, opts: PsOptions = {}): Promise<ComposeContainer[]> {
  const filters = projectFilter(projectName.toLowerCase());
  if (!opts.all) filters["label"]!.push(`${ComposeLabel.oneoff}=False`);
  const list = await engine.containers.list({ all: !!opts.all, filters, signal: opts.signal });
  const selected = opts.services?.length ? list.filter((c) => opts.services!.includes(c.Labels[ComposeLabel.service] ?? "")) : list;
  return Promise.all(
    selected.map(async (c) => {
      // A container removed since the list is listed as it was, without health or exit code.
      const inspect = await engine.containers.find(c.Id, { signal: opts.signal });
      return toComposeContainer(c, inspect);
    }),
  );
}

/** compose's summary of one container from the engine's list entry and inspect (pure). */
export function toComposeContainer(c: ContainerSummary, inspect?: ContainerInspect): ComposeContainer {
  // Ordered by private port, the engine's order kept among equals (compose sorts a handful of
  // ports with an insertion sort, which keeps it too).
  const ports = c.Ports.map((p, i) => ({ p, i })).sort((a, b) => a.p.PrivatePort - b.p.PrivatePort || a.i - b.i);
  const publishers = ports.map(({ p }) => ({ URL: p.IP ?? "", TargetPort: p.PrivatePort, PublishedPort: p.PublicPort ?? 0, Protocol: p.Type }));
  const state = inspect?.State;
  const mounts = c.Mounts ?? [];
  return {
    ID: c.Id,
    Name: canonicalName(c),
    Names: c.Names,
    Image: c.Image,
    Command: c.Command,
    Project: c.Labels[ComposeLabel.project] ?? "",
    Service: c.Labels[ComposeLabel.service] ?? "",
    Created: c.Created,
    State: c.State,
    Status: c.Status,
    Health: state?.Status === "running" ? (state.Health?.Status ?? "") : "",
    ExitCode: state && (state.Status === "exited" || state.Status === "dead") ? state.ExitCode : 0,
    Publishers: publishers.length ? publishers : null,
    Labels: c.Labels,
    SizeRw: c.SizeRw ?? 0,
    SizeRootFs: c.SizeRootFs ?? 0,
    Mounts: mounts.map((m) => m.Name || m.Source),
    LocalVolumes: mounts.filter((m) => m.Driver === "local").length,
    // The engine's map order, which Go iterates at random; sorted here.
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort(),
  };
}

/** The container's own name: the one with a single leading slash (the others are legacy link aliases). */
export function canonicalName(c: Pick<ContainerSummary, "Id" | "Names">): string {
  if (c.Names.length === 0) return c.Id.slice(0, 12);
  const own = c.Names.find((n) => n.lastIndexOf("/") === 0);
  return (own ?? c.Names[0]!).slice(1);
}

/** compose's `ps --status` (and `--filter status=`): containers whose state is one of these. */
export function filterByStatus(containers: readonly ComposeContainer[], statuses: readonly string[]): ComposeContainer[] {
  return containers.filter((c) => statuses.includes(c.State));
}

export function sortByName(containers: readonly ComposeContainer[]): ComposeContainer[] {
  return [...containers].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

/** What compose's ContainerContext shows of a container: the fields of `--format` templates and of `--format json`. */
export interface PsFields {
  Command: string;
  CreatedAt: string;
  ExitCode: number;
  Health: string;
  ID: string;
  Image: string;
  Labels: string;
  LocalVolumes: string;
  Mounts: string;
  Name: string;
  Names: string;
  Networks: string;
  Ports: string;
  Project: string;
  Publishers: PortPublisher[] | null;
  RunningFor: string;
  Service: string;
  Size: string;
  State: string;
  Status: string;
}

export interface FieldOptions {
  /** compose truncates IDs, commands and mount names unless `--no-trunc`. */
  trunc: boolean;
  /** For RunningFor. */
  now: Date;
  zone?: LocalZone;
}

/** compose's ContainerContext (cmd/formatter/container.go) of a container, alphabetical as its JSON. */
export function psFields(c: ComposeContainer, opts: FieldOptions): PsFields {
  const names = c.Names.map((n) => n.replace(/^\//, ""));
  // With truncation, only the first name that is not a link alias (`other/alias`).
  const shownNames = opts.trunc ? names.filter((n) => !n.includes("/")).slice(0, 1) : names;
  return {
    Command: goQuote(opts.trunc ? ellipsis(c.Command, 20) : c.Command),
    CreatedAt: goTimeString(c.Created, opts.zone ?? localZone),
    ExitCode: c.ExitCode,
    Health: c.Health,
    ID: opts.trunc ? c.ID.slice(0, 12) : c.ID,
    Image: c.Image,
    // Go ranges over the label map in random order; sorted here.
    Labels: Object.entries(c.Labels)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
    LocalVolumes: String(c.LocalVolumes),
    Mounts: c.Mounts.map((m) => (opts.trunc ? ellipsis(m, 15) : m)).join(","),
    Name: c.Name,
    Names: (shownNames.length ? shownNames : names).join(","),
    Networks: c.Networks.join(","),
    Ports: displayablePorts((c.Publishers ?? []).map((p) => ({ IP: p.URL, PrivatePort: p.TargetPort, PublicPort: p.PublishedPort, Type: p.Protocol }))),
    Project: c.Project,
    Publishers: c.Publishers,
    RunningFor: `${humanDuration(opts.now.getTime() - c.Created * 1000)} ago`,
    Service: c.Service,
    Size: c.SizeRootFs > 0 ? `${humanSize(c.SizeRw)} (virtual ${humanSize(c.SizeRootFs)})` : humanSize(c.SizeRw),
    State: c.State,
    Status: c.Status,
  };
}

/** The columns of `ps`'s table (`--format table`, the default). */
export const PS_TABLE_FORMAT = "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}";

/** `--format raw`. */
export const PS_RAW_FORMAT = `container_id: {{.ID}}
image: {{.Image}}
command: {{.Command}}
created_at: {{.CreatedAt}}
state: {{- pad .State 1 0}}
status: {{- pad .Status 1 0}}
names: {{.Names}}
labels: {{- pad .Labels 1 0}}
ports: {{- pad .Ports 1 0}}
`;

/** The names of ps's table columns (the docker CLI's header names); other fields have none. */
export const PS_HEADERS: Record<string, string> = {
  ID: "CONTAINER ID",
  Name: "NAME",
  Project: "PROJECT",
  Service: "SERVICE",
  Image: "IMAGE",
  Command: "COMMAND",
  CreatedAt: "CREATED AT",
  RunningFor: "CREATED",
  Ports: "PORTS",
  State: "STATE",
  Status: "STATUS",
  Size: "SIZE",
  Labels: "LABELS",
};

/** One line of the light listing below. */
export interface PsRow {
  name: string;
  service: string;
  image: string;
  command: string;
  state: string;
  status: string;
  ports: string;
}

/**
 * The project's containers (stopped ones too) in one list call, without compose's fields that
 * need an inspect: for the library and the benchmarks, which only count and check states.
 */
export async function composePs(engine: Engine, projectName: string, opts: { all?: boolean; signal?: AbortSignal } = {}): Promise<PsRow[]> {
  const list = await engine.containers.list({ all: opts.all ?? true, filters: projectFilter(projectName), signal: opts.signal });
  return list
    .map((c) => ({
      name: canonicalName(c),
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
