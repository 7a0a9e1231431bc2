import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadProject } from "../compose/load/index.ts";
import type { Project } from "../compose/model/index.ts";
import { projectFromYaml } from "../compose/runner/test-support.ts";
import type { ImageConfig } from "../config/pipeline-schema.ts";
import { SlipwayError } from "../errors/index.ts";
import { bootstrapTasks, describeImages, engineHost, publishedUrls, releaseGates, serviceImages } from "./release-environment.ts";

/** A project loaded from `yaml` in a folder that stands for slipway.yml's (image contexts are relative to it). */
async function inFolder(yaml: string): Promise<{ project: Project; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-release-"));
  try {
    await writeFile(path.join(dir, "compose.yaml"), yaml);
    return { project: await loadProject({ workingDir: dir, projectName: "demo-release-1", env: {} }), dir };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const image = (build: { context?: string; dockerfile?: string; target?: string }): ImageConfig =>
  ({ build: { context: build.context ?? ".", dockerfile: build.dockerfile ?? "Dockerfile", target: build.target, args: {} } }) as ImageConfig;

const todobackend = `
services:
  app:
    build: { context: ., target: release, args: { GIT_SHA: unknown } }
    depends_on: { db: { condition: service_healthy }, migrate: { condition: service_completed_successfully } }
    healthcheck: { test: [CMD, node, dist/healthcheck.js] }
  migrate:
    build: { context: ., target: release }
    command: [node, dist/migrate.js]
    depends_on: { db: { condition: service_healthy } }
  db:
    image: postgres:15
    healthcheck: { test: [CMD, pg_isready] }
  nginx:
    build: ./nginx
    ports: ["127.0.0.1::80"]
    depends_on: { app: { condition: service_healthy } }
    healthcheck: { test: [CMD, curl, -f, http://127.0.0.1/] }
  acceptance:
    build: { context: ., target: test }
    depends_on: { nginx: { condition: service_healthy } }
`;

test("services run the image whose build they share (context, Dockerfile, target), whatever their build arguments", async () => {
  const { project, dir } = await inFolder(todobackend);
  const mapping = serviceImages(project, { app: image({ target: "release" }) }, dir);
  assert.deepEqual([...mapping].sort(), [["app", "app"], ["migrate", "app"]]);
  // Another target, another Dockerfile or another context is another image.
  assert.deepEqual([...serviceImages(project, { app: image({ target: "test" }) }, dir)], [["acceptance", "app"]]);
  assert.equal(serviceImages(project, { app: image({ target: "release", dockerfile: "Dockerfile.release" }) }, dir).size, 0);
  assert.deepEqual([...serviceImages(project, { proxy: image({ context: "nginx" }) }, dir)], [["nginx", "proxy"]]);
});

test("two images with the same build make the service's image ambiguous: a config error that says how to name it", async () => {
  const { project, dir } = await inFolder(todobackend);
  assert.throws(
    () => serviceImages(project, { app: image({ target: "release" }), api: image({ target: "release" }) }, dir),
    (err: unknown) => err instanceof SlipwayError && err.kind === "config" && /app and api/.test(err.message) && /stages: \{ release: \{ images:/.test(err.hint ?? ""),
  );
});

test("stages.release.images, when given, is the mapping; unknown services and images are config errors", async () => {
  const { project, dir } = await inFolder(todobackend);
  const images = { app: image({ target: "release" }) };
  assert.deepEqual([...serviceImages(project, images, dir, { app: "app" })], [["app", "app"]]);
  assert.throws(() => serviceImages(project, images, dir, { web: "app" }), (err: unknown) => err instanceof SlipwayError && err.kind === "config" && /service web/.test(err.message));
  assert.throws(() => serviceImages(project, images, dir, { app: "api" }), (err: unknown) => err instanceof SlipwayError && err.kind === "config" && /image api/.test(err.message));
});

test("bootstrap tasks by default: the one-shots others wait on to complete, each after those it depends on; never what only the suite waits on", async () => {
  const project = await projectFromYaml(`
services:
  db: { image: postgres:15 }
  collectstatic: { image: app, depends_on: { migrate: { condition: service_completed_successfully } } }
  app:
    image: app
    depends_on: { collectstatic: { condition: service_completed_successfully }, migrate: { condition: service_completed_successfully }, db: { condition: service_started } }
  migrate: { image: app, depends_on: [db] }
  fixtures: { image: app }
  acceptance: { image: app, depends_on: { fixtures: { condition: service_completed_successfully }, app: { condition: service_started } } }
`);
  assert.deepEqual(bootstrapTasks(project, undefined, "acceptance"), ["migrate", "collectstatic"]);
  // Without a suite to leave out, what it waits on is a task too.
  assert.deepEqual(bootstrapTasks(project, undefined, undefined), ["migrate", "collectstatic", "fixtures"]);
});

test("declared bootstrap tasks run as listed; one listed before a task it depends on is a config error, and so are unknown or repeated names", async () => {
  const project = await projectFromYaml(`
services:
  db: { image: postgres:15 }
  migrate: { image: app, depends_on: [db] }
  collectstatic: { image: app }
  seed: { image: app, depends_on: { migrate: { condition: service_completed_successfully } } }
  app: { image: app, depends_on: [db] }
  acceptance: { image: app }
`);
  assert.deepEqual(bootstrapTasks(project, ["collectstatic", "migrate", "seed"], "acceptance"), ["collectstatic", "migrate", "seed"]);
  assert.deepEqual(bootstrapTasks(project, [], "acceptance"), [], "an empty list: no bootstrap");
  const configError = (pattern: RegExp) => (err: unknown) => err instanceof SlipwayError && err.kind === "config" && pattern.test(err.message);
  assert.throws(() => bootstrapTasks(project, ["seed", "migrate"], "acceptance"), configError(/runs seed before migrate, but seed depends on it/));
  assert.throws(() => bootstrapTasks(project, ["migrate", "nope"], "acceptance"), configError(/service nope/));
  assert.throws(() => bootstrapTasks(project, ["migrate", "migrate"], "acceptance"), configError(/twice/));
  assert.throws(() => bootstrapTasks(project, ["acceptance"], "acceptance"), configError(/acceptance service/));
});

test("the final up's gates: tasks completed, awaited one-shots left to depends_on, the rest healthy or running", async () => {
  const { project } = await inFolder(todobackend);
  const rest = ["app", "migrate", "db", "nginx"];
  assert.deepEqual(releaseGates(project, rest, ["migrate"]), { app: "service_healthy", migrate: "service_completed_successfully", db: "service_healthy", nginx: "service_healthy" });
  // `bootstrap: []`: migrate still runs once, through app's depends_on.
  assert.deepEqual(releaseGates(project, rest, []), { app: "service_healthy", db: "service_healthy", nginx: "service_healthy" });
});

test("published ports as URLs: the bound address, or the engine's host when bound to all; IPv6 in brackets; no duplicates", () => {
  const urls = publishedUrls(
    [
      { service: "nginx", ports: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "49153" }], "443/tcp": null } },
      { service: "app", ports: { "8000/tcp": [{ HostIp: "0.0.0.0", HostPort: "32768" }, { HostIp: "::", HostPort: "32768" }], "9000/udp": [{ HostIp: "::1", HostPort: "9000" }] } },
    ],
    undefined,
  );
  assert.deepEqual(urls, [
    { service: "nginx", port: "80/tcp", url: "http://127.0.0.1:49153" },
    { service: "app", port: "8000/tcp", url: "http://127.0.0.1:32768" },
    { service: "app", port: "9000/udp", url: "udp://[::1]:9000" },
  ]);
  assert.equal(publishedUrls([{ service: "app", ports: { "8000/tcp": [{ HostIp: "", HostPort: "1" }] } }], "docker.example")[0]!.url, "http://docker.example:1");
  assert.equal(engineHost({ kind: "tcp", host: "docker.example", port: 2376, source: "DOCKER_HOST" }), "docker.example");
  assert.equal(engineHost({ kind: "unix", socketPath: "/var/run/docker.sock", source: "default" }), undefined);
});

test("images as a verdict says them: key, ID and revision", () => {
  const id = `sha256:${"a".repeat(64)}`;
  assert.equal(describeImages([{ key: "app", imageId: id, tags: ["todo-app:slipway"], revision: { commit: "c0ffee", dirty: false, changes: [] } }]), `app ${id} (revision c0ffee)`);
  assert.match(describeImages([{ key: "app", imageId: id, tags: [], revision: { commit: "c0ffee", dirty: true, changes: ["x"] } }]), /revision c0ffee, work tree dirty/);
});
