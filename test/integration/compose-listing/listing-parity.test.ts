/**
 * The listings against docker compose 2.26.1, on one engine state: a small busybox project, made
 * once by docker compose and once by Slipway, listed by both tools at the same moment, their
 * outputs compared field by field: `ps`, `ls`, `images`, `config` (`--format json` and the plain
 * forms scripts read), `port`, `top` and `events --json`.
 *
 * Left out of the comparison, because they differ by nature between two invocations: RunningFor
 * and CreatedAt (the clock and the zone), the durations inside Status ("Up 3 seconds"), and the
 * order of the Labels string (Go ranges over a map at random; Slipway sorts). Everything else must
 * be equal. Slipway runs in this process (the CLI program itself, its output captured), docker
 * compose as a process; each test builds its own image (FROM busybox) and removes it, and takes
 * its project down.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CommanderError } from "commander";
import { buildProgram, commanderExit } from "../../../src/cli/program.ts";
import type { CliIo } from "../../../src/cli/io.ts";
import { Engine, endpointFromEnv } from "../../../src/engine/index.ts";
import { tarFromEntries } from "../../../src/engine/streams/index.ts";
import { toSlipwayError } from "../../../src/ui/error-renderer.ts";
import { createStyle } from "../../../src/ui/style.ts";
import { ComposeLabel } from "../../../src/run/labels.ts";
import { loadWorldSync } from "../../support/world.ts";
import { uniqueProject } from "../../support/run-context.ts";
import { until } from "../../e2e/support.ts";

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixture");
const world = loadWorldSync();
const skip = world.skipReason("compose-v2") ?? world.skipReason("image:busybox:latest");
const run = promisify(execFile);

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** docker compose 2.26.1 (the test world's), from the fixture's folder. */
async function compose(args: string[], env: Record<string, string>): Promise<Output> {
  try {
    const { stdout, stderr } = await run(world.require("compose-v2").path, args, { cwd: fixture, env: { ...process.env, ...env }, maxBuffer: 16 << 20, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

/** `slipway …` run in this process, as main runs it, its output captured. */
async function slipway(args: string[], env: Record<string, string>, signal = new AbortController().signal, onStdout?: (text: string) => void): Promise<Output> {
  let stdout = "";
  let stderr = "";
  const sink = (write: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        write(String(chunk));
        done();
      },
    });
  const io: CliIo = {
    env: { ...process.env, NO_COLOR: "1", ...env },
    cwd: fixture,
    stdout: sink((s) => {
      stdout += s;
      onStdout?.(s);
    }),
    stderr: sink((s) => (stderr += s)),
    out: createStyle(false),
    err: createStyle(false),
  };
  const program = buildProgram(io, signal);
  let code: number;
  try {
    await program.command.parseAsync(["node", "slipway", ...args]);
    code = program.exitCode();
  } catch (err) {
    code = err instanceof CommanderError ? commanderExit(err) : toSlipwayError(err).exitCode;
    if (!(err instanceof CommanderError)) stderr += toSlipwayError(err).message;
  }
  return { code, stdout, stderr };
}

/** Both tools at once (so that the engine's state is the same for both), each must succeed. */
async function both(args: string[], env: Record<string, string>): Promise<{ docker: string; slipway: string }> {
  const [d, s] = await Promise.all([compose(args, env), slipway(["compose", ...args], env)]);
  assert.equal(d.code, 0, `docker compose ${args.join(" ")}: ${d.stderr}`);
  assert.equal(s.code, 0, `slipway compose ${args.join(" ")}: ${s.stderr}`);
  return { docker: d.stdout, slipway: s.stdout };
}

/** "Up 3 seconds (healthy)" → "Up (healthy)": the engine's duration moves between two calls. */
const statusShape = (status: string) => status.replace(/^(Up|Exited \(-?\d+\)|Restarting \(-?\d+\)) (?:Less than a second|About an? \w+|\d+ \w+)(?: ago)?/, "$1");
/** The label string's parts, whatever order Go's map gave them. */
const labelParts = (labels: string) => labels.split(",").sort();

type PsObject = Record<string, unknown>;

function comparablePs(line: string): PsObject {
  const o = JSON.parse(line) as PsObject;
  const { RunningFor: _r, CreatedAt: _c, ...rest } = o;
  return { ...rest, Status: statusShape(String(o["Status"])), Labels: labelParts(String(o["Labels"])) };
}

function psObjects(text: string): PsObject[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map(comparablePs)
    .sort((a, b) => String(a["Name"]).localeCompare(String(b["Name"])));
}

/** Everything the two tools list of one project, compared. */
async function compareListings(project: string, env: Record<string, string>): Promise<void> {
  const p = ["-p", project];
  for (const args of [
    [...p, "ps", "--format", "json"],
    [...p, "ps", "-a", "--format", "json"],
    [...p, "ps", "-a", "--no-trunc", "--format", "json"],
    [...p, "ps", "--format", "{{json .}}", "web"],
  ]) {
    const out = await both(args, env);
    assert.deepEqual(psObjects(out.slipway), psObjects(out.docker), args.join(" "));
    assert.ok(psObjects(out.docker).length > 0, `${args.join(" ")} lists something`);
  }

  // Same text, byte for byte.
  for (const args of [
    [...p, "ps", "-q"],
    [...p, "ps", "-a", "-q"],
    [...p, "ps", "--services"],
    [...p, "ps", "-a", "--services"],
    [...p, "ps", "--status", "exited", "--format", "{{.Name}} {{.State}} {{.ExitCode}}"],
    [...p, "ps", "--filter", "status=running", "--format", "table {{.Name}}\t{{.Service}}\t{{.Ports}}\t{{.Health}}"],
    [...p, "ps", "-a", "--format", "{{.Name}}\t{{json .Publishers}}\t{{.Label \"x\"}}\t{{.Mounts}}\t{{.LocalVolumes}}\t{{.Networks}}\t{{.Size}}\t{{.Command}}"],
    [...p, "ps", "-a", "--format", "{{range .Publishers}}{{.URL}}:{{.PublishedPort}}->{{.TargetPort}}/{{.Protocol}} {{end}}"],
    [...p, "images"],
    [...p, "images", "-q"],
    [...p, "images", "web"],
    ["ls", "--filter", `name=^${project}$`],
    ["ls", "-a", "-q", "--filter", `name=^${project}$`],
    [...p, "port", "web", "8080"],
    [...p, "port", "web", "8081"],
    [...p, "port", "--index", "1", "web", "8081"],
    [...p, "top", "web"],
  ]) {
    const out = await both(args, env);
    assert.equal(out.slipway, out.docker, args.join(" "));
  }

  for (const args of [
    ["ls", "--filter", `name=^${project}$`, "--format", "json"],
    ["ls", "-a", "--filter", `name=^${project}$`, "--format", "json"],
    [...p, "images", "--format", "json"],
  ]) {
    const out = await both(args, env);
    assert.deepEqual(JSON.parse(out.slipway), JSON.parse(out.docker), args.join(" "));
    assert.ok((JSON.parse(out.docker) as unknown[]).length > 0, `${args.join(" ")} lists something`);
  }

  // A refusal: the same message (Slipway's exit codes are its own: 3 for this one). It lists the
  // container's ports in the engine's order, which is a Go map's: compared as a set.
  const [d, s] = await Promise.all([compose([...p, "port", "--protocol", "udp", "web", "8080"], env), slipway(["compose", ...p, "port", "--protocol", "udp", "web", "8080"], env)]);
  assert.notEqual(d.code, 0);
  assert.notEqual(s.code, 0);
  const message = (text: string) => {
    const m = /(no port \S+ for container \S+): (.*)$/m.exec(text);
    return m ? [m[1], m[2]!.split(", ").sort()] : text;
  };
  assert.deepEqual(message(s.stderr), message(d.stderr));
}

async function compareConfig(project: string, env: Record<string, string>): Promise<void> {
  const f = ["-f", "compose.yaml", "-p", project];
  const json = await both([...f, "config", "--format", "json"], env);
  assert.deepEqual(JSON.parse(json.slipway), JSON.parse(json.docker));
  assert.equal(json.slipway, json.docker, "config --format json, byte for byte");
  for (const args of [
    [...f, "config", "--services"],
    [...f, "config", "--volumes"],
    [...f, "config", "--profiles"],
    [...f, "config", "--images"],
  ]) {
    const out = await both(args, env);
    // compose walks --images (and independent --services) in Go's random map order.
    assert.deepEqual(out.slipway.split("\n").sort(), out.docker.split("\n").sort(), args.join(" "));
  }
}

/** Container events of the project's `job` service while it runs once, as each tool streams them with --json. */
async function compareEvents(engine: Engine, project: string, env: Record<string, string>): Promise<void> {
  const controller = new AbortController();
  const slipwayLines: string[] = [];
  let pending = "";
  const slipwayRun = slipway(["compose", "-p", project, "events", "--json"], env, controller.signal, (text) => {
    pending += text;
    const parts = pending.split("\n");
    pending = parts.pop()!;
    slipwayLines.push(...parts.filter((l) => l !== ""));
  });
  const child = spawn(world.require("compose-v2").path, ["-p", project, "events", "--json"], { cwd: fixture, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let dockerText = "";
  child.stdout.on("data", (d) => (dockerText += d));
  const dockerLines = () => dockerText.split("\n").filter((l) => l !== "");
  const [worker] = await engine.containers.list({ filters: { label: [`${ComposeLabel.project}=${project}`, `${ComposeLabel.service}=worker`] } });
  const [job] = await engine.containers.list({ all: true, filters: { label: [`${ComposeLabel.project}=${project}`, `${ComposeLabel.service}=job`] } });
  assert.ok(worker && job);
  const parsed = (lines: string[]) => lines.map((l) => JSON.parse(l) as { action: string; service: string; id: string });
  try {
    // Both streams are subscribed once each has seen a marker: a SIGHUP to worker's sleep, which
    // as PID 1 ignores it (the engine still reports a kill).
    await until(async () => {
      await engine.containers.kill(worker.Id, { killSignal: "HUP" });
      return [slipwayLines, dockerLines()].every((lines) => parsed(lines).some((e) => e.action === "kill"));
    }, 60_000);
    await engine.containers.start(job.Id);
    const died = (lines: string[]) => parsed(lines).some((e) => e.service === "job" && e.action === "die");
    await until(async () => died(slipwayLines) && died(dockerLines()), 60_000);
  } finally {
    controller.abort();
    child.kill();
    await slipwayRun;
  }
  // job's events, as both streamed them (the same engine events: times and all).
  const jobEvents = (lines: string[]) => lines.filter((l) => (JSON.parse(l) as { service: string }).service === "job");
  assert.deepEqual(jobEvents(slipwayLines), jobEvents(dockerLines()));
  assert.deepEqual(
    parsed(jobEvents(slipwayLines)).map((e) => e.action),
    ["start", "die"],
  );
}

/** A busybox image of the test's own, so that `images` does not depend on other tests' tags. */
async function withImage(engine: Engine, body: (image: string) => Promise<void>): Promise<void> {
  const image = `${uniqueProject("slipway-listing")}:1`;
  const context = await tarFromEntries([{ name: "Dockerfile", content: `FROM busybox:latest\nLABEL dev.slipway.test.listing="${image}"\n` }]);
  await engine.images.build({ context, tags: [image], builder: "classic" });
  try {
    await body(image);
  } finally {
    await engine.images.remove(image, { force: true });
  }
}

async function ready(engine: Engine, project: string): Promise<void> {
  await until(async () => {
    const list = await engine.containers.list({ all: true, filters: { label: [`${ComposeLabel.project}=${project}`] } });
    const state = (service: string) => list.find((c) => c.Labels[ComposeLabel.service] === service);
    return state("job")?.State === "exited" && state("web")?.State === "running" && /\(healthy\)/.test(state("worker")?.Status ?? "");
  }, 60_000);
}

// The two projects are independent: listed side by side.
describe("compose listings, Slipway against docker compose 2.26.1", { skip, concurrency: true }, () => {
  test("a project docker compose made: ps, ls, images, port, top, events and config list the same in both tools", async () => {
    await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
    await withImage(engine, async (image) => {
      const project = uniqueProject("listing-compose");
      const env = { LISTING_IMAGE: image };
      try {
        const up = await compose(["-p", project, "up", "-d"], env);
        assert.equal(up.code, 0, up.stderr);
        await ready(engine, project);
        await compareListings(project, env);
        await compareEvents(engine, project, env);
        await compareConfig(project, env);
      } finally {
        await compose(["-p", project, "down", "-v", "-t", "0"], env);
      }
    });
  });

  test("a project Slipway made: ps, ls, images, port and top list the same in both tools", async () => {
    await using engine = await Engine.connect({ endpoint: endpointFromEnv(process.env) });
    await withImage(engine, async (image) => {
      const project = uniqueProject("listing-slipway");
      const env = { LISTING_IMAGE: image };
      try {
        const up = await slipway(["compose", "-p", project, "up", "-d"], env);
        assert.equal(up.code, 0, up.stderr);
        await ready(engine, project);
        await compareListings(project, env);
      } finally {
        await slipway(["compose", "-p", project, "down", "-v", "-t", "0"], env);
      }
    });
  });
});
