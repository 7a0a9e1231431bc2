/**
 * `wait`: blocks until the services' running containers have stopped and answers with an exit
 * code, as docker compose 2.26 does: it waits for every one of them (one-offs included), and the
 * code is that of the last to exit (its documentation says "the first", its code keeps
 * overwriting one variable as each exits). With `downProject` the project goes down after.
 */
import { SlipwayError } from "../../errors/index.ts";
import type { ComposeContext } from "./context.ts";
import type { Project } from "../model/index.ts";
import { composeDown } from "./down.ts";
import { observeProject, type ObservedContainer } from "./observe.ts";

export interface WaitOptions {
  /** Services whose containers to wait for; every service when empty. */
  services?: string[];
  /** Take the project down once they have all stopped (`--down-project`). */
  downProject?: boolean;
  /** The project's file, when one was loaded (for the stop grace periods of `downProject`). */
  project?: Project;
  /** Called as each container exits, in the order they exit. */
  onExit?: (container: ObservedContainer, exitCode: number) => void;
}

export interface WaitResult {
  /** The exit code of the container that exited last. */
  exitCode: number;
  /** Each container with its code, in the order they exited. */
  exited: { container: ObservedContainer; exitCode: number }[];
}

const running = (c: ObservedContainer) => c.state === "running" || c.state === "paused" || c.state === "restarting";

export async function composeWait(ctx: ComposeContext, projectName: string, opts: WaitOptions = {}): Promise<WaitResult> {
  const observed = await observeProject(ctx.engine, projectName, ctx.signal);
  const named = opts.services?.length ? new Set(opts.services) : undefined;
  const targets = observed.containers.filter((c) => running(c) && (!named || named.has(c.service)));
  if (targets.length === 0) {
    throw new SlipwayError(`No running containers to wait for in project ${projectName}${named ? ` (services ${[...named].join(", ")})` : ""}`, {
      code: "NO_CONTAINERS",
      kind: "usage",
      hint: `See what the project has with \`slipway compose -p ${projectName} ps -a\`.`,
    });
  }
  // Every wait is registered before any is awaited: a container that exits meanwhile is still
  // answered with its own code (the engine's wait on a stopped container returns at once).
  const registered = await Promise.all(targets.map((c) => ctx.engine.containers.wait(c.id, { condition: "not-running", signal: ctx.signal })));
  ctx.events.emit({ type: "log", level: "debug", message: `waiting for ${targets.map((c) => c.name).join(", ")} to stop` });
  const exited: WaitResult["exited"] = [];
  await Promise.all(
    registered.map(async (wait, i) => {
      const { StatusCode } = await wait.result;
      const container = targets[i]!;
      exited.push({ container, exitCode: StatusCode });
      ctx.events.emit({ type: "log", level: "debug", message: `${container.name} exited with code ${StatusCode}` });
      opts.onExit?.(container, StatusCode);
    }),
  );
  if (opts.downProject) await composeDown(ctx, projectName, { ...(opts.project ? { project: opts.project } : {}), removeOrphans: true });
  return { exitCode: exited.at(-1)!.exitCode, exited };
}
