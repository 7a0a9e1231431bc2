import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { guessProject, starterConfig } from "./init.ts";
import { loadPipelineConfig } from "./load-pipeline-config.ts";

test("init guesses from the files, and what it writes validates", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "My App-"));
  try {
    await writeFile(path.join(dir, "Dockerfile"), "FROM node:20-slim\n");
    await writeFile(path.join(dir, "docker-compose.test.yml"), "services:\n  db: { image: postgres:15 }\n  unit-tests: { build: . }\n");
    await writeFile(path.join(dir, "docker-compose.release.yml"), "services:\n  app: { build: . }\n");
    const guess = await guessProject(dir);
    assert.equal(guess.testCompose, "docker-compose.test.yml");
    assert.equal(guess.testService, "unit-tests");
    assert.equal(guess.releaseCompose, "docker-compose.release.yml");
    await writeFile(path.join(dir, "slipway.yml"), starterConfig(guess));
    const { config } = await loadPipelineConfig({ cwd: dir });
    assert.equal(config.environments["test"]!.service, "unit-tests");
    assert.ok(config.environments["release"]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("init without a Dockerfile says what is missing", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "empty-"));
  try {
    await assert.rejects(guessProject(dir), /needs a Dockerfile and a compose file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("init on a broken compose file: a config error (exit 3) with file and line, not a crash", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "broken-"));
  try {
    await writeFile(path.join(dir, "Dockerfile"), "FROM node:20-slim\n");
    await writeFile(path.join(dir, "compose.yaml"), "services:\n  app: { build: .\n");
    await assert.rejects(guessProject(dir), (err: Error & { exitCode?: number }) => err.exitCode === 3 && /compose\.yaml:\d+:\d+/.test(err.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
