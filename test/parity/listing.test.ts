/**
 * Parity of the commands that read: ps, ls, images, port, top, config, version; their table and
 * JSON outputs compared field by field on a project each tool brought up.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertSame, failed, jsonLines, KnownList, ParityProjects, skipReason, TOOLS } from "./harness.ts";

const known = new KnownList([]);


/** compose's durations ("Up 4 seconds", "5 seconds ago", "Less than a second") depend on when each tool ran. */
const durations = (s: string) => s.replace(/(Less than a second|About an? \w+|\d+ (?:second|minute|hour|day|week|month|year)s?)( ago)?/g, "<duration>$2");
const hostPorts = (s: string) => s.replace(/:\d+->/g, ":<port>->");

/** A `ps --format json` row with only what does not differ by nature; Labels parsed (compose joins them in map order). */
function psRow(row: Record<string, unknown>, project: string): Record<string, unknown> {
  const { ID: _id, CreatedAt: _created, RunningFor: _running, ...rest } = row;
  const labels = Object.fromEntries(
    String(rest["Labels"] ?? "")
      .split(",")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])
      .filter(([k]) => !k!.startsWith("dev.slipway.") && k !== "com.docker.compose.version" && k !== "com.docker.compose.config-hash")
      .sort(([a], [b]) => a!.localeCompare(b!)),
  );
  // Mounts are cut at 20 characters ("parity-list-d1a2b3…"): cut names of the project's volumes.
  const mounts = String(rest["Mounts"] ?? "")
    .split(",")
    .map((m) => (m.endsWith("…") && `${project}_`.startsWith(m.slice(0, -1).replace("<project>", project)) ? "<project volume>…" : m))
    .join(",");
  const publishers = Array.isArray(rest["Publishers"]) ? (rest["Publishers"] as Record<string, unknown>[]).map((p) => ({ ...p, PublishedPort: "<port>" })) : rest["Publishers"];
  return { ...rest, Labels: labels, Mounts: mounts, Status: durations(String(rest["Status"])), Ports: hostPorts(String(rest["Ports"])), Publishers: publishers };
}

describe("ps, ls, images, port, top, config, version", { skip: skipReason }, () => {
  let p: ParityProjects;
  before(async () => {
    p = await ParityProjects.open("app", "list");
    const up = await p.both(["up", "-d"]);
    assert.deepEqual([up.docker.code, up.slipway.code], [0, 0], failed(up));
  });
  after(() => p?.[Symbol.asyncDispose]());

  test("ps --format json: the same rows, field by field", async () => {
    const r = await p.both(["ps", "-a", "--format", "json"]);
    assert.deepEqual([r.docker.code, r.slipway.code], [0, 0], failed(r));
    const rows = (tool: (typeof TOOLS)[number]) =>
      (jsonLines(r[tool].stdout) as Record<string, unknown>[]).map((row) => psRow(row, p.project[tool])).sort((a, b) => String(a["Name"]).localeCompare(String(b["Name"])));
    assertSame({ docker: rows("docker"), slipway: rows("slipway") }, known, "ps --format json");
    known.assertSeen("ps --format json");
  });

  test("ps: the same table header and rows; -q, -a, --services, --status", async () => {
    const table = await p.both(["ps"]);
    const names = (out: string) => out.trim().split("\n").slice(1).map((l) => l.split(/\s+/)[0]);
    assert.equal(table.slipway.stdout.split("\n")[0]!.split(/\s+/).join(" "), table.docker.stdout.split("\n")[0]!.split(/\s+/).join(" "));
    assert.deepEqual(names(table.slipway.stdout), names(table.docker.stdout));
    for (const args of [["ps", "-q"], ["ps", "-a", "-q"], ["ps", "-q", "worker"]]) {
      const r = await p.both(args);
      const count = (out: string) => out.trim().split("\n").filter((l) => /^[0-9a-f]{64}$/.test(l)).length;
      assert.equal(count(r.slipway.stdout), count(r.docker.stdout), `${args.join(" ")}\n${failed(r)}`);
    }
    for (const args of [["ps", "--services"], ["ps", "-a", "--services"], ["ps", "-a", "--status", "exited", "--format", "{{.Name}}"], ["ps", "--filter", "status=running", "--format", "{{.Service}} {{.State}}"]]) {
      const r = await p.both(args);
      assert.deepEqual(r.slipway.stdout.trim().split("\n").sort(), r.docker.stdout.trim().split("\n").sort(), `${args.join(" ")}\n${failed(r)}`);
    }
  });

  test("ls --format json: the project, its status and files", async () => {
    const rows = await Promise.all(TOOLS.map(async (t) => {
      const r = await p.run(t, ["ls", "--format", "json", "--filter", `name=${p.project[t]}`]);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { Name: string }[]).filter((row) => row.Name === p.project[t]).map((row) => ({ ...row, Name: "<project>" }));
    }));
    assert.deepEqual(rows[1], rows[0]);
  });

  test("images: the same table and JSON", async () => {
    for (const args of [["images"], ["images", "--format", "json"], ["images", "-q"]]) {
      const r = await p.both(args);
      assert.deepEqual([r.docker.code, r.slipway.code], [0, 0], failed(r));
      assert.equal(r.slipway.stdout, r.docker.stdout, args.join(" "));
    }
  });

  test("port: the address a container port is published on", async () => {
    const r = await p.both(["port", "web", "8080"]);
    assert.deepEqual([r.docker.code, r.slipway.code], [0, 0], failed(r));
    assert.deepEqual([r.docker.stdout.replace(/\d+\n$/, "<port>"), r.slipway.stdout.replace(/\d+\n$/, "<port>")], ["127.0.0.1:<port>", "127.0.0.1:<port>"]);
  });

  test("top: the same containers, columns and commands", async () => {
    const r = await p.both(["top", "db", "worker"]);
    assert.deepEqual([r.docker.code, r.slipway.code], [0, 0], failed(r));
    // PIDs and times differ by nature, and so the titles' padding (as wide as the widest PID): keep
    // the container lines, the titles' words and the commands.
    const shape = (out: string) => out.split("\n").map((l) => (/^root\s/.test(l) ? l.split(/\s{2,}/).slice(-1)[0]!.trim() : l.trim().replace(/\s+/g, " "))).sort();
    assert.deepEqual(shape(r.slipway.stdout), shape(r.docker.stdout));
  });

  test("config --format json, --services, --volumes, --profiles", async () => {
    for (const args of [["config", "--format", "json"], ["config", "--services"], ["config", "--volumes"], ["config", "--profiles"]]) {
      const r = await p.both(args);
      assert.deepEqual([r.docker.code, r.slipway.code], [0, 0], failed(r));
      if (args.includes("json")) assert.deepEqual(JSON.parse(r.slipway.stdout), JSON.parse(r.docker.stdout));
      else assert.deepEqual(r.slipway.stdout.trim().split("\n").sort(), r.docker.stdout.trim().split("\n").sort(), args.join(" "));
    }
  });

  test("events --json: the same events, in the same shape", async () => {
    const seen: string[] = ["", ""];
    const controllers = TOOLS.map(() => new AbortController());
    const followers = TOOLS.map((t, i) => p.run(t, ["events", "--json"], { onStdout: (out) => void (seen[i] = out), signal: controllers[i]!.signal }));
    const events = (i: number) => jsonLines(seen[i]!) as Record<string, unknown>[];
    const both = (i: number) => ["pause", "unpause"].every((a) => events(i).some((e) => e["action"] === a && e["service"] === "worker"));
    // The followers print nothing until there is an event: pause and unpause until both saw a round.
    for (let round = 0; round < 10 && !(both(0) && both(1)); round++) {
      await p.both(["pause", "worker"]);
      await p.both(["unpause", "worker"]);
    }
    for (const c of controllers) c.abort();
    await Promise.allSettled(followers);
    assert.ok(both(0) && both(1), `docker: ${seen[0]}\nslipway: ${seen[1]}`);
    const shape = (i: number) => {
      const e = events(i).find((x) => x["action"] === "pause")!;
      return { keys: Object.keys(e).sort(), type: e["type"], service: e["service"], attributes: Object.keys((e["attributes"] ?? {}) as object).filter((k) => !k.startsWith("dev.slipway.")).sort() };
    };
    // The engine's attributes are the container's labels (compose's own taken out): Slipway's dev.slipway.* ones aside (see IGNORED).
    assert.deepEqual(shape(1), shape(0));
  });

  test("version: the same shapes (the versions are each tool's own)", async () => {
    const json = await p.both(["version", "--format", "json"]);
    assert.deepEqual([json.docker.code, json.slipway.code], [0, 0], failed(json));
    assert.deepEqual(Object.keys(JSON.parse(json.slipway.stdout)), Object.keys(JSON.parse(json.docker.stdout)));
    const short = await p.both(["version", "--short"]);
    assert.match(short.slipway.stdout, /^\d+\.\d+\.\d+\S*\n$/);
    assert.match(short.docker.stdout, /^\d+\.\d+\.\d+\S*\n$/);
  });
});
