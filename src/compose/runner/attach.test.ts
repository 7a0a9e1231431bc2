import { test } from "node:test";
import assert from "node:assert/strict";
import { attachedServices } from "./attach.ts";
import { recreatePolicy } from "./up.ts";
import { projectFromYaml } from "./test-support.ts";

const yaml = `
services:
  db: { image: busybox }
  cache: { image: busybox, attach: false }
  app: { image: busybox, depends_on: [db, cache] }
  test: { image: busybox, depends_on: [app] }
`;

test("attach: every service asked for (all by default), but not those with attach: false", async () => {
  const project = await projectFromYaml(yaml);
  assert.deepEqual(attachedServices(project, [], {}), ["db", "app", "test"]);
  // `up test` attaches to test only, not to what it depends on.
  assert.deepEqual(attachedServices(project, ["test"], {}), ["test"]);
});

test("--attach-dependencies adds the dependencies; --attach chooses; --no-attach removes", async () => {
  const project = await projectFromYaml(yaml);
  assert.deepEqual(attachedServices(project, ["app"], { attachDependencies: true }).sort(), ["app", "cache", "db"]);
  assert.deepEqual(attachedServices(project, ["app"], { attachDependencies: true, noDeps: true }), ["app"]);
  assert.deepEqual(attachedServices(project, [], { attach: ["db", "db"] }), ["db"]);
  assert.deepEqual(attachedServices(project, [], { noAttach: ["db"] }), ["app", "test"]);
});

test("with nothing left to attach to, compose 2.26.1 attaches to every service asked for", async () => {
  const project = await projectFromYaml(yaml);
  assert.deepEqual(attachedServices(project, ["test"], { noAttach: ["test"] }), ["test"]);
});

test("recreate policy: --no-recreate never; --always-recreate-deps forces the dependencies of the services named, not the services", () => {
  const services = ["db", "app", "test"];
  assert.deepEqual(recreatePolicy(["test"], services, { noRecreate: true }), { db: "never", app: "never", test: "never" });
  assert.deepEqual(recreatePolicy(["test"], services, { alwaysRecreateDeps: true, services: ["test"] }), { db: "force", app: "force" });
  // Without services named, every service is asked for: none is a dependency only.
  assert.deepEqual(recreatePolicy(services, services, { alwaysRecreateDeps: true }), {});
});
