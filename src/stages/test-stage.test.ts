import { test } from "node:test";
import assert from "node:assert/strict";
import { projectFromYaml } from "../compose/runner/test-support.ts";
import { servicesIndependentOfBuilds, stageProjectName, waitGates } from "./test-stage.ts";

test("services that build nothing and depend on nothing that builds come up beside the build", async () => {
  const project = await projectFromYaml(`
services:
  db: { image: postgres:15 }
  cache: { image: redis:7, depends_on: [db] }
  migrate: { build: ., depends_on: [db] }
  proxy: { image: nginx, depends_on: [migrate] }
  test: { build: ., depends_on: [db, cache, migrate] }
`);
  const all = Object.keys(project.services);
  assert.deepEqual(servicesIndependentOfBuilds(project, all).sort(), ["cache", "db"]);
  // Only among those asked for.
  assert.deepEqual(servicesIndependentOfBuilds(project, ["cache", "test"]), ["cache"]);
});

test("a one-shot something waits on to complete is not brought up early (it must run once, gated)", async () => {
  const project = await projectFromYaml(`
services:
  db: { image: postgres:15 }
  seed: { image: postgres:15, depends_on: [db] }
  after-seed: { image: busybox, depends_on: { seed: { condition: service_completed_successfully } } }
  test: { build: ., depends_on: { db: { condition: service_started }, seed: { condition: service_completed_successfully } } }
`);
  assert.deepEqual(servicesIndependentOfBuilds(project, Object.keys(project.services)).sort(), ["db"]);
});

test("stage project names are unique per run and valid compose project names", () => {
  assert.equal(stageProjectName("Todo.Backend", "test", "20261123-174911-50a68c"), "todobackend-test-50a68c");
});

test("wait: gates: a one-shot until completed, a service with a healthcheck until healthy, others until running", async () => {
  const project = await projectFromYaml(`
services:
  db: { image: postgres:15, healthcheck: { test: [CMD, pg_isready] } }
  cache: { image: redis:7 }
  off: { image: redis:7, healthcheck: { disable: true } }
  agent: { image: busybox, command: [sh, -c, "until nc -z db 5432; do sleep 1; done"] }
  test: { build: . }
`);
  const gates = waitGates(project, [
    { service: "db", until: "ready" },
    { service: "cache", until: "ready" },
    { service: "off", until: "ready" },
    { service: "agent", until: "completed" },
  ]);
  assert.deepEqual(gates, { db: "service_healthy", cache: "service_started", off: "service_started", agent: "service_completed_successfully" });
  // The gates are the run's: the loaded model (saved as the run's evidence) is left as it was.
  assert.deepEqual(project.services["test"]!.depends_on, {});
});
