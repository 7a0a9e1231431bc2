/**
 * The lifecycle commands against the real engine, through the library: the order containers are
 * stopped, started and restarted in (read from the engine's own events), signals, pause, rm,
 * wait's exit code, down --rmi. Each test has its own project and takes it down, whatever happens.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Engine, EngineEvent } from "../../../src/engine/index.ts";
import { loadProject } from "../../../src/compose/load/index.ts";
import type { Project } from "../../../src/compose/model/index.ts";
import { composeDown } from "../../../src/compose/runner/down.ts";
import { composeExec } from "../../../src/compose/runner/exec.ts";
import { composeKill, composePause, composeRemove, composeRestart, composeStart, composeStop, composeUnpause } from "../../../src/compose/runner/lifecycle.ts";
import { observeProject } from "../../../src/compose/runner/observe.ts";
import { composeUp } from "../../../src/compose/runner/up.ts";
import { composeWait } from "../../../src/compose/runner/wait.ts";
import { ComposeLabel } from "../../../src/run/labels.ts";
import { testContext, uniqueProject, type TestContext } from "../../support/run-context.ts";
import { until } from "../../e2e/support.ts";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
const load = (fixture: string, projectName: string) => loadProject({ workingDir: path.join(fixtures, fixture), projectName, env: {} });

/** A project up for one test, down (with its volumes) after it, whatever the test did. */
async function withProject(fixture: string, prefix: string, services: string[] | undefined, body: (ctx: TestContext, project: Project) => Promise<void>): Promise<void> {
  await using ctx = await testContext();
  const project = await load(fixture, uniqueProject(prefix));
  try {
    await composeUp(ctx, project, { lifetime: "ephemeral", ...(services ? { services } : {}) });
    await body(ctx, project);
  } finally {
    await composeDown(ctx, project.name, { project, removeVolumes: true, timeout: 0 });
  }
}

/** The project's container events while `action` runs, until `expected` of them have arrived. */
async function eventsOf(engine: Engine, project: string, expected: (events: EngineEvent[]) => boolean, action: () => Promise<unknown>): Promise<string[]> {
  const controller = new AbortController();
  const stream = await engine.system.events({ filters: { type: ["container"], label: [`${ComposeLabel.project}=${project}`] }, signal: controller.signal });
  const seen: EngineEvent[] = [];
  const reading = (async () => {
    for await (const e of stream) seen.push(e);
  })().catch(() => undefined);
  try {
    await action();
    await until(async () => expected(seen), 60_000);
  } finally {
    controller.abort();
    await reading;
  }
  // A health probe (the engine's, or the one Slipway races it with) shows as `exec <service>`.
  return seen
    .filter((e) => !e.Action.startsWith("exec_") || e.Action === "exec_die")
    .map((e) => `${e.Action === "exec_die" ? "exec" : e.Action.replace(/^health_status: /, "")} ${e.Actor.Attributes[ComposeLabel.service]}`);
}

const states = async (engine: Engine, project: string) =>
  Object.fromEntries((await observeProject(engine, project)).containers.filter((c) => !c.oneoff).map((c) => [c.service, c.state]));

/** `expected` happened in this order (other events may come between). */
function inOrder(events: string[], ...expected: string[]): void {
  let at = 0;
  for (const e of expected) {
    const found = events.indexOf(e, at);
    assert.ok(found >= 0, `${expected.join(" → ")}: no ${e} after position ${at} in ${events.join(", ")}`);
    at = found + 1;
  }
}
const count = (action: string, n: number) => (events: EngineEvent[]) => events.filter((e) => e.Action === action).length >= n;

test("stop: dependents first (web, app before db; worker before db), only what is named with SERVICE; start: dependencies first, app after db is healthy", async () => {
  await withProject("ordered", "lc-order", ["web", "worker"], async (ctx, project) => {
    const stopped = await eventsOf(ctx.engine, project.name, count("die", 4), () => composeStop(ctx, project.name, { project }));
    inOrder(stopped, "die web", "die app", "die db");
    inOrder(stopped, "die worker", "die db");
    assert.deepEqual(await states(ctx.engine, project.name), { db: "exited", app: "exited", web: "exited", worker: "exited" });

    const started = await eventsOf(ctx.engine, project.name, count("start", 4), () => composeStart(ctx, project.name, { project }));
    // app waited for db to pass a health probe.
    inOrder(started, "start db", "exec db", "start app", "start web");
    inOrder(started, "start db", "start worker");

    // Only the service named, not its dependents.
    await composeStop(ctx, project.name, { project, services: ["db"], timeout: 0 });
    assert.deepEqual(await states(ctx.engine, project.name), { db: "exited", app: "running", web: "running", worker: "running" });
    // start web brings its dependencies back (db here), not the other way round.
    await composeStop(ctx, project.name, { project, services: ["web"] });
    await composeStart(ctx, project.name, { project, services: ["app"] });
    assert.deepEqual(await states(ctx.engine, project.name), { db: "running", app: "running", web: "exited", worker: "running" });
  });
});

test("restart db: app and web (restart: true) after it, in order, worker untouched; --no-deps only db; works without the file", async () => {
  await withProject("ordered", "lc-restart", ["web", "worker"], async (ctx, project) => {
    const events = await eventsOf(ctx.engine, project.name, count("restart", 3), () => composeRestart(ctx, project.name, { project, services: ["db"] }));
    inOrder(events, "restart db", "exec db", "die app", "restart app", "die web");
    assert.ok(!events.some((e) => e.endsWith(" worker")), events.join(", "));

    // No file: the order comes from the containers' depends_on labels.
    const fromLabels = await eventsOf(ctx.engine, project.name, count("restart", 3), () => composeRestart(ctx, project.name, { services: ["db"] }));
    inOrder(fromLabels, "restart db", "die app", "restart app", "die web");

    const alone = await eventsOf(ctx.engine, project.name, count("restart", 1), () => composeRestart(ctx, project.name, { project, services: ["db"], noDeps: true }));
    assert.deepEqual(alone.filter((e) => e.startsWith("restart")), ["restart db"]);
  });
});

test("kill -s SIGUSR1 reaches the process (it keeps running); kill with the default signal kills, one-offs included", async () => {
  await withProject("ordered", "lc-kill", ["db"], async (ctx, project) => {
    await composeKill(ctx, project.name, { project, services: ["db"], signal: "SIGUSR1" });
    await until(async () => {
      const logs = await ctx.engine.containers.logs(`${project.name}-db-1`);
      let text = "";
      for await (const chunk of logs) text += chunk.toString("latin1");
      return text.includes("got-usr1");
    }, 60_000);
    assert.equal((await states(ctx.engine, project.name))["db"], "running");

    // A one-off container, labelled as `run` labels it.
    const oneoff = `${project.name}-db-run-1`;
    await ctx.engine.containers.create(
      { Image: "busybox:latest", Cmd: ["sleep", "300"], Labels: { [ComposeLabel.project]: project.name, [ComposeLabel.service]: "db", [ComposeLabel.oneoff]: "True", [ComposeLabel.containerNumber]: "1" } },
      { name: oneoff },
    );
    await ctx.engine.containers.start(oneoff);

    await composeKill(ctx, project.name, { project });
    assert.deepEqual(await states(ctx.engine, project.name), { db: "exited" });
    for (const name of [`${project.name}-db-1`, oneoff]) assert.equal((await ctx.engine.containers.inspect(name)).State.ExitCode, 137, name);
  });
});

test("pause and unpause: the containers' states, each left alone when already there", async () => {
  await withProject("ordered", "lc-pause", ["app"], async (ctx, project) => {
    await composePause(ctx, project.name, { project, services: ["app"] });
    assert.deepEqual(await states(ctx.engine, project.name), { db: "running", app: "paused" });
    // Pausing again pauses db only: app is already paused (compose fails on it; nothing to do here).
    const again = await composePause(ctx, project.name, { project });
    assert.deepEqual(again.map((s) => s.id), [`pause:${project.name}-db-1`]);
    await composeUnpause(ctx, project.name, { project });
    assert.deepEqual(await states(ctx.engine, project.name), { db: "running", app: "running" });
  });
});

test("rm: only stopped containers, after a yes; -s -v stops and removes db with its anonymous volume, the named one stays", async () => {
  await withProject("ordered", "lc-rm", ["app"], async (ctx, project) => {
    const anonymous = (await ctx.engine.containers.inspect(`${project.name}-db-1`)).Mounts.find((m) => m.Destination === "/scratch")!.Name!;
    await composeStop(ctx, project.name, { project, services: ["app"] });
    // Declined: nothing removed.
    let asked: string[] = [];
    const declined = await composeRemove(ctx, project.name, { project, confirm: async (names) => ((asked = names), false) });
    assert.equal(declined.removed, false);
    assert.deepEqual(asked, [`${project.name}-app-1`], "running db is not offered");
    assert.deepEqual(await states(ctx.engine, project.name), { db: "running", app: "exited" });

    await composeRemove(ctx, project.name, { project, stop: true, volumes: true, services: ["db"] });
    assert.deepEqual(await states(ctx.engine, project.name), { app: "exited" });
    assert.equal(await ctx.engine.volumes.find(anonymous), undefined, "the anonymous volume went");
    assert.ok(await ctx.engine.volumes.find(`${project.name}_data`), "the named volume stays");
  });
});

test("wait: the service's own exit code, once it stops; --down-project takes the project down", async () => {
  await using ctx = await testContext();
  const project = await load("ordered", uniqueProject("lc-wait"));
  try {
    await composeUp(ctx, project, { lifetime: "ephemeral", services: ["job", "db"] });
    // The trigger comes once the wait is registered (its debug event), so the exit cannot be missed.
    const registered = new Promise<void>((resolve) => ctx.events.on((e) => void (e.type === "log" && e.message.startsWith("waiting for") && resolve())));
    const waiting = composeWait(ctx, project.name, { services: ["job"], project, downProject: true });
    await registered;
    assert.equal(await composeExec(ctx.engine, project.name, "job", ["touch", "/tmp/go"]), 0);
    const result = await waiting;
    assert.equal(result.exitCode, 3);
    assert.deepEqual(result.exited.map((e) => [e.container.service, e.exitCode]), [["job", 3]]);
    const left = await observeProject(ctx.engine, project.name);
    assert.deepEqual([left.containers.length, left.networks.length], [0, 0], "down-project");
    // Nothing running to wait for: a usage error, not a hang.
    await assert.rejects(composeWait(ctx, project.name, { services: ["job"] }), (err: Error & { kind?: string }) => err.kind === "usage");
  } finally {
    await composeDown(ctx, project.name, { project, removeVolumes: true, timeout: 0 });
  }
});

test("down --rmi local removes only the image compose named (<project>-local); --rmi all also the custom-tagged and the named ones", async () => {
  await using ctx = await testContext();
  const names = [uniqueProject("lc-rmi-local"), uniqueProject("lc-rmi-all")];
  const images = (name: string) => [`${name}-local:latest`, `${name}-custom:v1`, `${name}-tagged:v1`];
  try {
    for (const name of names) await ctx.engine.images.tag("busybox:latest", `${name}-tagged:v1`);
    const [local, all] = await Promise.all(names.map((name) => load("images", name)));
    // As `slipway compose up` creates them: from the images' names, which `down --rmi` without the file reads back.
    await Promise.all([local!, all!].map((project) => composeUp({ ...ctx, createFrom: "name" }, project, { lifetime: "ephemeral" })));
    const present = async (name: string) => (await Promise.all(images(name).map(async (ref) => ((await ctx.engine.images.find(ref)) ? ref : undefined)))).filter(Boolean);
    assert.deepEqual(await present(local!.name), images(local!.name));

    const planned = await composeDown(ctx, local!.name, { project: local!, rmi: "local", timeout: 0 });
    assert.deepEqual(planned.images.map((i) => i.ref), [`${local!.name}-local`]);
    assert.deepEqual(await present(local!.name), [`${local!.name}-custom:v1`, `${local!.name}-tagged:v1`]);

    // Without the file: the containers say which images are the project's.
    await composeDown(ctx, all!.name, { rmi: "all", timeout: 0 });
    assert.deepEqual(await present(all!.name), []);
    assert.ok(await ctx.engine.images.find("busybox:latest"), "the image tagged from is untouched");
  } finally {
    for (const name of names) {
      await composeDown(ctx, name, { removeVolumes: true, timeout: 0 });
      for (const ref of images(name)) await ctx.engine.images.remove(ref, { force: true }).catch(() => undefined);
    }
  }
});
