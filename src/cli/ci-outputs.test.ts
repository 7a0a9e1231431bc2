import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ciFacts, dotenv, writeCiOutputs } from "./ci-outputs.ts";
import type { PipelineResult } from "../pipeline/pipeline.ts";

const result: PipelineResult = {
  runId: "20261205-180000-abcdef",
  verdict: { kind: "passed", exitCode: 0, message: "all tests passed" },
  evidence: "/repo/.slipway/runs/20261205-180000-abcdef",
  stages: [
    { name: "test", outcome: { verdict: { kind: "passed", exitCode: 0, message: "ok" } } },
    { name: "release", outcome: { verdict: { kind: "passed", exitCode: 0, message: "ok" }, outputs: { images: [{ key: "app", imageId: "sha256:1234", revision: { commit: "0123abc" } }] } } },
  ],
};

test("the facts of a run: verdict, exit code, run id, evidence, each released image and the revision", () => {
  assert.deepEqual(ciFacts(result), [
    ["verdict", "passed"],
    ["exit-code", "0"],
    ["run-id", "20261205-180000-abcdef"],
    ["evidence", "/repo/.slipway/runs/20261205-180000-abcdef"],
    ["image-app", "sha256:1234"],
    ["revision", "0123abc"],
  ]);
  assert.equal(dotenv([["run-id", "r1"], ["image-app", "sha256:1"]]), "SLIPWAY_RUN_ID=r1\nSLIPWAY_IMAGE_APP=sha256:1\n");
});

test("written to $GITHUB_OUTPUT (appended) under GitHub Actions and to a dotenv file under GitLab", async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-ci-out-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const github = path.join(dir, "github-output");
  const gitlab = path.join(dir, "slipway.env");
  await writeCiOutputs({ GITHUB_OUTPUT: github }, result);
  await writeCiOutputs({ GITHUB_OUTPUT: github }, result);
  assert.equal((await readFile(github, "utf8")).split("\n").filter((l) => l.startsWith("verdict=")).length, 2, "appended, not replaced");
  await writeCiOutputs({ GITLAB_CI: "true", SLIPWAY_DOTENV: gitlab }, result);
  assert.match(await readFile(gitlab, "utf8"), /^SLIPWAY_VERDICT=passed\nSLIPWAY_EXIT_CODE=0\n/);
});

test("a $GITHUB_OUTPUT that cannot be written is one clear config error (exit 3) naming it, not a crash", async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-ci-out-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const unwritable = path.join(dir, "no-such-folder", "output");
  await assert.rejects(writeCiOutputs({ GITHUB_OUTPUT: unwritable }, result), (err: Error & { code?: string; exitCode?: number; hint?: string }) => {
    return err.code === "CI_OUTPUT_NOT_WRITABLE" && err.exitCode === 3 && err.message.includes(unwritable) && /run 20261205-180000-abcdef/.test(err.hint ?? "");
  });
});
