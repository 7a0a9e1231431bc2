import { test } from "node:test";
import assert from "node:assert/strict";
import { ComposeLabel } from "../../run/labels.ts";
import { planImageRemovals, serviceImagesFromContainers } from "./down.ts";

const services = [
  { service: "api" }, // built, named by compose: demo-api
  { service: "worker", image: "demo-worker:v1" }, // built with a custom tag
  { service: "db", image: "postgres:15" },
  { service: "cache", image: "postgres:15" }, // the same image twice
  { service: "proxy", image: "nginx" },
];

test("--rmi local: only the images compose names itself (services without image:)", () => {
  assert.deepEqual(planImageRemovals("demo", services, "local").map((r) => r.ref), ["demo-api"]);
});

test("--rmi all: those and every image a service names, each once", () => {
  const refs = planImageRemovals("demo", [...services, { service: "edge", image: "nginx:latest" }], "all").map((r) => r.ref);
  assert.deepEqual(refs, ["demo-api", "postgres:15", "nginx:latest", "demo-worker:v1"]);
  assert.match(planImageRemovals("demo", services, "all").find((r) => r.ref === "postgres:15")!.cause, /named by cache/);
});

test("without a file: Slipway's image label, else the reference compose created from; compose's own name counts as not named", () => {
  const label = (image: string) => ({ [ComposeLabel.image]: image });
  const found = serviceImagesFromContainers("demo", [
    // Slipway: the label holds `image:` as written, empty when compose names it; it creates from an id.
    { service: "a", labels: label("registry.local/a:1"), createdFrom: "sha256:0123456789abcdef0123456789abcdef" },
    { service: "b", labels: label(""), createdFrom: "sha256:0123456789abcdef0123456789abcdef" },
    // docker compose: the label holds a digest, the container was created from the reference.
    { service: "c", labels: label("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), createdFrom: "busybox:latest" },
    { service: "d", labels: label("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), createdFrom: "demo-d" },
    { service: "a", labels: label("ignored:2"), createdFrom: "x" },
  ]);
  assert.deepEqual(found, [{ service: "a", image: "registry.local/a:1" }, { service: "b" }, { service: "c", image: "busybox:latest" }, { service: "d" }]);
  assert.deepEqual(planImageRemovals("demo", found, "local").map((r) => r.ref), ["demo-b", "demo-d"]);
});
