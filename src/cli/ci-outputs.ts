/**
 * A run's facts where the CI reads them: `$GITHUB_OUTPUT` under GitHub Actions (`key=value` lines,
 * for `steps.<id>.outputs.<key>`), a dotenv file under GitLab CI (for `artifacts:reports:dotenv`,
 * at `$SLIPWAY_DOTENV` or `slipway.env`). The same facts are in the `--json` verdict and records.
 */
import { appendFile, writeFile } from "node:fs/promises";
import { SlipwayError } from "../errors/index.ts";
import type { PipelineResult } from "../pipeline/pipeline.ts";

/** The facts, as ordered key/value pairs: pure. Keys are lower-case with dashes (GitHub's style). */
export function ciFacts(result: PipelineResult): [string, string][] {
  const facts: [string, string][] = [
    ["verdict", result.verdict.kind],
    ["exit-code", String(result.verdict.exitCode)],
    ["run-id", result.runId],
  ];
  if (result.evidence) facts.push(["evidence", result.evidence]);
  for (const { outcome } of result.stages) {
    const images = outcome.outputs?.["images"];
    if (!Array.isArray(images)) continue;
    for (const image of images as { key?: unknown; imageId?: unknown; revision?: { commit?: unknown } }[]) {
      if (typeof image.key !== "string" || typeof image.imageId !== "string") continue;
      facts.push([`image-${image.key}`, image.imageId]);
      if (typeof image.revision?.commit === "string") facts.push(["revision", image.revision.commit]);
    }
  }
  for (const { outcome } of result.stages) {
    const published = outcome.outputs?.["published"];
    if (typeof published !== "object" || published === null) continue;
    for (const [key, p] of Object.entries(published as Record<string, { digest?: unknown; decisions?: { tag: string; action: string }[] }>)) {
      if (typeof p.digest !== "string") continue;
      facts.push([`digest-${key}`, p.digest]);
      facts.push([`tags-${key}`, (p.decisions ?? []).filter((d) => d.action !== "keep").map((d) => d.tag).join(",")]);
    }
  }
  // One value per key: a later stage's fact replaces an earlier one's.
  return [...new Map(facts)];
}

export function dotenv(facts: [string, string][]): string {
  return facts.map(([k, v]) => `SLIPWAY_${k.toUpperCase().replace(/-/g, "_")}=${v.replace(/\n/g, " ")}\n`).join("");
}

export async function writeCiOutputs(env: Record<string, string | undefined>, result: PipelineResult): Promise<void> {
  const facts = ciFacts(result);
  const write = async (file: string, variable: string, io: () => Promise<void>) => {
    try {
      await io();
    } catch (err) {
      throw new SlipwayError(`Cannot write the run's outputs to ${file} (${variable}): ${err instanceof Error ? err.message : String(err)}`, {
        code: "CI_OUTPUT_NOT_WRITABLE",
        kind: "config",
        hint: `The run itself ended ${result.verdict.kind} (run ${result.runId}); point ${variable} at a writable file.`,
        cause: err,
      });
    }
  };
  const github = env["GITHUB_OUTPUT"];
  if (github) await write(github, "GITHUB_OUTPUT", () => appendFile(github, facts.map(([k, v]) => `${k}=${v.replace(/\n/g, " ")}\n`).join("")));
  if (env["GITLAB_CI"]) {
    const file = env["SLIPWAY_DOTENV"] ?? "slipway.env";
    await write(file, "SLIPWAY_DOTENV", () => writeFile(file, dotenv(facts)));
  }
}
