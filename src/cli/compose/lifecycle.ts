/**
 * The commands that change the state of a project's containers, with compose v2's flags:
 * `create`, `start`, `stop`, `restart`, `kill`, `pause`, `unpause`, `rm`, `down`, `wait`. They
 * find the project's containers by compose's labels, so they act as well on a project that
 * `docker compose` made; with `-p` and no compose file here, on a project made elsewhere.
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import { discoverComposeFiles } from "../../compose/load/discover.ts";
import type { Project } from "../../compose/model/index.ts";
import { composeDown, type RmiMode } from "../../compose/runner/down.ts";
import {
  composeKill,
  composePause,
  composeRemove,
  composeRestart,
  composeStart,
  composeStop,
  composeUnpause,
  formatSteps,
  type LifecycleStep,
} from "../../compose/runner/lifecycle.ts";
import type { ObservedContainer } from "../../compose/runner/observe.ts";
import { formatPlan } from "../../compose/runner/plan.ts";
import { composeUp } from "../../compose/runner/up.ts";
import { composeWait } from "../../compose/runner/wait.ts";
import { CancelledError } from "../../errors/index.ts";
import { definedEnv } from "../../pipeline/pipeline.ts";
import { outputMode, usageError, type ComposeDeps, type GlobalOptions } from "./shared.ts";

/** Where `rm` reads its answer: the terminal, or whatever stdin is. */
export type ConfirmInput = NodeJS.ReadableStream & { isTTY?: boolean };

/** `--scale SERVICE=NUM`, repeatable. */
function scale(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const m = /^([^=]+)=(\d+)$/.exec(value);
  if (!m) throw new InvalidArgumentError("Expected SERVICE=NUM, e.g. --scale web=3.");
  return { ...previous, [m[1]!]: Number(m[2]) };
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("Expected a whole number of seconds.");
  return n;
}

/**
 * The project acted on: the file's when there is one (`-f`, COMPOSE_FILE, or compose.yaml here or
 * above), as compose v2 loads it even with `-p`; with `-p` and no file, the project named (its
 * containers' labels then say the services and their order).
 */
async function target(d: ComposeDeps, g: GlobalOptions): Promise<{ name: string; project?: Project }> {
  if (g.projectName && !g.file) {
    const found = await discoverComposeFiles(d.io.cwd, undefined, definedEnv(d.io.env));
    if (found.source === "none") return { name: g.projectName };
  }
  const project = await d.load(g);
  return { name: project.name, project };
}

/**
 * compose's confirmation: the question on stdout, one line read from stdin; yes only for y, yes
 * (or true, 1). Without a terminal compose asks the same way, so an empty or closed stdin (a CI
 * job, a pipe) reads as no at once instead of hanging.
 */
async function confirm(d: ComposeDeps, input: ConfirmInput, question: string): Promise<boolean> {
  d.io.stdout.write(input.isTTY ? `? ${question} (y/N) ` : question);
  const answer = await readLine(input, d.signal);
  return ["y", "yes", "true", "t", "1"].includes(answer.trim().toLowerCase());
}

function readLine(input: ConfirmInput, signal: AbortSignal): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let line = "";
    const done = (fn: () => void) => {
      input.off("data", onData);
      input.off("end", onEnd);
      input.off("error", onEnd);
      signal.removeEventListener("abort", onAbort);
      input.pause();
      fn();
    };
    const onData = (chunk: string | Buffer) => {
      line += String(chunk);
      const nl = line.indexOf("\n");
      if (nl >= 0) done(() => resolve(line.slice(0, nl)));
    };
    const onEnd = () => done(() => resolve(line));
    const onAbort = () => done(() => reject(new CancelledError()));
    input.on("data", onData);
    input.on("end", onEnd);
    input.on("error", onEnd);
    signal.addEventListener("abort", onAbort, { once: true });
    input.resume();
  });
}

export function registerLifecycle(compose: Command, d: ComposeDeps, stdin: () => ConfirmInput = () => process.stdin): void {
  /** Plans and, unless --dry-run, carries out; the plan is printed with --dry-run. */
  const act = async (cmd: Command, run: (t: { name: string; project?: Project }, ctx: Awaited<ReturnType<ComposeDeps["context"]>>, g: GlobalOptions) => Promise<LifecycleStep[]>) => {
    const g = d.globals(cmd);
    const t = await target(d, g);
    await using ctx = await d.context(g);
    const steps = await run(t, ctx, g);
    if (g.dryRun) d.io.stdout.write(formatSteps(steps));
    return steps;
  };
  const scope = (t: { project?: Project }, services: string[], g: GlobalOptions) => ({
    ...(t.project ? { project: t.project } : {}),
    ...(services.length ? { services } : {}),
    ...(g.dryRun ? { dryRun: true } : {}),
    ...(g.parallel !== undefined ? { parallel: g.parallel } : {}),
  });

  compose
    .command("create")
    .description("create the services' containers (and networks, volumes), without starting them")
    .argument("[services...]")
    .option("--build", "build images before creating containers")
    .option("--no-build", "do not build images, even when missing")
    .option("--force-recreate", "recreate containers even if unchanged")
    .option("--no-recreate", "leave existing containers as they are, even when changed")
    .addOption(new Option("--pull <policy>", "pull images: always, missing, never, or build").choices(["always", "missing", "never", "build"]))
    .option("--quiet-pull", "pull without progress output")
    .option("--remove-orphans", "remove containers of services not in the file")
    .option("--scale <SERVICE=NUM>", "number of containers of a service, over the file's (repeatable)", scale)
    .action(async (services: string[], o: { build?: boolean; forceRecreate?: boolean; recreate?: boolean; pull?: "always" | "missing" | "never" | "build"; quietPull?: boolean; removeOrphans?: boolean; scale?: Record<string, number> }, cmd: Command) => {
      if (o.forceRecreate && o.recreate === false) throw usageError("--force-recreate and --no-recreate are incompatible", "Give one of them.");
      const g = d.globals(cmd);
      const project = await d.load(g, services);
      await using ctx = await d.context(g);
      const createOpts = {
        ...(services.length ? { services } : {}),
        lifetime: "persistent" as const,
        noStart: true,
        ...(o.build === true ? { build: "always" as const } : o.build === false ? { build: "never" as const } : {}),
        ...(o.forceRecreate ? { forceRecreate: true } : {}),
        ...(o.recreate === false ? { noRecreate: true } : {}),
        ...(o.pull ? { pull: o.pull } : {}),
        ...(o.quietPull ? { quietPull: true } : {}),
        ...(o.removeOrphans ? { removeOrphans: true } : {}),
        ...(o.scale ? { scale: o.scale } : {}),
      };
      if (g.dryRun) {
        const result = await composeUp(ctx, project, { ...createOpts, dryRun: true });
        d.io.stdout.write(result.imageSteps.map((s) => `  -  ${s.cause}\n`).join("") + formatPlan(result.plan));
        return;
      }
      // Ctrl-C removes what this invocation created, as `up` does.
      await d.cancellable(ctx, async () => {
        await composeUp(ctx, project, createOpts);
      });
    });

  compose
    .command("start")
    .description("start the services' existing containers (and their dependencies'), in dependency order")
    .argument("[services...]")
    .action(async (services: string[], _o, cmd: Command) => {
      await act(cmd, (t, ctx, g) => composeStart(ctx, t.name, scope(t, services, g)));
    });

  compose
    .command("stop")
    .description("stop the services' containers (only those named), dependents first")
    .argument("[services...]")
    .option("-t, --timeout <seconds>", "seconds to wait for each container to stop before killing it", seconds)
    .action(async (services: string[], o: { timeout?: number }, cmd: Command) => {
      await act(cmd, (t, ctx, g) => composeStop(ctx, t.name, { ...scope(t, services, g), ...(o.timeout !== undefined ? { timeout: o.timeout } : {}) }));
    });

  compose
    .command("restart")
    .description("restart the services' containers, and those that depend on them with restart: true")
    .argument("[services...]")
    .option("-t, --timeout <seconds>", "seconds to wait for each container to stop before killing it", seconds)
    .option("--no-deps", "do not restart the services that depend on them")
    .action(async (services: string[], o: { timeout?: number; deps?: boolean }, cmd: Command) => {
      await act(cmd, (t, ctx, g) =>
        composeRestart(ctx, t.name, { ...scope(t, services, g), ...(o.timeout !== undefined ? { timeout: o.timeout } : {}), ...(o.deps === false ? { noDeps: true } : {}) }),
      );
    });

  compose
    .command("kill")
    .description("send a signal to the services' running containers (one-off containers included)")
    .argument("[services...]")
    .option("-s, --signal <signal>", "the signal (name, with or without SIG, or number)", "SIGKILL")
    .option("--remove-orphans", "also the containers of services not in the compose file")
    .action(async (services: string[], o: { signal: string; removeOrphans?: boolean }, cmd: Command) => {
      const steps = await act(cmd, (t, ctx, g) => composeKill(ctx, t.name, { ...scope(t, services, g), signal: o.signal, ...(o.removeOrphans ? { removeOrphans: true } : {}) }));
      if (steps.length === 0 && !d.globals(cmd).dryRun) d.io.stderr.write("no container to kill\n");
    });

  for (const verb of ["pause", "unpause"] as const) {
    compose
      .command(verb)
      .description(verb === "pause" ? "pause the services' running containers" : "unpause the services' paused containers")
      .argument("[services...]")
      .action(async (services: string[], _o, cmd: Command) => {
        await act(cmd, (t, ctx, g) => (verb === "pause" ? composePause : composeUnpause)(ctx, t.name, scope(t, services, g)));
      });
  }

  compose
    .command("rm")
    .description("remove the services' stopped containers (asks first, unless -f)")
    .argument("[services...]")
    .option("-f, --force", "do not ask")
    .option("-s, --stop", "stop the containers first")
    .option("-v, --volumes", "also remove their anonymous volumes")
    .action(async (services: string[], o: { force?: boolean; stop?: boolean; volumes?: boolean }, cmd: Command) => {
      const g = d.globals(cmd);
      const t = await target(d, g);
      await using ctx = await d.context(g);
      const { steps } = await composeRemove(ctx, t.name, {
        ...scope(t, services, g),
        ...(o.stop ? { stop: true } : {}),
        ...(o.volumes ? { volumes: true } : {}),
        // As compose: the names once the stops are done, then the question (or, with -f, the statement).
        confirm: async (names) => {
          const question = `Going to remove ${names.join(", ")}`;
          if (o.force) {
            d.io.stdout.write(`${question}\n`);
            return true;
          }
          return confirm(d, stdin(), question);
        },
      });
      if (g.dryRun) d.io.stdout.write(formatSteps(steps));
      else if (!steps.some((s) => s.kind === "remove")) d.io.stderr.write("No stopped containers\n");
    });

  compose
    .command("down")
    .description("stop and remove containers, then networks (volumes with -v, images with --rmi)")
    .option("-v, --volumes", "also remove named and anonymous volumes")
    .option("-t, --timeout <seconds>", "seconds to wait for each container to stop before killing it", seconds)
    .addOption(new Option("--rmi <type>", "also remove images: local (those compose names, for services without image:) or all").choices(["local", "all"]))
    .option("--remove-orphans", "also the images of services no longer in the file, with --rmi (their containers go anyway)")
    .action(async (o: { volumes?: boolean; timeout?: number; rmi?: RmiMode; removeOrphans?: boolean }, cmd: Command) => {
      const g = d.globals(cmd);
      const t = await target(d, g);
      await using ctx = await d.context(g);
      const result = await composeDown(ctx, t.name, {
        ...(t.project ? { project: t.project } : {}),
        removeVolumes: !!o.volumes,
        ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
        ...(o.rmi ? { rmi: o.rmi } : {}),
        ...(o.removeOrphans ? { removeOrphans: true } : {}),
        ...(g.dryRun ? { dryRun: true } : {}),
      });
      if (g.dryRun) d.io.stdout.write((result.plan.length || !result.images.length ? formatPlan(result.plan) : "") + result.images.map((i) => `  -  ${i.cause}\n`).join(""));
    });

  compose
    .command("wait")
    .description("block until the services' containers stop; exit with the code of the last to stop")
    .argument("<services...>")
    .option("--down-project", "take the project down once they have stopped")
    .action(async (services: string[], o: { downProject?: boolean }, cmd: Command) => {
      const g = d.globals(cmd);
      const t = await target(d, g);
      if (g.dryRun) {
        d.io.stdout.write(`  -  wait for ${services.join(", ")} to stop${o.downProject ? ", then take project " + t.name + " down" : ""}\n`);
        return;
      }
      await using ctx = await d.context(g);
      const result = await composeWait(ctx, t.name, {
        services,
        ...(t.project ? { project: t.project } : {}),
        ...(o.downProject ? { downProject: true } : {}),
        // compose's line, word for word; with --json stdout is the events' (each exit is one).
        ...(outputMode(g) === "json" ? {} : { onExit: (c: ObservedContainer, code: number) => void d.io.stdout.write(`container ${JSON.stringify(c.id)} exited with status code ${code}\n`) }),
      });
      d.setExit(result.exitCode);
    });
}
