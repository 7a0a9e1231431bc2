/** Parity of `build` and `pull`: exit codes, the images built, and what runs from them. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Engine, endpointFromEnv } from "../../src/engine/index.ts";
import { assertSame, KnownList, normalizeProject, ParityProjects, skipReason, TOOLS, world } from "./harness.ts";

const known = new KnownList([]);

describe("build and pull", { skip: skipReason }, () => {

  test("build, then run from the image: the same image name, labels and content", async () => {
    await using p = await ParityProjects.open("build", "build");
    const build = await p.both(["build"]);
    assert.deepEqual([build.docker.code, build.slipway.code], [0, 0], `${build.docker.stderr}\n${build.slipway.stderr}`);
    await using engine = await Engine.connect({ endpoint: endpointFromEnv({ ...process.env, DOCKER_HOST: world.dockerHost }) });
    const labels = async (tool: (typeof TOOLS)[number]) => {
      const image = await engine.images.inspect(`${p.project[tool]}-app:latest`);
      const { ["com.docker.compose.version"]: _version, ...rest } = image.Config?.Labels ?? {};
      return normalizeProject(rest, p.project[tool]);
    };
    assertSame({ docker: await labels("docker"), slipway: await labels("slipway") }, known, "built image labels");
    known.assertSeen("built image labels");

    const run = await p.both(["run", "--rm", "--no-deps", "app"]);
    assert.deepEqual([run.docker.code, run.slipway.code], [0, 0], `${run.docker.stderr}\n${run.slipway.stderr}`);
    assert.deepEqual([run.docker.stdout, run.slipway.stdout], ["hello\n", "hello\n"]);
  });

  test("a build that fails: both fail (compose 17, Slipway 5), with the step's output", async () => {
    await using p = await ParityProjects.open("build-fails", "build-fails");
    const r = await p.both(["build"]);
    assert.deepEqual({ docker: r.docker.code, slipway: r.slipway.code }, { docker: 17, slipway: 5 }, `${r.docker.stderr}\n${r.slipway.stderr}`);
    assert.match(r.slipway.stdout + r.slipway.stderr, /breaking/);
  });

  test("pull: every service with an image, exit 0", async () => {
    await using p = await ParityProjects.open("build", "pull");
    for (const args of [["pull"], ["pull", "base"]]) {
      const r = await p.both(args);
      assert.deepEqual([r.docker.code, r.slipway.code], [0, 0], `${args.join(" ")}\n${r.docker.stderr}\n${r.slipway.stderr}`);
    }
  });

  test("push: build, then push to a registry; the registry has the image", { skip: world.skipReason("plain-registry") }, async () => {
    const registry = world.require("plain-registry").address;
    await using p = await ParityProjects.open("push", "push");
    const env = { REGISTRY: registry };
    const build = await p.both(["build"], { env });
    assert.deepEqual([build.docker.code, build.slipway.code], [0, 0], `${build.docker.stderr}\n${build.slipway.stderr}`);
    const push = await p.both(["push"], { env });
    assert.deepEqual([push.docker.code, push.slipway.code], [0, 0], `${push.docker.stderr}\n${push.slipway.stderr}`);
    for (const t of TOOLS) {
      const res = await fetch(`http://${registry}/v2/parity/${p.project[t]}/manifests/1`, { method: "HEAD", headers: { accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json" } });
      assert.equal(res.status, 200, `${t}: the registry has no parity/${p.project[t]}:1`);
    }
  });

  test("pull of an image no registry has: both fail (compose 18, Slipway 6 for a registry error), naming it", async () => {
    await using p = await ParityProjects.open("missing-image", "pull-missing");
    const r = await p.both(["pull"]);
    assert.deepEqual({ docker: r.docker.code, slipway: r.slipway.code }, { docker: 18, slipway: 6 }, `${r.docker.stderr}\n${r.slipway.stderr}`);
    assert.match(r.slipway.stderr, /slipway-parity\/no-such-image/);
  });
});
