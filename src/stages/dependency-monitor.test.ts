import { test } from "node:test";
import assert from "node:assert/strict";
import { failedState, longRunningDependencies } from "./dependency-monitor.ts";
import type { ContainerInspect } from "../engine/index.ts";
import { projectFromYaml } from "../compose/runner/test-support.ts";

test("long-running dependencies: transitive, one-shots awaited to completion left out", async () => {
  const project = await projectFromYaml(`
services:
  db: { image: postgres:15 }
  cache: { image: redis:7 }
  migrate: { image: busybox, depends_on: { db: { condition: service_healthy } } }
  api: { image: busybox, depends_on: { cache: { condition: service_started } } }
  test:
    image: busybox
    depends_on:
      migrate: { condition: service_completed_successfully }
      db: { condition: service_healthy }
      api: { condition: service_started }
`);
  assert.deepEqual(longRunningDependencies(project, "test").sort(), ["api", "cache", "db"]);
});

test("a dependency's state read after the event stream was lost for good: exited, unhealthy, removed, or fine", () => {
  const inspect = (state: Partial<ContainerInspect["State"]>) => ({ State: { Running: true, ExitCode: 0, ...state } }) as ContainerInspect;
  assert.equal(failedState(inspect({ Running: false, Status: "exited", ExitCode: 3 })), "exited with code 3 while the tests were running");
  assert.equal(failedState(inspect({ Health: { Status: "unhealthy", FailingStreak: 3, Log: [] } })), "became unhealthy while the tests were running");
  assert.equal(failedState(undefined), "was removed while the tests were running");
  assert.equal(failedState(inspect({ Health: { Status: "healthy", FailingStreak: 0, Log: [] } })), undefined);
});
