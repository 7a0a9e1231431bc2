/**
 * Parity of `run`, `exec` and `cp` on a project both tools brought up: the command's own exit
 * code and output, the options, the one-off containers they leave (or not, with --rm), and files
 * copied in and out.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { assertSame, failed, KnownList, ParityProjects, skipReason, TOOLS } from "./harness.ts";

const known = new KnownList([]);


describe("run, exec and cp", { skip: skipReason }, () => {
  let p: ParityProjects;
  before(async () => {
    p = await ParityProjects.open("app", "run");
    const up = await p.both(["up", "-d"]);
    assert.deepEqual([up.docker.code, up.slipway.code], [0, 0], `${up.docker.stderr}\n${up.slipway.stderr}`);
  });
  after(() => p?.[Symbol.asyncDispose]());

  test("run --rm: the service's command, its output, exit 0, nothing left", async () => {
    const r = await p.both(["run", "--rm", "migrate"]);
    assert.deepEqual([r.docker.code, r.slipway.code], [0, 0], `${r.docker.stderr}\n${r.slipway.stderr}`);
    assert.deepEqual([r.docker.stdout, r.slipway.stdout], ["migrated\n", "migrated\n"]);
    const s = await p.state();
    assert.deepEqual([Object.keys(s.docker.containers).filter((n) => n.includes("-run-")), Object.keys(s.slipway.containers).filter((n) => n.includes("-run-"))], [[], []]);
  });

  test("run --rm with a command that fails: its own exit code and both streams", async () => {
    const r = await p.both(["run", "--rm", "migrate", "sh", "-c", "echo out; echo err >&2; exit 3"]);
    assert.deepEqual([r.docker.code, r.slipway.code], [3, 3]);
    assert.deepEqual([r.docker.stdout, r.slipway.stdout], ["out\n", "out\n"]);
    assert.match(r.slipway.stderr, /^err$/m);
  });

  test("run's options after the service belong to the command", async () => {
    const r = await p.both(["run", "--rm", "migrate", "echo", "-p", "x", "--version", "-f"]);
    assert.deepEqual([r.docker.code, r.slipway.code], [0, 0], `${r.docker.stderr}\n${r.slipway.stderr}`);
    assert.deepEqual([r.docker.stdout, r.slipway.stdout], ["-p x --version -f\n", "-p x --version -f\n"]);
  });

  test("run without --rm leaves the same one-off container", async () => {
    const r = await p.both(["run", "migrate", "true"]);
    assert.deepEqual([r.docker.code, r.slipway.code], [0, 0], `${r.docker.stderr}\n${r.slipway.stderr}`);
    const s = await p.state();
    const oneoffs = (x: typeof s.docker) => Object.fromEntries(Object.entries(x.containers).filter(([n]) => n.includes("-run-")));
    assert.equal(Object.keys(oneoffs(s.slipway)).length, 1);
    assertSame({ docker: { containers: oneoffs(s.docker) }, slipway: { containers: oneoffs(s.slipway) } }, known, "run leaves its one-off");
    known.assertSeen("run leaves its one-off");
  });

  test("exec: the command's exit code and both streams", async () => {
    const r = await p.both(["exec", "db", "sh", "-c", "echo out; echo err >&2; exit 7"]);
    assert.deepEqual([r.docker.code, r.slipway.code], [7, 7]);
    assert.deepEqual([r.docker.stdout, r.slipway.stdout], ["out\n", "out\n"]);
    assert.deepEqual([r.docker.stderr, r.slipway.stderr], ["err\n", "err\n"]);
  });

  test("exec's and run's input: what is piped in is the command's stdin, and its end closes it (-i, the default)", async () => {
    const input = "first line\nsecond line\n";
    const exec = await p.both(["exec", "-T", "db", "sh", "-c", "wc -l; exit 5"], { stdin: input });
    assert.deepEqual([exec.docker.code, exec.slipway.code], [5, 5], failed(exec));
    assert.deepEqual([exec.docker.stdout.trim(), exec.slipway.stdout.trim()], ["2", "2"]);
    const run = await p.both(["run", "--rm", "-T", "migrate", "cat"], { stdin: input });
    assert.deepEqual([run.docker.code, run.slipway.code], [0, 0], failed(run));
    assert.deepEqual([run.docker.stdout, run.slipway.stdout], [input, input]);
    // Nothing piped in (an empty input that ends at once): a command reading stdin sees its end.
    const empty = await p.both(["exec", "-T", "db", "cat"]);
    assert.deepEqual([empty.docker.code, empty.slipway.code, empty.docker.stdout, empty.slipway.stdout], [0, 0, "", ""], failed(empty));
  });

  test("exec --index: the replica asked for", async () => {
    const r = await p.both(["exec", "--index", "2", "worker", "sh", "-c", "echo $GREETING; hostname >/dev/null"]);
    assert.deepEqual([r.docker.code, r.slipway.code], [0, 0], `${r.docker.stderr}\n${r.slipway.stderr}`);
    assert.deepEqual(r.slipway.stdout, r.docker.stdout);
  });

  test("run's and exec's options: -e, -w, -u, --entrypoint, --name, -T, -d", async () => {
    for (const args of [
      ["run", "--rm", "-e", "GREETING=hi", "-e", "EXTRA=1", "-w", "/tmp", "-u", "nobody", "web", "sh", "-c", "echo $GREETING $EXTRA $(pwd) $(id -un)"],
      ["run", "--rm", "--entrypoint", "echo", "migrate", "from", "entrypoint"],
      ["run", "--rm", "-T", "--no-deps", "migrate", "echo", "no tty"],
      ["exec", "-T", "-e", "X=exec", "-w", "/tmp", "-u", "nobody", "db", "sh", "-c", "echo $X $(pwd) $(id -un)"],
    ]) {
      const r = await p.both(args);
      assert.deepEqual([r.docker.code, r.slipway.code], [0, 0], `${args.join(" ")}\n${failed(r)}`);
      assert.equal(r.slipway.stdout, r.docker.stdout, args.join(" "));
    }
    const named = await Promise.all(TOOLS.map((t) => p.run(t, ["run", "--rm", "--name", `${p.project[t]}-named`, "migrate", "hostname"])));
    assert.deepEqual(named.map((r) => r.code), [0, 0]);
    const detached = await p.both(["run", "-d", "migrate", "sleep", "1"]);
    assert.deepEqual([detached.docker.code, detached.slipway.code], [0, 0], failed(detached));
    assert.match(detached.slipway.stdout, /^[0-9a-f]{64}\n$/);
  });

  test("cp: into a service's container and out of it", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "slipway-parity-cp-"));
    try {
      await writeFile(path.join(dir, "in.txt"), "copied in\n");
      for (const t of TOOLS) {
        const into = await p.run(t, ["cp", path.join(dir, "in.txt"), "db:/tmp/in.txt"]);
        assert.equal(into.code, 0, `${t}: ${into.stderr}`);
        const out = await p.run(t, ["cp", "db:/data/migrated", path.join(dir, `${t}.out`)]);
        assert.equal(out.code, 0, `${t}: ${out.stderr}`);
      }
      const read = await p.both(["exec", "db", "cat", "/tmp/in.txt"]);
      assert.deepEqual([read.docker.stdout, read.slipway.stdout], ["copied in\n", "copied in\n"]);
      assert.deepEqual([await readFile(path.join(dir, "docker.out"), "utf8"), await readFile(path.join(dir, "slipway.out"), "utf8")], ["done\n", "done\n"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("exec in a service that is not running: both refuse", async () => {
    const r = await p.both(["exec", "migrate", "true"]);
    assert.notEqual(r.docker.code, 0);
    assert.notEqual(r.slipway.code, 0);
    assert.match(r.slipway.stderr, /migrate/);
  });
});
