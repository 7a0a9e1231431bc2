/**
 * `slipway compose up`: create and start the services. (Detached today; the attached mode, the
 * scale and recreate flags come with the compose drop-in work.)
 */
import { Option, type Command } from "commander";
import { formatPlan } from "../../compose/runner/plan.ts";
import { composeUp } from "../../compose/runner/up.ts";
import type { ComposeDeps } from "./shared.ts";

export function registerUp(compose: Command, d: ComposeDeps): void {
  compose
    .command("up")
    .description("create and start the services (detached)")
    .argument("[services...]")
    .option("-d, --detach", "detached (always: Slipway's up never attaches)")
    .option("--wait", "wait until services are running, or healthy when they have a healthcheck")
    .option("--wait-timeout <seconds>", "give up waiting after this many seconds", Number)
    .option("--build", "build images before starting")
    .option("--no-build", "do not build images, even when missing")
    .option("--force-recreate", "recreate containers even if unchanged")
    .option("--remove-orphans", "remove containers of services not in the file")
    .addOption(new Option("--pull <policy>", "pull policy").choices(["always", "missing", "never"]))
    .action(async (services: string[], o: { wait?: boolean; waitTimeout?: number; build?: boolean; forceRecreate?: boolean; removeOrphans?: boolean; pull?: "always" | "missing" | "never" }, cmd: Command) => {
      const g = d.globals(cmd);
      const project = await d.load(g, services);
      await using ctx = await d.context(g);
      const upOpts = {
        ...(services.length ? { services } : {}),
        lifetime: "persistent" as const,
        ...(o.wait ? { wait: true } : {}),
        ...(o.waitTimeout ? { readyTimeoutMs: o.waitTimeout * 1000 } : {}),
        ...(o.build === true ? { build: "always" as const } : o.build === false ? { build: "never" as const } : {}),
        ...(o.forceRecreate ? { forceRecreate: true } : {}),
        ...(o.removeOrphans ? { removeOrphans: true } : {}),
        ...(o.pull ? { pull: o.pull } : {}),
      };
      if (g.dryRun) {
        const result = await composeUp(ctx, project, { ...upOpts, dryRun: true });
        d.io.stdout.write(result.imageSteps.map((s) => `  -  ${s.cause}\n`).join("") + formatPlan(result.plan));
        return;
      }
      await d.cancellable(ctx, async () => {
        await composeUp(ctx, project, upOpts);
      });
    });

}
