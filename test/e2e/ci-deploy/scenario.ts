/**
 * `slipway ci` through deploy, end to end through the published bundle: release → tag → publish
 * into the test world's basic-auth registry, then the deploy stage puts the published digest (not the
 * moving tag the compose file names) on the swarm, gated by the image's own HEALTHCHECK read from
 * the registry (the stack's file has none), and the verdict includes the deploy's. Then
 * `slipway deploy --target staging` alone finds the same release in the publish records of the
 * checkout's commit and has nothing to do.
 *
 * A scenario, not a test file: swarm scenarios run serially in one file
 * (test/integration/swarm/swarm.test.ts calls it), since one of them stops a node.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Engine } from "../../../src/engine/index.ts";
import { scenario, slipway } from "../support.ts";

const run = promisify(execFile);

export interface CiDeployWorld {
  /** The host's engine (where the release image is built and pushed from). */
  host: Engine;
  /** A manager of the swarm, and its DOCKER_HOST. */
  manager: Engine;
  managerHost: string;
  /** A registry behind basic auth, as the host and every node reach it (the test world's 127.0.0.1:5002); no node is logged in to it. */
  registry: { address: string; username: string; password: string };
}

export async function ciDeployScenario(world: CiDeployWorld): Promise<void> {
  const id = randomBytes(3).toString("hex");
  const repository = `e2e-ci-deploy-${id}`;
  const stack = `cid-${id}`;
  const name = `${world.registry.address}/${repository}`;
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-e2e-ci-deploy-"));
  // The credentials as the docker CLI keeps them: publish, the image's healthcheck and the nodes' pulls all need them.
  const dockerConfig = path.join(dir, ".docker");
  const env = { DOCKER_CONFIG: dockerConfig };
  const deploy = (...args: string[]) => {
    const r = slipway(["deploy", "--target", "staging", ...args], { cwd: dir, env });
    return r.exit.then((code) => ({ code, out: r.stdout() + r.stderr() }));
  };
  try {
    await cp(path.join(scenario("ci-deploy"), "app"), dir, { recursive: true });
    for (const file of ["slipway.yml", "deploy.yaml"]) {
      const text = await readFile(path.join(dir, file), "utf8");
      await writeFile(path.join(dir, file), text.replaceAll("127.0.0.1:5003", world.registry.address).replaceAll("REPOSITORY", repository).replace("STACK", stack).replace("ENDPOINT", world.managerHost));
    }
    await writeFile(path.join(dir, "nonce.txt"), id);
    await writeFile(path.join(dir, ".gitignore"), ".docker/\n");
    await mkdir(dockerConfig);
    await writeFile(path.join(dockerConfig, "config.json"), JSON.stringify({ auths: { [world.registry.address]: { auth: Buffer.from(`${world.registry.username}:${world.registry.password}`).toString("base64") } } }));
    const git = (...args: string[]) => run("git", ["-c", "user.email=e2e@slipway.invalid", "-c", "user.name=e2e", "-c", "commit.gpgsign=false", ...args], { cwd: dir });
    await git("init", "-q", "-b", "main");
    await git("add", "-A");
    await git("commit", "-q", "-m", "e2e ci deploy");
    await git("tag", "v2.0.0");
    const commit = (await git("rev-parse", "HEAD")).stdout.trim();

    const ci = slipway(["ci", "--json"], { cwd: dir, env });
    const code = await ci.exit;
    assert.equal(code, 0, (ci.stdout() + ci.stderr()).slice(-6000));
    assert.ok(!(ci.stdout() + ci.stderr()).includes(world.registry.password), "the password is in no output");
    const events = ci.stdout().trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(events.filter((e) => e["type"] === "stage.end").map((e) => [e["stage"], e["ok"]]), [["release", true], ["tag", true], ["publish", true], ["deploy", true]]);
    const digest = String(events.find((e) => e["type"] === "published")!["digest"]);
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    const verdict = events.at(-1)!;
    assert.equal(verdict["type"], "verdict");
    assert.equal(verdict["exitCode"], 0);
    assert.match(String(verdict["message"]), new RegExp(`deployed to staging \\(stack ${stack}\\): 1 service\\(s\\) converged`));
    // The pin is said, with the run that published it.
    assert.ok(events.some((e) => e["type"] === "log" && String(e["message"]).startsWith(`web: ${name}@${digest} (published by run ${String(verdict["runId"])} as `)), "the pin is said");

    // On the swarm: the published digest, not the tag the file names; labelled with the commit and the run.
    const web = (await world.manager.services.list({ filters: { name: [`${stack}_web`] } })).find((s) => s.Spec.Name === `${stack}_web`);
    assert.ok(web, "the service exists");
    assert.equal(web.Spec.TaskTemplate.ContainerSpec?.Image, `${name}@${digest}`);
    // The image's own HEALTHCHECK (1 s × 2 retries) was read from the registry: the monitor waits for it, plus 1 s.
    assert.equal(web.Spec.UpdateConfig?.Monitor, 3_000_000_000);
    assert.equal(web.Spec.TaskTemplate.ContainerSpec?.Healthcheck, undefined, "the image carries it");
    assert.equal(web.Spec.Labels?.["dev.slipway.deploy.commit"], commit);
    assert.equal(web.Spec.Labels?.["dev.slipway.deploy.version"], "2.0.0");
    assert.equal(web.Spec.Labels?.["dev.slipway.deploy.run"], verdict["runId"]);
    const tasks = await world.manager.tasks.list({ filters: { service: [`${stack}_web`], "desired-state": ["running"] } });
    // No node is logged in to the registry: the tasks run because the deploy sent the credentials with the service.
    assert.equal(tasks.filter((t) => t.Status?.State === "running").length, 2);

    // The deployment record, beside the run's publish record.
    const records = path.join(dir, ".slipway/records/deployments");
    const [record] = await Promise.all((await readdir(records)).map(async (f) => JSON.parse(await readFile(path.join(records, f), "utf8")) as Record<string, unknown>));
    assert.equal(record!["outcome"], "converged");
    assert.equal(record!["runId"], verdict["runId"]);
    assert.deepEqual((record!["services"] as { image: string; change: string }[]).map((s) => [s.image, s.change]), [[`${name}@${digest}`, "created"]]);

    for (const entry of await readdir(path.join(dir, ".slipway"), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) assert.ok(!(await readFile(path.join(entry.parentPath, entry.name), "utf8")).includes(world.registry.password), `not in ${entry.name}`);
    }
    const release = (await world.manager.configs.list({ filters: { label: [`dev.slipway.release.stack=${stack}`] } }))[0];
    assert.ok(release, "the release is recorded in the swarm");
    assert.ok(!Buffer.from(release.Spec.Data ?? "", "base64").toString("utf8").includes(world.registry.password), "nor in the swarm's release record");

    // `slipway deploy` alone pins the same release, from the publish records of HEAD's commit: nothing to do.
    const again = await deploy();
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, new RegExp(`web: ${name.replace(/\./g, "\\.")}@${digest} \\(published by run `));
    assert.match(again.out, new RegExp(`stack ${stack}: nothing to do, every service is up to date`));
  } finally {
    const removed = await deploy("--remove").catch((err: unknown) => ({ code: -1, out: String(err) }));
    assert.equal(removed.code, 0, removed.out);
    for (const image of await world.host.images.list({ filters: { reference: [`${name}`] } }).catch(() => [])) {
      for (const tag of image.RepoTags ?? []) await world.host.images.remove(tag, { noprune: true }).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  }
}
