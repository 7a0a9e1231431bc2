/** Parity of `logs`: the same lines with the same prefixes, --no-log-prefix, --tail, -t, and -f ending when the containers stop. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertSame, failed, KnownList, outputLines as lines, ParityProjects, skipReason, TOOLS } from "./harness.ts";

const known = new KnownList([]);

const timestamps = (s: string) => s.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/g, "<time>");

describe("logs", { skip: skipReason }, () => {
  let p: ParityProjects;
  before(async () => {
    p = await ParityProjects.open("app", "logs");
    const up = await p.both(["up", "-d"]);
    assert.deepEqual([up.docker.code, up.slipway.code], [0, 0], failed(up));
  });
  after(() => p?.[Symbol.asyncDispose]());

  for (const args of [["logs"], ["logs", "web", "worker"], ["logs", "--no-log-prefix", "migrate"], ["logs", "--tail", "1", "-t", "worker"], ["logs", "--index", "2", "worker"]]) {
    test(args.join(" "), async () => {
      const r = await p.both(args);
      assert.deepEqual([r.docker.code, r.slipway.code], [0, 0], failed(r));
      assert.deepEqual(lines(timestamps(r.slipway.stdout)), lines(timestamps(r.docker.stdout)));
    });
  }

  test("logs of a service that does not exist: nothing, exit 0 (compose 2.26 does not check)", async () => {
    const r = await p.both(["logs", "nosuch"]);
    assert.deepEqual([r.docker.code, r.slipway.code], [0, 0], failed(r));
    assert.deepEqual([r.docker.stdout, r.slipway.stdout], ["", ""]);
  });

  test("logs -f follows until the containers stop, then exits 0", async () => {
    // Stopped only once each follower has printed both replicas' line: it follows them by then.
    const resolvers: (() => void)[] = [];
    const followingBoth = TOOLS.map(() => new Promise<void>((resolve) => resolvers.push(resolve)));
    const following = TOOLS.map((t, i) =>
      p.run(t, ["logs", "-f", "--no-log-prefix", "worker"], { onStdout: (out) => void ((out.match(/working/g)?.length ?? 0) >= 2 && resolvers[i]!()) }),
    );
    await Promise.race([Promise.all(followingBoth), Promise.all(following).then(() => assert.fail("logs -f ended before the containers stopped"))]);
    const stop = await p.both(["stop", "worker"]);
    assert.deepEqual([stop.docker.code, stop.slipway.code], [0, 0], failed(stop));
    const [docker, slipway] = await Promise.all(following);
    assert.deepEqual([docker!.code, slipway!.code], [0, 0], `docker: ${docker!.stderr}\nslipway: ${slipway!.stderr}`);
    const split = (out: string) => ({ output: lines(out).filter((l) => !/ exited with code \d+$/.test(l)), exits: lines(out).filter((l) => / exited with code \d+$/.test(l)) });
    assertSame({ docker: split(docker!.stdout), slipway: split(slipway!.stdout) }, known, "logs -f");
    known.assertSeen("logs -f");
  });
});
