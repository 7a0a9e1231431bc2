import { test } from "node:test";
import { createHash } from "node:crypto";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadProject } from "../compose/load/index.ts";
import type { Service } from "../compose/model/index.ts";
import { artifactFiles, artifactsFolder, artifactsKey, artifactsRecordPath, artifactsStatus, builderInputs, treeDigest, type ArtifactsRecord } from "./build-stage.ts";

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-build-stage-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function builderService(dir: string, yaml: string): Promise<Service> {
  await writeFile(path.join(dir, "compose.yml"), yaml);
  const project = await loadProject({ workingDir: dir, files: [path.join(dir, "compose.yml")], projectName: "p", env: {} });
  return project.services["builder"]!;
}

const COMPOSE = `
services:
  builder:
    image: node:20
    command: [npm, pack, --pack-destination, /artifacts]
    environment:
      A: "1"
      B: "2"
    volumes:
      - cache:/root/.npm
      - ./src:/src:ro
volumes:
  cache: {}
`;

const defaults = { command: undefined, env: {}, artifacts: "/artifacts" };

test("the inputs key: the same inputs give the same key, whatever the order of the environment's entries", async (t) => {
  const dir = await tempDir(t);
  const service = await builderService(dir, COMPOSE);
  const binds = new Map([[path.join(dir, "src"), "digest-1"]]);
  const key = artifactsKey(builderInputs(service, defaults, "sha256:img", binds));
  assert.match(key, /^[0-9a-f]{64}$/);
  const reordered: Service = { ...service, environment: { B: "2", A: "1" } };
  assert.equal(artifactsKey(builderInputs(reordered, defaults, "sha256:img", binds)), key);
  // slipway.yml's env with the same values as the compose file's changes nothing.
  assert.equal(artifactsKey(builderInputs(service, { ...defaults, env: { A: "1" } }, "sha256:img", binds)), key);
});

test("the inputs key changes with the image, the command, the environment, the mounts and the artifacts folder", async (t) => {
  const dir = await tempDir(t);
  const service = await builderService(dir, COMPOSE);
  const binds = new Map([[path.join(dir, "src"), "digest-1"]]);
  const key = artifactsKey(builderInputs(service, defaults, "sha256:img", binds));
  const variants: [string, string][] = [
    ["another image", artifactsKey(builderInputs(service, defaults, "sha256:other", binds))],
    ["slipway.yml's command", artifactsKey(builderInputs(service, { ...defaults, command: ["npm", "pack"] }, "sha256:img", binds))],
    ["the compose command", artifactsKey(builderInputs({ ...service, command: ["make"] }, defaults, "sha256:img", binds))],
    ["the entrypoint", artifactsKey(builderInputs({ ...service, entrypoint: ["sh", "-c"] }, defaults, "sha256:img", binds))],
    ["slipway.yml's env", artifactsKey(builderInputs(service, { ...defaults, env: { A: "changed" } }, "sha256:img", binds))],
    ["a new variable", artifactsKey(builderInputs(service, { ...defaults, env: { C: "3" } }, "sha256:img", binds))],
    ["a bind mount's contents", artifactsKey(builderInputs(service, defaults, "sha256:img", new Map([[path.join(dir, "src"), "digest-2"]])))],
    ["a mount more", artifactsKey(builderInputs({ ...service, volumes: [...service.volumes, { type: "tmpfs", target: "/tmp", read_only: false }] }, defaults, "sha256:img", binds))],
    ["the artifacts folder", artifactsKey(builderInputs(service, { ...defaults, artifacts: "/wheelhouse" }, "sha256:img", binds))],
    ["the user", artifactsKey(builderInputs({ ...service, user: "1000" }, defaults, "sha256:img", binds))],
  ];
  for (const [what, changed] of variants) assert.notEqual(changed, key, what);
  assert.equal(new Set(variants.map(([, k]) => k)).size, variants.length, "each change gives its own key");
});

test("a bind mount counts by its contents, not by its host path", async (t) => {
  const dir = await tempDir(t);
  const service = await builderService(dir, COMPOSE);
  const inputs = builderInputs(service, defaults, "sha256:img", new Map([[path.join(dir, "src"), "digest-1"]]));
  const bind = inputs.mounts.find((m) => m.type === "bind")!;
  assert.deepEqual(bind, { type: "bind", target: "/src", read_only: true, contents: "digest-1" });
  assert.deepEqual(inputs.mounts.find((m) => m.type === "volume"), { type: "volume", target: "/root/.npm", read_only: false, source: "cache" });
});

const record = (files: { path: string; sha256: string }[], key = "k1"): ArtifactsRecord => ({
  version: 1,
  key,
  dir: "target",
  files: files.map((f) => ({ ...f, size: 1 })),
  image: "sha256:img",
  runId: "r1",
  at: "2024-01-01T00:00:00.000Z",
});

test("unchanged: the same key and exactly the recorded files with their hashes", () => {
  const files = [{ path: "greeter-1.0.0.tgz", sha256: "aa", size: 1 }];
  const status = artifactsStatus(record(files), "k1", files, "target");
  assert.equal(status.state, "unchanged");
  assert.match(status.reason, /the builder's inputs are the same and target\/ holds the 1 artifact it copied/);
  assert.deepEqual(status.state === "unchanged" ? status.result : undefined, files.map((f) => ({ ...f, size: 1 })));
});

test("needed: no record, another key, the folder gone, a file gone, changed, or one more", () => {
  const files = [
    { path: "a.tgz", sha256: "aa", size: 1 },
    { path: "sub/b.whl", sha256: "bb", size: 1 },
  ];
  const cases: [string, ReturnType<typeof artifactsStatus>, RegExp][] = [
    ["no record", artifactsStatus(undefined, "k1", files, "target"), /no artifacts recorded yet/],
    ["another key", artifactsStatus(record(files, "k0"), "k1", files, "target"), /image, command, environment or mounts changed/],
    ["folder gone", artifactsStatus(record(files), "k1", undefined, "target"), /target\/ is gone/],
    ["file gone", artifactsStatus(record(files), "k1", [files[0]!], "target"), /target\/sub\/b\.whl is gone/],
    ["changed", artifactsStatus(record(files), "k1", [files[0]!, { ...files[1]!, sha256: "xx" }], "target"), /target\/sub\/b\.whl changed since it was copied/],
    ["one more", artifactsStatus(record(files), "k1", [...files, { path: "c.jar", sha256: "cc", size: 1 }], "target"), /target\/c\.jar is not one of the artifacts/],
  ];
  for (const [what, status, reason] of cases) {
    assert.equal(status.state, "needed", what);
    assert.match(status.reason, reason, what);
  }
});

test("the unchanged decision from a record and the files on disk", async (t) => {
  const dir = await tempDir(t);
  const target = path.join(dir, "target");
  assert.equal(await artifactFiles(target), undefined, "no folder: undefined, not empty");
  await mkdir(path.join(target, "sub"), { recursive: true });
  await writeFile(path.join(target, "greeter-1.0.0.tgz"), "package bytes");
  await writeFile(path.join(target, "sub", "b.whl"), "wheel");
  await symlink("greeter-1.0.0.tgz", path.join(target, "latest.tgz"));
  const files = (await artifactFiles(target))!;
  assert.deepEqual(files.map((f) => f.path), ["greeter-1.0.0.tgz", "latest.tgz", "sub/b.whl"]);
  assert.equal(files[0]!.size, "package bytes".length);
  assert.equal(files[0]!.sha256, createHash("sha256").update("package bytes").digest("hex"));
  const saved = { ...record([]), files };
  assert.equal(artifactsStatus(saved, "k1", await artifactFiles(target), "target").state, "unchanged");
  await writeFile(path.join(target, "greeter-1.0.0.tgz"), "other bytes");
  assert.match(artifactsStatus(saved, "k1", await artifactFiles(target), "target").reason, /greeter-1\.0\.0\.tgz changed/);
  await rm(path.join(target, "greeter-1.0.0.tgz"));
  assert.match(artifactsStatus(saved, "k1", await artifactFiles(target), "target").reason, /greeter-1\.0\.0\.tgz is gone/);
});

test("the artifacts folder: inside the repository, not the repository itself nor .slipway/; its record under .slipway/artifacts/", () => {
  const repo = path.resolve("/repo");
  assert.equal(artifactsFolder(repo, "target"), path.join(repo, "target"));
  assert.equal(artifactsFolder(repo, "build/dist"), path.join(repo, "build/dist"));
  for (const bad of [".", "..", "../elsewhere", "/tmp/x", ".slipway", ".slipway/artifacts"]) {
    assert.throws(() => artifactsFolder(repo, bad), (err: { code?: string; kind?: string }) => err.code === "BUILD_TO_INVALID" && err.kind === "config", bad);
  }
  const recordFile = artifactsRecordPath(repo, path.join(repo, "target"));
  assert.match(path.relative(repo, recordFile), /^\.slipway[/\\]artifacts[/\\][0-9a-f]{16}\.json$/);
  assert.notEqual(artifactsRecordPath(repo, path.join(repo, "dist")), recordFile, "one record per folder");
});

test("a bind mount's digest follows its contents and leaves out the artifacts folder and .slipway/", async (t) => {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, "src"), { recursive: true });
  await writeFile(path.join(dir, "src", "main.js"), "v1");
  const exclude = [path.join(dir, "target"), path.join(dir, ".slipway")];
  const first = await treeDigest(dir, exclude);
  await mkdir(path.join(dir, "target"));
  await writeFile(path.join(dir, "target", "pkg.tgz"), "artifact");
  await mkdir(path.join(dir, ".slipway", "runs"), { recursive: true });
  await writeFile(path.join(dir, ".slipway", "runs", "events.jsonl"), "{}");
  assert.equal(await treeDigest(dir, exclude), first, "what Slipway writes is not an input");
  await writeFile(path.join(dir, "src", "main.js"), "v2");
  assert.notEqual(await treeDigest(dir, exclude), first, "a source change is");
  assert.notEqual(await treeDigest(path.join(dir, "missing"), exclude), await treeDigest(path.join(dir, "src"), exclude));
});
