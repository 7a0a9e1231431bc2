/**
 * The commands about one service's containers and images: `run`, `exec`, `build`, `pull`
 * (and, with the compose drop-in work, `cp`, `push`); `logs` is in logs.ts.
 */
import type { Command } from "commander";
import { withDependencies } from "../../compose/runner/graph.ts";
import { executeImages, planImages } from "../../compose/runner/images-phase.ts";
import { composeExec } from "../../compose/runner/exec.ts";
import { formatPlan } from "../../compose/runner/plan.ts";
import { composeRun, oneoffDependencies } from "../../compose/runner/run.ts";
import { checkServices, composeUp } from "../../compose/runner/up.ts";
import { ImageResolver } from "../../images/image-resolver.ts";
import { collect, type ComposeDeps } from "./shared.ts";

export function registerContainers(compose: Command, d: ComposeDeps): void {
  compose
    .command("run")
    .description("run a one-off command in a new container of a service; exits with its code")
    .argument("<service>")
    .argument("[command...]")
    .option("--rm", "remove the container when it exits")
    .option("--no-deps", "do not start dependencies")
    .option("-e, --env <KEY=VALUE>", "set an environment variable (repeatable)", collect)
    .option("-u, --user <user>", "run as this user")
    .option("-w, --workdir <dir>", "working directory")
    .option("--entrypoint <cmd>", "override the entrypoint")
    .option("--name <name>", "container name")
    .option("--service-ports", "publish the service's ports")
    .action(async (service: string, command: string[], o: { rm?: boolean; deps?: boolean; env?: string[]; user?: string; workdir?: string; entrypoint?: string; name?: string; servicePorts?: boolean }, cmd: Command) => {
      const g = d.globals(cmd);
      const project = await d.load(g, [service]);
      checkServices(project, [service]);
      await using ctx = await d.context(g);
      if (g.dryRun) {
        const { services: deps, gates } = oneoffDependencies(project, service, o.deps === false);
        const result = await composeUp(ctx, project, { services: deps, infraFor: [service], gates, lifetime: "persistent", dryRun: true });
        d.io.stdout.write(result.imageSteps.map((s) => `  -  ${s.cause}\n`).join("") + formatPlan(result.plan));
        d.io.stdout.write(`  -  create a one-off ${service} container${command.length ? ` running ${JSON.stringify(command)}` : ""} while its dependencies get ready, start it attached once they are; exit with its code${o.rm ? "; remove it after" : ""}\n`);
        return;
      }
      const environment = Object.fromEntries((o.env ?? []).map((kv) => {
        const eq = kv.indexOf("=");
        return eq < 0 ? [kv, d.io.env[kv] ?? ""] : [kv.slice(0, eq), kv.slice(eq + 1)];
      }));
      await d.cancellable(ctx, async () => {
        const result = await composeRun(ctx, project, service, {
          lifetime: "persistent",
          ...(o.rm ? { rm: true } : {}),
          ...(o.deps === false ? { noDeps: true } : {}),
          ...(command.length ? { command } : {}),
          ...(o.entrypoint ? { entrypoint: [o.entrypoint] } : {}),
          ...(o.user ? { user: o.user } : {}),
          ...(o.workdir ? { workingDir: o.workdir } : {}),
          ...(o.name ? { name: o.name } : {}),
          ...(o.servicePorts ? { servicePorts: true } : {}),
          environment,
          onOutput: (stream, data) => void (stream === "stderr" ? d.io.stderr : d.io.stdout).write(data),
        });
        d.setExit(result.exitCode);
      });
    });

  compose
    .command("exec")
    .description("run a command in a running service container; exits with its code")
    .argument("<service>")
    .argument("<command...>")
    .option("--index <n>", "container index", Number)
    .option("-u, --user <user>", "run as this user")
    .option("-w, --workdir <dir>", "working directory")
    .action(async (service: string, command: string[], o: { index?: number; user?: string; workdir?: string }, cmd: Command) => {
      const g = d.globals(cmd);
      const name = g.projectName ?? (await d.load(g)).name;
      if (g.dryRun) {
        d.io.stdout.write(`  -  exec ${JSON.stringify(command)} in ${name}-${service}-${o.index ?? 1}\n`);
        return;
      }
      await using ctx = await d.context(g);
      const code = await composeExec(ctx.engine, name, service, command, {
        signal: d.signal,
        ...(o.index ? { index: o.index } : {}),
        ...(o.user ? { user: o.user } : {}),
        ...(o.workdir ? { workingDir: o.workdir } : {}),
        onOutput: (stream, data) => void (stream === "stderr" ? d.io.stderr : d.io.stdout).write(data),
      });
      d.setExit(code);
    });

  const imagesCommand = (verb: "build" | "pull") =>
    compose
      .command(verb)
      .description(verb === "build" ? "build the services' images" : "pull the services' images")
      .argument("[services...]")
      .action(async (services: string[], _o, cmd: Command) => {
        const g = d.globals(cmd);
        const project = await d.load(g, services);
        const names = services.length ? services : Object.keys(project.services);
        checkServices(project, names);
        await using ctx = await d.context(g);
        const selected = verb === "build" ? names.filter((n) => project.services[n]!.build) : withDependencies(project, names).filter((n) => project.services[n]!.image && !(verb === "pull" && project.services[n]!.build && !project.services[n]!.image));
        const steps = planImages({ project, services: selected, present: new Set(), build: verb === "build" ? "always" : "never", pull: verb === "pull" ? "always" : "missing" });
        if (g.dryRun) {
          d.io.stdout.write(steps.map((s) => `  -  ${s.cause}\n`).join("") || "nothing to do\n");
          return;
        }
        await executeImages(project, steps, new ImageResolver(ctx.engine, ctx.events, d.signal), d.signal, ctx.events);
      });
  imagesCommand("build");
  imagesCommand("pull");

}
