import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { installShim, publishedBin, removeShim, SET_ASIDE_SUFFIX, shimPath, shimScript } from "./install.ts";

const temp = () => mkdtemp(path.join(tmpdir(), "slipway-install-"));

describe("the shims' text and place", () => {
  it("runs the bundle with the given node, passing every argument on; marked as Slipway's", () => {
    const plugin = shimScript("docker-plugin", "/opt/node 20/bin/node", "/srv/slip'way/dist/bin/slipway.js");
    assert.match(plugin, /^#!\/bin\/sh\n# slipway-shim: docker-plugin\n/);
    assert.match(plugin, /^exec '\/opt\/node 20\/bin\/node' '\/srv\/slip'"'"'way\/dist\/bin\/slipway\.js' docker-cli-plugin "\$@"$/m);
    assert.match(shimScript("docker-compose", "/n", "/b.js"), /^exec '\/n' '\/b\.js' docker-compose "\$@"$/m);
  });

  it("goes where docker looks for plugins ($DOCKER_CONFIG/cli-plugins, else ~/.docker), and the v1 program into ~/.local/bin, unless --dir", () => {
    assert.equal(shimPath("docker-plugin", { HOME: "/home/u" }), "/home/u/.docker/cli-plugins/docker-compose");
    assert.equal(shimPath("docker-plugin", { HOME: "/home/u", DOCKER_CONFIG: "/cfg" }), "/cfg/cli-plugins/docker-compose");
    assert.equal(shimPath("docker-compose", { HOME: "/home/u" }), "/home/u/.local/bin/docker-compose");
    assert.equal(shimPath("docker-compose", { HOME: "/home/u" }, "/opt/bin"), "/opt/bin/docker-compose");
  });

  it("the installed script runs: arguments reach the program unchanged", async () => {
    const dir = await temp();
    const echo = path.join(dir, "echo-args.mjs");
    await writeFile(echo, "console.log(JSON.stringify(process.argv.slice(2)));\n");
    const file = path.join(dir, "bin", "docker-compose");
    await installShim(file, shimScript("docker-compose", process.execPath, echo), false);
    assert.equal((await stat(file)).mode & 0o777, 0o755);
    const { stdout } = await promisify(execFile)(file, ["-p", "x", "run", "app", "sh", "-c", "echo 'a b'"]);
    assert.deepEqual(JSON.parse(stdout), ["docker-compose", "-p", "x", "run", "app", "sh", "-c", "echo 'a b'"]);
  });
});

describe("install and remove", () => {
  it("installs, reinstalls over its own shim, removes", async () => {
    const file = path.join(await temp(), "cli-plugins", "docker-compose");
    assert.deepEqual(await installShim(file, shimScript("docker-plugin", "/n", "/a.js"), false), { path: file });
    assert.deepEqual(await installShim(file, shimScript("docker-plugin", "/n", "/b.js"), false), { path: file });
    assert.match(await readFile(file, "utf8"), /\/b\.js/);
    assert.deepEqual(await removeShim(file), { path: file, removed: true });
    assert.deepEqual(await removeShim(file), { path: file, removed: false });
  });

  it("never overwrites a file that is not Slipway's without force; with force it keeps it aside and remove puts it back", async () => {
    const dir = await temp();
    const file = path.join(dir, "docker-compose");
    await writeFile(file, "#!/bin/sh\necho the real docker compose\n");
    await chmod(file, 0o755);
    await assert.rejects(installShim(file, shimScript("docker-compose", "/n", "/b.js"), false), (e: Error & { hint?: string }) => /not Slipway's/.test(e.message) && /--force/.test(e.hint ?? ""));
    await assert.rejects(removeShim(file), /not Slipway's: not removed/);
    assert.match(await readFile(file, "utf8"), /the real docker compose/);

    assert.deepEqual(await installShim(file, shimScript("docker-compose", "/n", "/b.js"), true), { path: file, setAside: file + SET_ASIDE_SUFFIX });
    assert.match(await readFile(file + SET_ASIDE_SUFFIX, "utf8"), /the real docker compose/);
    assert.deepEqual(await removeShim(file), { path: file, removed: true, restored: file });
    assert.match(await readFile(file, "utf8"), /the real docker compose/);
  });
});

describe("the bundle the shims run", () => {
  it("is package.json's bin, found above the running module", async () => {
    const root = await temp();
    await writeFile(path.join(root, "package.json"), JSON.stringify({ name: "slipway", bin: { slipway: "dist/bin/slipway.js" } }));
    await mkdir(path.join(root, "dist/bin/chunks"), { recursive: true });
    await assert.rejects(publishedBin(path.join(root, "dist/bin/chunks")), (e: Error & { hint?: string }) => /does not exist/.test(e.message) && /npm run build/.test(e.hint ?? ""));
    await writeFile(path.join(root, "dist/bin/slipway.js"), "");
    assert.equal(await publishedBin(path.join(root, "dist/bin/chunks")), path.join(root, "dist/bin/slipway.js"));
  });
});
