/**
 * Plain line output for CI logs and non-TTY terminals: one line per finished step, warnings,
 * build output; no cursor movement, and no colour unless the style allows it.
 */
import type { Listener } from "../events/index.ts";
import type { Style } from "./style.ts";

export function plainRenderer(write: (s: string) => void, style: Style, opts: { verbose?: boolean } = {}): Listener {
  return (event) => {
    switch (event.type) {
      case "step.start":
        if (opts.verbose && event.cause) write(`${style.dim("…")} ${event.cause}\n`);
        break;
      case "step.end":
        if (event.cancelled) write(`${style.yellow("-")} ${event.step}: cancelled\n`);
        else if (!event.ok) write(`${style.red("✖")} ${event.step}: ${event.error ?? "failed"}\n`);
        else write(`${style.green("✔")} ${event.step} ${style.dim(`${(event.durationMs / 1000).toFixed(1)}s`)}\n`);
        break;
      case "warning":
        write(`${style.yellow("warning")}: ${event.message}\n`);
        break;
      case "log":
        if (event.level !== "debug" || opts.verbose) write(`${event.scope ? style.dim(`${event.scope} | `) : ""}${event.message}\n`);
        break;
      case "container.log":
        write(`${event.service} | ${event.line}\n`);
        break;
      case "progress":
        break;
    }
  };
}
