/**
 * `slipway compose -f FILE -p NAME up|run|exec|logs|ps|down|build|pull|config`: standard compose
 * files, run by Slipway over the Engine API. Ctrl-C during `up` or `run` tears down what this
 * invocation created and exits 130.
 */
import { Command, Option } from "commander";
import { loadProject, renderConfig } from "../../compose/load/index.ts";
import type { Project } from "../../compose/model/index.ts";
import { composeDown } from "../../compose/runner/down.ts";
import { composeExec } from "../../compose/runner/exec.ts";
import { executeImages, planImages } from "../../compose/runner/images-phase.ts";
import { composeLogs } from "../../compose/runner/logs.ts";
import { formatPlan } from "../../compose/runner/plan.ts";
import { composePs, formatPs } from "../../compose/runner/ps.ts";
import { composeRun, oneoffDependencies } from "../../compose/runner/run.ts";
import { checkServices, composeUp } from "../../compose/runner/up.ts";
import { withDependencies } from "../../compose/runner/graph.ts";
import { teardownRun } from "../../cleanup/teardown-run.ts";
import { CancelledError } from "../../errors/index.ts";
import { ImageResolver } from "../../images/image-resolver.ts";
import type { RunContext } from "../../run/context.ts";
import { openRunContext } from "../context.ts";
import { definedEnv } from "../../pipeline/pipeline.ts";
import type { CliIo } from "../io.ts";
import { formatIssue } from "../../compose/load/index.ts";

interface GlobalOptions {
  file?: string[];
  projectName?: string;
  projectDirectory?: string;
  envFile?: string[];
  profile?: string[];
  dryRun?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];


export function composeCommand(io: CliIo, signal: AbortSignal, setExit: (code: number) => void): Command {
  const compose = new Command("compose")
    .description("run standard compose files over the Engine API (no docker compose needed)")
    .option("-f, --file <file>", "compose file (repeatable; merged in order)", collect)
    .option("-p, --project-name <name>", "project name")
    .option("--project-directory <dir>", "project directory (default: the first file's folder)")
    .option("--env-file <file>", "env file for interpolation (repeatable)", collect)
    .option("--profile <profile>", "enable a profile (repeatable)", collect)
    .option("--dry-run", "print the plan, each step with its cause, and change nothing")
    .option("--json", "print events as JSON lines");

  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals() as GlobalOptions;
  const load = (opts: GlobalOptions, services: string[] = []): Promise<Project> =>
    loadProject({
      workingDir: io.cwd,
      env: definedEnv(io.env),
      ...(opts.file ? { files: opts.file } : {}),
      ...(opts.projectName ? { projectName: opts.projectName } : {}),
      ...(opts.projectDirectory ? { projectDir: opts.projectDirectory } : {}),
      ...(opts.envFile ? { envFiles: opts.envFile } : {}),
      ...(opts.profile ? { profiles: opts.profile } : {}),
      services,
      onWarning: (w) => void io.stderr.write(`${io.err.yellow("warning")}: ${formatIssue(w)}\n`),
    });
  const context = (opts: GlobalOptions) => openRunContext(io, signal, opts.json ? "json" : "plain");

  /** On cancellation, remove what this invocation created (its run label) and exit 130. */
  const cancellable = async (ctx: RunContext, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      if (!signal.aborted) throw err;
      io.stderr.write(`${io.err.yellow("cancelled")}: removing what this run created…\n`);
      await teardownRun(ctx.engine, ctx.events, ctx.owner.runId, { timeout: 3 });
      throw new CancelledError("Cancelled", err);
    }
  };

  compose
    .command("config")
    .description("print the normalized project, as docker compose config does")
    .argument("[services...]")
    .action(async (services: string[], _o, cmd: Command) => {
      const project = await load(globals(cmd), services);
      io.stdout.write(renderConfig(project));
    });

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
      const g = globals(cmd);
      const project = await load(g, services);
      await using ctx = await context(g);
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
        io.stdout.write(result.imageSteps.map((s) => `  -  ${s.cause}\n`).join("") + formatPlan(result.plan));
        return;
      }
      await cancellable(ctx, async () => {
        await composeUp(ctx, project, upOpts);
      });
    });

  compose
    .command("down")
    .description("stop and remove containers, then networks (and volumes with -v)")
    .option("-v, --volumes", "also remove named and anonymous volumes")
    .option("-t, --timeout <seconds>", "stop timeout", Number)
    .action(async (o: { volumes?: boolean; timeout?: number }, cmd: Command) => {
      const g = globals(cmd);
      // `down -p X` works without a file, for a project made elsewhere.
      const project = g.projectName && !g.file ? undefined : await load(g);
      const name = g.projectName ?? project!.name;
      await using ctx = await context(g);
      const plan = await composeDown(ctx, name, {
        ...(project ? { project } : {}),
        removeVolumes: !!o.volumes,
        ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
        ...(g.dryRun ? { dryRun: true } : {}),
      });
      if (g.dryRun) io.stdout.write(formatPlan(plan));
    });

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
      const g = globals(cmd);
      const project = await load(g, [service]);
      checkServices(project, [service]);
      await using ctx = await context(g);
      if (g.dryRun) {
        const { services: deps, gates } = oneoffDependencies(project, service, o.deps === false);
        const result = await composeUp(ctx, project, { services: deps, infraFor: [service], gates, lifetime: "persistent", dryRun: true });
        io.stdout.write(result.imageSteps.map((s) => `  -  ${s.cause}\n`).join("") + formatPlan(result.plan));
        io.stdout.write(`  -  create a one-off ${service} container${command.length ? ` running ${JSON.stringify(command)}` : ""} while its dependencies get ready, start it attached once they are; exit with its code${o.rm ? "; remove it after" : ""}\n`);
        return;
      }
      const environment = Object.fromEntries((o.env ?? []).map((kv) => {
        const eq = kv.indexOf("=");
        return eq < 0 ? [kv, io.env[kv] ?? ""] : [kv.slice(0, eq), kv.slice(eq + 1)];
      }));
      await cancellable(ctx, async () => {
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
          onOutput: (stream, data) => void (stream === "stderr" ? io.stderr : io.stdout).write(data),
        });
        setExit(result.exitCode);
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
      const g = globals(cmd);
      const name = g.projectName ?? (await load(g)).name;
      if (g.dryRun) {
        io.stdout.write(`  -  exec ${JSON.stringify(command)} in ${name}-${service}-${o.index ?? 1}\n`);
        return;
      }
      await using ctx = await context(g);
      const code = await composeExec(ctx.engine, name, service, command, {
        signal,
        ...(o.index ? { index: o.index } : {}),
        ...(o.user ? { user: o.user } : {}),
        ...(o.workdir ? { workingDir: o.workdir } : {}),
        onOutput: (stream, data) => void (stream === "stderr" ? io.stderr : io.stdout).write(data),
      });
      setExit(code);
    });

  compose
    .command("logs")
    .description("show service logs, prefixed and coloured per service")
    .argument("[services...]")
    .option("-f, --follow", "follow")
    .option("-n, --tail <lines>", "lines from the end of each log", Number)
    .option("-t, --timestamps", "show timestamps")
    .option("--no-log-prefix", "no service prefix")
    .action(async (services: string[], o: { follow?: boolean; tail?: number; timestamps?: boolean; logPrefix?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const project = g.projectName && !g.file ? undefined : await load(g);
      const name = g.projectName ?? project!.name;
      await using ctx = await context(g);
      const colours = new Map<string, number>();
      const width = Math.max(0, ...Object.keys(project?.services ?? {}).map((s) => s.length));
      try {
        await composeLogs(
          ctx.engine,
          name,
          (line) => {
            if (!colours.has(line.service)) colours.set(line.service, colours.size);
            const prefix = o.logPrefix === false ? "" : `${io.out.palette(colours.get(line.service)!, line.container.padEnd(width))} | `;
            io.stdout.write(`${prefix}${line.line}\n`);
          },
          { services, signal, ...(o.follow ? { follow: true } : {}), ...(o.tail !== undefined ? { tail: o.tail } : {}), ...(o.timestamps ? { timestamps: true } : {}) },
        );
      } catch (err) {
        if (!signal.aborted) throw err;
      }
    });

  compose
    .command("ps")
    .description("list the project's containers")
    .option("--format <format>", "table or json", "table")
    .action(async (o: { format: string }, cmd: Command) => {
      const g = globals(cmd);
      const name = g.projectName ?? (await load(g)).name;
      await using ctx = await context({ ...g, json: false });
      const rows = await composePs(ctx.engine, name, { signal });
      io.stdout.write(o.format === "json" || g.json ? `${JSON.stringify(rows)}\n` : formatPs(rows));
    });

  const imagesCommand = (verb: "build" | "pull") =>
    compose
      .command(verb)
      .description(verb === "build" ? "build the services' images" : "pull the services' images")
      .argument("[services...]")
      .action(async (services: string[], _o, cmd: Command) => {
        const g = globals(cmd);
        const project = await load(g, services);
        const names = services.length ? services : Object.keys(project.services);
        checkServices(project, names);
        await using ctx = await context(g);
        const selected = verb === "build" ? names.filter((n) => project.services[n]!.build) : withDependencies(project, names).filter((n) => project.services[n]!.image && !(verb === "pull" && project.services[n]!.build && !project.services[n]!.image));
        const steps = planImages({ project, services: selected, present: new Set(), build: verb === "build" ? "always" : "never", pull: verb === "pull" ? "always" : "missing" });
        if (g.dryRun) {
          io.stdout.write(steps.map((s) => `  -  ${s.cause}\n`).join("") || "nothing to do\n");
          return;
        }
        await executeImages(project, steps, new ImageResolver(ctx.engine, ctx.events, signal), signal, ctx.events);
      });
  imagesCommand("build");
  imagesCommand("pull");

  return compose;
}
