/**
 * A slipway.yml with only a deploy target, through the published CLI: it loads (environments are
 * optional); `slipway ci` refuses to pass with nothing to run (exit 3), instead of a verdict that
 * says the tests passed; `slipway deploy --dry-run` refuses a replicated service whose
 * healthcheck is turned off before asking any engine, naming the file and line to fix (exit 3); `slipway ci
 * --target` runs the deploy stage alone, checks every target before touching the first, and
 * ends in the deploy's verdict.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadWorldSync } from "../../support/world.ts";
import { slipway } from "../support.ts";

const world = loadWorldSync();

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

test("slipway deploy --dry-run: a replicated service with its healthcheck disabled is refused at its line, exit 3, no stack trace", async () => {
  // No engine is asked before the file's own checks: a DOCKER_HOST nobody answers at proves it.
  const r = await run(["deploy", "--target", "production", "--dry-run"], { DOCKER_HOST: "unix:///nonexistent/slipway-e2e.sock" });
  assert.equal(r.code, 3, r.out + r.err);
  assert.match(r.err, /compose\.yaml:6:5: services\.web\.healthcheck: service web has no healthcheck \(it is disabled\)/);
  assert.match(r.err, /nothing was changed on the swarm/);
  assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
});

test("slipway deploy to a manager that does not answer: the engine's error (exit 4) naming where it looked, no stack trace", async () => {
  const r = await run(["deploy", "--target", "unreachable"]);
  assert.equal(r.code, 4, r.out + r.err);
  assert.match(r.err, /slipway-e2e-manager\.sock/);
  assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
});

test("slipway ci --target with a name slipway.yml does not have: exit 3 before any run, naming the targets it has", async () => {
  const r = await run(["ci", "--target", "nope"], { DOCKER_HOST: "unix:///nonexistent/slipway-e2e.sock" });
  assert.equal(r.code, 3, r.out + r.err);
  assert.match(r.err, /--target nope: slipway\.yml has no target "nope"/);
  assert.match(r.err, /Its targets: production, unreachable/);
});

test("slipway ci --target: every target's files are checked before the first is touched; the refusal is the run's verdict (exit 3, with the run id), and the first target's manager is never asked", { skip: world.skipReason("engine") }, async () => {
  // `unreachable` comes first and would fail with exit 4 if it were deployed before `production` was checked.
  const r = await run(["ci", "--target", "unreachable", "--target", "production", "--json"]);
  assert.equal(r.code, 3, r.out + r.err);
  const events = r.out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(events.filter((e) => e["type"] === "stage.end").map((e) => [e["stage"], e["ok"]]), [["deploy", false]]);
  const verdict = events.at(-1)!;
  assert.equal(verdict["type"], "verdict");
  assert.equal(verdict["exitCode"], 3);
  assert.match(String(verdict["runId"]), /./);
  assert.match(String(verdict["message"]), /compose\.yaml:6:5: services\.web\.healthcheck: service web has no healthcheck \(it is disabled\)/);
  assert.doesNotMatch(r.out + r.err, /slipway-e2e-manager\.sock/);
});

test("slipway ci --target whose manager does not answer: the deploy stage's verdict is the engine's error (exit 4), naming the socket", { skip: world.skipReason("engine") }, async () => {
  const r = await run(["ci", "--target", "unreachable", "--json"]);
  assert.equal(r.code, 4, r.out + r.err);
  const verdict = JSON.parse(r.out.trim().split("\n").at(-1)!) as Record<string, unknown>;
  assert.equal(verdict["type"], "verdict");
  assert.match(String(verdict["message"]), /slipway-e2e-manager\.sock/);
  assert.doesNotMatch(r.out + r.err, /\n\s+at /, "no stack trace");
});

test("releases, rollback and lock with a target slipway.yml does not have: exit 3 naming the targets it has, before any engine is asked", async () => {
  for (const args of [["releases", "--target", "nope"], ["rollback", "--target", "nope"], ["lock", "status", "--target", "nope"]]) {
    const r = await run(args, { DOCKER_HOST: "unix:///nonexistent/slipway-e2e.sock" });
    assert.equal(r.code, 3, `${args.join(" ")}: ${r.out}${r.err}`);
    assert.match(r.err, /slipway\.yml has no target "nope"/);
    assert.match(r.err, /Its targets: production, unreachable/);
    assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
  }
});
