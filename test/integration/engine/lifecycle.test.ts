/**
 * Container lifecycle against the real engine: the exit wait is registered before start (STYLE.md),
 * so every exit code arrives, including an auto-removed container's.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { EngineApiError, isConflict, isNotFound, type Engine } from "../../../src/engine/index.ts";
import { demuxStream, splitLines } from "../../../src/engine/streams/index.ts";
import { execIn, runToExit, tempContainer, testLabels, uniqueName, BUSYBOX, useEngine } from "./harness.ts";

let engine: Engine;
useEngine((e) => (engine = e));

/** Commands whose container exits with the code on the left. Signals come from the container itself. */
const exitCases: [number, string, string[]][] = [
  [0, "true", ["true"]],
  [1, "exit 1", ["sh", "-c", "exit 1"]],
  [2, "exit 2", ["sh", "-c", "exit 2"]],
  [42, "exit 42", ["sh", "-c", "exit 42"]],
  [126, "a file without the execute bit", ["sh", "-c", "printf 'echo hi\\n' > /tmp/script && chmod 644 /tmp/script && /tmp/script"]],
  [127, "a command that does not exist", ["sh", "-c", "slipway-no-such-command"]],
  // PID 1 cannot SIGKILL/SIGTERM itself (the kernel protects a namespace's init), so a child shell
  // signals itself and PID 1 reports its status, as `docker run` users see it.
  [137, "a child killed by SIGKILL", ["sh", "-c", "sh -c 'kill -KILL $$'; exit $?"]],
  [143, "a child killed by SIGTERM", ["sh", "-c", "sh -c 'kill -TERM $$'; exit $?"]],
];

describe("wait registered before start gets the exit code", { concurrency: true }, () => {
  for (const [code, what, cmd] of exitCases) {
    test(`${code}: ${what}`, async () => {
      await using ctr = await tempContainer(engine, { Cmd: cmd }, `exit${code}`);
      const registered = await engine.containers.wait(ctr.id, { condition: "next-exit" });
      await engine.containers.start(ctr.id);
      const result = await registered.result;
      assert.equal(result.StatusCode, code);
      assert.equal((await engine.containers.inspect(ctr.id)).State.ExitCode, code);
    });
  }

  test("137: killed by the engine (POST /kill SIGKILL)", async () => {
    await using ctr = await tempContainer(engine, { Cmd: ["sleep", "300"] }, "kill");
    const registered = await engine.containers.wait(ctr.id, { condition: "next-exit" });
    await engine.containers.start(ctr.id);
    await engine.containers.kill(ctr.id, { killSignal: "SIGKILL" });
    assert.equal((await registered.result).StatusCode, 137);
  });

  test("143: stopped by the engine (SIGTERM forwarded by docker-init to the command)", async () => {
    // Without Init, `sleep` would be PID 1, ignore SIGTERM, and be SIGKILLed after the timeout (137).
    // The stop waits for the command's first line: `start` returns around docker-init's exec, and
    // a SIGTERM landing before docker-init blocks signals is dropped by the kernel (PID 1 without a
    // handler), which cost this test 30 s and a 137 once under load. By the time the command
    // runs, docker-init has set up the forwarding it does before spawning it.
    await using ctr = await tempContainer(
      engine,
      { Cmd: ["sh", "-c", "echo running; exec sleep 300"], HostConfig: { Init: true } },
      "stop",
    );
    const registered = await engine.containers.wait(ctr.id, { condition: "next-exit" });
    const output = await engine.containers.attach(ctr.id);
    await engine.containers.start(ctr.id);
    const lines = splitLines(demuxStream(output));
    assert.deepEqual((await lines.next()).value, { stream: "stdout", line: "running" });
    await engine.containers.stop(ctr.id, { timeout: 10 });
    assert.equal((await registered.result).StatusCode, 143);
    await lines.return();
  });

  test("AutoRemove: the wait registered before start still gets the code, and the container is gone", async () => {
    await using ctr = await tempContainer(engine, { Cmd: ["sh", "-c", "exit 42"], HostConfig: { AutoRemove: true } }, "autorm");
    const exited = await engine.containers.wait(ctr.id, { condition: "next-exit" });
    const removed = await engine.containers.wait(ctr.id, { condition: "removed" });
    await engine.containers.start(ctr.id);
    assert.equal((await exited.result).StatusCode, 42);
    await removed.result;
    assert.equal(await engine.containers.find(ctr.id), undefined);
  });
});

test("create → start → wait with the helper; a second wait on the exited container returns at once", async () => {
  await using ctr = await tempContainer(engine, { Cmd: ["sh", "-c", "exit 3"] }, "rewait");
  assert.equal(await runToExit(engine, ctr.id), 3);
  // Condition not-running on an exited container: answered immediately with the recorded code.
  const again = await engine.containers.wait(ctr.id, { condition: "not-running" });
  assert.equal((await again.result).StatusCode, 3);
});

test("a command missing from the image: start fails with a classified engine error, nothing is left running", async () => {
  await using ctr = await tempContainer(engine, { Cmd: ["/slipway/no-such-binary"] }, "nocmd");
  const err = await engine.containers.start(ctr.id).then(
    () => assert.fail("start should fail"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof EngineApiError, String(err));
  // moby maps "executable file not found" to an invalid-parameter error (400) since 20.10.
  assert.equal(err.status, 400);
  assert.equal(err.kind, "engine");
  const state = (await engine.containers.inspect(ctr.id)).State;
  assert.equal(state.Running, false);
  assert.equal(state.ExitCode, 127);
});

test("exec: create, start attached, inspect exit code and output", async () => {
  await using ctr = await tempContainer(engine, { Cmd: ["sleep", "300"] }, "exec");
  await engine.containers.start(ctr.id);
  const ok = await execIn(engine, ctr.id, ["sh", "-c", "echo out; echo err >&2; exit 0"]);
  assert.deepEqual(ok, { stdout: "out\n", stderr: "err\n", exitCode: 0 });
  const failed = await execIn(engine, ctr.id, ["sh", "-c", "exit 7"]);
  assert.equal(failed.exitCode, 7);
  const missing = await execIn(engine, ctr.id, ["slipway-no-such-command"]);
  // The exec's process never starts: the engine records 126 or 127 depending on the runtime's error.
  assert.ok(missing.exitCode === 127 || missing.exitCode === 126, `exit code ${missing.exitCode}`);
});

test("a duplicate container name is a conflict (409), classified by status", async () => {
  await using first = await tempContainer(engine, { Cmd: ["true"] }, "dup");
  const err = await engine.containers.create({ Image: BUSYBOX, Cmd: ["true"], Labels: testLabels() }, { name: first.name }).then(
    async (created) => {
      await engine.containers.remove(created.Id, { force: true });
      return assert.fail("a second container with the same name was created");
    },
    (e: unknown) => e,
  );
  assert.ok(isConflict(err), String(err));
  assert.equal((err as EngineApiError).status, 409);
  assert.equal((err as EngineApiError).reason, "conflict");
});

test("not found is classified by status; removing a removed container is success", async () => {
  const name = uniqueName("gone");
  const err = await engine.containers.inspect(name).then(
    () => assert.fail("inspect of a missing container succeeded"),
    (e: unknown) => e,
  );
  assert.ok(isNotFound(err), String(err));
  assert.equal(await engine.containers.find(name), undefined);
  await using ctr = await tempContainer(engine, { Cmd: ["true"] }, "rmtwice");
  await engine.containers.remove(ctr.id, { force: true });
  await engine.containers.remove(ctr.id, { force: true });
  await engine.containers.stop(ctr.id);
});
