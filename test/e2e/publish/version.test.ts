/**
 * `slipway version IMAGE` on its failure paths, through the bundle: an image in neither the
 * engine nor its registry, and a registry that does not answer — each one message and exit 6,
 * never a stack trace. (Its answers, local and remote, are in ci-passes.test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadWorldSync } from "../../support/world.ts";
import { slipway, unusedTcpPort } from "../support.ts";

const world = loadWorldSync();

test("slipway version: an image found nowhere, and a registry that is down, each end in one message with exit 6", { skip: world.skipReason("plain-registry") }, async () => {
  const { address } = world.require("plain-registry");
  const cwd = await mkdtemp(path.join(tmpdir(), "slipway-e2e-version-"));
  try {
    const missing = slipway(["version", `${address}/no-such-${randomBytes(4).toString("hex")}:1.0.0`], { cwd, env: { DOCKER_CONFIG: cwd } });
    assert.equal(await missing.exit, 6, missing.stdout() + missing.stderr());
    assert.match(missing.stderr(), /no such image in 127\.0\.0\.1:\d+, and none in the engine/);
    assert.doesNotMatch(missing.stderr(), /\n\s+at /, "no stack trace");

    const down = slipway(["version", `127.0.0.1:${await unusedTcpPort()}/app:1.0.0`], { cwd, env: { DOCKER_CONFIG: cwd } });
    assert.equal(await down.exit, 6, down.stdout() + down.stderr());
    assert.match(down.stderr(), /Cannot reach/);
    assert.doesNotMatch(down.stderr(), /\n\s+at /, "no stack trace");
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
});
