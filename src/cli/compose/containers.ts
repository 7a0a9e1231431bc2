/**
 * The commands about one service's containers and images, with compose v2's flags: `run`,
 * `exec`, `cp`, `build`, `pull`, `push` (`logs` is in logs.ts). `run` and `exec` exit with the command's own
 * code. Slipway never attaches a terminal: both run as compose's `-T` does, and `-i` is refused.
 */
import { buffer } from "node:stream/consumers";
import { InvalidArgumentError, Option, type Command } from "commander";
import { composeCopy, cpPlan, resolveLocalPath } from "../../compose/runner/cp.ts";
import { withDependencies } from "../../compose/runner/graph.ts";
import { concurrency } from "../../compose/runner/context.ts";
import type { InteractiveIo } from "../../compose/runner/interactive.ts";
import { executeImages, planImages, planPulls, planPushes, pullImages, pushImages, type ImageFailure } from "../../compose/runner/images-phase.ts";
import { composeExec } from "../../compose/runner/exec.ts";
import { formatPlan } from "../../compose/runner/plan.ts";
import { composeRun, oneoffDependencies, parseAssignments, parseEntrypointFlag, parseLabelFlags, parsePublishFlags, parseVolumeFlags } from "../../compose/runner/run.ts";
import { checkServices, composeUp } from "../../compose/runner/up.ts";
import type { Project } from "../../compose/model/index.ts";
import { SlipwayError } from "../../errors/index.ts";
import { ImageResolver } from "../../images/image-resolver.ts";
import { engineAuth, findCredential } from "../../registry/credentials.ts";
import { collect, usageError, type ComposeDeps, type GlobalOptions } from "./shared.ts";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("Expected a container number (1 or more).");
  return n;
}

/** A flag of compose v2 that Slipway does not take: accepted by the parser, refused with what to do instead. */
function refusedFlag(flags: string, why: string, instead: string): { option: Option; check: (o: Record<string, unknown>, command: string) => void } {
  const option = new Option(flags, `not supported: ${why}`).hideHelp();
  return {
    option,
    check(o, command) {
      if (o[option.attributeName()] !== undefined) throw usageError(`${command} ${option.long ?? option.short} is not supported: ${why}`, instead);
    },
  };
}

/**
 * The terminal's input for `run` and `exec`, as compose v2 attaches it by default (`-i`): a TTY
 * when both ends are terminals and -T is not given (raw mode while the command runs, the
 * container kept at the terminal's size), otherwise plain input (a pipe or a file, its end closing
 * the command's stdin).
 */
function terminalInput(o: { TTY?: boolean }): { io: InteractiveIo; tty: boolean; restore: () => void } {
  const stdin = process.stdin;
  const tty = o.TTY !== false && !!stdin.isTTY && !!process.stdout.isTTY;
  if (tty) stdin.setRawMode(true);
  return {
    tty,
    io: {
      stdin,
      size: () => (process.stdout.rows && process.stdout.columns ? { rows: process.stdout.rows, cols: process.stdout.columns } : undefined),
      onResize: (listener: () => void) => {
        process.stdout.on("resize", listener);
        return () => void process.stdout.off("resize", listener);
      },
    },
    restore: () => {
      if (tty) stdin.setRawMode(false);
    },
  };
}

/** The context of a command whose -q/--quiet asks for no progress output. */
const quietly = (g: GlobalOptions, quiet: boolean | undefined): GlobalOptions => (quiet && !g.json && g.progress !== "json" ? { ...g, progress: "quiet" } : g);

/** One failure is itself; several are one registry error naming each (what failed stays in the step lines too). */
function failureError(verb: "pull" | "push", failures: ImageFailure[], hint: string): SlipwayError {
  if (failures.length === 1) return failures[0]!.error;
  return new SlipwayError(`Could not ${verb} ${failures.length} images: ${failures.map((f) => `${f.ref} (${f.error.message})`).join("; ")}`, {
    code: verb === "pull" ? "PULL_FAILED" : "PUSH_FAILED",
    kind: failures.some((f) => f.error.kind === "registry") ? "registry" : failures[0]!.error.kind,
    hint,
  });
}

interface RunCliOptions {
  detach?: boolean;
  rm?: boolean;
  deps?: boolean;
  env?: string[];
  user?: string;
  workdir?: string;
  entrypoint?: string;
  name?: string;
  servicePorts?: boolean;
  publish?: string[];
  volume?: string[];
  label?: string[];
  capAdd?: string[];
  capDrop?: string[];
  useAliases?: boolean;
  build?: boolean;
  pull?: "always" | "missing" | "never";
  quietPull?: boolean;
  removeOrphans?: boolean;
  TTY?: boolean;
  interactive?: boolean;
}

export function registerContainers(compose: Command, d: ComposeDeps): void {
  compose
    .command("run")
    .description("run a one-off command in a new container of a service; exits with its code")
    .argument("<service>")
    .argument("[command...]", "the command and its arguments (options after SERVICE are the command's)")
    .option("-d, --detach", "run it in the background and print its container ID")
    .option("--rm", "remove the container when it exits")
    .option("--no-deps", "do not start the services it depends on")
    .option("-e, --env <KEY=VALUE>", "set an environment variable; KEY alone takes it from here (repeatable)", collect)
    .option("-l, --label <KEY=VALUE>", "add or override a label (repeatable)", collect)
    .option("-v, --volume <volume>", "bind mount a host path or mount a volume, [SOURCE:]TARGET[:ro] (repeatable)", collect)
    .option("-p, --publish <port>", "publish a port, [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL] (repeatable)", collect)
    .option("-P, --service-ports", "publish the service's ports")
    .option("--use-aliases", "give the container the service's network aliases")
    .option("-u, --user <user>", "run as this user")
    .option("-w, --workdir <dir>", "working directory")
    .option("--entrypoint <cmd>", "override the entrypoint (split as a shell would)")
    .option("--name <name>", "container name")
    .option("--cap-add <cap>", "add a Linux capability (repeatable)", collect)
    .option("--cap-drop <cap>", "drop a Linux capability (repeatable)", collect)
    .option("--build", "build the images first")
    .addOption(new Option("--pull <policy>", "pull policy for the images").choices(["always", "missing", "never"]))
    .option("--quiet-pull", "pull without progress output")
    .option("--remove-orphans", "remove containers of services not in the file")
    .option("-i, --interactive", "keep its input attached (the default, as in compose)")
    .option("-T, --no-TTY", "no pseudo-terminal, even when this runs in one")
    .passThroughOptions()
    .action(async (service: string, command: string[], o: RunCliOptions, cmd: Command) => {
      const g = d.globals(cmd);
      const project = await d.load(g, [service]);
      checkServices(project, [service]);
      const flags = {
        ...(o.volume ? { volumes: parseVolumeFlags(o.volume, project.workingDir, d.io.env["HOME"]) } : {}),
        ...(o.publish ? { publish: parsePublishFlags(o.publish) } : {}),
        ...(o.label ? { labels: parseLabelFlags(o.label) } : {}),
        ...(o.capAdd ? { capAdd: o.capAdd } : {}),
        ...(o.capDrop ? { capDrop: o.capDrop } : {}),
        useAliases: !!o.useAliases,
      };
      if (o.publish && o.servicePorts) throw usageError("--service-ports and --publish are incompatible", "Publish the service's ports with --service-ports, or the ones you name with -p, not both.");
      const entrypoint = o.entrypoint !== undefined ? parseEntrypointFlag(o.entrypoint) : undefined;
      const environment = parseAssignments(o.env ?? [], d.io.env, "-e");
      await using ctx = await d.context(quietly(g, o.quietPull));
      if (g.dryRun) {
        const { services: deps, gates } = oneoffDependencies(project, service, o.deps === false);
        const result = await composeUp(ctx, project, { services: deps, infraFor: [service], gates, lifetime: "persistent", dryRun: true, ...(o.build ? { build: "always" as const } : {}), ...(o.pull ? { pull: o.pull } : {}) });
        d.io.stdout.write(result.imageSteps.map((s) => `  -  ${s.cause}\n`).join("") + formatPlan(result.plan));
        d.io.stdout.write(
          o.detach
            ? `  -  create a one-off ${service} container${command.length ? ` running ${JSON.stringify(command)}` : ""} while its dependencies get ready, start it once they are, and leave it running${o.rm ? " (removed by the engine when it exits)" : ""}\n`
            : `  -  create a one-off ${service} container${command.length ? ` running ${JSON.stringify(command)}` : ""} while its dependencies get ready, start it attached once they are; exit with its code${o.rm ? "; remove it after" : ""}\n`,
        );
        return;
      }
      const input = o.detach ? undefined : terminalInput(o);
      await d.cancellable(ctx, async () => {
        const result = await composeRun(ctx, project, service, {
          lifetime: "persistent",
          tty: input?.tty ?? false,
          ...(input ? { interactive: input.io } : {}),
          ...flags,
          ...(o.detach ? { detach: true } : {}),
          ...(o.rm ? { rm: true } : {}),
          ...(o.deps === false ? { noDeps: true } : {}),
          ...(command.length ? { command } : {}),
          ...(entrypoint ? { entrypoint } : {}),
          ...(o.user ? { user: o.user } : {}),
          ...(o.workdir ? { workingDir: o.workdir } : {}),
          ...(o.name ? { name: o.name } : {}),
          ...(o.servicePorts ? { servicePorts: true } : {}),
          ...(o.build ? { build: "always" as const } : {}),
          ...(o.pull ? { pull: o.pull } : {}),
          ...(o.removeOrphans ? { removeOrphans: true } : {}),
          environment,
          onOutput: (stream, data) => void (stream === "stderr" ? d.io.stderr : d.io.stdout).write(data),
        });
        // As compose v2 2.26 prints it: the container's ID.
        if (o.detach) d.io.stdout.write(`${result.id}\n`);
        else d.setExit(result.exitCode);
      }).finally(() => input?.restore());
    });

  compose
    .command("exec")
    .description("run a command in a running service container; exits with its code")
    .argument("<service>")
    .argument("<command...>", "the command and its arguments (options after SERVICE are the command's)")
    .option("-d, --detach", "run the command in the background")
    .option("-e, --env <KEY=VALUE>", "set an environment variable; KEY alone takes it from here (repeatable)", collect)
    .option("--index <n>", "container number, when the service has several", positiveInt)
    .option("--privileged", "give the command extended privileges")
    .option("-u, --user <user>", "run as this user")
    .option("-w, --workdir <dir>", "working directory")
    .option("-i, --interactive", "keep its input attached (the default, as in compose)")
    .option("-T, --no-TTY", "no pseudo-terminal, even when this runs in one")
    .passThroughOptions()
    .action(async (service: string, command: string[], o: { detach?: boolean; env?: string[]; index?: number; privileged?: boolean; user?: string; workdir?: string; TTY?: boolean; interactive?: boolean }, cmd: Command) => {
      const g = d.globals(cmd);
      const name = await d.projectName(g);
      const env = parseAssignments(o.env ?? [], d.io.env, "-e");
      if (g.dryRun) {
        d.io.stdout.write(`  -  exec ${JSON.stringify(command)} in ${name}-${service}-${o.index ?? 1}${o.detach ? ", detached" : ""}\n`);
        return;
      }
      await using ctx = await d.context(g);
      const input = o.detach ? undefined : terminalInput(o);
      const code = await composeExec(ctx.engine, name, service, command, {
        ...(input ? { interactive: input.io, tty: input.tty } : {}),
        signal: d.signal,
        ...(o.index ? { index: o.index } : {}),
        ...(o.user ? { user: o.user } : {}),
        ...(o.workdir ? { workingDir: o.workdir } : {}),
        ...(o.privileged ? { privileged: true } : {}),
        ...(o.detach ? { detach: true } : {}),
        env,
        onOutput: (stream, data) => void (stream === "stderr" ? d.io.stderr : d.io.stdout).write(data),
      }).finally(() => input?.restore());
      d.setExit(code);
    });

  compose
    .command("cp")
    .description("copy files or folders between a service container and this machine (SERVICE:PATH on one side; - is a tar archive on stdin/stdout)")
    .argument("<source>", "SERVICE:SRC_PATH, or a path here (or -)")
    .argument("<destination>", "a path here (or -), or SERVICE:DEST_PATH")
    .option("-a, --archive", "the copied files belong to the container's user (into a container)")
    .option("-L, --follow-link", "follow a symlink given as the source")
    .option("--index <n>", "container number, when the service has several", positiveInt)
    .addOption(new Option("--all", "deprecated: also into the service's one-off containers").hideHelp())
    .action(async (source: string, destination: string, o: { archive?: boolean; followLink?: boolean; index?: number; all?: boolean }, cmd: Command) => {
      const g = d.globals(cmd);
      const plan = cpPlan(source, destination);
      const local = plan.local === "-" ? "-" : resolveLocalPath(d.io.cwd, plan.local);
      if (o.all) d.io.stderr.write(`${d.io.err.yellow("warning")}: --all is deprecated (as in docker compose): a copy into a service goes to all its containers\n`);
      const name = await d.projectName(g);
      if (g.dryRun) {
        d.io.stdout.write(plan.direction === "from" ? `  -  copy ${plan.service}:${plan.containerPath} to ${local}\n` : `  -  copy ${local} to ${plan.service}:${plan.containerPath}\n`);
        return;
      }
      await using ctx = await d.context(g);
      await composeCopy(ctx, { ...plan, local }, {
        projectName: name,
        ...(o.index ? { index: o.index } : {}),
        ...(o.followLink ? { followLink: true } : {}),
        ...(o.archive ? { archive: true } : {}),
        ...(o.all ? { all: true } : {}),
        toStdout: async (tar) => {
          for await (const chunk of tar) {
            if (!d.io.stdout.write(chunk)) await drainedOrClosed(d.io.stdout);
          }
        },
        fromStdin: () => buffer(process.stdin),
      });
    });

  const ssh = refusedFlag("--ssh <spec>", "Slipway does not forward an ssh agent into builds", "Pass what the build needs as a build secret (build.secrets in the file), e.g. a token for a private repository.");
  const builder = refusedFlag("--builder <name>", "Slipway builds with the engine's own BuildKit, without buildx builders", "Drop --builder; DOCKER_BUILDKIT=0 asks for the engine's classic builder.");
  const memory = refusedFlag("-m, --memory <bytes>", "a memory limit applies to the classic builder only, and Slipway does not pass it", "Drop --memory.");
  compose
    .command("build")
    .description("build the services' images")
    .argument("[services...]")
    .option("--build-arg <KEY=VALUE>", "set a build argument for every service; KEY alone takes it from here (repeatable)", collect)
    .option("--no-cache", "do not use the build cache")
    .option("--pull", "pull the base images again")
    .option("-q, --quiet", "print nothing")
    .option("--push", "push the images once built (as `push` does)")
    .option("--with-dependencies", "also build the services they depend on")
    // Deprecated in compose v2 and ignored there too.
    .addOption(new Option("--parallel").hideHelp())
    .addOption(new Option("--no-parallel").hideHelp())
    .addOption(new Option("--compress").hideHelp())
    .addOption(new Option("--force-rm").hideHelp())
    .addOption(new Option("--no-rm").hideHelp())
    .addOption(ssh.option)
    .addOption(builder.option)
    .addOption(memory.option)
    .action(async (services: string[], o: { buildArg?: string[]; cache?: boolean; pull?: boolean; quiet?: boolean; push?: boolean; withDependencies?: boolean }, cmd: Command) => {
      for (const refused of [ssh, builder, memory]) refused.check(o as Record<string, unknown>, "slipway compose build");
      const g = d.globals(cmd);
      const project = await d.load(g, services);
      checkServices(project, services);
      const named = services.length ? services : Object.keys(project.services);
      const selected = (o.withDependencies ? withDependencies(project, named) : named).filter((n) => project.services[n]!.build);
      const buildOverrides = {
        ...(o.buildArg ? { args: parseAssignments(o.buildArg, d.io.env, "--build-arg") } : {}),
        ...(o.cache === false ? { noCache: true } : {}),
        ...(o.pull ? { pull: true } : {}),
      };
      const steps = planImages({ project, services: selected, present: new Set(), build: "always", pull: "missing", buildOverrides });
      const pushes = o.push ? planPushes(project, selected).pushes : [];
      if (g.dryRun) {
        d.io.stdout.write([...steps.map((s) => s.cause), ...pushes.map((p) => `push ${p.ref} for ${p.service}`)].map((l) => `  -  ${l}\n`).join("") || "nothing to do\n");
        return;
      }
      await using ctx = await d.context(quietly(g, o.quiet));
      await executeImages(project, steps, new ImageResolver(ctx.engine, ctx.events, d.signal), d.signal, ctx.events, concurrency(ctx));
      if (pushes.length) {
        const failures = await pushImages(ctx.engine, pushes, { credentials: credentials(d), events: ctx.events, signal: d.signal });
        if (failures.length) throw failureError("push", failures, "Check the registry and your login (`slipway login REGISTRY`), then run `slipway compose push`.");
      }
    });

  compose
    .command("pull")
    .description("pull the services' images")
    .argument("[services...]")
    .option("--ignore-pull-failures", "pull what can be pulled; a failure is a warning")
    .option("--include-deps", "also pull the images of the services they depend on")
    .option("--ignore-buildable", "skip the images of services that can be built")
    .addOption(new Option("--policy <policy>", "pull policy over every service's pull_policy").choices(["missing", "always"]))
    .option("-q, --quiet", "print nothing")
    .addOption(new Option("--parallel").hideHelp())
    .addOption(new Option("--no-parallel").hideHelp())
    .action(async (services: string[], o: { ignorePullFailures?: boolean; includeDeps?: boolean; ignoreBuildable?: boolean; policy?: "missing" | "always"; quiet?: boolean }, cmd: Command) => {
      const g = d.globals(cmd);
      const project = await d.load(g, services);
      checkServices(project, services);
      const named = services.length ? services : Object.keys(project.services);
      const selected = o.includeDeps ? withDependencies(project, named) : named;
      await using ctx = await d.context(quietly(g, o.quiet));
      const resolver = new ImageResolver(ctx.engine, ctx.events, d.signal);
      const present = await presentImages(project, selected, resolver, d.signal);
      const { pulls, skipped } = planPulls({ project, services: selected, present, ...(o.policy ? { policy: o.policy } : {}), ...(o.ignoreBuildable ? { ignoreBuildable: true } : {}) });
      if (g.dryRun) {
        d.io.stdout.write([...pulls.map((p) => `  -  pull ${p.ref} for ${p.services.join(", ")}\n`), ...skipped.map((s) => `  -  skip ${s.service}: ${s.reason}\n`)].join("") || "nothing to do\n");
        return;
      }
      for (const s of skipped) ctx.events.emit({ type: "log", level: "info", message: `${s.service} skipped: ${s.reason}` });
      const failures = await pullImages(ctx.engine, pulls, { credentials: credentials(d), events: ctx.events, signal: d.signal });
      const mustBuild = failures.flatMap((f) => (pulls.find((p) => p.ref === f.ref)?.buildable ? f.services.filter((s) => project.services[s]!.build) : []));
      if (mustBuild.length) ctx.events.emit({ type: "warning", message: `some service images must be built from source: slipway compose build ${mustBuild.join(" ")}` });
      if (!failures.length) return;
      if (o.ignorePullFailures) {
        for (const f of failures) ctx.events.emit({ type: "warning", message: `pulling ${f.services.join(", ")}: ${f.error.message}` });
        return;
      }
      throw failureError("pull", failures, "Check the image names and the registry, or pass --ignore-pull-failures to pull what can be pulled.");
    });

  compose
    .command("push")
    .description("push the images of the services that are built here to their image: names")
    .argument("[services...]")
    .option("--ignore-push-failures", "push what can be pushed; a failure is a warning")
    .option("--include-deps", "also push the images of the services they depend on")
    .option("-q, --quiet", "print nothing")
    .action(async (services: string[], o: { ignorePushFailures?: boolean; includeDeps?: boolean; quiet?: boolean }, cmd: Command) => {
      const g = d.globals(cmd);
      const project = await d.load(g, services);
      checkServices(project, services);
      const named = services.length ? services : Object.keys(project.services);
      const selected = o.includeDeps ? withDependencies(project, named) : named;
      const { pushes, skipped } = planPushes(project, selected);
      if (g.dryRun) {
        d.io.stdout.write([...pushes.map((p) => `  -  push ${p.ref} for ${p.service}\n`), ...skipped.map((s) => `  -  skip ${s.service}: ${s.reason}\n`)].join("") || "nothing to do\n");
        return;
      }
      await using ctx = await d.context(quietly(g, o.quiet));
      for (const s of skipped) ctx.events.emit({ type: "log", level: "info", message: `${s.service} skipped: ${s.reason}` });
      const failures = await pushImages(ctx.engine, pushes, { credentials: credentials(d), events: ctx.events, signal: d.signal });
      if (!failures.length) return;
      if (o.ignorePushFailures) {
        for (const f of failures) ctx.events.emit({ type: "warning", message: `pushing ${f.services.join(", ")}: ${f.error.message}` });
        return;
      }
      throw failureError("push", failures, "Check the registry and your login (`slipway login REGISTRY`), or pass --ignore-push-failures to push what can be pushed.");
    });
}

/** Credentials as the docker CLI finds them (credHelpers, credsStore, auths), as the engine wants them. */
const credentials = (d: ComposeDeps) => async (registry: string) => engineAuth(await findCredential(registry, { env: d.io.env, signal: d.signal }), registry);

/** The images of `services` already in the engine (for pull_policy missing and --policy missing). */
async function presentImages(project: Project, services: string[], resolver: ImageResolver, signal: AbortSignal): Promise<Set<string>> {
  const present = new Set<string>();
  await Promise.all(
    services.map(async (name) => {
      const ref = project.services[name]!.image;
      if (ref && (await resolver.lookup(ref, signal))) present.add(ref);
    }),
  );
  return present;
}

/** Until the stream wants more, or is gone (a reader that went away never drains). */
function drainedOrClosed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.removeListener("drain", done);
      stream.removeListener("close", done);
      resolve();
    };
    stream.once("drain", done);
    stream.once("close", done);
  });
}
