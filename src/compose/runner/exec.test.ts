import { test } from "node:test";
import assert from "node:assert/strict";
import type { Engine } from "../../engine/index.ts";
import type { ContainerSummary } from "../../engine/types.ts";
import { SlipwayError } from "../../errors/index.ts";
import { serviceContainers } from "./exec.ts";

function container(name: string, number: number, oneoff: boolean): ContainerSummary {
  return {
    Id: name,
    Names: [`/${name}`],
    Image: "busybox",
    ImageID: "sha256:0",
    Command: "sleep",
    Created: 0,
    State: "running",
    Status: "Up",
    Labels: { "com.docker.compose.container-number": String(number), "com.docker.compose.oneoff": oneoff ? "True" : "False" },
    Ports: [],
  };
}

/** An engine that answers the container list, and records the filters it was asked. */
function engineListing(found: ContainerSummary[]) {
  const asked: unknown[] = [];
  const engine = {
    containers: {
      list: async (opts: unknown) => {
        asked.push(opts);
        return found;
      },
    },
  } as unknown as Engine;
  return { engine, asked };
}

test("a service's containers in compose v2's order: by number, one-offs last", async () => {
  const { engine, asked } = engineListing([container("p-app-run-1", 1, true), container("p-app-2", 2, false), container("p-app-1", 1, false)]);
  const found = await serviceContainers(engine, "p", "app", { oneoff: true, stopped: false });
  assert.deepEqual(found.map((c) => c.Id), ["p-app-1", "p-app-2", "p-app-run-1"]);
  assert.deepEqual(asked, [{ all: false, filters: { label: ["com.docker.compose.project=p", "com.docker.compose.service=app"] }, signal: undefined }]);
});

test("--index and no one-offs narrow the engine's filter; none found is compose's 'not running'", async () => {
  const { engine, asked } = engineListing([]);
  await assert.rejects(serviceContainers(engine, "p", "app", { index: 2, oneoff: false, stopped: true }), (err) => {
    assert.ok(err instanceof SlipwayError);
    assert.equal(err.code, "NOT_RUNNING");
    assert.equal(err.kind, "config");
    assert.match(err.message, /Service app has no container number 2 in project p/);
    return true;
  });
  assert.deepEqual(asked, [
    { all: true, filters: { label: ["com.docker.compose.project=p", "com.docker.compose.service=app", "com.docker.compose.container-number=2", "com.docker.compose.oneoff=False"] }, signal: undefined },
  ]);
});
