/**
 * `port`: the public address of a service container's port, as docker compose v2 (2.26.1)
 * answers it: the first of the container's bindings of that port and protocol, as the engine
 * lists them (`0.0.0.0` for a binding on every interface, `127.0.0.1` for a loopback one).
 */
import { SlipwayError } from "../../errors/index.ts";
import type { ContainerSummary, Engine } from "../../engine/index.ts";
import { ComposeLabel } from "../../run/labels.ts";
import { canonicalName } from "./ps.ts";

export interface PublishedPort {
  ip: string;
  port: number;
}

export async function composePort(
  engine: Engine,
  projectName: string,
  service: string,
  privatePort: number,
  opts: { protocol?: string; index?: number; signal?: AbortSignal } = {},
): Promise<PublishedPort> {
  const container = await specifiedContainer(engine, projectName, service, opts.index ?? 0, opts.signal);
  return publishedPort(container, privatePort, opts.protocol ?? "tcp");
}

/**
 * The service's running container compose means (its getSpecifiedContainer): number `index`
 * when given, else the lowest number, service containers before one-offs.
 */
export async function specifiedContainer(engine: Engine, projectName: string, service: string, index: number, signal?: AbortSignal): Promise<ContainerSummary> {
  const label = [`${ComposeLabel.project}=${projectName.toLowerCase()}`, `${ComposeLabel.service}=${service}`];
  if (index > 0) label.push(`${ComposeLabel.containerNumber}=${index}`);
  const list = await engine.containers.list({ all: false, filters: { label }, signal });
  if (list.length === 0) {
    throw new SlipwayError(index > 0 ? `service "${service}" is not running container #${index}` : `service "${service}" is not running`, {
      code: "NOT_RUNNING",
      kind: "config",
      hint: `Start it with \`slipway compose up -d ${service}\`.`,
    });
  }
  const number = (c: ContainerSummary) => Number.parseInt(c.Labels[ComposeLabel.containerNumber] ?? "", 10) || 0;
  const oneoff = (c: ContainerSummary) => (c.Labels[ComposeLabel.oneoff] === "True" ? 1 : 0);
  return [...list].sort((a, b) => number(a) - number(b) || oneoff(a) - oneoff(b))[0]!;
}

/** The first binding of `privatePort/protocol` on the container (pure). */
export function publishedPort(c: Pick<ContainerSummary, "Id" | "Names" | "Ports">, privatePort: number, protocol: string): PublishedPort {
  const found = c.Ports.find((p) => p.PrivatePort === privatePort && p.Type === protocol);
  if (found) return { ip: found.IP ?? "", port: found.PublicPort ?? 0 };
  const listed = c.Ports.map((p) => `${p.PublicPort ?? 0}/${p.Type}`).join(", ");
  throw new SlipwayError(`no port ${privatePort}/${protocol} for container ${canonicalName(c)}: ${listed}`, {
    code: "NO_SUCH_PORT",
    kind: "config",
    hint: "List the container's published ports with `slipway compose ps`.",
  });
}
