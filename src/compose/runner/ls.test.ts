import { test } from "node:test";
import assert from "node:assert/strict";
import type { ContainerStatus } from "../../engine/index.ts";
import { combinedStatus, filterStacks, toStacks } from "./ls.ts";

const c = (project: string | undefined, State: ContainerStatus, files?: string) => ({
  State,
  Labels: {
    ...(project ? { "com.docker.compose.project": project } : {}),
    ...(files ? { "com.docker.compose.project.config_files": files } : {}),
  },
});

test("projects from their containers: sorted, states counted alphabetically, config files once each", () => {
  assert.deepEqual(
    toStacks([c("web", "running", "/a/compose.yaml"), c("db", "exited", "/b/compose.yaml"), c("web", "exited", "/a/compose.yaml,/a/override.yaml"), c("web", "running", "/a/compose.yaml"), c(undefined, "running")]),
    [
      { Name: "db", Status: "exited(1)", ConfigFiles: "/b/compose.yaml" },
      { Name: "web", Status: "exited(1), running(2)", ConfigFiles: "/a/compose.yaml,/a/override.yaml" },
    ],
  );
  assert.equal(combinedStatus(["running", "created", "running", "paused"]), "created(1), paused(1), running(2)");
  // A container without the config files label does not hide the project.
  assert.deepEqual(toStacks([c("x", "running")]), [{ Name: "x", Status: "running(1)", ConfigFiles: "" }]);
});

test("--filter name=: regular expressions matched anywhere; any term; an invalid one matches exactly", () => {
  const stacks = toStacks([c("lpdemo", "running"), c("web-app", "running"), c("[x", "running")]);
  assert.deepEqual(filterStacks(stacks, ["lp"]).map((s) => s.Name), ["lpdemo"]);
  assert.deepEqual(filterStacks(stacks, ["^web", "demo$"]).map((s) => s.Name), ["lpdemo", "web-app"]);
  assert.deepEqual(filterStacks(stacks, ["[x"]).map((s) => s.Name), ["[x"]);
  assert.equal(filterStacks(stacks, []).length, 3);
});
