import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { loadProject } from "./load-project.ts";
import { writeTree } from "./test-support.ts";

describe("-f - (the standard input)", () => {
  it("is a file in the working directory: its .env, relative paths and the folder's name; config_files says -", async () => {
    const dir = await writeTree({ ".env": "TAG=from-dotenv\n", "app.env": "IN_APP=1\n" }, "piped");
    let reads = 0;
    const stdin = async () => {
      reads += 1;
      return "services:\n  app:\n    image: busybox:${TAG}\n    env_file: [app.env]\n";
    };
    const p = await loadProject({ workingDir: dir, env: {}, files: ["-"], stdin });
    assert.equal(p.name, "piped");
    assert.equal(p.workingDir, dir);
    assert.deepEqual(p.configFiles, ["-"]);
    assert.equal(p.services["app"]?.image, "busybox:from-dotenv");
    assert.equal(p.services["app"]?.environment["IN_APP"], "1");
    assert.equal(reads, 1);
  });

  it("merges with files after it, in order", async () => {
    const dir = await writeTree({ "override.yaml": "services:\n  app:\n    user: nobody\n" });
    const p = await loadProject({ workingDir: dir, env: {}, files: ["-", "override.yaml"], stdin: async () => "services:\n  app:\n    image: busybox\n" });
    assert.deepEqual(p.configFiles, ["-", path.join(dir, "override.yaml")]);
    assert.equal(p.services["app"]?.user, "nobody");
  });
});
