/**
 * A line of a service's or task's log as the engine writes it: with `timestamps`, an RFC 3339
 * time and a space first; with `details`, then the line's attributes and a space — `k=v` pairs,
 * sorted, comma-separated, each side query-escaped (moby api/server/httputils/write_log_stream.go,
 * attrsByteSlice). For services the attributes say where the line came from:
 * `com.docker.swarm.node.id`, `.service.id` and `.task.id` (daemon/cluster/services.go).
 */

export interface ServiceLogLine {
  /** As the engine wrote it (nanoseconds); undefined without `timestamps`. */
  timestamp?: string;
  /** Empty without `details`. */
  attributes: Record<string, string>;
  /** The task's own output, without its newline. */
  message: string;
}

/** Where a line of a service's log came from, from its `details` attributes. */
export interface LogSource {
  nodeId?: string;
  serviceId?: string;
  taskId?: string;
}

/** Splits one line (without its newline) the way the engine was asked to write it. */
export function parseServiceLogLine(line: string, opts: { timestamps?: boolean; details?: boolean }): ServiceLogLine {
  let rest = line;
  let timestamp: string | undefined;
  if (opts.timestamps) {
    const space = rest.indexOf(" ");
    timestamp = space < 0 ? rest : rest.slice(0, space);
    rest = space < 0 ? "" : rest.slice(space + 1);
  }
  const attributes: Record<string, string> = {};
  if (opts.details) {
    // Escaped, the attributes hold no space: the first one ends them (no attributes: a bare space).
    const space = rest.indexOf(" ");
    const text = space < 0 ? rest : rest.slice(0, space);
    rest = space < 0 ? "" : rest.slice(space + 1);
    for (const pair of text ? text.split(",") : []) {
      const equals = pair.indexOf("=");
      if (equals < 0) continue;
      attributes[unescapeQuery(pair.slice(0, equals))] = unescapeQuery(pair.slice(equals + 1));
    }
  }
  return { ...(timestamp === undefined ? {} : { timestamp }), attributes, message: rest };
}

export function logSource(attributes: Record<string, string>): LogSource {
  const source: LogSource = {};
  const node = attributes["com.docker.swarm.node.id"];
  const service = attributes["com.docker.swarm.service.id"];
  const task = attributes["com.docker.swarm.task.id"];
  if (node) source.nodeId = node;
  if (service) source.serviceId = service;
  if (task) source.taskId = task;
  return source;
}

/** Go's url.QueryUnescape: `+` is a space. A malformed escape is kept as it is. */
function unescapeQuery(text: string): string {
  const spaced = text.replace(/\+/g, " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}
