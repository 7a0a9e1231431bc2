/**
 * `slipway compose up`, with compose v2's flags and their meaning. Attached by default: the
 * attached services' output through the log multiplexer until their containers have exited (or,
 * with --abort-on-container-exit / --exit-code-from, until one exits and everything is stopped);
 * the first Ctrl-C stops everything gracefully and leaves it stopped, a second one kills, exit 130.
 * Detached (`-d`, `--wait`, `--no-start`): started and left running; Ctrl-C removes what this
 * invocation created.
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import { attachedServices, composeUpAttached } from "../../compose/runner/attach.ts";
import { formatPlan } from "../../compose/runner/plan.ts";
import { checkServices, composeUp, type UpOptions } from "../../compose/runner/up.ts";
import type { Project } from "../../compose/model/index.ts";
import { Interrupted } from "../signals.ts";
import { LogLines, displayName } from "./log-lines.ts";
import { SlipwayError } from "../../errors/index.ts";
import { collect, type ComposeDeps } from "./shared.ts";

/** The flags of `up` as commander gives them (`--no-x` flags are `x: false`). */
export interface UpFlags {
  detach?: boolean;
  deps?: boolean;
  scale?: string[];
  abortOnContainerExit?: boolean;
  exitCodeFrom?: string;
  attach?: string[];
  noAttach?: string[];
  attachDependencies?: boolean;
  start?: boolean;
  recreate?: boolean;
  alwaysRecreateDeps?: boolean;
  renewAnonVolumes?: boolean;
  timeout?: number;
  wait?: boolean;
  waitTimeout?: number;
  quietPull?: boolean;
  removeOrphans?: boolean;
  forceRecreate?: boolean;
  build?: boolean;
  pull?: "always" | "missing" | "never";
  color?: boolean;
  logPrefix?: boolean;
  timestamps?: boolean;
  watch?: boolean;
}

/** What the flags ask for: how `up` runs, and what the runner is told. */
export interface UpRequest {
  detached: boolean;
  up: UpOptions;
  /** Attached mode only. */
  attached?: {
    attach?: string[];
    noAttach?: string[];
    attachDependencies?: boolean;
    abortOnContainerExit: boolean;
    exitCodeFrom?: string;
    colour: boolean;
    prefix: boolean;
    timestamps: boolean;
  };
}

const usageError = (message: string, hint: string) => new SlipwayError(message, { code: "USAGE", kind: "usage", hint });
const incompatible = (a: string, b: string) => usageError(`${a} and ${b} cannot be used together`, `Drop one of them (docker compose refuses them together too).`);

/** `SERVICE=N`, compose's --scale. */
export function parseScale(entries: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of entries) {
    const eq = entry.indexOf("=");
    const count = Number(entry.slice(eq + 1));
    if (eq <= 0 || !/^\d+$/.test(entry.slice(eq + 1)) || !Number.isSafeInteger(count)) {
      throw usageError(`--scale ${entry}: expected SERVICE=NUMBER`, "For example --scale web=3 (0 removes the service's containers).");
    }
    out[entry.slice(0, eq)] = count;
  }
  return out;
}

/** The flags, checked as compose v2 checks them, as options for the runner. `colour`: whether the terminal and --ansi allow colour. */
export function upRequest(services: string[], f: UpFlags, colour: boolean): UpRequest {
  if (f.watch) throw usageError("--watch is not supported: Slipway does not watch files", "After a change, rebuild and recreate what changed with `slipway compose up -d --build`.");
  if (f.forceRecreate && f.recreate === false) throw incompatible("--force-recreate", "--no-recreate");
  if (f.alwaysRecreateDeps && f.recreate === false) throw incompatible("--always-recreate-deps", "--no-recreate");
  if (f.attach?.length && f.attachDependencies) throw incompatible("--attach", "--attach-dependencies");
  const abortOnContainerExit = !!(f.abortOnContainerExit || f.exitCodeFrom);
  if (f.detach && abortOnContainerExit) throw incompatible(f.exitCodeFrom ? "--exit-code-from" : "--abort-on-container-exit", "--detach");
  if (f.wait && (abortOnContainerExit || f.attach?.length || f.attachDependencies)) {
    throw incompatible("--wait", abortOnContainerExit ? "--abort-on-container-exit" : f.attach?.length ? "--attach" : "--attach-dependencies");
  }
  for (const [name, n] of [["--timeout", f.timeout], ["--wait-timeout", f.waitTimeout]] as const) {
    if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw usageError(`${name} ${n}: expected a whole number of seconds`, `For example ${name} 10.`);
  }
  const up: UpOptions = {
    lifetime: "persistent",
    ...(services.length ? { services } : {}),
    ...(f.deps === false ? { noDeps: true } : {}),
    ...(f.scale?.length ? { scale: parseScale(f.scale) } : {}),
    ...(f.start === false ? { noStart: true } : {}),
    ...(f.recreate === false ? { noRecreate: true } : {}),
    ...(f.alwaysRecreateDeps ? { alwaysRecreateDeps: true } : {}),
    ...(f.renewAnonVolumes ? { renewAnonVolumes: true } : {}),
    ...(f.forceRecreate ? { forceRecreate: true } : {}),
    ...(f.timeout !== undefined ? { timeout: f.timeout } : {}),
    ...(f.wait ? { wait: true } : {}),
    ...(f.waitTimeout !== undefined ? { readyTimeoutMs: f.waitTimeout * 1000 } : {}),
    ...(f.quietPull ? { quietPull: true } : {}),
    ...(f.removeOrphans ? { removeOrphans: true } : {}),
    ...(f.build === true ? { build: "always" as const } : f.build === false ? { build: "never" as const } : {}),
    ...(f.pull ? { pull: f.pull } : {}),
  };
  // --wait implies detached, as in compose; --no-start has nothing to attach to.
  const detached = !!(f.detach || f.wait || f.start === false);
  if (detached) return { detached, up };
  return {
    detached,
    up,
    attached: {
      ...(f.attach?.length ? { attach: f.attach } : {}),
      ...(f.noAttach?.length ? { noAttach: f.noAttach } : {}),
      ...(f.attachDependencies ? { attachDependencies: true } : {}),
      abortOnContainerExit,
      ...(f.exitCodeFrom ? { exitCodeFrom: f.exitCodeFrom } : {}),
      colour: colour && f.color !== false,
      prefix: f.logPrefix !== false,
      timestamps: !!f.timestamps,
    },
  };
}

/** Services named by the flags must exist, as compose checks them. */
function checkNamed(project: Project, request: UpRequest): void {
  const a = request.attached;
  checkServices(project, [...(a?.attach ?? []), ...(a?.noAttach ?? []), ...(a?.exitCodeFrom ? [a.exitCodeFrom] : [])]);
}

function whole(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError("a whole number of seconds");
  return n;
}

/** `--no-attach <service>` is a list of its own, not the negation of --attach. */
function listOption(flags: string, description: string): Option {
  const option = new Option(flags, description).argParser(collect);
  option.negate = false;
  return option;
}

export function registerUp(compose: Command, d: ComposeDeps): void {
  compose
    .command("up")
    .description("create and start the services; attached (their output, until they exit) unless -d or --wait")
    .argument("[services...]")
    .option("-d, --detach", "run in the background: start and return")
    .option("--no-deps", "do not start the services' dependencies")
    .option("--scale <SERVICE=N>", "run N containers of SERVICE, over the file (repeatable)", collect)
    .option("--abort-on-container-exit", "stop every container when one exits (attached)")
    .option("--exit-code-from <service>", "exit with this service's container's code; implies --abort-on-container-exit")
    .option("--attach <service>", "attach only to these services' output (repeatable)", collect)
    .addOption(listOption("--no-attach <service>", "do not attach to this service's output (repeatable)"))
    .option("--attach-dependencies", "attach to the dependencies' output too")
    .option("--no-start", "create the containers without starting them")
    .option("--no-recreate", "leave existing containers as they are, even if their config changed")
    .option("--always-recreate-deps", "recreate the dependencies' containers, even if unchanged")
    .option("-V, --renew-anon-volumes", "new anonymous volumes for recreated containers, rather than the previous ones'")
    .option("-t, --timeout <seconds>", "seconds containers get to stop (recreated, scaled down, or stopped when attached)", whole)
    .option("--wait", "wait until services are running, or healthy when they have a healthcheck (implies -d)")
    .option("--wait-timeout <seconds>", "give up waiting after this many seconds", whole)
    .option("--quiet-pull", "pull without progress output")
    .option("--remove-orphans", "remove containers of services not in the file")
    .option("--force-recreate", "recreate containers even if unchanged")
    .option("--build", "build images before starting")
    .option("--no-build", "do not build images, even when missing")
    .addOption(new Option("--pull <policy>", "pull policy").choices(["always", "missing", "never"]))
    .option("--no-color", "monochrome output")
    .option("--no-log-prefix", "no service prefix before each line")
    .option("--timestamps", "show when each line arrived")
    .addOption(new Option("-w, --watch", "not supported").hideHelp())
    .action(async (services: string[], flags: UpFlags, cmd: Command) => {
      const g = d.globals(cmd);
      const io = d.io;
      const request = upRequest(services, flags, io.out.enabled);
      // The engine is reached while the file loads (attached up is timed to its first line); a
      // file that does not load is still the error reported, and the connection is closed.
      const connecting = d.context(g);
      connecting.catch(() => undefined);
      let project: Project;
      try {
        project = await d.load(g, services);
        checkNamed(project, request);
      } catch (err) {
        await connecting.then((c) => c[Symbol.asyncDispose](), () => undefined);
        throw err;
      }
      await using ctx = await connecting;
      if (g.dryRun) {
        const result = await composeUp(ctx, project, { ...request.up, dryRun: true });
        io.stdout.write(result.imageSteps.map((s) => `  -  ${s.cause}\n`).join("") + formatPlan(result.plan));
        return;
      }
      if (request.detached || !request.attached) {
        await d.cancellable(ctx, async () => {
          await composeUp(ctx, project, request.up);
        });
        return;
      }
      const a = request.attached;
      const lines = new LogLines({ stdout: io.stdout, stderr: io.stderr, colour: a.colour, prefix: a.prefix, splitStderr: true, timestamps: a.timestamps });
      const name = (container: string) => displayName(container, project.name);
      // The second Ctrl-C kills what the first is stopping (the CLI exits at once otherwise).
      const force = new AbortController();
      const claimSecond = () => {
        const reason: unknown = d.signal.reason;
        if (reason instanceof Interrupted) reason.onSecond(() => force.abort());
      };
      if (d.signal.aborted) claimSecond();
      else d.signal.addEventListener("abort", claimSecond, { once: true });
      try {
        const result = await composeUpAttached(ctx, project, request.up, {
          attach: attachedServices(project, services, { ...a, ...(request.up.noDeps ? { noDeps: true } : {}) }),
          output: (c) => lines.container(name(c.name)),
          onAttaching: (names) => {
            // Registered in name order, so that colours and widths do not depend on which starts first.
            for (const n of names) lines.container(name(n));
            lines.line(`Attaching to ${names.map(name).join(", ")}`);
          },
          onExit: (c, code) => lines.status(name(c.name), `exited with code ${code}`),
          onStopping: (why) => {
            lines.mute();
            lines.flush();
            io.stderr.write(why === "interrupt" ? "Gracefully stopping... (press Ctrl+C again to force)\n" : "Aborting on container exit...\n");
          },
          abortOnContainerExit: a.abortOnContainerExit,
          ...(a.exitCodeFrom ? { exitCodeFrom: a.exitCodeFrom } : {}),
          force: force.signal,
          ...(request.up.timeout !== undefined ? { timeout: request.up.timeout } : {}),
        });
        d.setExit(result.exitCode);
      } finally {
        d.signal.removeEventListener("abort", claimSecond);
        await lines.close();
      }
    });
}
