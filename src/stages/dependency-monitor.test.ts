import { test } from "node:test";
import assert from "node:assert/strict";
import { longRunningDependencies } from "./dependency-monitor.ts";
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
