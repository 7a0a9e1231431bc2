/** `--json`: one event per line, each with the schema version, for machines. */
import { EVENT_SCHEMA_VERSION, type Listener } from "../events/index.ts";

export function jsonRenderer(write: (s: string) => void): Listener {
  return (event) => write(`${JSON.stringify({ schemaVersion: EVENT_SCHEMA_VERSION, ...event })}\n`);
}
