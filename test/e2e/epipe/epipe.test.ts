/**
 * A reader of stdout that goes away (`slipway compose logs -f | head -n 3`) ends the command
 * quietly, as a program killed by SIGPIPE would: exit 0, nothing on stderr — it was an EPIPE
 * stack trace.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { loadWorldSync } from "../../support/world.ts";
import { publishedBin, scenario, slipway } from "../support.ts";

const run = promisify(execFile);
const world = loadWorldSync();

test("slipway compose logs -f | head -n 3: three lines, exit 0, nothing on stderr", { skip: world.skipReason("image:busybox:latest") }, async () => {
  const project = `e2e-epipe-${randomBytes(4).toString("hex")}`;
  const file = path.join(scenario("epipe"), "compose.yaml");
  const up = slipway(["compose", "-f", file, "-p", project, "up", "-d"], { cwd: scenario("epipe") });
  assert.equal(await up.exit, 0, up.stderr());
  try {
    const piped = await run("bash", ["-o", "pipefail", "-c", `"${process.execPath}" "${publishedBin}" compose -p ${project} logs -f --no-log-prefix | head -n 3`], { cwd: scenario("epipe"), timeout: 120_000 }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code?: number; stdout: string; stderr: string }) => ({ code: e.code ?? -1, stdout: e.stdout, stderr: e.stderr }),
    );
    assert.equal(piped.stdout.split("\n").filter(Boolean).length, 3, piped.stdout);
    assert.equal(piped.stderr, "", "no stack trace, no message");
    assert.equal(piped.code, 0, "pipefail: slipway's own exit code");
  } finally {
    const down = slipway(["compose", "-p", project, "down", "-t", "0"], { cwd: scenario("epipe") });
    await down.exit;
  }
});
