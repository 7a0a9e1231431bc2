/**
 * `slipway compose down` and the commands that change the state of a project's containers.
 */
import type { Command } from "commander";
import { composeDown } from "../../compose/runner/down.ts";
import { formatPlan } from "../../compose/runner/plan.ts";
import type { ComposeDeps } from "./shared.ts";

export function registerLifecycle(compose: Command, d: ComposeDeps): void {
  compose
    .command("down")
    .description("stop and remove containers, then networks (and volumes with -v)")
    .option("-v, --volumes", "also remove named and anonymous volumes")
    .option("-t, --timeout <seconds>", "stop timeout", Number)
    .action(async (o: { volumes?: boolean; timeout?: number }, cmd: Command) => {
      const g = d.globals(cmd);
      // `down -p X` works without a file, for a project made elsewhere.
      const project = g.projectName && !g.file ? undefined : await d.load(g);
      const name = g.projectName ?? project!.name;
      await using ctx = await d.context(g);
      const plan = await composeDown(ctx, name, {
        ...(project ? { project } : {}),
        removeVolumes: !!o.volumes,
        ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
        ...(g.dryRun ? { dryRun: true } : {}),
      });
      if (g.dryRun) d.io.stdout.write(formatPlan(plan));
    });

}
