/** What the CLI knows of its terminal and environment; the only place that reads them. */
import { colorEnabled, createStyle, type Style } from "../ui/style.ts";

export interface CliIo {
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  out: Style;
  err: Style;
}

export function processIo(): CliIo {
  const env = process.env;
  return {
    env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    out: createStyle(colorEnabled(env, !!process.stdout.isTTY)),
    err: createStyle(colorEnabled(env, !!process.stderr.isTTY)),
  };
}
