/**
 * The commands that read: `config`, `ps` (and, with the compose drop-in work, `ls`, `images`,
 * `events`, `port`, `top`, `version`).
 */
import type { Command } from "commander";
import { renderConfig } from "../../compose/load/index.ts";
import { composePs, formatPs } from "../../compose/runner/ps.ts";
import type { ComposeDeps } from "./shared.ts";

export function registerListing(compose: Command, d: ComposeDeps): void {
  compose
    .command("config")
    .description("print the normalized project, as docker compose config does")
    .argument("[services...]")
    .action(async (services: string[], _o, cmd: Command) => {
      const project = await d.load(d.globals(cmd), services);
      d.io.stdout.write(renderConfig(project));
    });

  compose
    .command("ps")
    .description("list the project's containers")
    .option("--format <format>", "table or json", "table")
    .action(async (o: { format: string }, cmd: Command) => {
      const g = d.globals(cmd);
      const name = g.projectName ?? (await d.load(g)).name;
      await using ctx = await d.context({ ...g, json: false });
      const rows = await composePs(ctx.engine, name, { signal: d.signal });
      d.io.stdout.write(o.format === "json" || g.json ? `${JSON.stringify(rows)}\n` : formatPs(rows));
    });

}
