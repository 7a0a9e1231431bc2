import { test } from "node:test";
import assert from "node:assert/strict";
import { builderFor, classicBuilderReason, failedStepOutput } from "./images.ts";

test("builderFor: BuildKit unless the build needs what Engine 20.10's BuildKit ignores or refuses, with the reason", () => {
  assert.equal(builderFor("buildkit", {}), "buildkit");
  assert.equal(builderFor("buildkit", { network: "host" }), "buildkit");
  assert.equal(builderFor("buildkit", { ulimits: {} }), "buildkit");
  assert.equal(classicBuilderReason("buildkit", {}), undefined);
  for (const [needs, reason] of [
    [{ network: "my-net" }, /network is my-net/],
    [{ shmSize: 1 }, /shm_size/],
    [{ ulimits: { nofile: { soft: 1, hard: 1 } } }, /ulimits/],
  ] as const) {
    assert.equal(builderFor("buildkit", needs), "classic");
    assert.match(classicBuilderReason("buildkit", needs)!, reason);
  }
  assert.equal(builderFor("classic", {}), "classic");
  assert.match(classicBuilderReason("classic", {})!, /DOCKER_BUILDKIT=0/);
});

test("failedStepOutput: the failed step's header and output, not the other steps', not its ERROR line again", () => {
  const lines = ["#3 [internal] load metadata", "#3 DONE 0.0s", "#5 [2/3] RUN make", "#6 [3/3] RUN other", "#5 cc -c a.c", "#6 fine", "#5 a.c:1: error", "#5 ERROR: exit code: 2"];
  assert.deepEqual(failedStepOutput(lines), ["#5 [2/3] RUN make", "#5 cc -c a.c", "#5 a.c:1: error"]);
  assert.equal(failedStepOutput(["Step 1/2 : RUN make", "make: *** error"]), undefined, "the classic builder's lines stay as they are");
});
