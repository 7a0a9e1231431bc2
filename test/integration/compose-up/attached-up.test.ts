/**
 * Attached `up`, scaling and what recreated containers keep, against the real engine: the runner
 * as the CLI drives it (composeUpAttached, composeUp, composeLogs), outcomes read from the engine.
 * Each test has its own project and run; its run's disposal removes what it created.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { StreamName } from "../../../src/engine/streams/demux.ts";
import { CancelledError } from "../../../src/errors/index.ts";
import { composeUpAttached, type AttachOptions } from "../../../src/compose/runner/attach.ts";
import { composeLogs, logContainers, type ContainerOutput } from "../../../src/compose/runner/logs.ts";
import { observeProject } from "../../../src/compose/runner/observe.ts";
import { composeUp } from "../../../src/compose/runner/up.ts";
import { projectFromYaml } from "../../../src/compose/runner/test-support.ts";
import { testContext, uniqueProject } from "../../support/run-context.ts";

/** What each container wrote, by container name, per stream. */
class Captured {
  readonly text = new Map<string, string>();
  readonly exits: { name: string; code: number }[] = [];
  output = (c: { name: string }): ContainerOutput => ({
    write: (stream: StreamName, data: Buffer) => void this.text.set(`${c.name}/${stream}`, (this.text.get(`${c.name}/${stream}`) ?? "") + data.toString()),
    drained: () => undefined,
    end: () => undefined,
  });
  of(name: string, stream: StreamName = "stdout"): string {
    return this.text.get(`${name}/${stream}`) ?? "";
  }
}

const stack = (code: number | string) => `
services:
  web:
    image: busybox:latest
    init: true
    command: ["sh", "-c", "echo web is up; sleep 300"]
  test:
    image: busybox:latest
    command: ["sh", "-c", "echo testing; echo to stderr >&2; exit ${code}"]
    depends_on: [web]
`;

async function states(engine: Parameters<typeof observeProject>[0], name: string): Promise<Record<string, string>> {
  const observed = await observeProject(engine, name);
  return Object.fromEntries(observed.containers.map((c) => [c.name, c.state]));
}

for (const code of [0, 1, 42]) {
  test(`--exit-code-from test: up returns test's own code (${code}), its output came through, and the rest is stopped, not removed`, { timeout: 120_000 }, async () => {
    await using ctx = await testContext();
    const name = uniqueProject(`exit-${code}`);
    const project = await projectFromYaml(stack(code), name);
    const seen = new Captured();
    const stopping: string[] = [];
    const result = await composeUpAttached(ctx, project, { lifetime: "ephemeral" }, {
      attach: ["web", "test"],
      output: seen.output,
      onExit: (c, exitCode) => seen.exits.push({ name: c.name, code: exitCode }),
      onStopping: (why) => stopping.push(why),
      abortOnContainerExit: true,
      exitCodeFrom: "test",
      timeout: 5,
    });
    assert.equal(result.exitCode, code);
    assert.equal(seen.of(`${name}-test-1`), "testing\n");
    assert.equal(seen.of(`${name}-test-1`, "stderr"), "to stderr\n");
    assert.deepEqual(seen.exits[0], { name: `${name}-test-1`, code });
    assert.deepEqual(stopping, ["container-exit"]);
    assert.deepEqual(await states(ctx.engine, name), { [`${name}-test-1`]: "exited", [`${name}-web-1`]: "exited" });
  });
}

test("--abort-on-container-exit alone: the code of the container that exited first", { timeout: 120_000 }, async () => {
  await using ctx = await testContext();
  const name = uniqueProject("abort");
  const project = await projectFromYaml(stack(5), name);
  const result = await composeUpAttached(ctx, project, { lifetime: "ephemeral" }, { attach: ["web", "test"], output: new Captured().output, abortOnContainerExit: true, timeout: 5 });
  // web is stopped after test exits: SIGTERM through init ends it with 143, which is not the answer.
  assert.equal(result.exitCode, 5);
});

test("attached without abort: returns 0 once every attached container has exited, whatever their codes; others run on", { timeout: 120_000 }, async () => {
  await using ctx = await testContext();
  const name = uniqueProject("all-exit");
  const project = await projectFromYaml(
    `
services:
  one: { image: busybox:latest, command: ["sh", "-c", "echo one; exit 3"] }
  two: { image: busybox:latest, command: ["sh", "-c", "printf 'no newline at the end'"] }
  bg: { image: busybox:latest, init: true, command: ["sleep", "300"] }
`,
    name,
  );
  const seen = new Captured();
  const attaching: string[][] = [];
  const result = await composeUpAttached(ctx, project, { lifetime: "ephemeral" }, {
    attach: ["one", "two"],
    output: seen.output,
    onAttaching: (names) => attaching.push(names),
    onExit: (c, exitCode) => seen.exits.push({ name: c.name, code: exitCode }),
  });
  assert.equal(result.exitCode, 0);
  assert.deepEqual(attaching, [[`${name}-one-1`, `${name}-two-1`]]);
  assert.equal(seen.of(`${name}-one-1`), "one\n");
  assert.equal(seen.of(`${name}-two-1`), "no newline at the end");
  assert.deepEqual(seen.exits.sort((a, b) => a.name.localeCompare(b.name)), [
    { name: `${name}-one-1`, code: 3 },
    { name: `${name}-two-1`, code: 0 },
  ]);
  assert.equal((await states(ctx.engine, name))[`${name}-bg-1`], "running");
});

test("a container its restart policy restarts is followed until it stays down", { timeout: 120_000 }, async () => {
  await using ctx = await testContext();
  const name = uniqueProject("restarts");
  const project = await projectFromYaml(`
services:
  flaky: { image: busybox:latest, restart: "on-failure:2", command: ["sh", "-c", "echo run; exit 1"] }
`, name);
  const seen = new Captured();
  const result = await composeUpAttached(ctx, project, { lifetime: "ephemeral" }, {
    attach: ["flaky"],
    output: seen.output,
    onExit: (c, exitCode) => seen.exits.push({ name: c.name, code: exitCode }),
  });
  assert.equal(result.exitCode, 0);
  const info = await ctx.engine.containers.inspect(`${name}-flaky-1`);
  assert.equal(info.RestartCount, 2, "up returned only after the last restart");
  assert.equal(info.State.Running, false);
  assert.ok(seen.exits.length >= 1 && seen.exits.every((e) => e.code === 1), JSON.stringify(seen.exits));
});

test("Ctrl-C: everything stopped gracefully and left stopped, then CancelledError; a second Ctrl-C kills what is still stopping", { timeout: 120_000 }, async () => {
  const interrupt = new AbortController();
  await using ctx = await testContext({ signal: interrupt.signal });
  const name = uniqueProject("ctrl-c");
  // `stubborn` ignores SIGTERM (a shell as PID 1): only a kill ends it before its 300 s grace period.
  const project = await projectFromYaml(
    `
services:
  web: { image: busybox:latest, init: true, command: ["sh", "-c", "echo web is up; sleep 300"] }
  stubborn: { image: busybox:latest, stop_grace_period: 300s, command: ["sh", "-c", "echo stubborn is up; sleep 300"] }
`,
    name,
  );
  const force = new AbortController();
  let lines = 0;
  const output = (): ContainerOutput => ({
    write: () => {
      // Both up and talking: press Ctrl-C once, and again once the stop is under way.
      if (++lines === 2) interrupt.abort();
    },
    drained: () => undefined,
    end: () => undefined,
  });
  // The second Ctrl-C once web has stopped gracefully (stubborn never will).
  const forceOnceWebStopped = async () => {
    while ((await ctx.engine.containers.inspect(`${name}-web-1`)).State.Status !== "exited") await new Promise((r) => setTimeout(r, 100));
    force.abort();
  };
  const opts: AttachOptions = {
    attach: ["web", "stubborn"],
    output,
    force: force.signal,
    onStopping: () => void forceOnceWebStopped(),
  };
  await assert.rejects(composeUpAttached(ctx, project, { lifetime: "ephemeral" }, opts), (err) => err instanceof CancelledError);
  assert.deepEqual(await states(ctx.engine, name), { [`${name}-stubborn-1`]: "exited", [`${name}-web-1`]: "exited" });
  const stubborn = await ctx.engine.containers.inspect(`${name}-stubborn-1`);
  assert.equal(stubborn.State.ExitCode, 137, "killed");
  const web = await ctx.engine.containers.inspect(`${name}-web-1`);
  assert.equal(web.State.ExitCode, 143, "stopped with SIGTERM");
});

test("Ctrl-C at a container's first output, while the engine is still finishing its start: it is stopped with the rest, none left running", { timeout: 120_000 }, async () => {
  // A process writes before the engine lists its container as running: a stop planned from that
  // list left such a container running (and, with a slow sibling, hung until the sibling's grace
  // period ended). Three services make it likely that one is caught mid-start.
  const interrupt = new AbortController();
  await using ctx = await testContext({ signal: interrupt.signal });
  const name = uniqueProject("early");
  const service = (s: string) => `  ${s}: { image: busybox:latest, init: true, command: ["sh", "-c", "echo ${s} is up; sleep 300"] }\n`;
  const project = await projectFromYaml(`services:\n${["a", "b", "c"].map(service).join("")}`, name);
  const wrote: string[] = [];
  const output = (c: { name: string }): ContainerOutput => ({
    write: () => {
      wrote.push(c.name);
      if (wrote.length === 1) interrupt.abort();
    },
    drained: () => undefined,
    end: () => undefined,
  });
  await assert.rejects(composeUpAttached(ctx, project, { lifetime: "ephemeral" }, { attach: ["a", "b", "c"], output }), (err) => err instanceof CancelledError);
  const left = await states(ctx.engine, name);
  assert.deepEqual(Object.entries(left).filter(([, state]) => state === "running"), [], JSON.stringify(left));
  assert.equal(left[wrote[0]!], "exited", `${wrote[0]} wrote, so it had started`);
});

test("--scale web=3 then web=1: replicas 2 and 3 go, web-1 stays; then logs of every replica, tail and prefixes", { timeout: 120_000 }, async () => {
  await using ctx = await testContext();
  const name = uniqueProject("scale");
  const project = await projectFromYaml(`
services:
  web: { image: busybox:latest, init: true, command: ["sh", "-c", "echo first; echo second; sleep 300"] }
`, name);
  await composeUp(ctx, project, { lifetime: "ephemeral", scale: { web: 3 } });
  assert.deepEqual(Object.keys(await states(ctx.engine, name)).sort(), [`${name}-web-1`, `${name}-web-2`, `${name}-web-3`]);
  const first = await ctx.engine.containers.inspect(`${name}-web-1`);

  const containers = await logContainers(ctx.engine, name, { services: ["web"] });
  assert.deepEqual(containers.map((c) => c.index), [1, 2, 3]);
  // Started is not the same as written: wait until every replica has written both lines (CI once
  // read "first\n" as the last line of a replica that had not yet written "second").
  for (;;) {
    const all = new Captured();
    await composeLogs(ctx.engine, containers, all.output, {});
    if (containers.every((c) => all.of(c.name) === "first\nsecond\n")) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const seen = new Captured();
  await composeLogs(ctx.engine, containers, seen.output, { tail: 1 });
  for (const c of containers) assert.equal(seen.of(c.name), "second\n");

  const down = await composeUp(ctx, project, { lifetime: "ephemeral", scale: { web: 1 } });
  assert.ok(down.plan.some((op) => op.cause === `remove ${name}-web-3: web scaled to 1`));
  assert.deepEqual(await states(ctx.engine, name), { [`${name}-web-1`]: "running" });
  assert.equal((await ctx.engine.containers.inspect(`${name}-web-1`)).Id, first.Id, "web-1 is left as it was");
});

test("a recreated container keeps its anonymous volume; with -V it gets a new one", { timeout: 120_000 }, async () => {
  await using ctx = await testContext();
  const name = uniqueProject("anon");
  const file = (mark: string) => `
services:
  db: { image: busybox:latest, init: true, environment: { MARK: "${mark}" }, volumes: ["/data"], command: ["sleep", "300"] }
`;
  const anonymous = async () => (await ctx.engine.containers.inspect(`${name}-db-1`)).Mounts.find((m) => m.Destination === "/data")!.Name!;
  await composeUp(ctx, await projectFromYaml(file("one"), name), { lifetime: "ephemeral" });
  const before = await anonymous();
  await composeUp(ctx, await projectFromYaml(file("two"), name), { lifetime: "ephemeral" });
  assert.equal(await anonymous(), before, "kept across the recreate");
  await composeUp(ctx, await projectFromYaml(file("three"), name), { lifetime: "ephemeral", renewAnonVolumes: true });
  const renewed = await anonymous();
  assert.notEqual(renewed, before);
  // The old one is left behind, as compose leaves it: this test removes it.
  await ctx.engine.volumes.remove(before);
});
