/**
 * `slipway ci` scenarios run on a temporary copy of examples/todobackend, committed to a fresh git
 * repository so that the release image has a revision; each scenario's compose override (this
 * folder) is added to the release environment. Copies are removed after the test.
 */
import { execFile } from "node:child_process";
import { copyFile, cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { repoRoot, scenario } from "../support.ts";

const run = promisify(execFile);
const example = path.join(repoRoot, "examples/todobackend");
/** What a checkout of the example has; nothing a local build or an earlier run left there. */
const LEFT_OUT = new Set(["node_modules", "dist", "reports", ".slipway"]);

export interface ExampleCopy extends AsyncDisposable {
  dir: string;
  /** The commit the copy is at. */
  commit: string;
}

export interface ExampleOptions {
  /** slipway.yml's `registry:` instead of the example's (the plain registry), and the app image's repository there. */
  registry?: { address: string; usernameEnv?: string; passwordEnv?: string; repository: string };
}

/** A committed copy of the example named `name` in slipway.yml, with `override` (a file of this folder) on the release environment. */
export async function exampleCopy(name: string, override?: string, opts: ExampleOptions = {}): Promise<ExampleCopy> {
  const dir = await mkdtemp(path.join(tmpdir(), `slipway-e2e-ci-${name}-`));
  await cp(example, dir, { recursive: true, filter: (src) => !LEFT_OUT.has(path.relative(example, src).split(path.sep)[0]!) });
  let config = (await readFile(path.join(dir, "slipway.yml"), "utf8")).replace(/^name: .*$/m, `name: ${name}`);
  if (override) {
    await copyFile(path.join(scenario("ci"), override), path.join(dir, override));
    config = config.replace("compose: [docker-compose.release.yml]", `compose: [docker-compose.release.yml, ${override}]`);
    if (!config.includes(override)) throw new Error("slipway.yml of the example no longer names docker-compose.release.yml as expected");
  }
  if (opts.registry) {
    const r = opts.registry;
    const auth = r.usernameEnv && r.passwordEnv ? `, username_env: ${r.usernameEnv}, password_env: ${r.passwordEnv}` : "";
    config = config.replace(/^registry: .*$/m, `registry: { address: "${r.address}"${auth} }`).replace(/^  app:\n    # /m, `  app:\n    repository: ${r.repository}\n    # `);
    if (!config.includes(`repository: ${r.repository}`)) throw new Error("slipway.yml of the example no longer has images.app as expected");
  }
  // History is pruned to the newest runs: enough for a scenario.
  await writeFile(path.join(dir, "slipway.yml"), `${config}\nhistory: { keep: 5 }\n`);
  const git = (...args: string[]) => run("git", ["-c", "user.email=e2e@slipway.invalid", "-c", "user.name=e2e", "-c", "commit.gpgsign=false", ...args], { cwd: dir });
  await git("init", "-q");
  await git("add", "-A");
  await git("commit", "-q", "-m", `e2e ${name}`);
  const commit = (await git("rev-parse", "HEAD")).stdout.trim();
  return { dir, commit, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}
