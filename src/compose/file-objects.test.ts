import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadProject } from "./load/index.ts";
import { secretValue } from "./file-objects.ts";
import { SlipwayError } from "../errors/index.ts";

test("secretValue: a file as it is, an environment variable from the project's environment; clear config errors otherwise", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-secret-"));
  try {
    await writeFile(path.join(dir, "token.txt"), "from-file\n");
    await writeFile(
      path.join(dir, "compose.yaml"),
      "services:\n  a:\n    image: x\n    secrets: [file, env, unset, missing]\nsecrets:\n  file: {file: ./token.txt}\n  env: {environment: SOME_NAME}\n  unset: {environment: NOT_SET}\n  missing: {file: ./nope.txt}\n",
    );
    const project = await loadProject({ workingDir: dir, projectName: "p", env: { SOME_NAME: "from-env" } });
    assert.equal((await secretValue(project, "file")).toString(), "from-file\n");
    assert.equal((await secretValue(project, "env")).toString(), "from-env");
    for (const [name, code] of [["unset", "SECRET_UNSET"], ["missing", "SECRET_UNREADABLE"], ["ghost", "SECRET_UNDECLARED"]] as const) {
      await assert.rejects(secretValue(project, name), (err: unknown) => err instanceof SlipwayError && err.code === code && err.kind === "config", name);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
