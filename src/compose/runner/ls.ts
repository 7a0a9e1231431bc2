/**
 * `ls`: the compose projects on the engine, whoever made them, as docker compose v2 (2.26.1)
 * lists them: every container with a project label, grouped by project, with a status that counts
 * containers by state (`exited(1), running(2)`) and the config files their labels name.
 */
import type { ContainerSummary, Engine } from "../../engine/index.ts";
import { ComposeLabel } from "../../run/labels.ts";

/** compose's ls view of a project. */
export interface ComposeStack {
  Name: string;
  Status: string;
  ConfigFiles: string;
}

/** The projects, by name. Without `all`, only running containers count (a stopped project is not listed). */
export async function composeLs(engine: Engine, opts: { all?: boolean; signal?: AbortSignal } = {}): Promise<ComposeStack[]> {
  const list = await engine.containers.list({ all: !!opts.all, filters: { label: [ComposeLabel.project] }, signal: opts.signal });
  return toStacks(list);
}

/** Containers grouped into projects, sorted by name (pure). */
export function toStacks(containers: readonly Pick<ContainerSummary, "State" | "Labels">[]): ComposeStack[] {
  const byProject = new Map<string, Pick<ContainerSummary, "State" | "Labels">[]>();
  for (const c of containers) {
    const project = c.Labels[ComposeLabel.project];
    if (project === undefined) continue;
    byProject.set(project, [...(byProject.get(project) ?? []), c]);
  }
  return [...byProject.keys()].sort().map((name) => {
    const members = byProject.get(name)!;
    return { Name: name, Status: combinedStatus(members.map((c) => c.State)), ConfigFiles: combinedConfigFiles(members) };
  });
}

/** `exited(1), running(2)`: each state with its count, states in alphabetical order. */
export function combinedStatus(states: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts.keys()]
    .sort()
    .map((s) => `${s}(${counts.get(s)})`)
    .join(", ");
}

/**
 * The config files of the project's containers, each once, in the order first seen. compose
 * refuses to list anything when one container lacks the label; Slipway lists the project with
 * the files the others name.
 */
function combinedConfigFiles(containers: readonly Pick<ContainerSummary, "Labels">[]): string {
  const files: string[] = [];
  for (const c of containers) {
    const label = c.Labels[ComposeLabel.configFiles];
    if (label === undefined) continue;
    for (const f of label.split(",")) if (!files.includes(f)) files.push(f);
  }
  return files.join(",");
}

/**
 * compose's `ls --filter name=REGEXP` (the docker CLI's filters: each term a regular expression
 * matched anywhere in the name; several terms of one key match if any does).
 */
export function filterStacks(stacks: readonly ComposeStack[], nameTerms: readonly string[]): ComposeStack[] {
  if (nameTerms.length === 0) return [...stacks];
  const matchers = nameTerms.map((term): ((name: string) => boolean) => {
    try {
      const pattern = new RegExp(term);
      return (name) => name === term || pattern.test(name);
    } catch {
      // Not a valid expression: only the exact name matches (as the docker CLI's filters do).
      return (name) => name === term;
    }
  });
  return stacks.filter((s) => matchers.some((m) => m(s.Name)));
}
