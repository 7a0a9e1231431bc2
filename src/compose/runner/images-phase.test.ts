import { test } from "node:test";
import assert from "node:assert/strict";
import { planImages, planPulls, planPushes, withTag } from "./images-phase.ts";
import { projectFromYaml } from "./test-support.ts";

const YAML = [
  "services:",
  "  plain: { image: 'reg.example:5000/plain:1' }",
  "  built:",
  "    image: 'reg.example:5000/built'",
  "    build: { context: ., dockerfile_inline: FROM busybox, tags: ['reg.example:5000/built:extra'] }",
  "    depends_on: [plain]",
  "  noimage:",
  "    build: { context: ., dockerfile_inline: FROM busybox }",
  "  never: { image: 'x:1', pull_policy: never }",
  "  missing: { image: 'here:1', pull_policy: missing }",
  "  same: { image: 'reg.example:5000/plain:1' }",
].join("\n");

test("pull: every service with an image (also one that can be built), once per image; never/build/present-and-missing skipped", async () => {
  const project = await projectFromYaml(YAML);
  const { pulls, skipped } = planPulls({ project, services: Object.keys(project.services), present: new Set(["here:1"]) });
  assert.deepEqual(pulls, [
    { ref: "reg.example:5000/plain:1", services: ["plain", "same"], buildable: false },
    { ref: "reg.example:5000/built", services: ["built"], buildable: true },
  ]);
  assert.deepEqual(skipped, [
    { service: "noimage", reason: "no image to be pulled" },
    { service: "never", reason: "pull_policy is never" },
    { service: "missing", reason: "image is already present locally" },
  ]);
  // --ignore-buildable, and --policy over the services' own.
  const ignoring = planPulls({ project, services: ["built", "plain"], present: new Set(["reg.example:5000/plain:1"]), ignoreBuildable: true, policy: "missing" });
  assert.deepEqual(ignoring.pulls, []);
  assert.deepEqual(ignoring.skipped.map((s) => s.reason), ["image can be built", "image is already present locally"]);
  assert.deepEqual(planPulls({ project, services: ["never"], present: new Set(), policy: "always" }).pulls.map((p) => p.ref), ["x:1"]);
});

test("push: only services built here that name their image, with their build tags; an untagged name is :latest", async () => {
  const project = await projectFromYaml(YAML);
  const { pushes, skipped } = planPushes(project, ["plain", "built", "noimage"]);
  assert.deepEqual(pushes, [
    { ref: "reg.example:5000/built:latest", service: "built" },
    { ref: "reg.example:5000/built:extra", service: "built" },
  ]);
  assert.deepEqual(skipped, [
    { service: "plain", reason: "not built here (no build section)" },
    { service: "noimage", reason: "no image: name to push to" },
  ]);
  assert.equal(withTag("reg:5000/a"), "reg:5000/a:latest");
  assert.equal(withTag("reg:5000/a:1"), "reg:5000/a:1");
  assert.equal(withTag("a@sha256:" + "0".repeat(64)), "a@sha256:" + "0".repeat(64));
});

test("build steps carry compose build's flags", async () => {
  const project = await projectFromYaml(YAML);
  const steps = planImages({ project, services: ["built"], present: new Set(), build: "always", pull: "missing", buildOverrides: { noCache: true } });
  assert.deepEqual(steps.map((s) => [s.kind, s.kind === "build" ? s.overrides : undefined]), [["build", { noCache: true }]]);
});
