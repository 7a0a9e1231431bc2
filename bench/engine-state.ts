/**
 * What the benchmarks that run whole commands check and restore on the engine: nothing of a run's
 * compose projects may be left after it, and the image tags the peers move (their stable names) are
 * put back at the end, the images only the benchmark made removed.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { capture, runProcess } from "./process-run.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Containers, networks and volumes of a compose project (Slipway's or compose v1's labels and names). */
export async function leftovers(project: string): Promise<string[]> {
  const filter = `label=com.docker.compose.project=${project}`;
  const [containers, networks, volumes, byName] = await Promise.all([
    capture("docker", ["ps", "-aq", "--filter", filter], ROOT),
    capture("docker", ["network", "ls", "-q", "--filter", filter], ROOT),
    capture("docker", ["volume", "ls", "-q", "--filter", filter], ROOT),
    // Compose v1 names its default network <project>_default and does label it; check by name too.
    capture("docker", ["network", "ls", "-q", "--filter", `name=^${project}_`], ROOT),
  ]);
  return [...new Set([containers, networks, volumes, byName].flatMap((out) => out.split("\n")).filter(Boolean))];
}

export async function assertClean(peer: string, projects: readonly string[]): Promise<void> {
  for (const project of projects.filter(Boolean)) {
    const left = await leftovers(project);
    if (left.length > 0) throw new Error(`${peer} left ${left.length} resource(s) of project ${project}: ${left.join(" ")}`);
  }
}

export async function imageId(ref: string): Promise<string | undefined> {
  const r = await runProcess("docker", ["image", "inspect", "-f", "{{.Id}}", ref], ROOT);
  return r.exitCode === 0 ? r.lines.find((l) => l.stream === "stdout")?.text.trim() : undefined;
}

/**
 * The peers' stable tags (`todobackend-app:slipway`, the Makefile's `…:latest`) as they were before the
 * benchmark, and every image seen under them since. `restore` points each tag back at its image (or
 * removes a tag that did not exist), removes tags the benchmark made outright (per-commit tags), then
 * the images it saw that nothing else names: `docker rmi` without force fails on an image someone else
 * tagged, so others' images stay.
 */
export class ImageTags {
  private readonly before = new Map<string, string | undefined>();
  private readonly seen = new Set<string>();
  private readonly madeTags = new Set<string>();

  private constructor(private readonly tags: readonly string[]) {}

  static async snapshot(tags: readonly string[]): Promise<ImageTags> {
    const t = new ImageTags(tags);
    for (const tag of tags) t.before.set(tag, await imageId(tag));
    return t;
  }

  /** Records the images the tags name now (call after every run). */
  async observe(): Promise<void> {
    for (const tag of this.tags) {
      const id = await imageId(tag);
      if (id && id !== this.before.get(tag)) this.seen.add(id);
    }
  }

  /** A tag the benchmark's runs created (e.g. the release image's per-commit tag), removed at the end. */
  made(tag: string): void {
    this.madeTags.add(tag);
  }

  async restore(): Promise<{ retagged: number; removed: number }> {
    await this.observe();
    let retagged = 0;
    let removed = 0;
    for (const [tag, id] of this.before) {
      const now = await imageId(tag);
      if (now === id) continue;
      const r = id ? await runProcess("docker", ["tag", id, tag], ROOT) : await runProcess("docker", ["rmi", tag], ROOT);
      if (r.exitCode === 0) retagged++;
    }
    for (const tag of this.madeTags) {
      if ((await runProcess("docker", ["rmi", tag], ROOT)).exitCode === 0) removed++;
    }
    const kept = new Set([...this.before.values()].filter(Boolean));
    for (const id of this.seen) {
      if (kept.has(id) || !(await imageId(id))) continue;
      if ((await runProcess("docker", ["rmi", id], ROOT)).exitCode === 0) removed++;
    }
    return { retagged, removed };
  }
}

/** The engine, compose and Slipway revision a run measured, for the report's first lines. */
export async function describeSetup(): Promise<string> {
  const [engine, composeV1, revision, srcChanges] = await Promise.all([
    capture("docker", ["version", "-f", "{{.Server.Version}} (API {{.Server.APIVersion}})"], ROOT),
    capture("docker-compose", ["version", "--short"], ROOT),
    // A snapshot (git archive) measured apart from ongoing edits has no .git: say so.
    capture("git", ["rev-parse", "--short", "HEAD"], ROOT).catch(() => "an unknown revision (not a git checkout)"),
    capture("git", ["status", "--porcelain", "--", "src", "bin"], ROOT).catch(() => ""),
  ]);
  return `slipway at ${revision}${srcChanges ? " + uncommitted changes in src/ or bin/" : ""}; engine ${engine}, docker-compose ${composeV1}, node ${process.versions.node}`;
}
