import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { PassThrough } from "node:stream";
import { createStyle } from "../../ui/style.ts";
import type { CliIo } from "../io.ts";
import { buildProgram } from "../program.ts";
import { parsePluginArgs, pluginMetadata } from "./docker-cli-plugin.ts";

describe("docker's arguments to its compose plugin", () => {
  it("`compose …` alone: the compose arguments, no variables", () => {
    assert.deepEqual(parsePluginArgs(["compose", "-p", "x", "up", "-d"]), { env: {}, composeArgs: ["-p", "x", "up", "-d"] });
  });

  it("docker's global options before `compose` become the docker variables the engine resolution reads", () => {
    assert.deepEqual(parsePluginArgs(["--context", "remote", "compose", "ps"]).env, { DOCKER_CONTEXT: "remote", DOCKER_HOST: undefined });
    assert.deepEqual(parsePluginArgs(["-H", "tcp://h:2376", "--tlsverify", "compose", "ps"]).env, { DOCKER_HOST: "tcp://h:2376", DOCKER_CONTEXT: undefined, DOCKER_TLS_VERIFY: "1" });
    assert.deepEqual(parsePluginArgs(["--host=unix:///run/d.sock", "compose", "ps"]).env, { DOCKER_HOST: "unix:///run/d.sock", DOCKER_CONTEXT: undefined });
    assert.deepEqual(parsePluginArgs(["--config", "/cfg", "-D", "--log-level", "debug", "compose", "ps"]), { env: { DOCKER_CONFIG: "/cfg" }, composeArgs: ["ps"] });
    assert.deepEqual(parsePluginArgs(["--tls", "--tlscacert", "/c/ca.pem", "--tlscert=/c/cert.pem", "--tlskey", "/c/key.pem", "compose", "ps"]).env, { DOCKER_TLS: "1", DOCKER_CERT_PATH: "/c" });
  });

  it("refuses what it cannot honour, naming it", () => {
    assert.throws(() => parsePluginArgs(["--bogus", "compose", "ps"]), /--bogus/);
    assert.throws(() => parsePluginArgs(["--context", "a", "-H", "tcp://h", "compose"]), /--host or --context/);
    assert.throws(() => parsePluginArgs(["--tlscacert", "/c/my-ca.crt", "compose"]), /DOCKER_CERT_PATH\/ca\.pem/);
    assert.throws(() => parsePluginArgs(["--tlscacert", "/a/ca.pem", "--tlskey", "/b/key.pem", "compose"]), /different folders/);
    assert.throws(() => parsePluginArgs(["buildx", "ls"]), (e: Error & { exitCode?: number }) => /"buildx"/.test(e.message) && e.exitCode === 2);
    assert.throws(() => parsePluginArgs(["-H"]), /needs a value/);
  });

  it("metadata: the JSON docker checks before it runs a plugin (SchemaVersion 0.1.0, a Vendor)", () => {
    const m = pluginMetadata();
    assert.equal(m["SchemaVersion"], "0.1.0");
    assert.equal(m["Vendor"], "Slipway");
    assert.match(m["Version"] ?? "", /^\d+\.\d+\.\d+/);
    assert.ok(m["ShortDescription"]);
  });
});

describe("`slipway docker-cli-plugin` (the shim's entry)", () => {
  async function run(args: string[], env: Record<string, string | undefined> = {}): Promise<{ out: string; env: Record<string, string | undefined> }> {
    let out = "";
    const stdout = new PassThrough();
    stdout.on("data", (d) => (out += d));
    const cwd = await mkdtemp(path.join(tmpdir(), "slipway-plugin-"));
    await writeFile(path.join(cwd, "compose.yaml"), "services:\n  app:\n    image: busybox\n");
    const io: CliIo = { env: { ...env }, cwd, stdout, stderr: new PassThrough(), out: createStyle(false), err: createStyle(false) };
    await buildProgram(io, new AbortController().signal).command.parseAsync(["node", "slipway", "docker-cli-plugin", ...args]);
    return { out, env: io.env };
  }

  it("answers docker-cli-plugin-metadata with one JSON object and nothing else", async () => {
    const { out } = await run(["docker-cli-plugin-metadata"]);
    assert.deepEqual(JSON.parse(out), pluginMetadata());
    assert.equal(out.trim().split("\n").length, 1);
  });

  it("runs `slipway compose` with what follows `compose`, docker's options applied first", async () => {
    const { out, env } = await run(["--context", "elsewhere", "compose", "-p", "plugged", "config"], { DOCKER_HOST: "unix:///x" });
    assert.match(out, /^name: plugged$/m);
    assert.deepEqual([env["DOCKER_CONTEXT"], env["DOCKER_HOST"]], ["elsewhere", undefined]);
  });
});
