/**
 * `slipway tags`: the tag plan of the checkout as it is, without building or pushing anything —
 * each tag with the rule that made it and why, what the plan noticed, and whether the work tree
 * is dirty. What `publish` would put, so that a surprise is found before the registry has it.
 */
import { Command } from "commander";
import { findPipelineConfig, loadPipelineConfig, PIPELINE_FILE } from "../../config/load-pipeline-config.ts";
import { tagsSchema } from "../../config/pipeline-schema.ts";
import { InternalError } from "../../errors/index.ts";
import { ciVariables } from "../../tags/ci-variables.ts";
import { readGitState } from "../../tags/git-state.ts";
import { planTags, type TagPlan, type TagRules } from "../../tags/tag-plan.ts";
import type { Style } from "../../ui/style.ts";
import { IssueList } from "../../yaml/issues.ts";
import type { CliIo } from "../io.ts";

export interface TagsCommandOptions {
  /** The run's one clock reading (tests pass a fixed one). */
  now?: () => Date;
}

/** slipway.yml's `tags:` as the schema fills it in when nothing is written: one source for the defaults. */
function defaultTagRules(): TagRules {
  const issues = new IssueList(PIPELINE_FILE);
  const rules = tagsSchema.read({ kind: "map", entries: [], pos: { file: "slipway.yml", line: 1, column: 1 } }, "tags", issues);
  if (!rules) throw new InternalError("slipway.yml's tags schema gave no defaults");
  return rules;
}

export function renderTagPlan(plan: TagPlan, git: { changes: string[] }, style: Style): string {
  const facts = [plan.branch ? `branch ${plan.branch}` : undefined, plan.version ? `version ${plan.version}` : undefined, `default branch ${plan.defaultBranch}`].filter(Boolean);
  const lines = [style.bold(plan.commit ? `Tags for commit ${plan.commit.slice(0, 12)}` : "Tags") + style.dim(` (${facts.join(", ")})`), ""];
  if (plan.tags.length === 0) {
    lines.push("no tags");
  } else {
    const rows = [["TAG", "RULE", "WHY"], ...plan.tags.map((t) => [t.tag, t.rule, t.why])];
    const width = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
    rows.forEach((r, i) => {
      const line = `${r[0]!.padEnd(width[0]!)}  ${r[1]!.padEnd(width[1]!)}  ${r[2]}`;
      lines.push(i === 0 ? style.dim(line) : line);
    });
  }
  if (plan.notes.length) lines.push("", "notes:", ...plan.notes.map((n) => `  - ${n}`));
  lines.push("");
  if (plan.dirty) {
    const shown = git.changes.slice(0, 5).join(", ") + (git.changes.length > 5 ? `, and ${git.changes.length - 5} more` : "");
    const count = `${git.changes.length} ${git.changes.length === 1 ? "change" : "changes"}`;
    lines.push(style.yellow(`The work tree is dirty (${count}: ${shown}): a dirty work tree refuses to publish unless --allow-dirty.`));
  } else if (plan.commit) {
    lines.push("The work tree is clean.");
  }
  return `${lines.join("\n")}\n`;
}

export function tagsCommand(io: CliIo, signal: AbortSignal, opts: TagsCommandOptions = {}): Command {
  return new Command("tags")
    .description("print the tag plan of this checkout: every tag a publish would put, the rule that made it and why")
    .option("-c, --config <file>", "pipeline file (default: slipway.yml here or in a parent folder)")
    .option("--json", "print the plan as JSON")
    .action(async (o: { config?: string; json?: boolean }) => {
      const found = o.config ?? (await findPipelineConfig(io.cwd));
      const pipeline = found ? await loadPipelineConfig({ cwd: io.cwd, ...(o.config ? { file: o.config } : {}) }) : undefined;
      const rules = pipeline?.config.tags ?? defaultTagRules();
      const dir = pipeline?.dir ?? io.cwd;
      // What Slipway writes beside the sources does not make the tree dirty (as for the release image's label).
      const ignore = [".slipway", "reports", pipeline?.config.stages?.build?.to ?? "target"];
      const git = await readGitState(dir, { signal, ignore });
      const plan = planTags({ git, ci: ciVariables(io.env), rules, now: opts.now?.() ?? new Date() });
      io.stdout.write(o.json ? `${JSON.stringify(plan, null, 2)}\n` : renderTagPlan(plan, git, io.out));
    });
}
