/**
 * A slipway.yml with only a deploy target, through the published CLI: it loads (environments are
 * optional); `slipway ci` refuses to pass with nothing to run (exit 3), instead of a verdict that
 * says the tests passed; `slipway deploy --dry-run` refuses a replicated service without a
 * healthcheck before asking any engine, naming the file and line to fix (exit 3).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { slipway } from "../support.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const run = async (args: string[], env: Record<string, string> = {}) => {
  const r = slipway(args, { cwd: here, env });
  return { code: await r.exit, out: r.stdout(), err: r.stderr() };
};

test("slipway ci on a file with only targets: exit 3, nothing to run, what to do instead", async () => {
  const r = await run(["ci"]);
  assert.equal(r.code, 3, r.out + r.err);
  assert.match(r.err, /gives `slipway ci` nothing to run/);
  assert.match(r.err, /slipway deploy --target NAME/);
  assert.doesNotMatch(r.out + r.err, /passed/i);
});

test("slipway deploy --dry-run: a replicated service without a healthcheck is refused at its line, exit 3, no stack trace", async () => {
  // No engine is asked before the file's own checks: a DOCKER_HOST nobody answers at proves it.
  const r = await run(["deploy", "--target", "production", "--dry-run"], { DOCKER_HOST: "unix:///nonexistent/slipway-e2e.sock" });
  assert.equal(r.code, 3, r.out + r.err);
  assert.match(r.err, /compose\.yaml:2:3: services\.web\.healthcheck: service web has no healthcheck/);
  assert.match(r.err, /nothing was changed on the swarm/);
  assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
});

test("slipway deploy to a manager that does not answer: the engine's error (exit 4) naming where it looked, no stack trace", async () => {
  const r = await run(["deploy", "--target", "unreachable"]);
  assert.equal(r.code, 4, r.out + r.err);
  assert.match(r.err, /slipway-e2e-manager\.sock/);
  assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
});
