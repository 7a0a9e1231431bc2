import { test } from "node:test";
import assert from "node:assert/strict";
import { Command } from "commander";
import { parseScale, registerUp, upRequest, type UpFlags } from "./up.ts";
import type { ComposeDeps } from "./shared.ts";

/** The flags commander gives the action for `up ARGS` (parsed only: nothing runs). */
function flags(args: string[]): { services: string[]; flags: UpFlags } {
  const compose = new Command("compose").exitOverride();
  registerUp(compose, {} as ComposeDeps);
  const up = compose.commands.find((c) => c.name() === "up")!.exitOverride();
  const { operands, unknown } = up.parseOptions(args);
  assert.deepEqual(unknown, [], `unknown: ${unknown.join(" ")}`);
  return { services: operands, flags: up.opts() as UpFlags };
}

const request = (args: string[], colour = true) => {
  const f = flags(args);
  return upRequest(f.services, f.flags, colour);
};

test("no flags: attached, every service, coloured prefixes when the terminal allows", () => {
  const r = request([]);
  assert.equal(r.detached, false);
  assert.deepEqual(r.up, { lifetime: "persistent" });
  assert.deepEqual(r.attached, { abortOnContainerExit: false, colour: true, prefix: true, timestamps: false });
  assert.equal(request([], false).attached!.colour, false, "no TTY, NO_COLOR or --ansi never: plain");
  assert.equal(request(["--no-color"]).attached!.colour, false);
  assert.equal(request(["--no-log-prefix"]).attached!.prefix, false);
});

test("-d, --wait and --no-start are detached", () => {
  assert.equal(request(["-d"]).detached, true);
  assert.equal(request(["--detach", "web"]).up.services?.[0], "web");
  const wait = request(["--wait", "--wait-timeout", "30"]);
  assert.equal(wait.detached, true);
  assert.equal(wait.up.wait, true);
  assert.equal(wait.up.readyTimeoutMs, 30_000);
  assert.equal(request(["--no-start"]).detached, true);
  assert.equal(request(["--no-start"]).up.noStart, true);
});

test("each flag maps to its runner option", () => {
  const r = request([
    "--no-deps", "--scale", "web=3", "--scale", "db=0", "--no-recreate", "-V", "-t", "5", "--quiet-pull",
    "--remove-orphans", "--build", "--pull", "always", "web",
  ]);
  assert.deepEqual(r.up, {
    lifetime: "persistent",
    services: ["web"],
    noDeps: true,
    scale: { web: 3, db: 0 },
    noRecreate: true,
    renewAnonVolumes: true,
    timeout: 5,
    quietPull: true,
    removeOrphans: true,
    build: "always",
    pull: "always",
  });
  assert.deepEqual(request(["--no-build", "--force-recreate", "--always-recreate-deps", "--timeout", "0"]).up, {
    lifetime: "persistent",
    build: "never",
    forceRecreate: true,
    alwaysRecreateDeps: true,
    timeout: 0,
  });
});

test("attach flags: --attach and --no-attach are lists of their own; --exit-code-from implies --abort-on-container-exit", () => {
  const a = request(["--attach", "web", "--attach", "db", "--no-attach", "cache", "--no-attach", "proxy"]).attached!;
  assert.deepEqual(a.attach, ["web", "db"]);
  assert.deepEqual(a.noAttach, ["cache", "proxy"]);
  assert.equal(request(["--attach-dependencies"]).attached!.attachDependencies, true);
  assert.equal(request(["--abort-on-container-exit"]).attached!.abortOnContainerExit, true);
  const from = request(["--exit-code-from", "test"]).attached!;
  assert.equal(from.abortOnContainerExit, true);
  assert.equal(from.exitCodeFrom, "test");
  assert.equal(request(["--timestamps"]).attached!.timestamps, true);
});

test("compose v2's incompatible combinations are usage errors that name both flags", () => {
  const refused = (args: string[], pattern: RegExp) =>
    assert.throws(() => request(args), (err: Error & { kind?: string }) => err.kind === "usage" && pattern.test(err.message), args.join(" "));
  refused(["-d", "--abort-on-container-exit"], /--abort-on-container-exit and --detach/);
  refused(["-d", "--exit-code-from", "x"], /--exit-code-from and --detach/);
  refused(["--force-recreate", "--no-recreate"], /--force-recreate and --no-recreate/);
  refused(["--always-recreate-deps", "--no-recreate"], /--always-recreate-deps and --no-recreate/);
  refused(["--attach", "a", "--attach-dependencies"], /--attach and --attach-dependencies/);
  refused(["--wait", "--abort-on-container-exit"], /--wait and --abort-on-container-exit/);
  refused(["--watch"], /--watch is not supported/);
});

test("--scale takes SERVICE=N; anything else fails with the flag", () => {
  assert.deepEqual(parseScale(["web=3", "db=0"]), { web: 3, db: 0 });
  for (const bad of ["web", "=3", "web=-1", "web=x", "web=1.5"]) {
    assert.throws(() => parseScale([bad]), (err: Error) => err.message.startsWith(`--scale ${bad}`), bad);
  }
});

test("unknown flags fail with the flag's name; -t takes whole seconds", () => {
  const compose = new Command("compose").exitOverride();
  registerUp(compose, {} as ComposeDeps);
  const up = compose.commands.find((c) => c.name() === "up")!;
  up.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  assert.throws(() => up.parse(["--bogus-flag"], { from: "user" }), /unknown option '--bogus-flag'/);
  assert.throws(() => up.parse(["-t", "soon"], { from: "user" }), /whole number/);
});
