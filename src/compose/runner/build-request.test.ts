import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadProject } from "../load/index.ts";
import { SlipwayError } from "../../errors/index.ts";
import { serviceBuildRequest } from "./build-request.ts";

async function project(yaml: string, env: Record<string, string> = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-build-request-"));
  await writeFile(path.join(dir, "compose.yaml"), yaml);
  try {
    return await loadProject({ workingDir: dir, projectName: "p", env });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("every build key of the file is in the request", async () => {
  const p = await project(
    [
      "services:",
      "  app:",
      "    platform: linux/amd64",
      "    build:",
      "      context: .",
      "      dockerfile_inline: FROM busybox",
      "      args: { A: '1', FROM_ENV: null }",
      "      labels: { l: v }",
      "      target: t",
      "      network: host",
      "      cache_from: [c:1]",
      "      no_cache: true",
      "      pull: true",
      "      shm_size: 64m",
      "      extra_hosts: ['db=10.0.0.2']",
      "      tags: [extra:1]",
      "      ulimits: { nofile: 1024 }",
    ].join("\n"),
    { FROM_ENV: "e" },
  );
  const r = serviceBuildRequest(p, "app", ["p-app"]);
  assert.equal(r.dockerfileInline, "FROM busybox");
  assert.deepEqual(r.tags, ["p-app", "extra:1"]);
  assert.deepEqual(r.args, { A: "1", FROM_ENV: "e" });
  assert.deepEqual(r.labels, { l: "v" });
  assert.deepEqual([r.target, r.network, r.noCache, r.pull, r.shmSize, r.platform], ["t", "host", true, true, 64 * 1024 * 1024, "linux/amd64"]);
  assert.deepEqual(r.cacheFrom, ["c:1"]);
  assert.deepEqual(r.extraHosts, ["db:10.0.0.2"]);
  assert.deepEqual([r.ulimits?.["nofile"]?.soft, r.ulimits?.["nofile"]?.hard], [1024, 1024]);
});

test("one build platform is the build's platform; several are refused as a config error", async () => {
  const one = await project("services:\n  app:\n    build: { context: ., platforms: [linux/arm64] }\n");
  assert.equal(serviceBuildRequest(one, "app", []).platform, "linux/arm64");
  const two = await project("services:\n  app:\n    build: { context: ., platforms: [linux/arm64, linux/amd64] }\n");
  assert.throws(() => serviceBuildRequest(two, "app", []), (err: unknown) => err instanceof SlipwayError && err.kind === "config" && /multi-platform/.test(err.message));
});


test("build secrets: the id is the target, else the source; the origin names the file or variable, never the value", async () => {
  const p = await project(
    "services:\n  app:\n    build:\n      context: .\n      secrets: [npm, {source: key, target: api}]\nsecrets:\n  npm: {file: ./npm.txt}\n  key: {environment: API_KEY}\n",
    { API_KEY: "v4lue" },
  );
  const r = serviceBuildRequest(p, "app", []);
  assert.deepEqual(
    r.secrets?.map((s) => [s.id, s.origin?.replace(/^file:.*\//, "file:…/")]),
    [
      ["npm", "file:…/npm.txt"],
      ["api", "env:API_KEY"],
    ],
  );
  assert.equal(Buffer.from(await r.secrets![1]!.value()).toString(), "v4lue");
  assert.ok(!JSON.stringify(r).includes("v4lue"), "the request holds no value");
});

test("compose build's flags: --build-arg over the file's args, --no-cache and --pull over its keys", async () => {
  const p = await project(["services:", "  app:", "    build:", "      context: .", "      dockerfile_inline: FROM busybox", "      args: { A: '1', B: '2' }"].join("\n"));
  const plain = serviceBuildRequest(p, "app", ["t"]);
  assert.deepEqual([plain.args, plain.noCache, plain.pull], [{ A: "1", B: "2" }, false, false]);
  const overridden = serviceBuildRequest(p, "app", ["t"], { args: { B: "flag", C: "3" }, noCache: true, pull: true });
  assert.deepEqual([overridden.args, overridden.noCache, overridden.pull], [{ A: "1", B: "flag", C: "3" }, true, true]);
});
